"""The archive on real databases, a real directory and a real S3-compatible server (moto)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from archivekit import NOW, records
from click.testing import CliRunner

import shotlog
from shotlog.archive import Archive, ArchivePolicy, ArchiveStorageError, CursorArchived, live_floor
from shotlog.archive.job import ArchiveBusy, job_lock
from shotlog.archive.segments import iter_records
from shotlog.cli import main
from shotlog.export import EventQuery, ExportError


def _archived(archive: Archive) -> list[dict[str, Any]]:
    return [r for s in archive.segments() for r in iter_records(archive.storage, s)]


def _check_split(archive: Archive, sg: shotlog.Shotlog, before: list[dict[str, Any]]) -> tuple[int, int]:
    """Every event is either live or archived, never both, never neither, and unchanged."""
    archived = _archived(archive)
    live = records(sg)
    assert {r["id"] for r in archived}.isdisjoint({r["id"] for r in live})
    assert sorted(archived + live, key=lambda r: r["id"]) == before
    return len(archived), len(live)


def test_archive_moves_old_events_by_month(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183))
    report = archive.run(now=NOW)
    cutoff = NOW - dt.timedelta(days=183)
    archived, live = _check_split(archive, sg, old_log)
    assert archived == report.archived_events > 0 and live > 0
    assert all(r["created_at"] < cutoff.strftime("%Y-%m-%dT%H:%M:%SZ") for r in _archived(archive))
    assert all(r["created_at"] >= cutoff.strftime("%Y-%m-%dT%H:%M:%SZ") for r in records(sg))
    segments = archive.segments()
    assert [s.month for s in segments] == sorted({r["created_at"][:7] for r in _archived(archive)})
    assert all(s.first_at is not None and s.first_at.strftime("%Y-%m") == s.month for s in segments)
    assert live_floor(sg.db) == report.archived_through + 1 == records(sg)[0]["id"]
    manifest = json.loads((tmp_path / "arch" / "manifest.json").read_text())
    assert [m["key"] for m in manifest["segments"]] == [s.key for s in segments]
    assert archive.run(now=NOW).archived_events == 0  # nothing more is due


def test_cursor_behind_the_live_log_is_a_clear_error(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183))
    through = archive.run(now=NOW).archived_through
    with pytest.raises(CursorArchived, match=f"live log starts at id {through + 1}") as info:
        next(sg.iter_events(0))
    assert info.value.floor == through + 1
    assert [e["id"] for e in sg.iter_events(through)] == [r["id"] for r in records(sg)]


def test_download_and_search_read_the_archive_in_place(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183))
    archive.run(now=NOW)
    month = archive.segments()[1].month
    lines = [
        json.loads(x)
        for x in b"".join(archive.download("jsonl", months=[month], columns="all").chunks()).splitlines()
    ]
    assert lines == [r for r in old_log if r["created_at"][:7] == month]
    csv_text = b"".join(
        archive.download("csv", months=[month], columns="id,event_type,entity").chunks()
    ).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "id,event_type,entity.type,entity.id,entity.name"
    assert len(csv_text.splitlines()) == len(lines) + 1
    found = [
        json.loads(x)
        for x in b"".join(
            archive.search(EventQuery(event_types=("*_New",)), columns="all").chunks()
        ).splitlines()
    ]
    archived_ids = {r["id"] for r in _archived(archive)}
    assert found == [r for r in old_log if r["event_type"].endswith("_New") and r["id"] in archived_ids]
    with pytest.raises(ExportError, match="not kept in the archive"):
        archive.search(EventQuery(), columns="entity.Shot.code")
    with pytest.raises(ExportError, match="no archived segment matches 1999-01"):
        archive.download("csv", months=["1999-01"])


def test_purge_after_the_archive_window(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183, keep_days=400))
    archive.run(now=NOW)
    segments = archive.segments()
    later = NOW + dt.timedelta(days=200)
    report = archive.run(now=later)
    expired = [
        s.key for s in segments if s.last_at is not None and s.last_at < later - dt.timedelta(days=400)
    ]
    assert expired and report.purged == expired
    assert not any((tmp_path / "arch" / key).exists() for key in expired)
    assert {s.key for s in archive.segments(include_purged=True) if s.state == "purged"} == set(expired)
    assert all(s.key not in expired for s in archive.segments())


def test_one_run_at_a_time(sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path) -> None:
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch")))
    with job_lock(sg), pytest.raises(ArchiveBusy, match="another archive run"):
        archive.run(now=NOW)


def test_s3_archive_on_a_moto_server(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], moto: str, s3_env: str
) -> None:
    archive = Archive(sg, ArchivePolicy(url=f"s3://{s3_env}/studio/events", live_days=183, s3_endpoint=moto))
    report = archive.run(now=NOW)
    assert report.archived_events > 0
    _check_split(archive, sg, old_log)
    keys = set(archive.storage.keys())
    assert keys == {s.key for s in archive.segments()} | {"manifest.json"}
    assert all(archive.storage.size(s.key) == s.size_bytes for s in archive.segments())


def test_s3_without_credentials_fails_before_any_work(
    sg: shotlog.Shotlog,
    old_log: list[dict[str, Any]],
    moto: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    archive = Archive(sg, ArchivePolicy(url="s3://bucket/x", s3_endpoint=moto))
    with pytest.raises(ArchiveStorageError, match="no credentials"):
        archive.run(now=NOW)
    assert records(sg) == old_log and archive.segments() == []


def test_cli_run_list_download_search(db_url: str, old_log: list[dict[str, Any]], tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "arch"
    # The CLI runs at the real "now": the test events (2024-2025) are all older than a 30-day window.
    result = runner.invoke(
        main, ["archive", "run", "-d", db_url, "--to", str(dest), "--live-days", "30", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["archived_events"] == len(old_log) - 1  # the newest event stays live
    result = runner.invoke(main, ["archive", "list", "-d", db_url, "--json"])
    assert [json.loads(x)["state"] for x in result.output.splitlines()] == ["done"] * len(report["segments"])
    out = tmp_path / "all.csv"
    result = runner.invoke(main, ["archive", "download", "-d", db_url, "--to", str(dest), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == len(
        old_log
    )  # a header, all but the newest
    result = runner.invoke(
        main,
        [
            "archive",
            "search",
            "-d",
            db_url,
            "--to",
            str(dest),
            "--type",
            "Shotgun_Shot_New",
            "-c",
            "id,event_type",
        ],
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["event_type"] for x in result.output.splitlines()] == ["Shotgun_Shot_New"] * 12
    result = runner.invoke(main, ["archive", "run", "-d", db_url])
    assert result.exit_code != 0 and "no archive destination" in result.output
    result = runner.invoke(main, ["events", "list", "-d", db_url, "--after", "0"])
    assert (
        result.exit_code != 0
        and f"the live log starts at id {report['archived_through'] + 1}" in result.output
    )
    result = runner.invoke(
        main, ["archive", "run", "-d", db_url, "--to", str(dest), "--live-days", "400", "--keep-days", "30"]
    )
    assert result.exit_code != 0 and "must be at least the live window" in result.output


def test_the_newest_event_always_stays_live(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Ids are max(id) + 1: emptying the live log would hand out archived ids again."""
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=1, keep_days=10_000))
    report = archive.run(now=NOW + dt.timedelta(days=3650))
    head = old_log[-1]["id"]
    assert report.archived_through == head - 1
    assert [r["id"] for r in records(sg)] == [head]
    created = sg.create_event("Test_Event_New")
    assert created["id"] == head + 1


