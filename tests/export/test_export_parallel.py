"""A file export split over processes writes the very bytes of the single-process export."""

from __future__ import annotations

import io
import itertools
import os
import pickle
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.export import EventQuery, Export, ExportError, StoreSource
from shotlog.export.parallel import connect_args, plan_chunks, split_range, write_file_parallel
from shotlog.export.reader import NameCache
from shotlog.export.worker import Assignment, WorkerSpec, worker_command


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty directory for the exports (the test's SQLite database lives in tmp_path)."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


@pytest.fixture
def log(sg: shotlog.Shotlog) -> dict[str, Any]:
    """A log of a few dozen events, with names to resolve, quoting, non-ASCII text and formulas."""
    p1 = sg.create("Project", {"name": "Élan Vital"})
    p2 = sg.create("Project", {"name": "Other"})
    jane = sg.create("HumanUser", {"login": "jane", "firstname": "Jane", "lastname": "Doe"})
    as_jane = sg.as_user({"type": "HumanUser", "id": jane["id"]})
    for i in range(12):
        code = f"@sh{i:03d}" if i % 5 == 0 else f"sh{i:03d}"
        shot = sg.create("Shot", {"code": code, "project": p1 if i % 3 else p2})
        text = f'=HYPERLINK("http://x.example/{i}")' if i % 4 == 0 else f'take "{i}",\nmaybe ü'
        as_jane.update("Shot", shot["id"], {"description": text})
        sg.create_event("Toolkit_App_Startup", description="tk", project=p1, meta={"app": "nuke", "n": i})
    return {"p1": p1, "p2": p2}


def _single(sg: shotlog.Shotlog, query: EventQuery, columns: str | None, fmt: str, path: Path) -> bytes:
    Export(StoreSource(sg), query, columns, fmt).write_file(path)
    return path.read_bytes()


def _worker_pids(*, exited: bool = False) -> list[int]:
    """The export workers this process started and has not waited for yet.

    ``exited``: those that already ended too (zombies until their parent waits for them; their
    command line is gone, so any child that ended counts).
    """
    pids = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == os.getpid() and (b"shotlog.export.worker" in cmdline or (exited and state == "Z")):
            pids.append(int(entry))
    return pids


def _parallel(
    sg: shotlog.Shotlog, query: EventQuery, columns: str | None, fmt: str, path: Path, **kw: Any
) -> bytes:
    """The parallel export of ``query``, with the worker made to export every chunk but one.

    This process waits, at its first page, until the worker has started the last chunk: the output
    then needs both processes' chunks, in order (on a log this small this process would otherwise
    often finish everything before the worker has started).
    """
    # name_cache=2: names are looked up again and again, in both processes.
    source = StoreSource(sg, page_size=7, name_cache=2)
    export = Export(source, query, columns, fmt)
    bounds = source.bounds(query)
    assert bounds is not None
    last = len(plan_chunks(bounds[0], bounds[1], 2)) - 1
    last_part = path.with_name(f".{path.name}.part-{os.getpid()}.{last}")
    then: Callable[[int, int], None] | None = kw.pop("progress", None)
    held: list[bool] = []

    def hold(last_id: int, count: int) -> None:
        if not held:
            deadline = time.monotonic() + 60
            while not last_part.exists():
                assert time.monotonic() < deadline, "the worker did not start the last chunk"
                time.sleep(0.01)
            held.append(True)
        if then is not None:
            then(last_id, count)

    # min_ids_per_job=1: split even this small log over both processes, several chunks each.
    write_file_parallel(export, sg.db.url, path, jobs=2, min_ids_per_job=1, progress=hold, **kw)
    assert held
    return path.read_bytes()


def test_split_range_covers_the_range_in_order() -> None:
    assert split_range(1, 10, 3) == [(1, 3), (4, 6), (7, 10)]
    assert split_range(5, 6, 8) == [(5, 5), (6, 6)]
    parts = split_range(17, 10_016, 8)
    assert parts[0][0] == 17 and parts[-1][1] == 10_016
    assert all(b + 1 == c for (_, b), (c, _) in itertools.pairwise(parts))


@pytest.mark.parametrize(
    ("columns", "fmt", "query"),
    [
        (None, "csv", EventQuery()),
        ("id,entity,image,image_source_entity,entity.Shot.code,meta", "csv", EventQuery()),
        (None, "jsonl", EventQuery()),
        ("id,event_type,project,user,meta", "csv", None),  # filtered: see below
    ],
)
def test_parallel_output_is_byte_identical(
    sg: shotlog.Shotlog,
    log: dict[str, Any],
    out: Path,
    columns: str | None,
    fmt: str,
    query: EventQuery | None,
) -> None:
    if query is None:
        query = EventQuery(project_ids=(log["p1"]["id"],), event_types=("Shotgun_Shot_*",), min_id=3)
    one = _single(sg, query, columns, fmt, out / f"one.{fmt}")
    progress: list[tuple[int, int]] = []
    many = _parallel(
        sg, query, columns, fmt, out / f"many.{fmt}", progress=lambda i, n: progress.append((i, n))
    )
    assert len(one.splitlines()) > 10
    assert many == one
    events = Export(StoreSource(sg), query, "id", "jsonl").write_to(io.BytesIO())
    assert progress[-1][1] == events
    assert sorted(p.name for p in out.iterdir()) == sorted([f"one.{fmt}", f"many.{fmt}"])


def test_cli_jobs_gives_the_same_file(db_url: str, log: dict[str, Any], out: Path) -> None:
    runner = CliRunner()
    for jobs in ("1", "2"):
        result = runner.invoke(
            main, ["events", "export", "-d", db_url, "-o", str(out / f"j{jobs}.csv"), "--jobs", jobs]
        )
        assert result.exit_code == 0, result.output
    assert (out / "j1.csv").read_bytes() == (out / "j2.csv").read_bytes()
    assert b",'@sh000," in (out / "j1.csv").read_bytes()
    # with and without --raw-csv: the same bytes in one process and two
    columns = ["-c", "id,entity.name,entity.Shot.description"]
    for raw in ("", "--raw-csv"):
        for jobs in ("1", "2"):
            args = ["events", "export", "-d", db_url, "-o", str(out / f"x{raw}{jobs}.csv"), "-j", jobs]
            result = runner.invoke(main, [*args, *columns, *([raw] if raw else [])])
            assert result.exit_code == 0, result.output
        assert (out / f"x{raw}1.csv").read_bytes() == (out / f"x{raw}2.csv").read_bytes()
    safe, raw_bytes = (out / "x1.csv").read_bytes(), (out / "x--raw-csv1.csv").read_bytes()
    assert b',\'@sh000,"\'=HYPERLINK(""http://x.example/0"")"\r\n' in safe
    assert b',@sh000,"=HYPERLINK(""http://x.example/0"")"\r\n' in raw_bytes and b"'" not in raw_bytes
    result = runner.invoke(main, ["events", "export", "-d", db_url, "-o", str(out / "x.csv"), "--jobs", "0"])
    assert result.exit_code == 2 and "--jobs" in result.output
    result = runner.invoke(
        main,
        ["events", "export", "-d", db_url, "-o", str(out / "x.csv"), "--jobs", "2", "-c", "id,nope"],
    )
    assert result.exit_code == 1 and "nope" in result.output
    assert not (out / "x.csv").exists()


def test_a_failing_worker_leaves_no_file(sg: shotlog.Shotlog, log: dict[str, Any], out: Path) -> None:
    export = Export(StoreSource(sg, page_size=7), EventQuery(), None, "csv")
    target = out / "out.csv"
    # The worker cannot open this database: its first chunk fails (this process, slowed down,
    # leaves it chunks to take).
    with pytest.raises(ExportError, match=r"export failed after [\d,]+ events: FileNotFoundError: no SQLite"):
        write_file_parallel(
            export,
            f"sqlite:///{out}/missing/x.db",
            target,
            jobs=2,
            min_ids_per_job=1,
            progress=lambda i, n: time.sleep(0.02),
        )
    assert list(out.iterdir()) == []


def test_a_killed_worker_fails_the_export(sg: shotlog.Shotlog, log: dict[str, Any], out: Path) -> None:
    target = out / "out.csv"
    target.write_bytes(b"yesterday's export\r\n")
    export = Export(StoreSource(sg, page_size=7), EventQuery(), None, "csv")
    # The worker's database is locked by this test: its first read waits (SQLite's busy timeout,
    # 30 s) until it is killed.
    stuck = out.parent / "locked.db"
    lock = sqlite3.connect(stuck, isolation_level=None)
    lock.execute("PRAGMA journal_mode=DELETE")
    lock.execute("BEGIN EXCLUSIVE")
    killed: list[int] = []

    def kill_the_worker(last_id: int, count: int) -> None:
        if not killed:
            (pid,) = _worker_pids()
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with pytest.raises(ExportError, match=r"a worker process stopped \(exit code -9\) in chunk \d+"):
        write_file_parallel(
            export, f"sqlite:///{stuck}", target, jobs=2, min_ids_per_job=1, progress=kill_the_worker
        )
    lock.close()
    assert killed
    assert [p.name for p in out.iterdir()] == ["out.csv"]
    assert target.read_bytes() == b"yesterday's export\r\n"
    assert _worker_pids(exited=True) == []


def test_jobs_counts_this_process(sg: shotlog.Shotlog, log: dict[str, Any], out: Path) -> None:
    started: list[int] = []
    export = Export(StoreSource(sg, page_size=7), EventQuery(), None, "csv")
    for jobs in (2, 3):
        seen: list[int] = []

        def count(last_id: int, events: int, seen: list[int] = seen) -> None:
            # All workers start before this process exports its first chunk.
            if not seen:
                seen.extend(_worker_pids(exited=True))

        write_file_parallel(
            export, sg.db.url, out / f"j{jobs}.csv", jobs=jobs, min_ids_per_job=1, progress=count
        )
        started.append(len(seen))
    assert started == [1, 2]
    assert _worker_pids(exited=True) == []  # all waited for once the export returns


def test_an_interrupted_export_keeps_the_old_file(
    sg: shotlog.Shotlog, log: dict[str, Any], out: Path
) -> None:
    target = out / "out.csv"
    target.write_bytes(b"yesterday's export\r\n")

    def interrupt(last_id: int, count: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _parallel(sg, EventQuery(), None, "csv", target, progress=interrupt)
    assert target.read_bytes() == b"yesterday's export\r\n"
    assert [p.name for p in out.iterdir()] == ["out.csv"]
    assert _worker_pids(exited=True) == []


def test_errors_come_before_any_worker_starts(sg: shotlog.Shotlog, out: Path) -> None:
    export = Export(StoreSource(sg), EventQuery(), None, "csv")
    with pytest.raises(ExportError, match="does not exist"):
        write_file_parallel(export, sg.db.url, out / "no" / "x.csv", jobs=2)
    limited = Export(StoreSource(sg), EventQuery(), None, "csv", limit=5)
    with pytest.raises(ExportError, match="without a limit"):
        write_file_parallel(limited, sg.db.url, out / "x.csv", jobs=2)
    assert list(out.iterdir()) == []


def _replies(data: bytes) -> list[tuple[Any, ...]]:
    buf = io.BytesIO(data)
    out = []
    while buf.tell() < len(data):
        out.append(pickle.load(buf))
    return out


def test_a_worker_imports_the_driver_and_the_formatting_only(
    sg: shotlog.Shotlog, log: dict[str, Any], out: Path
) -> None:
    """A lean worker, driven through its pipes: its chunk, its replies, and what it imported."""
    source = StoreSource(sg, page_size=5, name_cache=3)
    export = Export(source, EventQuery(), None, "csv")
    bounds = source.bounds(EventQuery())
    assert bounds is not None
    lo, hi = bounds[0] + 3, bounds[1]
    backend, connect = connect_args(sg.db.url)
    spec = WorkerSpec(backend, connect, sg.db.url, False, source.name_sql(), export.layout, "csv", 3, 5)
    part = out / "part"
    task = Assignment(0, source.plan(EventQuery(min_id=lo, max_id=hi), export.layout), lo, hi, str(part))
    done = subprocess.run(
        worker_command(False, ["-X", "importtime"]),
        input=pickle.dumps(spec) + pickle.dumps(task) + pickle.dumps(None),
        capture_output=True,
        timeout=60,
        check=True,
    )
    replies = _replies(done.stdout)
    expected = _single(sg, EventQuery(min_id=lo), None, "csv", out / "single.csv").split(b"\r\n", 1)[1]
    events = expected.count(b"\r\n")
    assert replies[-1] == ("done", 0, events)
    assert sum(r[1] for r in replies[:-1]) == events and sum(r[2] for r in replies[:-1]) == hi - lo + 1
    assert part.read_bytes() == expected
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.decode().splitlines()
        if line.startswith("import time:")
    }
    assert {"shotlog.export.worker", "shotlog.export.reader", "shotlog.export.formats"} <= imported
    assert ("sqlite3" if backend == "sqlite" else "psycopg") in imported
    heavy = {
        "sqlalchemy",
        "alembic",
        "click",
        "rich",
        "shotlog.connection",
        "shotlog.store",
        "multiprocessing",
    }
    assert not imported & heavy


def test_a_worker_stops_when_its_parent_is_gone(sg: shotlog.Shotlog, out: Path) -> None:
    source = StoreSource(sg)
    export = Export(source, EventQuery(), None, "csv")
    backend, connect = connect_args(sg.db.url)
    spec = WorkerSpec(backend, connect, sg.db.url, False, source.name_sql(), export.layout, "csv", 3, 5)
    # Its input ends without the final None: the parent died. It exits quietly, having done nothing.
    done = subprocess.run(
        worker_command(False), input=pickle.dumps(spec), capture_output=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")


def test_name_cache_is_bounded_and_asks_only_for_unknown_names() -> None:
    asked: list[set[tuple[str, int]]] = []

    def lookup(refs: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
        asked.append(set(refs))
        return {ref: f"{ref[0]} {ref[1]}" for ref in refs if ref[1] != 99}  # 99 does not exist

    cache = NameCache(4)
    page = cache.names({("Shot", 1), ("Shot", 99)}, lookup)
    assert page == {("Shot", 1): "Shot 1", ("Shot", 99): None}
    assert cache.names({("Shot", 1), ("Shot", 99)}, lookup) == page
    assert asked == [{("Shot", 1), ("Shot", 99)}]
    for i in range(2, 40):
        assert cache.names({("Shot", 1), ("Asset", i)}, lookup) == {
            ("Shot", 1): "Shot 1",
            ("Asset", i): f"Asset {i}",
        }
        assert len(cache.young) + len(cache.old) <= 4 + 2
    assert ("Shot", 1) not in asked[-1]  # used on every page: always kept
    assert cache.names({("Asset", 2)}, lookup) == {("Asset", 2): "Asset 2"}
    assert asked[-1] == {("Asset", 2)}  # long unused: dropped, asked again


def test_names_are_read_with_plain_sql(sg: shotlog.Shotlog, log: dict[str, Any]) -> None:
    from shotlog.export.reader import _lookup_names

    shot = sg.find_one("Shot", [["code", "is", "sh001"]], ["id"])
    assert shot is not None
    sg.delete("Shot", shot["id"])  # retired subjects are named too
    refs = {
        ("Shot", shot["id"]),
        ("Project", log["p1"]["id"]),
        ("Shot", 10**9),  # no such entity
        ("Ghost", 1),  # no such entity type
        (None, 3),  # a broken link
    }
    names = StoreSource(sg).name_sql()
    with sg.db.read() as conn:
        found = _lookup_names(conn.connection.dbapi_connection.cursor(), names, refs)  # type: ignore[arg-type]
    assert found == {("Shot", shot["id"]): "sh001", ("Project", log["p1"]["id"]): "Élan Vital"}
    assert names.statements["Ghost"] is None  # asked once, remembered
