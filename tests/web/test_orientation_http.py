"""Knowing where you are in the event log, over HTTP: ranges and totals, page numbers, the jump to a
page or an event id, the admin's setup-event setting and the filter on changed values."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import shotgun_api3
from webkit import WebServer, csrf_of


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page)]


def _project_events(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> list[int]:
    rows = sg.find(
        "EventLogEntry",
        [["project", "is", project]],
        ["id"],
        order=[{"field_name": "id", "direction": "desc"}],
    )
    return [r["id"] for r in rows]


def test_pages_say_their_range_total_and_number(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    for i in range(8):
        sg.create("Shot", {"code": f"o{i:03}", "project": project})
    ids = _project_events(sg, project)
    n = len(ids)
    assert 25 < n <= 50  # two pages of 25
    http = server.signed_in()
    first = http.get(f"/events?project={project['id']}&size=25").text
    assert f"Events 1–25 of {n}" in _text(first) and "Page 1 of 2" in _text(first)
    assert "about" not in _text(re.search(r'<p class="count" id="event-count".*?</p>', first, re.S).group(0))  # type: ignore[union-attr]
    following = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))  # type: ignore[union-attr]
    second = http.get(following).text
    assert f"Events 26–{n} of {n}" in _text(second) and "Page 2 of 2" in _text(second)
    assert _ids(second) == ids[25:]


def test_jump_to_a_page_or_an_event(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    for i in range(8):
        sg.create("Shot", {"code": f"j{i:03}", "project": project})
    ids = _project_events(sg, project)
    http = server.signed_in()
    base = f"/events?project={project['id']}&size=25"

    to_page = http.get(f"{base}&page=2&goto=")
    assert to_page.status_code == 303
    assert _ids(http.get(to_page.headers["location"]).text) == ids[25:]

    past = http.get(f"{base}&page=3")
    assert past.status_code == 400
    assert re.search(r'id="e-page">Page 3 is past the last page', past.text)
    assert _ids(past.text) == ids[:25]  # the list still shows

    # a filter no index serves is not counted out to a page by number (that could read the whole log)
    words = http.get(f"{base}&q=zzz&page=2")
    assert words.status_code == 400
    assert re.search(r'id="e-page">Pages of a search by words, attribute or changed values', words.text)

    wanted = ids[30]
    to_event = http.get(f"{base}&goto={wanted}")
    assert to_event.status_code == 303 and to_event.headers["location"].endswith(f"#e{wanted}")
    landed = http.get(to_event.headers["location"]).text
    assert _ids(landed)[0] == wanted and f"Events 31–{len(ids)} of {len(ids)}" in _text(landed)
    assert f'id="e{wanted}"' in landed

    elsewhere = sg.find_one("EventLogEntry", [["project", "is_not", project]], ["id"])
    outside = http.get(f"{base}&goto={elsewhere['id']}")
    assert outside.status_code == 404
    assert re.search(rf'id="e-goto">Event {elsewhere["id"]:,} does not match these filters', outside.text)
    missing = http.get(f"{base}&goto=999999999")
    assert missing.status_code == 404 and re.search(
        r'id="e-goto">There is no event 999,999,999', missing.text
    )
    bad = http.get(f"{base}&goto=twelve")
    assert bad.status_code == 400 and re.search(
        r"id=\"e-goto\">An event id is a positive whole number, got &#39;twelve&#39;", bad.text
    )


def _hide_setup(http: httpx.Client, value: str) -> httpx.Response:
    token = csrf_of(http.get("/admin").text)
    return http.post("/admin/event-log", data={"csrf": token, "hide_setup": value})


LOGIN_ROW = "Shotgun_<wbr>User_<wbr>Login"


def test_an_admin_hides_setup_events_and_one_click_shows_them(
    server: WebServer, sg: shotgun_api3.Shotgun
) -> None:
    http = server.signed_in()  # its sign-in is a setup (system) event at the top of the log
    assert LOGIN_ROW in http.get("/events").text
    try:
        assert _hide_setup(http, "1").status_code == 303
        hidden = http.get("/events").text
        assert "Showing all but setup events" in _text(hidden) and _ids(hidden)
        assert LOGIN_ROW not in hidden
        link = re.search(r'Showing all but setup events — <a href="([^"]+)">show them', hidden)
        assert link is not None
        show = html.unescape(link.group(1))
        shown = http.get(show).text
        assert LOGIN_ROW in shown and "Showing setup events too" in _text(shown)
        newest_first = [{"field_name": "id", "direction": "desc"}]
        login = sg.find_one(
            "EventLogEntry", [["event_type", "is", "Shotgun_User_Login"]], ["id"], order=newest_first
        )["id"]
        hidden_one = http.get(f"/events?goto={login}")
        assert hidden_one.status_code == 404
        assert f"Event {login:,} is a setup event, hidden here" in hidden_one.text
        # asking for an event type shows it, setup or not
        assert LOGIN_ROW in http.get("/events?event_type=Shotgun_User_Login").text
        refused = _hide_setup(http, "maybe")
        assert (
            refused.status_code == 400
            and "Hide setup events must be 1 (hide) or 0 (show), got &#39;maybe&#39;" in refused.text
        )
    finally:
        assert _hide_setup(http, "0").status_code == 303
    assert LOGIN_ROW in http.get("/events").text and "Showing all but" not in http.get("/events").text


def test_filter_on_changed_values(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    shot = sg.create("Shot", {"code": "m010", "project": project})
    sg.update("Shot", shot["id"], {"sg_status_list": "fin"})
    sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    changes = sg.find(
        "EventLogEntry",
        [["entity", "is", shot], ["attribute_name", "is", "sg_status_list"]],
        ["meta"],
        order=[{"field_name": "id", "direction": "asc"}],
    )
    to_fin = next(c["id"] for c in changes if c["meta"]["new_value"] == "fin")
    from_fin = next(c["id"] for c in changes if c["meta"].get("old_value") == "fin")
    http = server.signed_in()
    page = http.get(f"/events?project={project['id']}&new_value=fin")
    assert page.status_code == 200 and _ids(page.text) == [to_fin] and "Event 1 of 1" in _text(page.text)
    assert 'name="new_value" type="text" value="fin"' in page.text  # the form keeps it
    assert _ids(http.get(f"/events?project={project['id']}&attribute=sg_status_list&old_value=fin").text) == [
        from_fin
    ]
    too_long = http.get(f"/events?new_value={'x' * 201}")
    assert too_long.status_code == 400 and re.search(
        r'id="e-new_value">New value is limited to 200 characters', too_long.text
    )


def test_entity_lists_say_their_range_and_total(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    tag = project["name"][-10:]
    for i in range(3):
        sg.create("Shot", {"code": f"{tag}_{i}", "project": project})
    page = server.signed_in().get(f"/entities/Shot?q={tag}").text
    assert "Shots 1–3 of 3" in _text(page) and "Page 1 of 1" in _text(page)
