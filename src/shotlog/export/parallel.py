"""A local-store export to a file, split by id range over this process and ``jobs - 1`` workers.

Formatting rows is the CPU-bound part of an export and one Python process uses one core, so a
file export of the local store splits the query's id range into contiguous chunks (many more than
processes, so a chunk of sparse ids, or the last one, leaves no core idle for long) that this
process and its workers take in turn, each into a temporary file of its own next to the
destination (rows only, no header). This process appends the chunks in id order to the
destination's temporary file as soon as each one and all before it are done. Every chunk pages and
formats exactly as the single-process path does (``shotlog.export.reader``), so the output is byte
for byte the same.

Memory is what shapes the design: the goal is the sum over all the export's processes.

* This process exports chunks itself instead of waiting: ``jobs`` processes use ``jobs`` cores,
  so the default (one per core) starts one worker on a 2-core machine, not two, and one fewer
  interpreter with its imports.
* Workers are lean (``shotlog.export.worker``): started with ``python -c``, they import the
  driver and the formatting code, not the store (SQLAlchemy, Alembic) nor the parent's
  ``__main__``. The SQL they run is prepared here and sent as text. Each opens its own
  connection: nothing is inherited from a process holding connections.
* Pages are read one ahead of the formatting, and display names go through a bounded cache.

Streams (stdout, HTTP responses) stay single-process: their consumer reads in order and could not
use the parallel work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from shotlog.export.exporter import Export, Progress, check_destination
from shotlog.export.query import ExportError
from shotlog.export.sources import StoreSource
from shotlog.export.worker import Assignment, WorkerSpec, export_chunk, worker_command

__all__ = [
    "CHUNKS_PER_JOB",
    "CHUNK_IDS",
    "connect_args",
    "default_jobs",
    "plan_chunks",
    "split_range",
    "write_file_parallel",
]

#: at least this many chunks per process: enough to even out chunks of uneven density
CHUNKS_PER_JOB = 4
#: at most about this many ids per chunk: a process left alone with the last chunk idles the others
#: for the time of one chunk (about 1.5 s for 100,000 events); a chunk costs a file and a query
CHUNK_IDS = 100_000
#: below this many ids per process a parallel export is not worth starting processes for
MIN_IDS_PER_JOB = 20_000


def default_jobs() -> int:
    return os.cpu_count() or 1


def split_range(lo: int, hi: int, parts: int) -> list[tuple[int, int]]:
    """``[lo, hi]`` as up to ``parts`` contiguous, non-empty, inclusive ranges in order."""
    total = hi - lo + 1
    parts = max(1, min(parts, total))
    out: list[tuple[int, int]] = []
    start = lo
    for i in range(parts):
        end = lo + (total * (i + 1)) // parts - 1
        out.append((start, end))
        start = end + 1
    return out


def plan_chunks(lo: int, hi: int, jobs: int) -> list[tuple[int, int]]:
    """The chunks (inclusive id ranges, in order) a parallel export of ids ``lo`` to ``hi`` takes."""
    span = hi - lo + 1
    return split_range(lo, hi, max(jobs * CHUNKS_PER_JOB, -(-span // CHUNK_IDS)))


def connect_args(url: str) -> tuple[str, dict[str, Any]]:
    """The backend of ``url`` and the driver's connect arguments for it, as the store derives them."""
    from sqlalchemy.engine import make_url

    from shotlog.store.database import normalize_url

    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return backend, {"database": os.path.abspath(parsed.database or "")}
    if backend != "postgresql":
        raise ExportError(f"a parallel export reads SQLite or PostgreSQL, not {url!r}", option="jobs")
    _, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    return backend, dict(kwargs)


class _Run:
    """The shared state of one parallel export: which chunks are taken, done, and how far it got."""

    def __init__(self, tasks: list[Assignment]) -> None:
        self.tasks = tasks
        self.cond = threading.Condition()
        self.next = 0  # the next chunk to hand out
        self.done: dict[int, int] = {}  # chunk index -> events, until appended
        self.appended = 0  # chunks appended to the output so far
        self.count = 0  # events appended so far
        self.events = 0  # events written into chunks (progress)
        self.covered = 0  # ids covered (progress)
        self.error: str | None = None
        self.closing = False

    def claim(self) -> Assignment | None:
        with self.cond:
            if self.error is not None or self.closing or self.next >= len(self.tasks):
                return None
            task = self.tasks[self.next]
            self.next += 1
            return task

    def report(self, events: int, ids: int) -> None:
        with self.cond:
            self.events += events
            self.covered += ids

    def finish(self, index: int, events: int) -> None:
        with self.cond:
            self.done[index] = events
            self.cond.notify_all()

    def fail(self, message: str) -> None:
        with self.cond:
            if self.error is None and not self.closing:
                self.error = message
            self.cond.notify_all()

    def check(self) -> None:
        if self.error is not None:
            raise ExportError(f"export failed after {self.count:,} events: {self.error}", option="output")

    def append_ready(self, out: BinaryIO) -> None:
        """Append, in order, the finished chunks every earlier chunk of which is appended."""
        while True:
            self.check()
            with self.cond:
                events = self.done.pop(self.appended, None)
            if events is None:
                return
            task = self.tasks[self.appended]
            _append(out, task.path)
            os.unlink(task.path)
            self.appended += 1
            self.count += events

    def wait(self, timeout: float) -> None:
        with self.cond:
            if self.error is None and self.appended not in self.done:
                self.cond.wait(timeout)


