"""A live site for the tests that read one through the official client: a real ``shotlog serve`` on a
database of the test's, with a script whose key the test knows.

The daemon and mirror tests both follow such a site; each kit subclasses :class:`Site` to give it its
own script's credentials as defaults (``tests/daemon/daemonkit.py``, ``tests/mirror/mirrorkit.py``).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import shotgun_api3
import sqlalchemy as sa

import shotlog
from shotlog.accounts.credentials import Credentials, new_secret
from shotlog.mirror.records import FIELDS
from shotlog.store.database import Database
from shotlog.store.tables import event_log_entries
from testdbs import start_serve, stop_serve, wait_healthy

__all__ = ["Site", "launch_site"]

_ASC = [{"field_name": "id", "direction": "asc"}]
_DESC = [{"field_name": "id", "direction": "desc"}]


@dataclass
class Site:
    """A running ``shotlog serve``, the database behind it and the script it was started with."""

    url: str
    db_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    script_name: str
    script_key: str
    scripts: dict[str, str] = field(default_factory=dict)
    _clients: list[shotgun_api3.Shotgun] = field(default_factory=list)

    def client(self, name: str | None = None, key: str | None = None) -> shotgun_api3.Shotgun:
        """The official client as the site's script (or as ``name`` with ``key``); closed by stop."""
        sg = shotgun_api3.Shotgun(
            self.url, script_name=name or self.script_name, api_key=key or self.script_key
        )
        self._clients.append(sg)
        return sg

    def script(self, name: str) -> tuple[str, str]:
        """An ApiUser ``name`` with a fresh key (one per plugin, as the maintainers recommend)."""
        if name not in self.scripts:
            key = new_secret()
            with shotlog.connect(self.db_url) as store:
                found = store.find_one("ApiUser", [["firstname", "is", name]], ["id"])
                if found is None:
                    found = store.create("ApiUser", {"firstname": name})
                Credentials(store).set_script_key(found["id"], key)
            self.scripts[name] = key
        return name, self.scripts[name]

    def head(self) -> int:
        """The newest event's id, 0 on an empty log."""
        newest = self.client().find_one("EventLogEntry", [], ["id"], order=_DESC)
        return 0 if newest is None else int(newest["id"])

    def events(self, after: int, through: int | None = None) -> list[dict[str, Any]]:
        """Every event after ``after`` as the official client reads it, all fields."""
        filters: list[Any] = [["id", "greater_than", after]]
        if through is not None:
            filters.append(["id", "less_than", through + 1])
        return list(self.client().find("EventLogEntry", filters, list(FIELDS), _ASC))

    def row(self, event_id: int) -> dict[str, Any]:
        """The event's row as the database holds it."""
        db = Database(self.db_url)
        try:
            with db.read() as conn:
                found = conn.execute(
                    sa.select(event_log_entries).where(event_log_entries.c.id == event_id)
                ).one()
        finally:
            db.dispose()
        return dict(found._mapping)

    def insert(self, rows: list[dict[str, Any]]) -> None:
        """Commit event rows with given ids: what a late commit on FPTR looks like to a reader (shotlog
        itself commits ids in order, so the tests place the out-of-order ids by hand)."""
        db = Database(self.db_url)
        try:
            with db.write() as conn:
                conn.execute(sa.insert(event_log_entries), rows)
        finally:
            db.dispose()

    def stop(self) -> None:
        for sg in self._clients:
            sg.close()
        self._clients.clear()
        stop_serve(self.process)


S = TypeVar("S", bound=Site)


def launch_site(kind: type[S], db_url: str, directory: Path, script_name: str, script_key: str) -> S:
    """Start ``shotlog serve`` on ``db_url`` with the script ``script_name``/``script_key`` and wait
    until it answers; a server that does not come up is stopped and its log raised."""
    env = {"SHOTLOG_SCRIPT_NAME": script_name, "SHOTLOG_SCRIPT_KEY": script_key}
    process, url, log_path = start_serve(db_url, directory, env)
    site = kind(url, db_url, process, log_path, script_name, script_key)
    try:
        wait_healthy(url, process, log_path)
    except RuntimeError:
        site.stop()
        raise
    return site