def test_events_owed_to_webhooks_stay_live(
    sg: shotlog.Shotlog, old_log: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The archive never takes an event a webhook delivery still needs: not past the dispatcher's
    cursor, not past the oldest pending delivery. Once they are done, it moves on."""
    from shotlog.webhooks.api import Webhooks
    from shotlog.webhooks.dispatcher import Dispatcher
    from shotlog.webhooks.settings import WebhookSettings

    hooks = Webhooks(sg, WebhookSettings.from_env({"SHOTLOG_WEBHOOKS_ALLOW_PRIVATE": "1"}))
    hook = hooks.create_hook({"url": "http://127.0.0.1:9/hook", "entity_types": {"Shot": {"create": []}}})
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183))

    # the dispatcher has not looked at the log yet: nothing may go
    first = archive.run(now=NOW)
    assert first.archived_events == 0 and first.held_back and "dispatched" in first.held_back

    # dispatched, but an old event was replayed to the hook and is still pending: the archive stops
    # just before it
    Dispatcher(sg.db).run()
    shot_news = [r["id"] for r in old_log if r["event_type"] == "Shotgun_Shot_New"]
    assert hooks.replay(hook["id"], after_id=shot_news[3] - 1, to_id=shot_news[3]) == 1
    second = archive.run(now=NOW)
    assert second.held_back and f"event {shot_news[3]}" in second.held_back
    assert second.archived_through == shot_news[3] - 1
    assert records(sg)[0]["id"] == shot_news[3]

    # the operator gives the delivery up: the rest is archived as usual
    hooks.disable_hook(hook["id"])
    hooks.discard_held(hook["id"])
    # the hook's own changes are in the log too, after the old events
    hook_events = [r for r in records(sg) if r["event_type"].startswith("Shotgun_Webhook_")]
    assert [r["event_type"] for r in hook_events] == ["Shotgun_Webhook_Created", "Shotgun_Webhook_Updated"]
    third = archive.run(now=NOW)
    assert third.held_back is None and third.archived_events > 0
    _check_split(archive, sg, old_log + hook_events)
