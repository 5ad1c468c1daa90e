"""shotlog's own events on a mirrored database (issue 20): a webhook's audit, scripts and their
keys, a person and their token, a rule edit, a failed sign-in, and the admin and script ``shotlog
serve`` sets up are kept as the mirror's local events. The log keeps the site's events with the
site's ids only, so the site's next events are mirrored after each of them as if nothing happened
(a local event in the log took the site's next id, and the mirror stopped at its collision)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import shotgun_api3
import sqlalchemy as sa
from mirrorkit import Mirror, Site, wait_for

import shotlog
from shotlog.accounts.signins import SignIns
from shotlog.site import preferences
from shotlog.store.database import Database
from shotlog.store.tables import event_log_entries as ele
from shotlog.webhooks.api import Webhooks
from testdbs import start_serve, stop_serve, wait_healthy
from webhooks.webhookkit import fast_settings

_ASC = [{"field_name": "id", "direction": "asc"}]


@dataclass
class Local:
    """Where a source does its local work: the mirror's database, and what to stop at the end."""

    mirror: Mirror
    directory: Path
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def _cli(db_url: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    done = subprocess.run(
        [sys.executable, "-m", "shotlog", *args, "--database", db_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _webhook(local: Local) -> set[str]:
    with shotlog.connect(local.mirror.db_url) as store:
        hooks = Webhooks(store, fast_settings())
        hook = hooks.create_hook(
            {
                "name": "on the mirror",
                "url": "http://127.0.0.1:9/hook",
                "entity_types": {"Shot": {"create": []}},
            }
        )
        hooks.update_hook(hook["id"], {"name": "renamed on the mirror"})
    return {"Shotgun_Webhook_Created", "Shotgun_Webhook_Updated"}


def _scripts(local: Local) -> set[str]:
    _cli(local.mirror.db_url, "scripts", "create", "made_on_the_mirror")
    _cli(local.mirror.db_url, "scripts", "rotate", "made_on_the_mirror")
    return {"Shotgun_ApiUser_New", "Shotgun_ApiUser_Change"}


def _person_and_token(local: Local) -> set[str]:
    with shotlog.connect(local.mirror.db_url) as store:
        store.create("HumanUser", {"login": "mirror.pat", "firstname": "Pat", "lastname": "Local"})
    _cli(local.mirror.db_url, "users", "token-create", "mirror.pat", "--name", "laptop")
    return {"Shotgun_HumanUser_New", "ShotGrid_PAT_Added"}


def _rule(local: Local) -> set[str]:
    _cli(local.mirror.db_url, "permissions", "set", "Artist", "delete", "Shot", "refuse")
    return {"Shotgun_PermissionRuleSet_NewRule"}


def _failed_signin(local: Local) -> set[str]:
    with shotlog.connect(local.mirror.db_url) as store:
        SignIns(store).failed("nobody.here", "api3", "127.0.0.1")
    return {"Shotgun_User_FailedLogin"}


def _serve(local: Local) -> set[str]:
    """``shotlog serve`` on the mirror's database sets up its admin and script, and a wrong
    password through it is a failed sign-in; it keeps serving while the site is mirrored."""
    env = {
        "SHOTLOG_ADMIN_LOGIN": "mirror.admin",
        "SHOTLOG_ADMIN_PASSWORD": "the mirror's admin 7",
        "SHOTLOG_SCRIPT_NAME": "mirror_served",
        "SHOTLOG_SCRIPT_KEY": "served-" + "0f1e2d3c4b5a6978" * 4,
    }
    process, url, log_path = start_serve(local.mirror.db_url, local.directory / "served", env)
    local.cleanups.append(lambda: stop_serve(process))
    wait_healthy(url, process, log_path)
    wrong = shotgun_api3.Shotgun(url, login="mirror.admin", password="not the password")
    with pytest.raises(shotgun_api3.AuthenticationFault):
        wrong.find_one("Project", [])
    wrong.close()
    admin = shotgun_api3.Shotgun(url, login="mirror.admin", password=env["SHOTLOG_ADMIN_PASSWORD"])
    assert admin.find_one("EventLogEntry", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    admin.close()
    return {"Shotgun_HumanUser_New", "Shotgun_ApiUser_New", "Shotgun_User_FailedLogin", "Shotgun_User_Login"}


SOURCES: dict[str, Callable[[Local], set[str]]] = {
    "webhook created and changed": _webhook,
    "scripts create and rotate": _scripts,
    "a person and their token": _person_and_token,
    "a permission rule edit": _rule,
    "a failed sign-in": _failed_signin,
    "serve's setup and sign-ins": _serve,
}


def _log(db_url: str, after: int) -> list[tuple[int, str]]:
    db = Database(db_url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                sa.select(ele.c.id, ele.c.event_type).where(ele.c.id > after).order_by(ele.c.id)
            )
            return [(int(r.id), r.event_type) for r in rows]
    finally:
        db.dispose()


def _local_events(db_url: str) -> list[dict[str, Any]]:
    from shotlog.store import local_events

    db = Database(db_url)
    try:
        with db.read() as conn:
            return local_events.newest(conn, 1000)
    finally:
        db.dispose()


def _site_log(site: Site, after: int, through: int) -> list[tuple[int, str]]:
    found = site.client().find(
        "EventLogEntry",
        [["id", "greater_than", after], ["id", "less_than", through + 1]],
        ["event_type"],
        _ASC,
    )
    return [(int(e["id"]), e["event_type"]) for e in found]


@pytest.fixture
def local(mirror: Mirror, tmp_path: Path) -> Iterator[Local]:
    made = Local(mirror, tmp_path)
    yield made
    for stop in made.cleanups:
        stop()


@pytest.mark.parametrize("source", list(SOURCES))
def test_shotlogs_own_events_on_a_mirror_are_kept_apart_and_the_site_follows(
    source: str, site: Site, mirror: Mirror, local: Local
) -> None:
    sg = site.client()
    mirror.start_inline()
    start = mirror.wait_through(0)["last_event_id"]
    project = sg.create("Project", {"name": f"before: {source}"})
    mirror.wait_through(site.head())

    expected = SOURCES[source](local)

    # the site's next events take the ids a local event would have taken in the log
    sg.update("Project", project["id"], {"name": f"after: {source}"})
    sg.create("Shot", {"code": "after the local events", "project": project})
    head = site.head()
    status = mirror.wait_through(head)
    assert _log(mirror.db_url, start) == _site_log(site, start, head)
    kept = {e["event_type"] for e in _local_events(mirror.db_url)}
    assert expected <= kept, (expected, kept)
    assert status["local_events"] >= len(expected)
    assert {e["event_type"] for e in status["recent_local_events"]} <= kept
    assert status["last_error"] is None and status["lag_events"] == 0


#: a process of its own on the mirror's database: reads whether it is a mirror (and trusts what it
#: read for MIRRORED_TTL), says so, and at the test's word writes a failed sign-in
_STALE_WRITER = """
import sys
import shotlog
from shotlog.accounts.signins import SignIns
from shotlog.store import mirrors

store = shotlog.connect(sys.argv[1])
print("ready" if mirrors.mirrored_site(store.db) is None else "knows", flush=True)
sys.stdin.readline()
stale = mirrors.mirrored_site(store.db) is None
SignIns(store).failed("stale.process", "api3", "127.0.0.1")
print("stale" if stale else "knew", flush=True)
"""


def _write_while_stale(
    writer: subprocess.Popen[str], site: Site, mirror: Mirror, local_head: int
) -> tuple[int, dict[str, Any]]:
    """Start the mirror after ``writer`` read that its database is none, let the mirror append if
    it would, then have the writer write: the mirror's start id and the site's project."""
    from shotlog.store import mirrors

    assert writer.stdout is not None and writer.stdin is not None
    assert writer.stdout.readline().strip() == "ready"
    read_by = time.monotonic()  # the writer read it before now: it trusts that until ~now + TTL
    mirror.start_inline()
    start = mirror.wait_through(0)["last_event_id"]
    project = site.client().create("Project", {"name": "while a process does not know"})

    # a mirror that appended the site's events now would give the stale process's event the
    # site's next id: wait for that, or until the writer is about to learn
    def appended_or_late() -> bool:
        late = time.monotonic() > read_by + mirrors.MIRRORED_TTL - 2.0
        return late or _log(mirror.db_url, local_head) != []

    wait_for(appended_or_late, "the mirror's first append, or the end of the writer's stale read")
    writer.stdin.write("go\n")
    writer.stdin.flush()
    assert writer.stdout.readline().strip() == "stale", "the writer already knew: nothing was tested"
    assert writer.wait(60) == 0
    return int(start), project


def test_a_process_that_does_not_know_yet_writes_below_the_mirrored_ids(site: Site, mirror: Mirror) -> None:
    """A process reads whether its database is a mirror at most every few seconds. One that read
    it just before the mirror started may still append its own event to the log: a new mirror
    appends nothing until every process knows, so that event stays below the site's ids."""
    sg = site.client()
    local_head = max((i for i, _ in _log(mirror.db_url, 0)), default=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    with subprocess.Popen(
        [sys.executable, "-c", _STALE_WRITER, mirror.db_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    ) as writer:
        try:
            start, project = _write_while_stale(writer, site, mirror, local_head)
        finally:
            if writer.poll() is None:
                writer.kill()
    stale = [(i, t) for i, t in _log(mirror.db_url, local_head) if t == "Shotgun_User_FailedLogin"]
    assert len(stale) == 1 and stale[0][0] <= start, (stale, start)

    sg.update("Project", project["id"], {"name": "after the stale process"})
    head = site.head()
    mirror.wait_through(head)
    assert _log(mirror.db_url, start) == _site_log(site, start, head)


def test_a_site_preference_is_the_sites_to_change(site: Site, mirror: Mirror) -> None:
    """``shotlog prefs set`` answers with its event's id, which a mirror's log cannot give: refused,
    naming the site, and nothing is written."""
    mirror.start_inline()
    start = mirror.wait_through(0)["last_event_id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    refused = subprocess.run(
        [sys.executable, "-m", "shotlog", "prefs", "set", "date_component_order", "day_month"]
        + ["--database", mirror.db_url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"read-only mirror of the FPTR site {site.url}" in refused.stderr
    assert "Traceback" not in refused.stderr
    with shotlog.connect(mirror.db_url) as store:
        assert preferences.read(store, ["date_component_order"]) == {"date_component_order": "month_day"}
    assert _log(mirror.db_url, start) == []
    assert "Shotgun_Preferences_Change" not in {e["event_type"] for e in _local_events(mirror.db_url)}
