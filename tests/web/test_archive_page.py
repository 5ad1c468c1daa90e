"""The Archived Data page on a real ``shotlog serve`` whose old events were archived to a directory.

One server for the module: a log of about 60 events five days apart from 2024-01-01 is archived
(a real archive run: month segments in a directory) before the server starts, so the page lists
real segments, streams them, and searches them in place. HTTP tests check what is served; the
browser tests download and search at a laptop's and a phone's width.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from webkit import ADMIN_LOGIN, ADMIN_PASSWORD, CHROMIUM, navigate, sign_in

import shotlog
from shotlog.archive import Archive, ArchivePolicy
from shotlog.export import ALL_COLUMNS, EventQuery, Export, StoreSource
from shotlog.store.tables import event_log_entries as ele
from testdbs import start_serve, stop_serve, wait_healthy

START = dt.datetime(2024, 1, 1)
NOW = START + dt.timedelta(days=400)
ARTIST, ARTIST_PASSWORD = "arch.artist", "pa55word-pa55word"


@dataclass
class Archived:
    url: str
    dest: Path
    #: every event archived, as JSON Lines records, in id order
    records: list[dict[str, Any]]
    floor: int
    log: Path


@pytest.fixture(scope="module")
def archived(module_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    base = tmp_path_factory.mktemp("archive_page")
    dest = base / "archive"
    sg = shotlog.connect(module_db)
    project = sg.create("Project", {"name": "Lighthouse archive"})
    for i in range(12):
        shot = sg.create("Shot", {"code": f"lh{i:03d}", "project": project})
        sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    sg.create(
        "HumanUser",
        {"login": ARTIST, "firstname": "Art", "lastname": "Ist", "password_proxy": ARTIST_PASSWORD},
    )
    ids = [e["id"] for e in sg.find("EventLogEntry", [], ["id"])]
    with sg.db.write() as conn:
        for n, event_id in enumerate(ids):
            at = START + dt.timedelta(days=5 * n)
            conn.execute(sa.update(ele).where(ele.c.id == event_id).values(created_at=at))
    raw = b"".join(Export(StoreSource(sg), EventQuery(), list(ALL_COLUMNS), "jsonl").chunks())
    every = [json.loads(line) for line in raw.splitlines()]
    report = Archive(sg, ArchivePolicy(url=str(dest))).run(now=NOW)
    assert report.archived_events > 20 and len(report.segments) > 3, report
    sg.close()
    env = {
        "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
        "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SHOTLOG_ARCHIVE_URL": str(dest),
        "SHOTLOG_ARCHIVE_INTERVAL": "0",
    }
    process, url, log = start_serve(module_db, base / "serve", env)
    try:
        wait_healthy(url, process, log)
        through = report.archived_through
        yield Archived(url, dest, [r for r in every if r["id"] <= through], through + 1, log)
    finally:
        stop_serve(process)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-6000:]


def _client(url: str, login: str = ADMIN_LOGIN, password: str = ADMIN_PASSWORD) -> httpx.Client:
    http = httpx.Client(base_url=url, timeout=30, headers={"Accept": "text/html"})
    form = http.get("/login")
    token = re.search(r'name="csrf" value="([^"]*)"', form.text)
    assert token
    reply = http.post("/login", data={"login": login, "password": password, "csrf": token.group(1)})
    assert reply.status_code == 303, reply.text
    return http


@pytest.fixture(scope="module")
def admin(archived: Archived) -> Iterator[httpx.Client]:
    http = _client(archived.url)
    yield http
    http.close()


def _months(records: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r in records:
        out.setdefault(r["created_at"][:7], []).append(r["id"])
    return out


def _row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="archived" data-id="(\d+)" data-archived="true">', html)]


def test_the_page_shows_the_windows_and_every_segment(archived: Archived, admin: httpx.Client) -> None:
    page = admin.get("/admin/archive")
    assert page.status_code == 200, page.text
    html = page.text
    assert "183 days: older events move to the archive" in html
    assert "1,826 days: older segments are deleted" in html
    assert (
        f'starts at event <a href="/events?id_from={archived.floor}&amp;sort=id">#{archived.floor}</a>'
        in html
    )
    months = _months(archived.records)
    listed = re.findall(
        r'<tr data-segment="(\d+)">\s*<td data-label="Period"><strong>([0-9-]+)</strong>', html
    )
    assert [m for _, m in listed] == list(months)
    for month, ids in months.items():
        row = html.split(f"<strong>{month}</strong>", 1)[1].split("</tr>", 1)[0]
        assert f'data-label="Events">{len(ids)}<' in row
        assert str(archived.dest) + f"/{month[:4]}/{month}/events-" in row  # where it is stored
        assert re.search(r'data-label="Size">[0-9.,]+ (bytes|KB)<', row)
    # the admin menu leads here
    assert 'href="/admin/archive"' in admin.get("/admin").text


def test_a_segment_downloads_as_the_event_logs_csv(archived: Archived, admin: httpx.Client) -> None:
    html = admin.get("/admin/archive").text
    segment, month = re.findall(
        r'<tr data-segment="(\d+)">\s*<td data-label="Period"><strong>([0-9-]+)<', html
    )[1]
    reply = admin.get("/admin/archive/download", params={"segment": segment, "format": "csv"})
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert (
        reply.headers["content-disposition"]
        == f'attachment; filename="archive-{month}-segment-{segment}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == _months(archived.records)[month]
    # the columns of the event log's own CSV export
    live = admin.get("/export/events.csv", params={"limit": "1"})
    assert live.status_code == 200, live.text
    assert next(csv.reader(io.StringIO(live.content.decode("utf-8-sig")))) == list(rows[0])
    first = next(r for r in archived.records if r["id"] == int(rows[0]["id"]))
    assert rows[0]["event_type"] == first["event_type"] and rows[0]["created_at"] == first["created_at"]


def test_a_date_range_downloads_as_json_lines(archived: Archived, admin: httpx.Client) -> None:
    reply = admin.get(
        "/admin/archive/download", params={"from": "2024-02-01", "to": "2024-03-31", "format": "jsonl"}
    )
    assert reply.status_code == 200, reply.text
    assert (
        reply.headers["content-disposition"]
        == 'attachment; filename="archive-2024-02-01-to-2024-03-31.jsonl"'
    )
    lines = [json.loads(x) for x in reply.content.splitlines()]
    expected = [r["id"] for r in archived.records if "2024-02-01" <= r["created_at"][:10] <= "2024-03-31"]
    assert expected and [x["id"] for x in lines] == expected
    assert lines[0]["event_type"] == next(r for r in archived.records if r["id"] == expected[0])["event_type"]


def test_search_finds_archived_events_by_the_event_log_filters(
    archived: Archived, admin: httpx.Client
) -> None:
    changes = [r for r in archived.records if r["event_type"] == "Shotgun_Shot_Change"]
    assert len(changes) > 3
    reply = admin.get(
        "/admin/archive", params={"search": "1", "event_type": "Shotgun_Shot_Change", "size": "25"}
    )
    assert reply.status_code == 200, reply.text
    assert _row_ids(reply.text) == [r["id"] for r in changes][:25]
    assert reply.text.count('<span class="badge badge-muted">archived</span>') >= len(_row_ids(reply.text))
    # description words and the attribute: matched in the archive, as on the event log page
    word = "WTG"  # in "set Status to wtg" and "changed Status from wtg": case-insensitive
    reply = admin.get("/admin/archive", params={"search": "1", "q": word, "attribute": "sg_status_list"})
    expected = [
        r["id"]
        for r in archived.records
        if word.lower() in r["description"].lower() and r["attribute_name"] == "sg_status_list"
    ]
    assert expected and _row_ids(reply.text) == expected
    # a field change's old and new values, as text
    by_value = admin.get("/admin/archive", params={"search": "1", "old_value": "wtg", "new_value": "ip"})
    moved = [r["id"] for r in changes if (r["meta"] or {}).get("new_value") == "ip"]
    assert moved and _row_ids(by_value.text) == [
        i for i in moved if next(r for r in changes if r["id"] == i)["meta"].get("old_value") == "wtg"
    ]
    # paged by a cursor: the next page starts after the last row of this one
    first = admin.get("/admin/archive", params={"search": "1", "size": "25"})
    assert _row_ids(first.text) == [r["id"] for r in archived.records][:25]
    after = re.search(r'href="/admin/archive\?[^"]*after=(\d+)"', first.text)
    assert after and int(after.group(1)) == archived.records[24]["id"]
    second = admin.get("/admin/archive", params={"search": "1", "size": "25", "after": after.group(1)})
    assert _row_ids(second.text) == [r["id"] for r in archived.records][25:50]
    # the results download with the same filters
    link = re.search(r'href="(/admin/archive/download\?[^"]*search=1[^"]*format=jsonl)"', reply.text)
    assert link
    lines = admin.get(link.group(1).replace("&amp;", "&")).content.splitlines()
    assert [json.loads(x)["id"] for x in lines] == expected


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2024-03-10", "to": "2024-03-01"}, "to", "The end of the range must come after its start."),
        ({"from": "2024-13-45"}, "from", "Dates look like 2026-11-27"),
        ({"format": "xlsx"}, "format", "Format must be CSV (csv) or JSON Lines (jsonl), got 'xlsx'."),
        ({"segment": "99999"}, "form", "no archived segment matches 99999"),
    ],
)
def test_a_bad_download_says_why_beside_its_field(
    admin: httpx.Client, params: dict[str, str], field: str, message: str
) -> None:
    reply = admin.get("/admin/archive/download", params=params)
    assert reply.status_code == 400, reply.text
    assert reply.headers["content-type"].startswith("text/html")
    html = unescape(reply.text)
    if field == "form":
        assert re.search(r'<p class="error" role="alert">[^<]*' + re.escape(message), html), html
    else:
        beside = re.search(
            rf'<input id="d-{field}"[^>]*aria-invalid="true"|<select id="d-{field}"[^>]*aria-invalid="true"',
            html,
        )
        assert beside, html
        assert re.search(rf'<p class="field-error" id="e-{field}">[^<]*' + re.escape(message), html)


def test_a_bad_search_says_why_beside_its_field(admin: httpx.Client) -> None:
    reply = admin.get("/admin/archive", params={"search": "1", "from": "2024-05-01", "to": "2024-04-01"})
    assert reply.status_code == 400
    assert (
        '<p class="field-error" id="e-to">The end of the range must come after its start.</p>' in reply.text
    )
    assert 'id="archived-rows"' not in reply.text


def test_the_archive_is_for_admins_only(archived: Archived) -> None:
    artist = _client(archived.url, ARTIST, ARTIST_PASSWORD)
    try:
        for path in ("/admin/archive", "/admin/archive/download?segment=1", "/admin/archive?search=1"):
            reply = artist.get(path)
            assert reply.status_code == 403, (path, reply.text[:300])
            assert "permission set" in reply.text and "event-rows" not in reply.text
        assert 'href="/admin/archive"' not in artist.get("/admin").text
    finally:
        artist.close()


# -- in a browser ---------------------------------------------------------------------------------------

# the document, and any table's wrapper (a table may scroll inside its card instead)
_SIDEWAYS = """() => ({
  page: document.documentElement.scrollWidth,
  window: window.innerWidth,
  tables: [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length,
})"""


@pytest.fixture(params=[1280, 390], ids=["laptop", "phone"])
def tab(request: pytest.FixtureRequest, browser: Any, archived: Archived) -> Iterator[Any]:
    assert Path(CHROMIUM).exists()
    context = browser.new_context(base_url=archived.url, viewport={"width": request.param, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, start="/admin/archive")
    yield page
    context.close()


def test_download_and_search_in_a_browser(tab: Any, archived: Archived) -> None:
    page = tab
    assert page.url.endswith("/admin/archive")
    measured = page.evaluate(_SIDEWAYS)
    assert measured["page"] <= measured["window"] and not measured["tables"], measured
    month = next(iter(_months(archived.records)))
    row = page.locator("table.segments tr", has_text=month)
    with page.expect_download() as download:
        row.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith(f"archive-{month}-segment-")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(text))] == _months(archived.records)[month]

    page.get_by_label("Event type").fill("Shotgun_Shot_New")
    navigate(page, page.get_by_role("button", name="Search the archive").click)
    rows = page.locator("#archived-rows tr")
    expected = [r["id"] for r in archived.records if r["event_type"] == "Shotgun_Shot_New"]
    assert rows.count() == len(expected) > 0
    assert [int(rows.nth(i).get_attribute("data-id")) for i in range(rows.count())] == expected
    assert rows.first.get_by_text("archived").is_visible()
    measured = page.evaluate(_SIDEWAYS)
    assert measured["page"] <= measured["window"] and not measured["tables"], measured

    page.get_by_label("From (UTC)").first.fill("2024-02-30")
    navigate(page, page.get_by_role("button", name="Download", exact=True).click)
    assert page.locator("#e-from").is_visible()
    assert "Dates look like" in page.locator("#e-from").inner_text()


def test_the_event_log_says_where_its_live_window_begins(archived: Archived, admin: httpx.Client) -> None:
    html = admin.get("/events", params={"event_type": "Shotgun_Shot_Change"}).text
    note = html.split('id="live-window">', 1)[1].split("</p>", 1)[0]
    assert f"Live log: events from #{archived.floor}" in note and "(the last 183 days stay live)" in note
    link = re.search(r'href="(/admin/archive\?[^"]*)"', note)
    assert link and "search=1" in link.group(1) and "event_type=Shotgun_Shot_Change" in link.group(1)
    found = admin.get(link.group(1).replace("&amp;", "&"))
    changes = [r["id"] for r in archived.records if r["event_type"] == "Shotgun_Shot_Change"]
    assert _row_ids(found.text) == changes
    artist = _client(archived.url, ARTIST, ARTIST_PASSWORD)
    try:
        note = artist.get("/events").text.split('id="live-window">', 1)[1].split("</p>", 1)[0]
        assert "an admin finds them under Admin › Archived data" in note and "/admin/archive" not in note
    finally:
        artist.close()


def test_a_server_without_an_archive_says_so(server: Any) -> None:
    """The module-shared web server has no SHOTLOG_ARCHIVE_URL: the page says how to set one."""
    http = server.signed_in()
    page = http.get("/admin/archive")
    assert page.status_code == 200
    assert "No archive is configured on this server: set SHOTLOG_ARCHIVE_URL" in page.text
    assert "No segments yet" in page.text and 'id="live-window"' not in http.get("/events").text
    searched = http.get("/admin/archive", params={"search": "1"})
    assert searched.status_code == 200 and 'id="search-error"' in searched.text
    refused = http.get("/admin/archive/download", params={"from": "2024-01-01"})
    assert refused.status_code == 409
    assert "No archive is configured" in refused.text and 'id="archived-rows"' not in refused.text
