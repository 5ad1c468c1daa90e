"""``shotlog events export --server``: the real shotgun_api3 client against a real ``shotlog serve``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.export import EventQuery, Export, StoreSource
from testdbs import start_serve, stop_serve, wait_healthy

SCRIPT, KEY = "exporter", "k3y-" + "ab" * 20


@pytest.fixture(scope="module")
def served(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, shotlog.Shotlog]]:
    db_url, tmp_path = module_db, tmp_path_factory.mktemp("serve")
    sg = shotlog.connect(db_url)
    p = sg.create("Project", {"name": "Remote"})
    shot = sg.create("Shot", {"code": "sh100", "project": p})
    for status in ("ip", "hld", "fin"):
        sg.update("Shot", shot["id"], {"sg_status_list": status})
    sg.create("Asset", {"code": "tree", "project": p})
    process, url, log = start_serve(
        db_url, tmp_path / "serve", {"SHOTLOG_SCRIPT_NAME": SCRIPT, "SHOTLOG_SCRIPT_KEY": KEY}
    )
    try:
        wait_healthy(url, process, log)
        yield url, sg
    finally:
        stop_serve(process, 10)
        sg.close()


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line]


def test_server_export_matches_the_local_one(served: tuple[str, shotlog.Shotlog], tmp_path: Path) -> None:
    url, sg = served
    columns = "id,created_at,event_type,description,entity,project,user,attribute_name,meta,entity.Shot.code"
    out = tmp_path / "remote.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "events",
            "export",
            "--server",
            url,
            "--script-name",
            SCRIPT,
            "--api-key",
            KEY,
            "--type",
            "Shotgun_Shot_*",
            "--type",
            "*_Asset_New",
            "-c",
            columns,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    query = EventQuery(event_types=("Shotgun_Shot_*", "*_Asset_New"))
    local = b"".join(Export(StoreSource(sg), query, columns, "jsonl").chunks()).decode()
    remote = _lines(out.read_text())
    assert remote == _lines(local)
    assert len(remote) >= 6 and {r["entity.Shot.code"] for r in remote} == {"sh100", None}


def test_server_export_with_a_small_page_and_a_date_range(
    served: tuple[str, shotlog.Shotlog], tmp_path: Path
) -> None:
    import shotgun_api3

    from shotlog.export import Api3Source

    url, sg = served
    client = shotgun_api3.Shotgun(url, script_name=SCRIPT, api_key=KEY)
    try:
        first = sg.find("EventLogEntry", [], ["id", "created_at"])
        query = EventQuery(min_id=first[2]["id"], since=first[0]["created_at"].replace(tzinfo=None))
        remote = b"".join(
            Export(Api3Source(client, page_size=4), query, "id,event_type,user", "csv").chunks()
        )
        local = b"".join(Export(StoreSource(sg), query, "id,event_type,user", "csv").chunks())
        assert remote == local
    finally:
        client.close()


def test_server_export_refuses_bad_credentials_and_fields(
    served: tuple[str, shotlog.Shotlog], tmp_path: Path
) -> None:
    url, _ = served
    runner = CliRunner()
    result = runner.invoke(
        main, ["events", "export", "--server", url, "--script-name", SCRIPT, "--api-key", "wrong"]
    )
    assert result.exit_code != 0 and "refused the credentials" in result.output
    result = runner.invoke(main, ["events", "export", "--server", url])
    assert result.exit_code != 0 and "--server needs credentials" in result.output
    result = runner.invoke(
        main,
        [
            "events",
            "export",
            "--server",
            url,
            "--script-name",
            SCRIPT,
            "--api-key",
            KEY,
            "-c",
            "id,entity.Shot.nope",
        ],
    )
    assert result.exit_code != 0 and "Shot has no field 'nope'" in result.output
