"""A thumbnail uploaded with the official client reaches webhooks like any other event (issue 14).

A real ``shotlog serve`` (its built-in worker delivering), hooks created over FPTR's REST endpoints,
a real receiver on 127.0.0.1, and ``shotgun_api3``'s own ``upload_thumbnail``: the receiver gets
FPTR's pair of ``image`` changes (``is_transient`` true, then false, values being the Attachment's
id) and the Attachment's creation.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shotgun_api3
from PIL import Image
from receivers import Receiver
from restserver import bearer_client, rest_server
from webhookkit import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "rest"))
from restkit import SCRIPT_KEY, SCRIPT_NAME

W = "/api/v1/webhook"
TOKEN = "s3cret"

# shotgun_api3 leaves files it opened to the garbage collector (see tests/server/test_api3_files.py)
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def site(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, httpx.Client]]:
    """The server's URL and a REST client signed in as the tests' script."""
    fast = {"SHOTLOG_WEBHOOKS_RETRY_SCALE": "0.0005", "SHOTLOG_WEBHOOKS_POLL_INTERVAL": "0.02"}
    with (
        rest_server(template, tmp_path_factory.mktemp("webhook_files"), fast) as url,
        bearer_client(url) as api,
    ):
        yield url, api


@pytest.fixture
def api(site: tuple[str, httpx.Client]) -> httpx.Client:
    return site[1]


@pytest.fixture
def client(site: tuple[str, httpx.Client]) -> Iterator[shotgun_api3.Shotgun]:
    sg = shotgun_api3.Shotgun(site[0], script_name=SCRIPT_NAME, api_key=SCRIPT_KEY)
    yield sg
    sg.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(token=TOKEN).start()
    yield r
    r.stop()


def _hook(api: httpx.Client, receiver: Receiver, **subscription: Any) -> str:
    reply = api.post(f"{W}/hooks", json={"url": receiver.url, "token": TOKEN, **subscription})
    assert reply.status_code == 201, reply.text
    return str(reply.json()["data"]["id"])


def _for(receiver: Receiver, hook_id: str) -> list[dict[str, Any]]:
    """The events delivered for one hook, in arrival order (several hooks share the receiver)."""
    return [
        item
        for request in list(receiver.requests)
        if request.header("X-SG-WEBHOOK-ID") == hook_id
        for item in [request.body["data"]]
        if item["event_type"] not in ("Webhook_Status_Change", "Test_Connection")
    ]


def _delivered(api: httpx.Client, hook_id: str) -> list[dict[str, Any]]:
    reply = api.get(f"{W}/hooks/{hook_id}/deliveries", params={"page[size]": 100})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["data"])


def test_a_thumbnail_upload_is_delivered_as_fptrs_pair_of_image_changes(
    api: httpx.Client, client: shotgun_api3.Shotgun, receiver: Receiver, tmp_path: Path
) -> None:
    project = client.create("Project", {"name": "webhook thumbnails"})
    shot = client.create("Shot", {"code": "sh010", "project": project})
    # FPTR's way of subscribing (entity lifecycle, one field), concurrent deliveries as by default
    image_hook = _hook(api, receiver, entity_types={"Shot": {"update": ["image"]}})
    # the event type by name, one request at a time: arrival order is event-log order
    ordered_hook = _hook(api, receiver, event_type="Shotgun_Shot_Change", ordered=True)
    new_hook = _hook(api, receiver, entity_types={"Attachment": {"create": []}})
    picture = tmp_path / "sh010.png"
    Image.new("RGB", (640, 360), (200, 40, 30)).save(picture)

    att_id = client.upload_thumbnail("Shot", shot["id"], str(picture))

    # a later change of the shot: once the ordered hook delivered it, everything before it is in
    client.update("Shot", shot["id"], {"description": "after the thumbnail"})
    wait_until(
        lambda: [i["attribute_name"] for i in _for(receiver, ordered_hook)][-1:] == ["description"],
        timeout=30,
        what=f"the ordered hook's last delivery (got {_for(receiver, ordered_hook)})",
    )
    ordered = [i for i in _for(receiver, ordered_hook) if i["attribute_name"] == "image"]
    metas = [{k: i["meta"][k] for k in ("old_value", "new_value", "is_transient")} for i in ordered]
    assert metas == [
        {"old_value": None, "new_value": att_id, "is_transient": True},
        {"old_value": att_id, "new_value": att_id, "is_transient": False},
    ]
    ids = [i["event_log_entry_id"] for i in ordered]
    assert ids == sorted(ids) and len(set(ids)) == 2
    for item in ordered:
        assert item["operation"] == "update"
        assert item["entity"] == {"type": "Shot", "id": shot["id"]}
        assert item["project"] == {"type": "Project", "id": project["id"]}
        assert item["meta"]["type"] == "attribute_change"
        assert item["meta"]["field_data_type"] == "image"
        assert (item["meta"]["entity_type"], item["meta"]["entity_id"]) == ("Shot", shot["id"])

    # the field subscription: the same two events, each delivered once
    wait_until(
        lambda: (
            len(_delivered(api, image_hook)) == 2
            and all(d["status"] == "delivered" for d in _delivered(api, image_hook))
        ),
        timeout=30,
        what=f"two deliveries of the image hook (log: {_delivered(api, image_hook)})",
    )
    by_field = sorted(_for(receiver, image_hook), key=lambda i: i["event_log_entry_id"])
    assert [(i["event_log_entry_id"], i["meta"]) for i in by_field] == [
        (i["event_log_entry_id"], i["meta"]) for i in ordered
    ]

    wait_until(lambda: _for(receiver, new_hook), timeout=30, what="the Attachment_New delivery")
    (created,) = _for(receiver, new_hook)
    assert created["event_type"] == "Shotgun_Attachment_New"
    assert created["operation"] == "create"
    assert created["entity"] == {"type": "Attachment", "id": att_id}
    assert created["event_log_entry_id"] < ids[0]  # the Attachment exists before the image names it
    assert all(r.signature_ok for r in receiver.requests)
