"""Exporting events from a real database (SQLite file or PostgreSQL) to real files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.export import EventQuery, Export, ExportError, StoreSource, export_events
from shotlog.export.columns import Layout


@pytest.fixture
def data(sg: shotlog.Shotlog) -> dict[str, Any]:
    p1 = sg.create("Project", {"name": "Élan Vital"})
    p2 = sg.create("Project", {"name": "Other"})
    shot = sg.create("Shot", {"code": "sh010", "project": p1})
    shot2 = sg.create("Shot", {"code": "sh020", "project": p2})
    asset = sg.create("Asset", {"code": "hero", "project": p1})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    jane = sg.create("HumanUser", {"login": "jane", "firstname": "Jane", "lastname": "Doe"})
    sg.as_user({"type": "HumanUser", "id": jane["id"]}).update(
        "Asset", asset["id"], {"description": 'a "quoted", line\nbreak'}
    )
    sg.create_event("Toolkit_App_Startup", description="tk", project=p1, meta={"app": "nuke"})
    return {"p1": p1, "p2": p2, "shot": shot, "shot2": shot2, "asset": asset, "jane": jane}


def _csv(export: Export) -> list[dict[str, str]]:
    text = b"".join(export.chunks()).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _events(sg: shotlog.Shotlog, filters: list[Any]) -> list[dict[str, Any]]:
    return sg.find(
        "EventLogEntry", filters, ["event_type", "entity", "project", "user", "meta", "created_at"]
    )


def test_csv_follows_spreadsheet_conventions(sg: shotlog.Shotlog, data: dict[str, Any]) -> None:
    raw = b"".join(Export(StoreSource(sg), EventQuery(), None, "csv").chunks())
    assert raw.startswith(
        b"\xef\xbb\xbfid,created_at,event_type,description,entity.type,entity.id,entity.name,"
    )
    assert b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    expected = _events(sg, [])
    assert [int(r["id"]) for r in rows] == [e["id"] for e in expected]
    by_id = {int(r["id"]): r for r in rows}
    for e in expected:
        r = by_id[e["id"]]
        assert r["created_at"] == e["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
        assert r["event_type"] == e["event_type"]
        if e["entity"]:
            assert (r["entity.type"], int(r["entity.id"]), r["entity.name"]) == (
                e["entity"]["type"],
                e["entity"]["id"],
                e["entity"]["name"],
            )
        if e["project"]:
            assert (int(r["project.id"]), r["project.name"]) == (e["project"]["id"], e["project"]["name"])
        else:
            assert r["project.id"] == r["project.name"] == ""
        assert (json.loads(r["meta"]) if r["meta"] else None) == e["meta"]
    assert any(r["project.name"] == "Élan Vital" for r in rows)
    assert any("line\nbreak" in r["description"] for r in rows)
    assert "project.type" not in rows[0]


def test_jsonl_has_link_objects_and_meta(sg: shotlog.Shotlog, data: dict[str, Any]) -> None:
    export = Export(
        StoreSource(sg), EventQuery(project_ids=(data["p1"]["id"],)), "id,entity,project,user,meta", "jsonl"
    )
    lines = [json.loads(line) for line in b"".join(export.chunks()).splitlines()]
    expected = _events(sg, [["project", "is", data["p1"]]])
    assert [line["id"] for line in lines] == [e["id"] for e in expected]
    for line, e in zip(lines, expected, strict=True):
        assert list(line) == ["id", "entity", "project", "user", "meta"]
        assert line["meta"] == e["meta"]
        assert line["project"] == {"type": "Project", "id": data["p1"]["id"], "name": "Élan Vital"}
        assert line["user"] == (e["user"] and {k: e["user"][k] for k in ("type", "id", "name")})
    assert export.count == len(expected)


FILTER_CASES: list[tuple[Any, Any]] = [
    (
        lambda d: EventQuery(event_types=("Shotgun_Shot_*",)),
        lambda d: [["event_type", "starts_with", "Shotgun_Shot_"]],
    ),
    (
        lambda d: EventQuery(event_types=("*_New", "Toolkit_App_Startup")),
        lambda d: {
            "filter_operator": "any",
            "filters": [["event_type", "ends_with", "_New"], ["event_type", "is", "Toolkit_App_Startup"]],
        },
    ),
    (lambda d: EventQuery(event_types=("shotgun_shot_*",)), lambda d: [["id", "less_than", 0]]),
    (
        lambda d: EventQuery(event_types=("Shotgun_[AS]??*_New",)),
        lambda d: [["event_type", "in", ["Shotgun_Shot_New", "Shotgun_Asset_New", "Shotgun_ApiUser_New"]]],
    ),
    (
        lambda d: EventQuery(entity_type="Shot", entity_ids=(d["shot"]["id"],)),
        lambda d: [["entity", "is", d["shot"]]],
    ),
    (lambda d: EventQuery(entity_type="Asset"), lambda d: [["entity", "type_is", "Asset"]]),
    (lambda d: EventQuery(project_ids=(d["p2"]["id"],)), lambda d: [["project", "is", d["p2"]]]),
    (
        lambda d: EventQuery(users=(("HumanUser", d["jane"]["id"]),)),
        lambda d: [["user", "is", {"type": "HumanUser", "id": d["jane"]["id"]}]],
    ),
]


def test_filters_select_what_find_selects(sg: shotlog.Shotlog, data: dict[str, Any]) -> None:
    for query, filters in FILTER_CASES:
        rows = _csv(Export(StoreSource(sg, page_size=3), query(data), "id", "csv"))
        expected = [e["id"] for e in sg.find("EventLogEntry", filters(data), ["id"])]
        assert [int(r["id"]) for r in rows] == expected, query(data)


def test_id_and_date_ranges(sg: shotlog.Shotlog, data: dict[str, Any]) -> None:
    ids = [e["id"] for e in sg.find("EventLogEntry", [], ["id"])]
    rows = _csv(Export(StoreSource(sg), EventQuery(min_id=ids[3], max_id=ids[8]), "id", "csv"))
    assert [int(r["id"]) for r in rows] == ids[3:9]
    picked = _csv(Export(StoreSource(sg), EventQuery(ids=(ids[1], ids[5])), "id", "csv"))
    assert [int(r["id"]) for r in picked] == [ids[1], ids[5]]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert len(
        _csv(Export(StoreSource(sg), EventQuery(since=now - dt.timedelta(hours=1)), "id", "csv"))
    ) == len(ids)
    assert _csv(Export(StoreSource(sg), EventQuery(until=now - dt.timedelta(hours=1)), "id", "csv")) == []
    assert _csv(Export(StoreSource(sg), EventQuery(since=now + dt.timedelta(hours=1)), "id", "csv")) == []


def test_linked_fields(sg: shotlog.Shotlog, data: dict[str, Any]) -> None:
    rows = _csv(
        Export(
            StoreSource(sg),
            EventQuery(),
            "id,entity.type,entity.Shot.code,entity.Shot.project,user.HumanUser.login",
            "csv",
        )
    )
    for r in rows:
        if r["entity.type"] == "Shot":
            assert r["entity.Shot.code"] in ("sh010", "sh020")
            assert r["entity.Shot.project"] in ("Élan Vital", "Other")
        else:
            assert r["entity.Shot.code"] == ""
    assert {r["user.HumanUser.login"] for r in rows} == {"", "jane"}


def test_pages_of_any_size_give_the_same_bytes(sg: shotlog.Shotlog, data: dict[str, Any]) -> None:
    whole = b"".join(Export(StoreSource(sg), EventQuery(), "all", "jsonl").chunks())
    paged = b"".join(Export(StoreSource(sg, page_size=2), EventQuery(), "all", "jsonl").chunks())
    assert whole == paged


BAD_INPUT: list[tuple[str, EventQuery, str, str]] = [
    ("id,nope", EventQuery(), "csv", "unknown column 'nope'"),
    ("entity.Shot.nope", EventQuery(), "csv", "Shot has no field 'nope'"),
    ("project.type", EventQuery(), "csv", "always a Project"),
    ("id", EventQuery(entity_type="Shoot"), "csv", "unknown entity type 'Shoot'"),
    ("id", EventQuery(entity_ids=(3,)), "csv", "need an entity type"),
    ("id", EventQuery(since=dt.datetime(2024, 2, 1), until=dt.datetime(2024, 1, 1)), "csv", "must be after"),
    ("id", EventQuery(), "xlsx", "unknown format 'xlsx'"),
    ("id", EventQuery(users=(("Group", 1),)), "csv", "HumanUser|ApiUser"),
]


def test_bad_input_fails_before_any_work(sg: shotlog.Shotlog, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for columns, query, fmt, message in BAD_INPUT:
        with pytest.raises(ExportError, match=message.replace("(", r"\(").replace("|", r"\|")):
            export_events(StoreSource(sg), query, columns, fmt, out / "out.csv")
        assert list(out.iterdir()) == []


def test_unwritable_destination(sg: shotlog.Shotlog, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_events(StoreSource(sg), EventQuery(), None, "csv", tmp_path / "missing" / "x.csv")
    with pytest.raises(ExportError, match="is a directory"):
        export_events(StoreSource(sg), EventQuery(), None, "csv", tmp_path)


class _Failing(StoreSource):
    def pages(self, query: EventQuery, layout: Layout) -> Iterator[list[tuple[Any, ...]]]:
        pages = super().pages(query, layout)
        yield next(pages)
        raise OSError("disk on fire")


def test_a_failed_export_leaves_no_file(sg: shotlog.Shotlog, data: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "events.csv"
    target.write_text("previous complete export\n")
    with pytest.raises(OSError, match="disk on fire"):
        export_events(_Failing(sg, page_size=2), EventQuery(), None, "csv", target)
    assert target.read_text() == "previous complete export\n"
    assert sorted(p.name for p in out.iterdir()) == ["events.csv"]


def test_cli_export_to_file_and_errors(db_url: str, data: dict[str, Any], tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = tmp_path / "shots.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "events",
            "export",
            "-d",
            db_url,
            "--type",
            "Shotgun_Shot_*",
            "--project",
            "Élan Vital",
            "-c",
            "id,event_type,entity.Shot.code",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(
        line["event_type"].startswith("Shotgun_Shot_") and line["entity.Shot.code"] == "sh010"
        for line in lines
    )
    assert f"{len(lines)} events written" in result.output
    for args, message in [
        (["-c", "id,bogus"], "unknown column 'bogus'"),
        (["--user", "nobody"], "no HumanUser login or ApiUser named 'nobody'"),
        (["--since", "yesterday"], "is not an ISO date"),
        (["--project", "Nope"], "no Project named 'Nope'"),
        (["-o", str(tmp_path / "no" / "x.csv")], "does not exist"),
    ]:
        result = runner.invoke(main, ["events", "export", "-d", db_url, *args])
        assert result.exit_code != 0
        assert message in result.output, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shots.jsonl"]


def test_a_full_name_cache_starts_over_without_changing_the_output(
    sg: shotlog.Shotlog, data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shotlog.export import sources

    whole = b"".join(Export(StoreSource(sg), EventQuery(), "default", "csv").chunks())
    monkeypatch.setattr(sources, "NAME_CACHE", 2)
    small = b"".join(Export(StoreSource(sg, page_size=3), EventQuery(), "default", "csv").chunks())
    assert small == whole
    deep = "id,entity.Shot.code,entity.Asset.code"
    monkeypatch.setattr(sources, "NAME_CACHE", 100_000)
    whole = b"".join(Export(StoreSource(sg), EventQuery(), deep, "csv").chunks())
    monkeypatch.setattr(sources, "NAME_CACHE", 1)
    assert b"".join(Export(StoreSource(sg, page_size=3), EventQuery(), deep, "csv").chunks()) == whole
