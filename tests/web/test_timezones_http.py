"""A person's time zone over HTTP: it changes the times pages show and what a typed date means.

Each test signs in a person of its own, so no other test of the shared server sees their zone.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import shotgun_api3
from webkit import WebServer, csrf_of

PASSWORD = "time zones 1"


def person(server: WebServer, sg: shotgun_api3.Shotgun) -> httpx.Client:
    login = f"tz{uuid.uuid4().hex[:8]}"
    sg.create(
        "HumanUser", {"login": login, "firstname": "Tia", "lastname": "Zone", "password_proxy": PASSWORD}
    )
    return server.signed_in(login, PASSWORD)


def choose(http: httpx.Client, zone: str) -> httpx.Response:
    token = csrf_of(http.get("/account").text)
    return http.post("/account/time-zone", data={"csrf": token, "time_zone": zone})


def shot_event(sg: shotgun_api3.Shotgun, project: dict[str, Any]) -> tuple[int, dt.datetime]:
    """A new Shot's creation event: its id and time (aware UTC)."""
    shot = sg.create("Shot", {"code": "tz010", "project": project})
    event = sg.find_one(
        "EventLogEntry",
        [["entity", "is", {"type": "Shot", "id": shot["id"]}], ["event_type", "is", "Shotgun_Shot_New"]],
        ["created_at"],
    )
    return event["id"], event["created_at"].astimezone(dt.UTC)


