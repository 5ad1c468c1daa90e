"""``shotlog mirror run`` against a live site (a second ``shotlog serve``), read through the real
shotgun_api3 client: every event kept with its id and fields, late ids once, kill -9, backfill."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import httpx
import pytest
import shotgun_api3
from mirrorkit import SCRIPT_KEY, SCRIPT_NAME, Mirror, Site, comparable, launch_site, make_events, wait_for

import shotlog
from shotlog.mirror.lock import mirror_lock
from shotlog.mirror.records import FIELDS
from shotlog.store.database import Database

_ASC = [{"field_name": "id", "direction": "asc"}]


def _mirrored(mirror: Mirror, after: int, through: int) -> list[dict[str, object]]:
    with shotlog.connect(mirror.db_url) as store:
        return store.find(
            "EventLogEntry",
            [["id", "greater_than", after], ["id", "less_than", through + 1]],
            list(FIELDS),
            _ASC,
        )


def test_events_are_mirrored_identical_field_by_field(site: Site, mirror: Mirror) -> None:
    sg = site.client()
    mirror.start_inline()
    start = mirror.wait_through(0)["last_event_id"]
    project = sg.create("Project", {"name": "mirrored"})
    make_events(sg, project, 2000, "m")
    # Toolkit-style and custom events, meta of any shape, a link to a type this schema lacks
    sg.create(
        "EventLogEntry",
        {
            "event_type": "Toolkit_App_Startup",
            "description": "tk",
            "meta": {"core": "v0.20"},
            "project": project,
        },
    )
    sg.create("EventLogEntry", {"event_type": "Studio_Custom_Thing", "meta": [1, "two", {"3": None}]})
    # an entity type the site has and the mirror's schema lacks (a site's own custom entity)
    with shotlog.connect(site.db_url) as site_store:
        site_store.schema_entity_create("CustomEntity42", "Booking")
    sg.create("CustomEntity42", {"code": "booking 1", "project": project})
    head = site.head()
    status = mirror.wait_through(head)
    expected = comparable(site.events(start, head))
    got = comparable(_mirrored(mirror, start, head))
    assert len(expected) >= 2000
    assert [e["id"] for e in got] == [e["id"] for e in expected]
    for want, have in zip(expected, got, strict=True):
        assert have == want, (want, have)
    assert status["counts"]["events"] == len(expected)
    assert status["counts"]["unknown_entity_type"] >= 1
    assert status["counts"]["odd_meta"] == 1
    assert status["lag_events"] == 0 and status["open_gaps"] == []


def test_late_committed_ids_are_appended_once_in_id_order(site: Site, mirror: Mirror) -> None:
    """An id that commits after higher ones (as FPTR's do) waits for nothing twice: the events after
    it are held until it arrives, so the mirror's own readers (``id > cursor``) never skip it."""
    sg = site.client()
    mirror.start_inline(gap_timeout=3600)
    mirror.wait_through(0)
    project = sg.create("Project", {"name": "late"})
    template = site.row(site.head())
    held = template["id"] + 1
    site.insert([{**template, "id": held + 1, "description": "after the hole"}])
    sg.update("Project", project["id"], {"name": "late 2"})
    after = site.head()
    # the mirror has read past the hole (the status shows it open) but appended nothing above it
    status = wait_for(lambda: (s := mirror.status()) and held in s["open_gaps"] and s, "the open gap")
    assert status["last_event_id"] == held - 1
    assert max(mirror.ids()) == held - 1
    site.insert([{**template, "id": held, "description": "late"}])
    mirror.wait_through(after)
    ids = mirror.ids()
    assert ids[-(after - held + 1) :] == list(range(held, after + 1))
    assert ids == sorted(set(ids))
    assert _mirrored(mirror, held - 1, held)[0]["description"] == "late"
    assert mirror.status()["counts"]["late_filled"] == 1  # type: ignore[index]


def test_a_gap_that_never_fills_is_given_up_on_the_sites_clock(site: Site, mirror: Mirror) -> None:
    mirror.start_inline(gap_timeout=60)
    mirror.wait_through(0)
    template = site.row(site.head())
    missing = template["id"] + 1
    later = template["created_at"] + dt.timedelta(seconds=30)
    much_later = template["created_at"] + dt.timedelta(seconds=120)
    site.insert([{**template, "id": missing + 1, "created_at": later}])
    wait_for(lambda: (s := mirror.status()) and missing in s["open_gaps"], "the open gap")
    # 30 s later on the site's clock: still waiting; 120 s later: given up, the events follow
    site.insert([{**template, "id": missing + 2, "created_at": much_later}])
    status = mirror.wait_through(missing + 2)
    assert missing not in mirror.ids() and {missing + 1, missing + 2} <= set(mirror.ids())
    assert status["counts"]["gaps_given_up"] == 1 and status["open_gaps"] == []
    site.insert([{**template, "id": missing, "description": "too late"}])  # after its gap expired
    project = site.client().create("Project", {"name": "after too late"})
    mirror.wait_through(site.head())
    assert missing not in mirror.ids() and project


def test_kill9_at_random_points_loses_and_repeats_nothing(site: Site, mirror: Mirror) -> None:
    """The cursor commits with the events it covers: a mirror killed anywhere resumes exactly."""
    sg = site.client()
    mirror.args += ["--batch", "50"]
    project = sg.create("Project", {"name": "kill9"})
    first = start = site.head()
    mirror.start("--from-event-id", str(start + 1))
    rng = random.Random(20)
    for round_ in range(2):
        make_events(sg, project, 250, f"k{round_}")
        target = site.head()
        # kill it while it is appending: once it is past a random point of this round's events
        mirror.wait_through(start + rng.randint(1, target - start))
        mirror.kill9()
        mirror.start()
        start = target
    head = site.head()
    mirror.wait_through(head)
    assert [i for i in mirror.ids() if i > first] == [e["id"] for e in site.events(first, head)]


def test_backfill_then_live_without_gap_or_repeat(site: Site, mirror: Mirror) -> None:
    sg = site.client()
    project = sg.create("Project", {"name": "backfill"})
    start = site.head()
    make_events(sg, project, 600, "b")
    mirror.start_inline(batch=40, from_event_id=start + 1)
    mirror.wait_through(start + 100)
    make_events(sg, project, 100, "live")  # while it is still catching up
    head = site.head()
    mirror.wait_through(head)
    assert [i for i in mirror.ids() if i > start] == [e["id"] for e in site.events(start, head)]


def test_one_mirror_per_database(site: Site, mirror: Mirror) -> None:
    db = Database(mirror.db_url)
    try:
        with mirror_lock(db):  # as a running mirror holds it
            second = mirror.run_once()
    finally:
        db.dispose()
    assert second.returncode != 0
    assert "another shotlog mirror is already running on this database" in second.stderr


def test_a_wrong_key_stops_with_an_error_naming_the_site(site: Site, mirror: Mirror) -> None:
    run = mirror.run_once(key="wrong-key")
    assert run.returncode == 1
    assert f"the FPTR site {site.url} refused the credentials" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_unreachable_site_is_retried_and_reported(site: Site, mirror: Mirror) -> None:
    from testdbs import free_port

    down = Site(f"http://127.0.0.1:{free_port()}", site.db_url, site.process, site.log_path)
    m = Mirror(down, mirror.db_url, mirror.directory)
    m.start()
    try:
        wait_for(lambda: m.log().count(f"cannot read the FPTR site {down.url}") >= 2, "two reported retries")
        assert m.process is not None and m.process.poll() is None
    finally:
        m.stop()
    assert "Traceback" not in m.log()


def test_a_mirrored_database_refuses_entity_writes_and_reports_its_status(
    site: Site, mirror: Mirror, tmp_path: Path
) -> None:
    mirror.start_inline()
    mirror.wait_through(0)
    served = launch_site(mirror.db_url, tmp_path / "served")
    try:
        sg = served.client()
        with pytest.raises(shotgun_api3.Fault, match=f"read-only mirror of the FPTR site {site.url}"):
            sg.create("Project", {"name": "written to the mirror"})
        assert sg.find("Project", [["name", "is", "written to the mirror"]]) == []
        # a schema change writes events too, which the site's next events could not follow
        with pytest.raises(shotgun_api3.Fault, match=f"read-only mirror of the FPTR site {site.url}"):
            sg.schema_field_create("Shot", "text", "Written to the mirror")
        assert "sg_written_to_the_mirror" not in sg.schema_field_read("Shot")
        token = httpx.post(
            f"{served.url}/api/v1/auth/access_token",
            data={"grant_type": "client_credentials", "client_id": SCRIPT_NAME, "client_secret": SCRIPT_KEY},
            timeout=30,
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        refused = httpx.post(
            f"{served.url}/api/v1/entity/projects", json={"name": "rest write"}, headers=auth, timeout=30
        )
        assert refused.status_code == 403 and site.url in refused.text
        status = httpx.get(f"{served.url}/api/v1/mirror", headers=auth, timeout=30).json()["data"]
        assert status["site"] == site.url and status["last_event_id"] >= site.head() - 1
    finally:
        served.stop()


def test_a_start_beyond_the_sites_newest_event_is_refused(site: Site, mirror: Mirror) -> None:
    from shotlog.mirror.follower import Follower, MirrorStartError, Options
    from shotlog.mirror.site import Credentials
    from shotlog.mirror.site import Site as SiteClient
    from shotlog.mirror.status import mirror_status

    client = SiteClient(site.url, Credentials(SCRIPT_NAME, SCRIPT_KEY))
    newest = client.head()[0]
    try:
        with shotlog.connect(mirror.db_url) as store:
            beyond = Follower(store, client, Options(from_event_id=newest + 1000))
            with pytest.raises(MirrorStartError, match=f"beyond the site's newest event \\({newest}\\)"):
                beyond.start()
            assert mirror_status(store.db) is None  # no cursor saved: nothing will be skipped
    finally:
        client.close()


def test_a_site_that_is_no_url_stops_the_mirror_naming_it(site: Site, mirror: Mirror) -> None:
    nowhere = Mirror(
        Site("notaurl", site.db_url, site.process, site.log_path), mirror.db_url, mirror.directory
    )
    run = nowhere.run_once()
    assert run.returncode == 1, run.stderr
    assert "the FPTR site 'notaurl' cannot be used" in run.stderr
    assert "Traceback" not in run.stderr
