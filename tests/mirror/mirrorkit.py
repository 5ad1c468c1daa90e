"""Helpers of the mirror tests: a ``shotlog serve`` playing the live FPTR site, and ``shotlog mirror
run`` processes following it into a database of their own."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shotgun_api3
import sqlalchemy as sa

import shotlog
import sitekit
import waiting
from shotlog.store.database import Database
from shotlog.store.tables import event_log_entries

SCRIPT_NAME = "mirror_tests"
SCRIPT_KEY = "k3y-" + "a1b2c3d4e5f60718" * 4
TIMEOUT = 60.0


@dataclass
class Site(sitekit.Site):
    """The live site: a real ``shotlog serve`` the mirror reads through shotgun_api3, as the mirror
    tests' script unless told otherwise."""

    script_name: str = SCRIPT_NAME
    script_key: str = SCRIPT_KEY


def launch_site(db_url: str, directory: Path) -> Site:
    return sitekit.launch_site(Site, db_url, directory, SCRIPT_NAME, SCRIPT_KEY)


@dataclass
class Mirror:
    """``shotlog mirror run`` in a process of its own, into ``db_url``."""

    site: Site
    db_url: str
    directory: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    runs: int = 0
    follower: Any = None
    thread: threading.Thread | None = None
    failure: BaseException | None = None

    def command(self, *extra: str, key: str = SCRIPT_KEY) -> list[str]:
        return [
            sys.executable, "-m", "shotlog", "mirror", "run", "--site", self.site.url,
            "--script-name", SCRIPT_NAME, "--api-key", key, "--database", self.db_url,
            "--poll-interval", "0.1", *self.args, *extra,
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
        env.update(PYTHONUNBUFFERED="1", SHOTLOG_SQLITE_SYNCHRONOUS="NORMAL", **self.env)
        return env

    def start(self, *extra: str) -> Mirror:
        self.runs += 1
        self.log_path = self.directory / f"mirror_{self.runs}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(*extra), stdout=log, stderr=subprocess.STDOUT, env=self.environment()
            )
        return self

    def run_once(self, key: str = SCRIPT_KEY) -> subprocess.CompletedProcess[str]:
        """Another ``shotlog mirror run`` to its end (one that is refused)."""
        cmd, env = self.command(key=key), self.environment()
        return subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=60)

    def start_inline(self, **options: Any) -> Mirror:
        """The mirror's follower on a thread of the test process (no process to start: faster)."""
        from shotlog.mirror.follower import Follower, Options
        from shotlog.mirror.site import Credentials
        from shotlog.mirror.site import Site as SiteClient

        client = SiteClient(self.site.url, Credentials(SCRIPT_NAME, SCRIPT_KEY))
        store = shotlog.connect(self.db_url)
        self.follower = Follower(store, client, Options(interval=0.05, **options))
        self.follower.start()
        self.thread = threading.Thread(target=self._follow, daemon=True)
        self.thread.start()
        return self

    def _follow(self) -> None:
        assert self.follower is not None
        try:
            self.follower.run()
        except Exception as exc:
            self.failure = exc

    def log(self) -> str:
        return "" if self.log_path is None else self.log_path.read_text(errors="replace")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            assert self.thread is not None
            self.thread.join(30)
            self.follower.store.close()
            self.follower.site.close()
            self.follower = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def status(self) -> dict[str, Any] | None:
        from shotlog.mirror.status import mirror_status

        db = Database(self.db_url)
        try:
            return mirror_status(db)
        finally:
            db.dispose()

    def wait_through(self, event_id: int, timeout: float = TIMEOUT) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            if self.failure is not None:
                raise AssertionError(f"the mirror failed: {self.failure!r}")
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"the mirror exited with {self.process.returncode}:\n{self.log()[-4000:]}"
                )
            status = self.status()
            return status if status is not None and status["last_event_id"] >= event_id else None

        found: dict[str, Any] = wait_for(reached, f"the mirror through event {event_id}", timeout)
        return found

    def ids(self) -> list[int]:
        db = Database(self.db_url)
        try:
            with db.read() as conn:
                return [
                    int(i)
                    for i in conn.execute(
                        sa.select(event_log_entries.c.id).order_by(event_log_entries.c.id)
                    ).scalars()
                ]
        finally:
            db.dispose()


def wait_for(check: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    return waiting.wait_for(check, what, timeout)


def utc(value: Any) -> Any:
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def comparable(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events with their times in UTC (each client reads them in its own zone)."""
    return [{k: utc(v) for k, v in e.items()} for e in events]


def make_events(sg: shotgun_api3.Shotgun, project: dict[str, Any], count: int, tag: str) -> None:
    """About ``count`` events on the site: batched creates and updates of Shots (4 events a create)."""
    creates = max(1, count // 5)
    for start in range(0, creates, 100):
        made = sg.batch(
            [
                {
                    "request_type": "create",
                    "entity_type": "Shot",
                    "data": {"code": f"{tag}{i:05d}", "project": project},
                }
                for i in range(start, min(creates, start + 100))
            ]
        )
        sg.batch(
            [
                {
                    "request_type": "update",
                    "entity_type": "Shot",
                    "entity_id": s["id"],
                    "data": {"description": f"ü {tag}"},
                }
                for s in made
            ]
        )
