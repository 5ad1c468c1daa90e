"""The event log page in a real browser: filters, paging, the event page, live mode."""

from __future__ import annotations

import re
from typing import Any

import shotgun_api3
from playwright.sync_api import expect
from webkit import navigate


def row_ids(page: Any) -> list[int]:
    return [
        int(x) for x in page.locator("#event-rows tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    ]


def test_filter_by_project_and_event_type_wildcard(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    page = signed_in
    shot = sg.create("Shot", {"code": "sh010", "project": project})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    sg.create("Asset", {"code": "lamp", "project": project})

    page.goto("/events")  # the project menu lists projects as they are when the page loads
    page.get_by_label("Project").select_option(label=project["name"])
    page.get_by_label("Event type").fill("Shotgun_Shot_*")
    navigate(page, page.get_by_role("button", name="Apply filters").click)

    types = page.locator("#event-rows code.etype").all_inner_texts()
    assert types and all(t.startswith("Shotgun_Shot_") for t in types)
    assert "Shotgun_Shot_New" in types and "Shotgun_Shot_Change" in types
    expect(page.locator("#event-count")).to_contain_text(f"Events 1–{len(types)} of {len(types)}")

    # a bad value is reported next to its field, and nothing is listed
    page.get_by_label("Entity id").fill("twelve")
    navigate(page, page.get_by_role("button", name="Apply filters").click)
    expect(page.locator("#e-entity_id")).to_contain_text(
        "Entity id must be a positive whole number, got 'twelve'"
    )
    expect(page.locator("#event-rows")).to_have_count(0)


def test_paging_with_the_page_size_menu(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    page = signed_in
    sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "Shot",
                "data": {"code": f"p{i:03d}", "project": project},
            }
            for i in range(12)
        ]
    )
    news = sg.find(
        "EventLogEntry", [["project", "is", project], ["event_type", "is", "Shotgun_Shot_New"]], ["id"]
    )
    expected = sorted((e["id"] for e in news), reverse=True)
    assert len(expected) == 12

    page.goto(f"/events?project={project['id']}&event_type=Shotgun_Shot_New")
    navigate(page, lambda: page.get_by_label("Page size").select_option("25"))  # submits on change
    expect(page).to_have_url(re.compile(r"size=25"))
    assert row_ids(page) == expected  # all fit on one page
    expect(page.locator(".pager [rel=next]")).to_have_count(0)

    # 12 rows at 25 per page is one page: the keyset pager is checked with the description filter
    # over everything the project has (New + in_create Changes), 25 at a time
    page.goto(f"/events?project={project['id']}&size=25")
    first = row_ids(page)
    assert len(first) == 25 and first == sorted(first, reverse=True)
    navigate(page, page.locator(".pager [rel=next]").click)
    second = row_ids(page)
    assert second and max(second) < min(first)
    navigate(page, page.locator(".pager [rel=prev]").click)
    assert row_ids(page) == first

    # sorting by event type (offset pages) keeps the filter
    navigate(page, page.get_by_role("link", name="Event type").click)
    types = page.locator("#event-rows code.etype").all_inner_texts()
    assert types == sorted(types, reverse=True)


def test_event_page_shows_old_and_new_and_links_to_the_entity(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    page = signed_in
    shot = sg.create("Shot", {"code": "sh020", "project": project, "sg_status_list": "wtg"})
    sg.update("Shot", shot["id"], {"sg_status_list": "fin"})
    event = sg.find_one(
        "EventLogEntry",
        [["entity", "is", shot], ["attribute_name", "is", "sg_status_list"]],
        ["id"],
        order=[{"field_name": "id", "direction": "desc"}],
    )
    page.goto(f"/events?entity_type=Shot&entity_id={shot['id']}")
    navigate(page, page.get_by_role("link", name=str(event["id"]), exact=True).click)
    expect(page.locator(".change .old")).to_contain_text("wtg")
    expect(page.locator(".change .new")).to_contain_text("fin")

    navigate(page, page.locator("dl.fields").get_by_role("link", name="sh020").click)
    expect(page.get_by_role("heading", level=1)).to_contain_text("sh020")
    expect(page.locator("dl.fields")).to_contain_text("fin")
    history = row_ids(page)
    assert event["id"] in history


def test_live_mode_shows_new_events_without_reloading(
    signed_in: Any, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    page = signed_in
    page.goto(f"/events?project={project['id']}")
    navigate(page, page.get_by_role("link", name="○ Live").click)
    expect(page.locator("#live-status")).to_contain_text("Live")
    page.evaluate("window.__marker = 'same page'")  # disappears if the page reloads

    shot = sg.create("Shot", {"code": "live010", "project": project})
    expect(page.locator("#event-rows tr.fresh").filter(has_text="live010").first).to_be_visible()
    sg.update("Shot", shot["id"], {"description": "arrived live"})
    expect(page.locator("#event-rows tr").first).to_contain_text("description")
    assert page.evaluate("window.__marker") == "same page"