class _Worker:
    """A worker process and the thread of this one that feeds it chunks and reads its replies."""

    def __init__(self, run: _Run, spec: WorkerSpec) -> None:
        self.run = run
        self.spec = spec
        self.current: int | None = None
        # Its own process group: Ctrl-C on the terminal reaches this process only, which stops the
        # workers itself (a worker interrupted while starting would print a traceback).
        self.proc = subprocess.Popen(
            worker_command(spec.full), stdin=subprocess.PIPE, stdout=subprocess.PIPE, process_group=0
        )
        self.thread = threading.Thread(target=self._serve, name="shotlog-export-worker", daemon=True)
        self.thread.start()

    def _give(self, task: Assignment | None) -> None:
        assert self.proc.stdin is not None
        self.current = None if task is None else task.index
        pickle.dump(task, self.proc.stdin)
        self.proc.stdin.flush()
        if task is None:
            self.proc.stdin.close()

    def _serve(self) -> None:
        run, replies = self.run, self.proc.stdout
        assert replies is not None
        try:
            assert self.proc.stdin is not None
            pickle.dump(self.spec, self.proc.stdin)
            self._give(run.claim())
            while self.current is not None:
                kind, *rest = pickle.load(replies)
                if kind == "page":
                    run.report(rest[0], rest[1])
                elif kind == "done":
                    run.finish(rest[0], rest[1])
                    self._give(run.claim())
                else:
                    run.fail(rest[1])
                    return
        except (EOFError, OSError, pickle.UnpicklingError):
            code = self.proc.wait()
            run.fail(f"a worker process stopped (exit code {code}) in chunk {self.current}")
        except Exception as exc:  # anything else: never leave this process waiting for the chunk
            run.fail(f"lost a worker process in chunk {self.current}: {type(exc).__name__}: {exc}")

    def stop(self, kill: bool) -> None:
        if kill and self.proc.poll() is None:
            self.proc.kill()
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _append(out: BinaryIO, path: str) -> None:
    """Append the file at ``path`` to ``out``, in the kernel when it can (copy_file_range)."""
    out.flush()
    start = out.seek(0, os.SEEK_END)
    with open(path, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        copy_range: Callable[..., int] | None = getattr(os, "copy_file_range", None)
        if copy_range is not None:
            try:
                done = 0
                while done < size:
                    n = copy_range(src.fileno(), out.fileno(), size - done)
                    if n == 0:
                        raise OSError("copy_file_range stopped early")
                    done += n
                out.seek(0, os.SEEK_END)
                return
            except OSError:
                # Not supported between these files (or a short copy): start this part over.
                out.seek(start)
                out.truncate(start)
                src.seek(0)
        shutil.copyfileobj(src, out, 1 << 20)


def write_file_parallel(
    export: Export,
    url: str,
    path: str | Path,
    *,
    jobs: int,
    progress: Progress | None = None,
    min_ids_per_job: int = MIN_IDS_PER_JOB,
) -> int:
    """Write ``export`` (a checked local-store export without a limit) to ``path`` with ``jobs``
    processes, this one and ``jobs - 1`` workers; the result is the file ``export.write_file(path)``
    writes.

    ``url`` is the database the workers open; they get the export's checked layout. Falls back to
    ``export.write_file`` for one job or an id range under ``2 * min_ids_per_job``, which is not
    worth starting processes for.
    """
    source = export.source
    if not isinstance(source, StoreSource) or export.limit is not None:
        raise ExportError("a parallel export reads the local store, without a limit", option="jobs")
    target = Path(path)
    check_destination(target)
    bounds = source.bounds(export.query)
    if jobs <= 1 or bounds is None or bounds[1] - bounds[0] + 1 < 2 * min_ids_per_job:
        return export.write_file(target, progress)
    lo, hi = bounds
    jobs = min(jobs, (hi - lo + 1) // min_ids_per_job)
    backend, connect = connect_args(url)
    ranges = plan_chunks(lo, hi, jobs)
    stem = f".{target.name}.part-{os.getpid()}"
    temp = target.with_name(stem)
    tasks = [
        Assignment(
            k,
            source.plan(dataclasses.replace(export.query, min_id=a, max_id=b), export.layout),
            a,
            b,
            str(target.with_name(f"{stem}.{k}")),
        )
        for k, (a, b) in enumerate(ranges)
    ]
    spec = WorkerSpec(
        backend=backend,
        connect=connect,
        url=url,
        full=bool(export.layout.deep),
        names=source.name_sql(),
        layout=export.layout,
        fmt=export.format.name,
        neutralise=export.neutralise,
        name_cache=source.name_cache_size,
        page_size=source.page_size,
    )
    run = _Run(tasks)
    encode = export.format.page

    def report(events: int, ids: int) -> None:
        run.report(events, ids)
        run.check()
        if progress is not None:
            progress(lo + run.covered - 1, run.events)

    workers: list[_Worker] = []
    failed = True
    try:
        for _ in range(jobs - 1):
            workers.append(_Worker(run, spec))
        with temp.open("wb") as out:
            out.write(export.format.header())
            while (task := run.claim()) is not None:
                run.finish(
                    task.index, export_chunk(source.read(task.plan, export.layout), encode, task, report)
                )
                run.append_ready(out)
            while run.appended < len(tasks):
                run.wait(0.2)
                run.append_ready(out)
                if progress is not None:
                    progress(lo + run.covered - 1, run.events)
            out.write(export.format.footer())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        failed = False
    finally:
        with run.cond:
            run.closing = True
        for worker in workers:
            worker.stop(kill=failed)
        if failed:
            temp.unlink(missing_ok=True)
        for task in tasks:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(task.path)
    export.count = run.count
    if progress is not None:
        progress(hi, run.count)
    return run.count
