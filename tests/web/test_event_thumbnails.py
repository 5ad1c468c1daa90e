"""Which thumbnail an event line shows (``eventlist.event_thumbnail``, pure) and the URL it gets."""

from __future__ import annotations

from typing import Any

import pytest

from shotlog.files.links import PLACEHOLDER_PATH, FileLinks
from shotlog.values import Thumbnail
from shotlog.web.eventlist import add_thumbnails, event_thumbnail


def _change(field: str, data_type: str, new: Any) -> dict[str, Any]:
    meta = {"attribute_name": field, "field_data_type": data_type, "new_value": new}
    return {"image": None, "meta": meta}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"image": "12", "meta": None}, Thumbnail(12)),
        ({"image": "12:pending", "meta": None}, Thumbnail(12, pending=True)),
        ({"image": "https://mirror.example/t.jpg", "meta": None}, "https://mirror.example/t.jpg"),
        ({"image": "not a thumbnail", "meta": None}, None),
        (_change("image", "image", 7), Thumbnail(7)),
        (_change("image", "image", None), None),
        (_change("image", "image", True), None),
        (_change("filmstrip_image", "image", 7), None),
        (_change("code", "text", 7), None),
        ({"image": "3", **{"meta": _change("image", "image", 7)["meta"]}}, Thumbnail(3)),
        ({"meta": "not a dict"}, None),
    ],
)
def test_which_thumbnail_an_event_shows(event: dict[str, Any], expected: object) -> None:
    assert event_thumbnail(event) == expected


def test_rows_get_signed_urls_and_the_placeholder() -> None:
    links = FileLinks("", b"k" * 32, 60, 1_000)
    rows = [{"image": "5"}, {"image": "5:pending"}, _change("image", "image", 9), {"image": None}]
    add_thumbnails(rows, links)
    assert rows[0]["thumbnail"].startswith("/files/thumbnail/5/thumbnail?t=")
    assert rows[1]["thumbnail"] == PLACEHOLDER_PATH
    assert rows[2]["thumbnail"].startswith("/files/thumbnail/9/thumbnail?t=")
    assert rows[3]["thumbnail"] is None
    assert add_thumbnails([{"image": "5"}], None)[0]["thumbnail"] is None
