"""A PostgreSQL write's round trips: its last statements go with its COMMIT, and no checkout pings.

An update's held-back UPDATE and its event's INSERT need no answer before the commit, so they are
sent with the COMMIT in one pipeline (``shotlog.store.driver``'s commit tail); a pooled connection
is asked whether its server ended it by looking at its socket, not with a ``SELECT 1`` per checkout
(``shotlog.store.database``). Counted here from libpq's own trace of the writer's connection: each
Sync or simple Query it sends is one wait for the server. And what the shortcuts must not lose: a
tail that fails commits nothing and leaves the pool usable, and a connection whose backend was
terminated is replaced at checkout instead of failing the next write.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import event as sa_event

import shotlog
from shotlog.errors import ConflictError
from shotlog.store import driver
from shotlog.store.tables import event_log_entries as ele


@pytest.fixture
def pg(db_url: str) -> Iterator[str]:
    if not db_url.startswith("postgres"):
        pytest.skip("SQLite has no round trips: the commit tail and the checkout check are PostgreSQL's")
    yield db_url


class Trace:
    """libpq's trace of every connection an engine opens from now on, one file each."""

    def __init__(self, engine: sa.Engine, directory: Path) -> None:
        self.directory = directory
        self.files: list[Any] = []
        engine.pool.dispose()  # connections opened before the trace would go uncounted
        sa_event.listen(engine, "connect", self._traced)

    def _traced(self, dbapi_conn: Any, _record: Any) -> None:
        fh = open(self.directory / f"conn{len(self.files)}.trace", "w")  # noqa: SIM115 (kept open for libpq)
        self.files.append(fh)
        dbapi_conn.pgconn.trace(fh.fileno())
        dbapi_conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def waits(self) -> int:
        """Syncs and simple Queries sent so far, on every traced connection."""
        n = 0
        for fh in self.files:
            fh.flush()
        for path in self.directory.glob("*.trace"):
            for line in path.read_text(errors="replace").splitlines():
                parts = line.split("\t")
                if len(parts) > 2 and parts[0] == "F" and parts[2].startswith(("Sync", "Query")):
                    n += 1
        return n

    def close(self) -> None:
        for fh in self.files:
            fh.close()


def test_an_update_waits_for_the_server_twice(pg: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, shotlog.connect(pg, migrate=False) as sg:
        shot = sg.create("Shot", {"code": "rt"})["id"]
        trace = Trace(sg.db.writer, Path(tmp))
        waits = []
        try:
            for i in range(5):  # warm: the connection made, the reserving function installed
                sg.update("Shot", shot, {"description": f"warm {i}"})
            for i in range(20):
                before = trace.waits()
                sg.update("Shot", shot, {"description": f"counted {i}"})
                waits.append(trace.waits() - before)
        finally:
            trace.close()
        # BEGIN with the row read FOR UPDATE, then the UPDATE, the event's INSERT and the COMMIT
        # together (before: a ping, BEGIN, the read, the UPDATE, the INSERT and the COMMIT, each on
        # its own). Now and then a write also reads whether the schema changed (once a second).
        assert sorted(waits)[len(waits) // 2] == 2, waits
        assert min(waits) == 2, waits
        events = sg.find("EventLogEntry", [["entity", "is", {"type": "Shot", "id": shot}]], ["meta"])
        assert [e["meta"]["new_value"] for e in events[-20:]] == [f"counted {i}" for i in range(20)]


def test_a_failing_tail_commits_nothing_and_the_pool_goes_on(pg: str) -> None:
    with shotlog.connect(pg, migrate=False) as sg:
        shot = sg.create("Shot", {"code": "before"})["id"]
        head = sg.head_event_id()
        shots = sg.catalog.table("Shot")
        code = sg.catalog.schema.fields["Shot"]["code"].column or "code"

        def work(conn: Any) -> None:
            with driver.last_statements(conn):
                # queued, then refused with the second: the event id exists already
                driver.execute(conn, shots.update().where(shots.c.id == shot), {code: "changed"})
                driver.execute(
                    conn,
                    ele.insert(),
                    {"id": head, "event_type": "Shotgun_Test", "created_at": dt.datetime(2026, 1, 1)},
                )

        with pytest.raises(ConflictError):
            sg.db.write_grouped(work)
        assert sg.find_one("Shot", [["id", "is", shot]], ["code"])["code"] == "before"
        assert sg.head_event_id() == head
        # the connection the failed tail used is back in the pool and writes as before
        sg.update("Shot", shot, {"code": "after"})
        assert sg.find_one("Shot", [["id", "is", shot]], ["code"])["code"] == "after"
        assert sg.head_event_id() > head


def test_a_connection_whose_backend_was_terminated_is_replaced_at_checkout(pg: str) -> None:
    with shotlog.connect(pg, migrate=False) as sg:
        shot = sg.create("Shot", {"code": "t"})["id"]
        with sg.db.writer.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            conn.rollback()
        # the pool hands out the connection used last: this one, unless it is found dead
        plain = sa.engine.make_url(pg).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
            for _ in range(600):  # the backend exits a moment later: wait for it, bounded
                count = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
                if count.fetchone() == (0,):
                    break
                admin.execute("SELECT pg_sleep(0.05)")
            else:
                pytest.fail(f"backend {pid} did not exit")
        sg.update("Shot", shot, {"description": "after the backend was terminated"})
        with sg.db.writer.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
            conn.rollback()
        assert sg.find_one("Shot", [["id", "is", shot]], ["description"])["description"].startswith("after")


@pytest.mark.parametrize("through", ["sqlalchemy", "driver"])
def test_the_deferred_begin_keeps_a_write_atomic(pg: str, through: str) -> None:
    """The BEGIN goes with a write's first statement, whichever way that is sent: a write that
    fails after it leaves nothing, and the pooled connection goes back to transactions of its own
    (a plain ``write`` that fails after its statement leaves nothing either)."""
    with shotlog.connect(pg, migrate=False) as sg:
        shot = sg.create("Shot", {"code": "kept"})["id"]
        shots = sg.catalog.table("Shot")
        code = sg.catalog.schema.fields["Shot"]["code"].column or "code"
        change = shots.update().where(shots.c.id == shot)

        def work(conn: Any) -> None:
            if through == "sqlalchemy":
                conn.execute(change.values({code: "lost"}))
            else:
                driver.execute(conn, change, {code: "lost"})
            assert conn.connection.driver_connection.pgconn.transaction_status != 0  # in a transaction
            raise RuntimeError("fails after its first statement")

        with pytest.raises(RuntimeError):
            sg.db.write_grouped(work)
        assert sg.find_one("Shot", [["id", "is", shot]], ["code"])["code"] == "kept"
        with pytest.raises(RuntimeError), sg.db.write() as conn:
            assert not conn.connection.driver_connection.autocommit
            conn.execute(change.values({code: "lost too"}))
            raise RuntimeError("fails after its statement")
        assert sg.find_one("Shot", [["id", "is", shot]], ["code"])["code"] == "kept"
