"""A local-store export to a file, split by id range over worker processes.

Formatting rows is the CPU-bound part of an export and one Python process uses one core, so a
file export of the local store splits the query's id range into contiguous chunks (a few per
worker, so a chunk of sparse ids does not leave the others idle), exports each chunk in a worker
process into a temporary file of its own next to the destination (rows only, no header), and
concatenates the chunks in id order into the destination's temporary file as soon as each one and
all before it are done. Every chunk pages and formats exactly as the single-process path does, so
the output is byte for byte the same.

Workers are started with the ``spawn`` context: each opens its own database connection, none
inherits a forked copy of an open one. Progress is two shared counters (events written, ids
covered) the parent reads between chunks. Streams (stdout, HTTP responses) stay single-process:
their consumer reads in order and could not use the parallel work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing as mp
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any, BinaryIO

from shotlog.export.exporter import Export, Progress, check_destination
from shotlog.export.query import EventQuery, ExportError
from shotlog.export.sources import StoreSource

__all__ = ["CHUNKS_PER_JOB", "default_jobs", "split_range", "write_file_parallel"]

#: chunks per worker: enough to even out chunks of uneven density, few enough to keep start-up cheap
CHUNKS_PER_JOB = 4
#: below this many ids per worker a parallel export is not worth starting processes for
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


@dataclasses.dataclass(frozen=True)
class _Chunk:
    url: str
    query: EventQuery
    columns: Sequence[str] | str | None
    fmt: str
    page_size: int
    lo: int
    hi: int
    path: str


# Set in each worker by _init_worker: the parent's shared progress counters.
_events: Any = None
_covered: Any = None


def _init_worker(events: Synchronized[int], covered: Synchronized[int]) -> None:
    global _events, _covered
    _events, _covered = events, covered


def _export_chunk(task: _Chunk) -> tuple[int, str | None]:
    """Export one id range into ``task.path``: (events written, error message or None)."""
    import shotlog

    written = 0
    try:
        store = shotlog.connect(task.url, migrate=False)
        try:
            source = StoreSource(store, page_size=task.page_size)
            query = dataclasses.replace(task.query, min_id=task.lo, max_id=task.hi)
            export = Export(source, query, task.columns, task.fmt, bom=False)
            page = export.format.page
            cursor = task.lo - 1
            with open(task.path, "wb") as fh:
                for rows in source.pages(query, export.layout):
                    fh.write(page(rows))
                    written += len(rows)
                    last = rows[-1][0]
                    _add(len(rows), last - cursor)
                    cursor = last
            _add(0, task.hi - cursor)
        finally:
            store.close()
    except Exception as exc:  # reported by the parent, which names the export
        return written, f"{type(exc).__name__}: {exc}"
    return written, None


def _add(events: int, ids: int) -> None:
    if _events is None:
        return
    with _events.get_lock():
        _events.value += events
    with _covered.get_lock():
        _covered.value += ids


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
    columns: Sequence[str] | str | None,
    path: str | Path,
    *,
    jobs: int,
    progress: Progress | None = None,
    min_ids_per_job: int = MIN_IDS_PER_JOB,
) -> int:
    """Write ``export`` (a checked local-store export without a limit) to ``path`` with ``jobs``
    worker processes; the result is the same file ``export.write_file(path)`` writes.

    ``url`` is the database to open in each worker, ``columns`` what ``export`` was built with.
    Falls back to ``export.write_file`` for one job or an id range under ``2 * min_ids_per_job``,
    which is not worth starting processes for.
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
    ranges = split_range(lo, hi, jobs * CHUNKS_PER_JOB)
    stem = f".{target.name}.part-{os.getpid()}"
    temp = target.with_name(stem)
    parts = [str(target.with_name(f"{stem}.{i}")) for i in range(len(ranges))]
    tasks = [
        _Chunk(url, export.query, columns, export.format.name, source.page_size, a, b, p)
        for (a, b), p in zip(ranges, parts, strict=True)
    ]
    ctx = mp.get_context("spawn")
    events = ctx.Value("q", 0)
    covered = ctx.Value("q", 0)
    # An executor, not a Pool: a worker that dies (killed, out of memory) breaks it with an error
    # instead of being replaced while the parent waits forever for its chunk.
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker, initargs=(events, covered))
    count = 0
    try:
        futures = [pool.submit(_export_chunk, task) for task in tasks]
        with temp.open("wb") as out:
            out.write(export.format.header())
            for future, part in zip(futures, parts, strict=True):
                while True:
                    try:
                        written, error = future.result(timeout=0.2)
                        break
                    except FuturesTimeout:
                        if progress is not None:
                            progress(lo + covered.value - 1, events.value)
                if error is not None:
                    raise ExportError(f"export failed after {count:,} events: {error}", option="output")
                count += written
                _append(out, part)
                os.unlink(part)
                if progress is not None:
                    progress(lo + covered.value - 1, events.value)
            out.write(export.format.footer())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        for future in futures:
            future.cancel()
        temp.unlink(missing_ok=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for part in parts:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(part)
    export.count = count
    if progress is not None:
        progress(hi, count)
    return count
