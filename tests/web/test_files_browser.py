"""Thumbnails and attachments in a real browser: uploaded with the real client, seen loaded (a
decoded image, ``naturalWidth > 0``) in the event log, on the event's page and on the entity's
page, at a desktop and a phone width; an attachment's download link returns its bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import shotgun_api3
from PIL import Image
from playwright.sync_api import expect

WIDTHS = (1280, 390)


def _loaded(page: Any, selector: str) -> dict[str, float]:
    """Wait until the image ``selector`` has loaded and decoded; its natural and laid-out size."""
    image = page.locator(selector).first
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0 }",
        arg=selector,
    )
    size: dict[str, float] = image.evaluate(
        "i => ({natural: i.naturalWidth, width: i.getBoundingClientRect().width,"
        " height: i.getBoundingClientRect().height, right: i.getBoundingClientRect().right})"
    )
    return size


@pytest.fixture
def frame(tmp_path: Path) -> Path:
    path = tmp_path / "frame 0101.png"
    Image.new("RGB", (640, 360), (220, 120, 20)).save(path)
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_an_uploaded_thumbnail_shows_in_the_log_the_event_and_the_entity(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any], frame: Path, width: int
) -> None:
    page = signed_in
    page.set_viewport_size({"width": width, "height": 800})
    version = sg.create("Version", {"code": "v001", "project": project})
    sg.upload_thumbnail("Version", version["id"], str(frame))
    final = sg.find(
        "EventLogEntry",
        [["entity", "is", version], ["attribute_name", "is", "image"]],
        ["id", "meta"],
        order=[{"field_name": "id", "direction": "desc"}],
    )[0]
    assert final["meta"]["is_transient"] is False

    page.goto(f"/events?entity_type=Version&entity_id={version['id']}")
    row = f'#event-rows tr[data-id="{final["id"]}"] td.thumb img'
    expect(page.locator(row)).to_have_attribute("alt", f"Thumbnail of event {final['id']}")
    expect(page.locator(row)).to_have_attribute("loading", "lazy")
    shown = _loaded(page, row)
    # the thumbnail's box is fixed before and after it loads: no row moves
    assert shown["natural"] > 0 and (shown["width"], shown["height"]) == (86, 48)
    # a row without a thumbnail (the Version's creation) keeps the same column, empty
    assert page.locator("#event-rows td.thumb:not(:has(img))").count() >= 1

    page.goto(f"/events/{final['id']}")
    assert _loaded(page, "img.thumb-large")["natural"] > 0

    page.goto(f"/entities/Version/{version['id']}")
    entity = _loaded(page, "img.entity-image")
    assert entity["natural"] > 0 and entity["right"] <= width
    # the history's wide table scrolls inside its card, the cards stay within the window
    cards = page.locator("section.card").evaluate_all("cs => cs.map(c => c.getBoundingClientRect().right)")
    assert max(cards) <= width


def test_an_event_shows_its_own_thumbnail(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any], frame: Path
) -> None:
    page = signed_in
    event = sg.create(
        "EventLogEntry",
        {"event_type": "Toolkit_Publish", "description": "published a frame", "project": project},
    )
    sg.upload_thumbnail("EventLogEntry", event["id"], str(frame))
    page.goto(f"/events?project={project['id']}")
    assert _loaded(page, f'#event-rows tr[data-id="{event["id"]}"] td.thumb img')["natural"] > 0


def test_an_attachment_is_listed_and_downloads(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any], tmp_path: Path
) -> None:
    page = signed_in
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    notes = tmp_path / "notes for sh010.pdf"
    data = os.urandom(50_000)
    notes.write_bytes(data)
    attachment = sg.upload("Shot", shot["id"], str(notes))

    page.goto(f"/entities/Shot/{shot['id']}")
    link = page.get_by_role("link", name="notes for sh010.pdf")
    expect(link).to_have_attribute("href", f"/file_serve/attachment/{attachment}")
    # the page's own session is the credential, as for a click
    reply = page.request.get(link.get_attribute("href"))
    assert reply.status == 200 and reply.body() == data
    assert "notes for sh010.pdf" in reply.headers["content-disposition"]

    page.goto(f"/entities/Attachment/{attachment}")
    own = page.locator("dl.fields a[download]")
    expect(own).to_have_text("notes for sh010.pdf")
    assert page.request.get(own.get_attribute("href")).body() == data

    # signed out, the same link is refused
    page.context.clear_cookies()
    assert page.request.get(f"/file_serve/attachment/{attachment}").status == 401
