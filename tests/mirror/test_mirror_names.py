"""Names of the entities a mirrored event links to: asked of the site when its events did not give
them, and asked again when its events say the name changed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from mirrorkit import Mirror, Site, wait_for

import shotlog
from shotlog.mirror.naming import renamed
from shotlog.store import local_events
from shotlog.store.database import Database
from shotlog.store.tables import mirror_links
from testdbs import start_serve, stop_serve, wait_healthy


def _link_name(mirror: Mirror, ref: tuple[str, int]) -> tuple[bool, Any]:
    """(recorded, name) of a link in the mirror's database."""
    db = Database(mirror.db_url)
    try:
        with db.read() as conn:
            row = conn.execute(
                sa.select(mirror_links.c.name).where(
                    mirror_links.c.entity_type == ref[0], mirror_links.c.entity_id == ref[1]
                )
            ).first()
    finally:
        db.dispose()
    return (row is not None, None if row is None else row.name)


def _quiet_rename(site: Site, shot_id: int, code: str) -> None:
    """Name a Shot on the site without an event (as if its events never carried the name)."""
    with shotlog.connect(site.db_url) as store:
        table = store.catalog.table("Shot")
        column = store.catalog.schema.field("Shot", "code").column
        assert column is not None
        with store.db.write() as conn:
            conn.execute(sa.update(table).where(table.c.id == shot_id).values({column: code}))


def test_a_link_its_events_did_not_name_is_named_from_the_site(
    site: Site, mirror: Mirror, tmp_path: Path
) -> None:
    sg = site.client()
    project = sg.create("Project", {"name": "naming"})
    mirror.start_inline()
    shot = sg.create("Shot", {"project": project})  # no code: its events link it without a name
    mirror.wait_through(site.head())
    ref = ("Shot", shot["id"])
    assert _link_name(mirror, ref) == (True, None)
    mirror.stop()

    _quiet_rename(site, shot["id"], "named on the site")
    mirror.start_inline()
    wait_for(lambda: _link_name(mirror, ref)[1] == "named on the site", "the name asked of the site")
    with shotlog.connect(mirror.db_url) as store:
        events = store.find("EventLogEntry", [["entity", "is", shot]], ["entity"])
    assert events and {e["entity"]["name"] for e in events} == {"named on the site"}
    mirror.stop()

    # the web UI's event log of the mirror names the link so too (signing in to a mirror's web UI
    # is one of its local events, never in the log, which holds the site's events only)
    env = {"SHOTLOG_ADMIN_LOGIN": "mirror.admin", "SHOTLOG_ADMIN_PASSWORD": "names from the site 7"}
    process, url, log_path = start_serve(mirror.db_url, tmp_path, env)
    try:
        wait_healthy(url, process, log_path)
        with httpx.Client(base_url=url, timeout=30) as http:
            form = http.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]*)"', form.text)
            assert csrf is not None
            signed = http.post(
                "/login",
                data={
                    "login": env["SHOTLOG_ADMIN_LOGIN"],
                    "password": env["SHOTLOG_ADMIN_PASSWORD"],
                    "csrf": csrf.group(1),
                },
            )
            assert signed.status_code in (200, 303), signed.text
            page = http.get("/events", params={"entity_type": "Shot", "entity_id": str(shot["id"])})
            assert page.status_code == 200 and "named on the site" in page.text
            entity_page = http.get(f"/entities/Shot/{shot['id']}")
            assert entity_page.status_code == 200 and "named on the site" in entity_page.text
            assert "Shotgun_Shot_New" in entity_page.text or "created" in entity_page.text.lower()
            missing = http.get("/entities/Shot/987654")
            assert missing.status_code == 404
            daemon_page = http.get("/daemon")
            assert daemon_page.status_code == 200 and "Local events (" in daemon_page.text
    finally:
        stop_serve(process)
    db = Database(mirror.db_url)
    try:
        with db.read() as conn:
            kept = {e["event_type"] for e in local_events.newest(conn, 100)}
    finally:
        db.dispose()
    assert "Shotgun_User_Login" in kept


def test_a_rename_on_the_site_asks_it_for_the_name_again(site: Site, mirror: Mirror) -> None:
    sg = site.client()
    project = sg.create("Project", {"name": "renames"})
    mirror.start_inline()
    shot = sg.create("Shot", {"code": "before", "project": project})
    mirror.wait_through(site.head())
    assert _link_name(mirror, ("Shot", shot["id"])) == (True, "before")
    assert mirror.status()["counts"].get("names_fetched", 0) == 0  # type: ignore[index]
    mirror.stop()

    # read after a second rename, the first rename's event links the Shot by a newer name than
    # its new_value: the mirror asks the site
    sg.update("Shot", shot["id"], {"code": "after"})
    _quiet_rename(site, shot["id"], "after, quietly")
    mirror.start_inline()
    head = site.head()
    wait_for(
        lambda: mirror.wait_through(head)["counts"].get("names_fetched", 0) >= 1,
        "the renamed Shot's name asked of the site",
    )
    assert _link_name(mirror, ("Shot", shot["id"])) == (True, "after, quietly")
    with shotlog.connect(mirror.db_url) as store:
        events = store.find("EventLogEntry", [["entity", "is", shot]], ["entity"])
    assert {e["entity"]["name"] for e in events} == {"after, quietly"}


def test_which_events_rename_their_entity() -> None:
    display = {"Shot": "code", "Task": "content"}.get
    change: dict[str, Any] = {"event_type": "Shotgun_Shot_Change", "attribute_name": "code"}
    assert renamed({**change, "entity": {"type": "Shot", "id": 5}}, display) == ("Shot", 5)
    confirmed = {"type": "Shot", "id": 5, "name": "b"}
    assert renamed({**change, "entity": confirmed, "meta": {"new_value": "b"}}, display) is None
    assert renamed({**change, "entity": confirmed, "meta": {"new_value": "a"}}, display) == ("Shot", 5)
    assert renamed({**change, "meta": {"entity_type": "Shot", "entity_id": 6}}, display) == ("Shot", 6)
    assert (
        renamed({**change, "attribute_name": "description", "entity": {"type": "Shot", "id": 5}}, display)
        is None
    )
    assert renamed(
        {
            "event_type": "Shotgun_Task_Change",
            "attribute_name": "content",
            "meta": {"entity_type": "Task", "entity_id": 1},
        },
        display,
    ) == ("Task", 1)
    assert (
        renamed(
            {
                "event_type": "Shotgun_Asset_Change",
                "attribute_name": "code",
                "entity": {"type": "Asset", "id": 2},
            },
            display,
        )
        is None
    )
    assert (
        renamed(
            {"event_type": "Shotgun_Shot_New", "attribute_name": "code", "entity": {"type": "Shot", "id": 5}},
            display,
        )
        is None
    )
