"""A file export split over worker processes writes the very bytes of the single-process export."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.export import EventQuery, Export, ExportError, StoreSource
from shotlog.export.parallel import split_range, write_file_parallel


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty directory for the exports (the test's SQLite database lives in tmp_path)."""
    path = tmp_path / "exports"
    path.mkdir()
    return path


@pytest.fixture
def log(sg: shotlog.Shotlog) -> dict[str, Any]:
    """A log of a few dozen events, with names to resolve, quoting and non-ASCII text."""
    p1 = sg.create("Project", {"name": "Élan Vital"})
    p2 = sg.create("Project", {"name": "Other"})
    jane = sg.create("HumanUser", {"login": "jane", "firstname": "Jane", "lastname": "Doe"})
    as_jane = sg.as_user({"type": "HumanUser", "id": jane["id"]})
    for i in range(12):
        shot = sg.create("Shot", {"code": f"sh{i:03d}", "project": p1 if i % 3 else p2})
        as_jane.update("Shot", shot["id"], {"description": f'take "{i}",\nmaybe ü'})
        sg.create_event("Toolkit_App_Startup", description="tk", project=p1, meta={"app": "nuke", "n": i})
    return {"p1": p1, "p2": p2}


def _single(sg: shotlog.Shotlog, query: EventQuery, columns: str | None, fmt: str, path: Path) -> bytes:
    Export(StoreSource(sg), query, columns, fmt).write_file(path)
    return path.read_bytes()


def _parallel(
    sg: shotlog.Shotlog, query: EventQuery, columns: str | None, fmt: str, path: Path, **kw: Any
) -> bytes:
    export = Export(StoreSource(sg, page_size=7), query, columns, fmt)
    # min_ids_per_job=1: split even this small log over both workers, several chunks each.
    write_file_parallel(export, sg.db.url, columns, path, jobs=2, min_ids_per_job=1, **kw)
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
    result = runner.invoke(main, ["events", "export", "-d", db_url, "-o", str(out / "x.csv"), "--jobs", "0"])
    assert result.exit_code == 2 and "--jobs" in result.output
    result = runner.invoke(
        main,
        ["events", "export", "-d", db_url, "-o", str(out / "x.csv"), "--jobs", "2", "-c", "id,nope"],
    )
    assert result.exit_code == 1 and "nope" in result.output
    assert not (out / "x.csv").exists()


def test_a_failing_worker_leaves_no_file(sg: shotlog.Shotlog, log: dict[str, Any], out: Path) -> None:
    export = Export(StoreSource(sg), EventQuery(), None, "csv")
    target = out / "out.csv"
    # The workers cannot open this database: each chunk fails in its worker.
    with pytest.raises(ExportError, match="export failed after 0 events"):
        write_file_parallel(export, f"sqlite:///{out}/missing/x.db", None, target, jobs=2, min_ids_per_job=1)
    assert list(out.iterdir()) == []


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


def test_errors_come_before_any_worker_starts(sg: shotlog.Shotlog, out: Path) -> None:
    export = Export(StoreSource(sg), EventQuery(), None, "csv")
    with pytest.raises(ExportError, match="does not exist"):
        write_file_parallel(export, sg.db.url, None, out / "no" / "x.csv", jobs=2)
    limited = Export(StoreSource(sg), EventQuery(), None, "csv", limit=5)
    with pytest.raises(ExportError, match="without a limit"):
        write_file_parallel(limited, sg.db.url, None, out / "x.csv", jobs=2)
    assert list(out.iterdir()) == []