def time_element(html: str) -> re.Match[str]:
    found = re.search(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', html)
    assert found, "no time on the page"
    return found


def test_a_chosen_zone_changes_every_time_shown(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    event_id, when = shot_event(sg, project)
    http = person(server, sg)
    utc_text = f"{when:%Y-%m-%d %H:%M:%S} UTC"
    shown = time_element(http.get(f"/events/{event_id}").text)
    assert shown.group(3) == utc_text  # no choice, no browser cookie: UTC, and it says so

    # the browser's zone, as app.js reports it in a cookie, applies while none is chosen
    http.cookies.set("shotlog_tz", "America/New_York")
    ny = when.astimezone(ZoneInfo("America/New_York"))
    shown = time_element(http.get(f"/events/{event_id}").text)
    assert shown.group(3) == f"{ny:%Y-%m-%d %H:%M:%S} E{'D' if ny.dst() else 'S'}T"

    assert choose(http, "Asia/Kathmandu").status_code == 303
    local = when.astimezone(ZoneInfo("Asia/Kathmandu"))
    for path in (f"/events/{event_id}", f"/events?project={project['id']}"):
        shown = time_element(http.get(path).text)  # the chosen zone beats the browser's
        assert shown.group(3) == f"{local:%Y-%m-%d %H:%M:%S} UTC+05:45"
        assert shown.group(2) == utc_text and shown.group(1) == f"{when:%Y-%m-%dT%H:%M:%S}Z"
    account = http.get("/account").text
    assert "<option selected>Asia/Kathmandu</option>" in account and "you chose it" in account

    # back to the browser's zone
    assert choose(http, "").status_code == 303
    assert "E" in time_element(http.get(f"/events/{event_id}").text).group(3)[-3:]


def test_a_typed_date_means_that_day_in_the_readers_zone(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any]
) -> None:
    event_id, when = shot_event(sg, project)
    # a zone where the event's local date is not its UTC date, whatever the hour of the run
    zone = "Pacific/Kiritimati" if when.hour >= 10 else "Pacific/Pago_Pago"  # UTC+14 / UTC-11
    local_day = when.astimezone(ZoneInfo(zone)).date()
    assert local_day != when.date()
    row = f'data-id="{event_id}"'

    http = person(server, sg)
    assert choose(http, zone).status_code == 303
    for day, matches in ((local_day, True), (when.date(), False)):
        page = http.get("/events", params={"project": project["id"], "from": str(day), "to": str(day)})
        assert page.status_code == 200
        assert f'<label for="f-from">From ({zone})</label>' in page.text
        assert 'type="date" value="' + str(day) + '"' in page.text  # a date picker, refilled
        assert (row in page.text) is matches, (day, zone)

    utc_reader = person(server, sg)  # no zone: the same dates mean UTC days
    for day, matches in ((when.date(), True), (local_day, False)):
        page = utc_reader.get("/events", params={"project": project["id"], "from": str(day), "to": str(day)})
        assert "From (UTC)" in page.text
        assert (row in page.text) is matches, (day, "UTC")

    # a date and time typed into To is that minute in the zone; the picker becomes date and time
    minute = when.astimezone(ZoneInfo(zone)).replace(second=0, tzinfo=None) + dt.timedelta(minutes=1)
    typed = f"{minute:%Y-%m-%dT%H:%M}"
    page = http.get("/events", params={"project": project["id"], "to": typed})
    assert row in page.text and f'type="datetime-local" value="{typed}"' in page.text


def test_a_zone_that_does_not_exist_is_refused_beside_its_field(
    server: WebServer, sg: shotgun_api3.Shotgun
) -> None:
    http = person(server, sg)
    refused = choose(http, "Europe/Atlantis")
    assert refused.status_code == 400
    assert (
        '<p class="field-error" id="e-time_zone">&#39;Europe/Atlantis&#39; is not a time zone name'
        in refused.text
    )
    bad_date = http.get("/events", params={"from": "29/03/2026"})
    assert bad_date.status_code == 400
    assert "Dates look like 2026-11-27 or 2026-11-27T14:30 (UTC), got &#39;29/03/2026&#39;." in bad_date.text
    assert 'id="f-from" name="from" type="text" value="29/03/2026"' in bad_date.text  # kept to correct
    no_csrf = http.post("/account/time-zone", data={"time_zone": "Europe/Paris"})
    assert no_csrf.status_code == 403
    # neither changed anything
    assert '<option value="" selected>' in http.get("/account").text


def test_a_webhooks_replay_and_delivery_filter_read_dates_in_the_readers_zone(
    server: WebServer, sg: shotgun_api3.Shotgun, project: dict[str, Any], receiver: Any
) -> None:
    login = f"tzm{uuid.uuid4().hex[:8]}"
    sg.create(
        "HumanUser",
        {
            "login": login,
            "firstname": "Max",
            "lastname": "Zone",
            "password_proxy": PASSWORD,
            "permission_rule_set": "Manager",
        },
    )
    http = server.signed_in(login, PASSWORD)
    _, when = shot_event(sg, project)
    zone = "Pacific/Kiritimati" if when.hour >= 10 else "Pacific/Pago_Pago"
    local_day, utc_day = str(when.astimezone(ZoneInfo(zone)).date()), str(when.date())
    assert choose(http, zone).status_code == 303
    form = {
        "csrf": csrf_of(http.get("/webhooks/new").text),
        "name": f"tz-{uuid.uuid4().hex[:6]}",
        "url": receiver.url,
        "kind": "entity",
        "entity_type": "Shot",
        "action_create": "on",
        "projects": str(project["id"]),
        "timeout": "6",
        "max_concurrency": "10",
    }
    created = http.post("/webhooks/new", data=form)
    assert created.status_code == 303, created.text
    hook = created.headers["location"]
    page = http.get(hook).text
    for label in ("Since", "Until"):
        assert f">{label} ({zone})</label>" in page
    token = csrf_of(page)
    # the UTC day is not that day in the reader's zone: none of this project's events are in it
    for day, queued in ((utc_day, "Replay queued 0 deliveries."), (local_day, "Replay queued 1 delivery.")):
        reply = http.post(f"{hook}/replay", data={"csrf": token, "replay_since": day, "replay_until": day})
        assert reply.status_code == 303, reply.text
        assert queued in http.get(reply.headers["location"]).text
    listed = http.get(hook, params={"since": local_day, "until": local_day})
    assert listed.status_code == 200 and f'type="date" value="{local_day}"' in listed.text
    refused = http.get(hook, params={"since": "31/12/2026"})
    assert f"({zone}), got &#39;31/12/2026&#39;." in refused.text
