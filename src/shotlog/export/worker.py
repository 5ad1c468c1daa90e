"""A parallel export's worker process: exports the chunks (id ranges) its parent hands it.

A worker imports only what it runs. ``shotlog.export.parallel`` starts it as ``python -c
BOOTSTRAP`` (``worker_command``), not through ``multiprocessing``: a spawned multiprocessing child
imports its parent's ``__main__`` (for the ``shotlog`` command: click, Rich, every subcommand), and
any ``import shotlog.export.…`` runs ``shotlog/__init__.py``, which imports the store (SQLAlchemy,
Alembic, the schema). The bootstrap registers ``shotlog`` and ``shotlog.export`` as bare packages
(their ``__path__`` only), so a worker loads the driver (sqlite3 or psycopg), this module,
``reader``, ``formats``, ``columns`` and ``query``: about 15 MiB before it opens the database
(psycopg adds 22), where ``import shotlog`` alone takes 55. The parent prepares everything that
needs the store (``WorkerSpec``, ``Assignment``: driver connection arguments, SQL text, the column
layout).

Exports with linked fields (``entity.Shot.code``) read them through the store's ``find``: their
workers import shotlog as usual and open it (``WorkerSpec.full``).

Protocol, pickles on the pipes: the parent writes a ``WorkerSpec``, then one ``Assignment`` at a
time, None when there is no more work. After each page the worker answers ``("page", events,
ids)`` (progress), after each chunk ``("done", index, events)`` or ``("error", index, message)``
(then it exits). It exits when its input ends, so a worker outlives a killed parent by at most
one chunk. It ignores SIGINT: on Ctrl-C the parent stops it and removes its files.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from shotlog.export.columns import Layout
from shotlog.export.reader import NameCache, NameSql, PagePlan, Row, read_pages

__all__ = ["Assignment", "WorkerSpec", "export_chunk", "main", "worker_command"]

#: (events written, ids covered) after each page
Report = Callable[[int, int], None]

# Runs in a fresh interpreter: argv is the mode ("lean" or "full"), the directory of the shotlog
# package, then the parent's sys.path (as multiprocessing passes it).
_BOOTSTRAP = """\
import sys, types
mode, package = sys.argv[1], sys.argv[2]
sys.path[:] = sys.argv[3:]
if mode == "lean":
    for name, path in (("shotlog", package), ("shotlog.export", package + "/export")):
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
from shotlog.export.worker import main
main()
"""


def worker_command(full: bool, python_options: Iterable[str] = ()) -> list[str]:
    """The command line of a worker (``full``: one that imports and opens the whole store)."""
    package = str(Path(__file__).resolve().parent.parent)
    return [
        sys.executable,
        *python_options,
        "-c",
        _BOOTSTRAP,
        "full" if full else "lean",
        package,
        *sys.path,
    ]


@dataclass(frozen=True)
class WorkerSpec:
    """What every chunk of one export shares."""

    #: "sqlite" (``connect``: {"database": absolute path}) or "postgresql" (psycopg.connect keywords)
    backend: str
    connect: dict[str, Any]
    #: the database URL, opened with shotlog.connect by full workers
    url: str
    full: bool
    names: NameSql
    layout: Layout
    fmt: str
    name_cache: int
    page_size: int
    #: CSV cells that start like a formula get a quote (as the exporting process writes them)
    neutralise: bool = True


@dataclass(frozen=True)
class Assignment:
    """One chunk: the events of ``plan`` (ids ``lo`` to ``hi``) into the file ``path``, rows only."""

    index: int
    plan: PagePlan
    lo: int
    hi: int
    path: str


def export_chunk(
    pages: Iterator[list[Row]], encode: Callable[[list[Row]], bytes], task: Assignment, report: Report
) -> int:
    """Write the pages of ``task`` to its file; ``report`` follows each page. Returns the event count."""
    written = 0
    cursor = task.lo - 1
    with open(task.path, "wb") as fh:
        for rows in pages:
            fh.write(encode(rows))
            last = rows[-1][0]
            written += len(rows)
            report(len(rows), last - cursor)
            cursor = last
    report(0, task.hi - cursor)
    return written


class _LeanStore:
    """Pages of an assignment on a driver connection of this process's own."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.cache = NameCache(spec.name_cache)
        self.conn: Any = None

    def pages(self, plan: PagePlan) -> Iterator[list[Row]]:
        if self.conn is None:
            self.conn = _connect(self.spec)
        return read_pages(plan, self.spec.names, self.cache, self._transaction)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        # A page and the names it links to are read in one transaction, as in the parent.
        conn = self.conn
        if self.spec.backend == "sqlite":
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")
        else:
            try:
                yield conn
            finally:
                conn.rollback()  # it only read

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def _connect(spec: WorkerSpec) -> Any:
    if spec.backend == "sqlite":
        import sqlite3

        path = spec.connect["database"]
        if not os.path.exists(path):  # sqlite3 would create an empty database there
            raise FileNotFoundError(f"no SQLite database at {path}")
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA query_only=ON")
        return conn
    import psycopg

    return psycopg.connect(**spec.connect)


class _FullStore:
    """Pages through a whole shotlog store: what exports with linked fields need."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.store: Any = None
        self.source: Any = None

    def pages(self, plan: PagePlan) -> Iterator[list[Row]]:
        if self.source is None:
            import shotlog
            from shotlog.export.sources import StoreSource

            self.store = shotlog.connect(self.spec.url, migrate=False)
            self.source = StoreSource(
                self.store, page_size=self.spec.page_size, name_cache=self.spec.name_cache
            )
        pages: Iterator[list[Row]] = self.source.read(plan, self.spec.layout)
        return pages

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def main() -> None:
    """The worker's loop (see the module docstring); runs in the process ``worker_command`` starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Replies go to the original stdout; fd 1 then points at stderr, so a stray print cannot
    # corrupt them.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    tasks = sys.stdin.buffer

    def send(message: tuple[Any, ...]) -> None:
        pickle.dump(message, replies)
        replies.flush()

    with contextlib.suppress(BrokenPipeError, EOFError):  # the parent is gone: nobody to report to
        _serve(tasks, send)


def _serve(tasks: BinaryIO, send: Callable[[tuple[Any, ...]], None]) -> None:
    from shotlog.export.formats import get_format

    spec: WorkerSpec = pickle.load(tasks)
    store: _LeanStore | _FullStore = _FullStore(spec) if spec.full else _LeanStore(spec)
    encode = get_format(spec.fmt, spec.layout, bom=False, neutralise=spec.neutralise).page
    try:
        while True:
            task: Assignment | None = pickle.load(tasks)
            if task is None:
                return
            try:
                written = export_chunk(
                    store.pages(task.plan), encode, task, lambda n, ids: send(("page", n, ids))
                )
            except (BrokenPipeError, EOFError):
                raise
            except Exception as exc:  # reported by the parent, which names the export
                send(("error", task.index, f"{type(exc).__name__}: {exc}"))
                return
            send(("done", task.index, written))
    finally:
        store.close()
