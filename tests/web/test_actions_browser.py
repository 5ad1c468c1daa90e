"""Action Menu Items in a real browser: the built-in CSV export and an item that opens its URL."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import shotgun_api3
from playwright.sync_api import expect
from webkit import Receiver


def test_export_action_downloads_the_entitys_events(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    page = signed_in
    shot = sg.create("Shot", {"code": "ami010", "project": project})
    sg.update("Shot", shot["id"], {"description": "exported"})
    page.goto(f"/entities/Shot/{shot['id']}")
    page.get_by_text("Actions").click()
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Export events to CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    ids = {int(r["id"]) for r in csv.DictReader(io.StringIO(text))}
    expected = {e["id"] for e in sg.find("EventLogEntry", [["entity", "is", shot]])}
    assert ids == expected
    expect(page.locator(".ami-status")).to_contain_text("Downloaded")


def test_custom_action_posts_fptrs_fields_to_its_url(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any], receiver: Receiver
) -> None:
    page = signed_in
    shot = sg.create("Shot", {"code": "ami020", "project": project})
    sg.create(
        "ActionMenuItem", {"title": "Send to review", "url": receiver.url + "/ami", "entity_type": "Shot"}
    )
    page.goto(f"/entities/Shot/{shot['id']}")
    page.get_by_text("Actions").click()
    with page.context.expect_page() as opened:
        page.get_by_role("menuitem", name="Send to review").click()
    opened.value.wait_for_load_state()
    posted = [r for r in receiver.requests if r["path"] == "/hook/ami"]
    assert posted, receiver.requests
    form = posted[-1]["json"]["form"]
    assert form["entity_type"] == ["Shot"] and form["selected_ids"] == [str(shot["id"])]
    assert form["project_id"] == [str(project["id"])]
