"""Inputs the OpenAPI document rules out are refused with a 400 naming them, and answers it
describes are as described: each a conformance failure schemathesis found (``test_fuzz.py``).

Integer parameters take ASCII digits only: ``int()`` also reads ``+5``, `` 5``, ``5_0`` and other
scripts' digits (``٣``), which the document's ``type: integer`` does not allow.
"""

from __future__ import annotations

import httpx
import pytest
from restkit import API, RestServer

NOT_IDS = ["+5", " 5", "5_0", "\u0663", "5.0", "9" * 5000]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_the_stream_refuses_ids_that_are_not_digits(api: httpx.Client, raw: str) -> None:
    reply = api.get(f"{API}/events/stream", params={"after_id": raw, "follow": "false"})
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["source"] == {"parameter": "after_id"}
    limited = api.get(f"{API}/events/stream", params={"limit": raw, "follow": "false"})
    assert limited.status_code == 400 and limited.json()["errors"][0]["source"] == {"parameter": "limit"}


def test_a_bad_last_event_id_is_refused_beside_after_id(api: httpx.Client) -> None:
    reply = api.get(
        f"{API}/events/stream", params={"after_id": "0", "follow": "false"}, headers={"Last-Event-ID": "x1"}
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["source"] == {"parameter": "Last-Event-ID"}
    # a good one beside after_id: after_id wins, and the backlog ends the answer
    fine = api.get(
        f"{API}/events/stream",
        params={"after_id": "0", "limit": "1", "follow": "false"},
        headers={"Last-Event-ID": "7"},
    )
    assert fine.status_code == 200 and fine.headers["content-type"].startswith("text/event-stream")
    assert "event: head" in fine.text


@pytest.mark.parametrize("raw", NOT_IDS)
def test_action_menu_items_refuse_project_ids_that_are_not_digits(api: httpx.Client, raw: str) -> None:
    reply = api.get(f"{API}/action_menu_items", params={"entity_type": "Shot", "project_id": raw})
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["source"] == {"parameter": "project_id"}
    assert (
        api.get(f"{API}/action_menu_items", params={"entity_type": "Shot", "project_id": "5"}).status_code
        == 200
    )


@pytest.mark.parametrize("raw", ["\u0663", "+5", "9" * 25])
def test_webhook_pages_and_entity_ids_take_ascii_digits(api: httpx.Client, raw: str) -> None:
    hooks = api.get(f"{API}/webhook/hooks", params={"page[number]": raw})
    assert hooks.status_code == 400 and "page[number]" in hooks.json()["errors"][0]["source"], hooks.text
    deliveries = api.get(
        f"{API}/webhook/hooks/00000000-0000-4000-8000-000000000000/deliveries", params={"entity_id": raw}
    )
    assert deliveries.status_code == 400, deliveries.text
    assert "entity_id" in deliveries.json()["errors"][0]["source"]
    too_big = api.get(
        f"{API}/webhook/hooks/00000000-0000-4000-8000-000000000000/deliveries",
        params={"entity_id": str(2**63)},
    )
    assert too_big.status_code == 400 and "entity_id" in too_big.json()["errors"][0]["source"]


def test_a_form_without_its_boundary_is_a_400(api: httpx.Client) -> None:
    reply = api.post(
        f"{API}/action_menu_items/1/trigger",
        content=b'{"entity_type": "Shot"}',
        headers={"Content-Type": "multipart/form-data"},
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["source"] == {"parameter": "body"}
    assert "boundary" in reply.json()["errors"][0]["title"]


def test_a_script_named_twice_is_refused(api: httpx.Client, uniq: str) -> None:
    reply = api.post(f"{API}/scripts", json={"firstname": f"f-{uniq}", "name": f"n-{uniq}"})
    assert reply.status_code == 400, reply.text
    assert reply.json()["errors"][0]["source"] == {"field": "name"}
    names = [s["name"] for s in api.get(f"{API}/scripts").json()["data"]]
    assert f"f-{uniq}" not in names and f"n-{uniq}" not in names


def test_the_streams_events_are_the_documents(rest: RestServer, api: httpx.Client) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    document = schemathesis.openapi.from_dict(rest.client().get(f"{API}/spec.json").json())
    api.post(f"{API}/entity/projects", json={"name": "streamed"})
    reply = api.get(f"{API}/events/stream", params={"limit": "3", "follow": "false"})
    assert reply.status_code == 200 and reply.text.count("event: event") == 3
    document.find_operation_by_id("streamEvents").validate_response(reply)
