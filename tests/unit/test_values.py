"""values.coerce and friends, per data type: what is accepted, its storage form, and what is refused."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from shotlog.errors import ValidationError
from shotlog.schema.model import Field
from shotlog.values import (
    TAG_MAX,
    TAGS_MAX,
    Thumbnail,
    ValueLimits,
    coerce,
    coerce_link,
    coerce_links,
    format_meta_value,
    from_storage,
    meta_datetime,
    to_storage_datetime,
)

UTC = dt.UTC
PLUS2 = dt.timezone(dt.timedelta(hours=2))


def fld(data_type: str, **extra: Any) -> Field:
    return Field(entity_type="Shot", name="sg_field", data_type=data_type, display_name="Field", **extra)


STATUS = fld("status_list", valid_values=("wtg", "ip", "fin"))
LISTF = fld("list", valid_values=("Action", "VFX"))


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        (fld("text"), "hello", "hello"),
        (fld("text"), "", ""),
        (fld("text"), "ünïcødé ✓", "ünïcødé ✓"),
        (fld("text"), "a<b>&amp;", "a<b>&amp;"),  # stored verbatim, no HTML handling
        (fld("number"), 42, 42),
        (fld("number"), -(2**63), -(2**63)),
        (fld("number"), 2**63 - 1, 2**63 - 1),
        (fld("number"), 7.0, 7),  # JSON clients send integral floats
        (fld("percent"), 50, 50),
        (fld("duration"), 480, 480),
        (fld("timecode"), 1000, 1000),
        (fld("float"), 1.5, 1.5),
        (fld("float"), 2, 2.0),
        (fld("currency"), 9.99, 9.99),
        (fld("checkbox"), True, True),
        (fld("checkbox"), False, False),
        (fld("checkbox"), None, False),  # checkboxes are never null
        (fld("date"), "2024-02-29", dt.date(2024, 2, 29)),
        (fld("date"), dt.date(2024, 1, 2), dt.date(2024, 1, 2)),
        (fld("date_time"), "2024-01-02T03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5)),
        (fld("date_time"), dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=PLUS2), dt.datetime(2024, 1, 2, 3, 4, 5)),
        (
            fld("date_time"),
            dt.datetime(2024, 1, 2, 3, 4, 5, 999999, tzinfo=UTC),
            dt.datetime(2024, 1, 2, 3, 4, 5),
        ),
        (fld("date_time"), "2024-01-02T05:04:05+02:00", dt.datetime(2024, 1, 2, 3, 4, 5)),
        (STATUS, "ip", "ip"),
        (LISTF, "VFX", "VFX"),
        (fld("list"), "anything", "anything"),  # no valid values declared: free text
        (fld("color"), "222,0,0", "222,0,0"),
        (fld("color"), "pipeline_step", "pipeline_step"),
        (fld("color"), "Black", "Black"),
        (fld("uuid"), "d8aa7698-3d25-11eb-a9d3-0242ac110002", "d8aa7698-3d25-11eb-a9d3-0242ac110002"),
        (fld("entity_type"), "Shot", "Shot"),
        (fld("serializable"), {"a": [1, 2.5, None, True, "x"]}, {"a": [1, 2.5, None, True, "x"]}),
        (fld("serializable"), [1, 2], [1, 2]),
        (
            fld("url"),
            "https://example.com/a.mov",
            {"url": "https://example.com/a.mov", "name": "https://example.com/a.mov", "link_type": "web"},
        ),
        (
            fld("url"),
            {"url": "https://x", "name": "x", "link_type": "web"},
            {"url": "https://x", "name": "x", "link_type": "web"},
        ),
        (fld("tag_list"), ["a", "b", "a"], ["a", "b"]),  # duplicates dropped, order kept
        (fld("tag_list"), ("x",), ["x"]),
        (fld("tag_list"), None, []),
        (fld("tag_list"), ["t" * TAG_MAX], ["t" * TAG_MAX]),
        (fld("text"), None, None),
        (fld("number"), None, None),
        (fld("date"), None, None),
        (fld("date_time"), None, None),
        (STATUS, None, None),
    ],
    ids=lambda v: v.data_type if isinstance(v, Field) else repr(v)[:40],
)
def test_coerce_accepts(field: Field, value: Any, stored: Any) -> None:
    result = coerce(field, value)
    assert result == stored
    assert type(result) is type(stored)


@pytest.mark.parametrize(
    ("field", "value", "expects"),
    [
        (fld("text"), 5, "a string"),
        (fld("text"), b"bytes", "a string"),
        (fld("text"), ["a"], "a string"),
        (fld("text"), "a\x00b", "without NUL"),
        (fld("text"), "a\ud800b", "unpaired surrogates"),
        (fld("number"), "10", "an integer"),
        (fld("number"), 1.5, "an integer"),
        (fld("number"), True, "an integer"),
        (fld("number"), float("nan"), "an integer"),
        (fld("number"), float("inf"), "an integer"),
        (fld("number"), 2**63, "fits in 64 bits"),
        (fld("number"), -(2**63) - 1, "fits in 64 bits"),
        (fld("number"), 1e20, "fits in 64 bits"),  # integral float beyond BIGINT
        (fld("duration"), "1h", "an integer"),
        (fld("float"), "1.5", "a number"),
        (fld("float"), False, "a number"),
        (fld("float"), float("nan"), "a finite number"),
        (fld("float"), float("-inf"), "a finite number"),
        (fld("float"), 10**400, "a finite number"),  # int too large for a double
        (fld("checkbox"), 1, "true or false"),
        (fld("checkbox"), "true", "true or false"),
        (fld("date"), "2024-13-01", "a date"),
        (fld("date"), "2024-1-2", "a date"),
        (fld("date"), "yesterday", "a date"),
        (fld("date"), 20240102, "a date"),
        (fld("date"), dt.datetime(2024, 1, 2), "not a datetime"),
        (fld("date_time"), "noon", "a datetime"),
        (fld("date_time"), dt.date(2024, 1, 2), "a datetime"),
        (fld("date_time"), 1700000000, "a datetime"),
        (fld("date_time"), dt.datetime(1, 1, 1, tzinfo=PLUS2), "between years 1 and 9999"),
        (STATUS, "bogus", "not a valid value"),
        (STATUS, 3, "a string"),
        (LISTF, "Nope", "not a valid value"),
        (fld("color"), "300,0,0", "from 0 to 255"),
        (fld("color"), "red!", 'color "R,G,B"'),
        (fld("color"), "1,2", 'color "R,G,B"'),
        (fld("uuid"), "not-a-uuid", "a UUID"),
        (fld("serializable"), {1, 2}, "JSON-serializable"),
        (fld("serializable"), {"x": float("nan")}, "JSON-serializable"),
        (fld("serializable"), {"x": "a\x00"}, "NUL"),
        (fld("serializable"), {"a\x00": 1}, "NUL"),
        (fld("serializable"), [["a\ud800"]], "surrogates"),
        (fld("url"), 5, "a link dict"),
        (fld("tag_list"), "a", "a list of tag names"),
        (fld("tag_list"), [1], "a list of tag names"),
        (fld("tag_list"), [""], "tag names of 1 to 255"),
        (fld("tag_list"), ["t" * (TAG_MAX + 1)], "tag names of 1 to 255"),
        (fld("tag_list"), ["a\x00"], "tag names of 1 to 255"),
        (fld("multi_entity", valid_types=("Asset",)), [], "a storable type"),
    ],
    ids=lambda v: v.data_type if isinstance(v, Field) else repr(v)[:40],
)
def test_coerce_refuses_with_a_message_naming_field_and_value(field: Field, value: Any, expects: str) -> None:
    with pytest.raises(ValidationError) as info:
        coerce(field, value)
    err = info.value
    assert expects in err.message
    assert err.message.startswith("Shot.sg_field")
    assert repr(value)[:40] in err.message
    assert err.details["entity_type"] == "Shot"
    assert err.details["field"] == "sg_field"
    value_detail = err.details["value"]
    assert (
        value_detail is value
        or value_detail == value
        or (isinstance(value, float) and math.isnan(value) and math.isnan(value_detail))
    )


ENTITY = fld("entity", valid_types=("Sequence", "Episode"))
ANY = fld("entity", valid_types=("*",))


def test_coerce_link_returns_type_and_id_and_ignores_extra_keys() -> None:
    assert coerce_link(ENTITY, {"type": "Sequence", "id": 3, "name": "sq", "url": "x"}) == ("Sequence", 3)
    assert coerce_link(ANY, {"type": "Whatever", "id": 1}) == ("Whatever", 1)
    assert coerce_link(fld("entity"), {"type": "Shot", "id": 1}) == ("Shot", 1)  # no valid types: any


@pytest.mark.parametrize(
    ("value", "expects"),
    [
        (5, "an entity link"),
        ({"type": "Sequence"}, "an entity link"),
        ({"id": 3}, "an entity link"),
        ({"type": "Sequence", "id": "3"}, "integer id"),
        ({"type": "Sequence", "id": True}, "integer id"),
        ({"type": "Sequence", "id": 2**64}, "fits in 64 bits"),
        ({"type": 5, "id": 3}, "string type"),
        ({"type": "Shot", "id": 3}, "cannot link to Shot 3; valid types are Sequence, Episode"),
    ],
    ids=repr,
)
def test_coerce_link_refuses(value: Any, expects: str) -> None:
    with pytest.raises(ValidationError) as info:
        coerce_link(ENTITY, value)
    assert expects in info.value.message
    assert info.value.message.startswith("Shot.sg_field")
    assert info.value.details["field"] == "sg_field"


def test_coerce_links_keeps_order_drops_duplicates_and_accepts_a_single_link() -> None:
    multi = fld("multi_entity", valid_types=("Asset",))
    a1, a2 = {"type": "Asset", "id": 1}, {"type": "Asset", "id": 2}
    assert coerce_links(multi, [a2, a1, a2]) == [("Asset", 2), ("Asset", 1)]
    assert coerce_links(multi, (a1,)) == [("Asset", 1)]
    assert coerce_links(multi, a1) == [("Asset", 1)]
    assert coerce_links(multi, None) == []
    assert coerce_links(multi, []) == []
    with pytest.raises(ValidationError, match="expects a list of entity links, got 'x'"):
        coerce_links(multi, "x")
    with pytest.raises(ValidationError, match="cannot link to Shot 9"):
        coerce_links(multi, [a1, {"type": "Shot", "id": 9}])


def test_to_storage_datetime_treats_naive_values_as_local_time() -> None:
    naive = dt.datetime(2024, 6, 1, 12, 0, 0)
    expected = naive.astimezone().astimezone(UTC).replace(tzinfo=None)
    assert to_storage_datetime(naive) == expected
    assert to_storage_datetime("2024-06-01T12:00:00Z") == dt.datetime(2024, 6, 1, 12, 0, 0)
    with pytest.raises(ValidationError, match="Not a datetime: 'x'"):
        to_storage_datetime("x")
    with pytest.raises(ValidationError, match="Not a datetime: 5"):
        to_storage_datetime(5)


@pytest.mark.parametrize(
    ("field", "stored", "read"),
    [
        (fld("checkbox"), None, False),
        (fld("checkbox"), 1, True),
        (fld("date_time"), dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (fld("date"), dt.date(2024, 1, 2), "2024-01-02"),
        (fld("password"), "$argon2id$...", None),
        (fld("number"), 5, 5),
        (fld("text"), None, None),
    ],
    ids=lambda v: v.data_type if isinstance(v, Field) else repr(v)[:40],
)
def test_from_storage(field: Field, stored: Any, read: Any) -> None:
    assert from_storage(field, stored) == read


@pytest.mark.parametrize(
    ("field", "stored", "meta"),
    [
        (fld("date_time"), dt.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02 03:04:05 UTC"),
        (fld("date"), dt.date(2024, 1, 2), "2024-01-02"),
        (fld("float"), 1.5, 1.5),
        (fld("checkbox"), False, False),
        (fld("duration"), 60, 60),
        (fld("password"), "$argon2id$...", None),
        (fld("serializable"), {"a": 1}, {"a": 1}),
        (fld("text"), None, None),
    ],
    ids=lambda v: v.data_type if isinstance(v, Field) else repr(v)[:40],
)
def test_format_meta_value(field: Field, stored: Any, meta: Any) -> None:
    assert format_meta_value(field, stored) == meta


def test_meta_datetime_is_the_event_log_timestamp_format() -> None:
    assert meta_datetime(dt.datetime(2015, 7, 13, 21, 54, 1)) == "2015-07-13 21:54:01 UTC"


def test_an_image_field_takes_only_the_thumbnails_shotlog_makes() -> None:
    image = fld("image")
    assert coerce(image, None) is None
    assert coerce(image, Thumbnail(12, pending=True)) == "12:pending"
    assert coerce(image, Thumbnail(12)) == "12"
    for written in ("https://example.com/a.jpg", "12", {"id": 12}):
        refusal = r"\(image\): a thumbnail is set by uploading an image"
        with pytest.raises(ValidationError, match=refusal) as e:
            coerce(image, written)
        assert e.value.details["field"] == image.name
    # an event shows the Attachment's id, transient or not; a value of another site as it is
    assert format_meta_value(image, "12:pending") == format_meta_value(image, "12") == 12
    assert format_meta_value(image, "https://fptr/thumb.jpg") == "https://fptr/thumb.jpg"
    assert Thumbnail.parse("12:pending") == Thumbnail(12, pending=True)
    assert Thumbnail.parse("12:later") is None and Thumbnail.parse(None) is None


# -- value limits -------------------------------------------------------------------------------------

SMALL = ValueLimits(text=10, json=40)


@pytest.mark.parametrize(
    ("field", "longest"),
    [
        (fld("text"), 10),
        (fld("calculated"), 10),
        (fld("list"), 255),  # a list that declares no values
        (fld("status_list"), 255),
        (fld("color"), 64),
        (fld("footage"), 64),
        (fld("entity_type"), 255),
        (fld("password"), 1_024),
    ],
)
def test_text_values_are_limited_per_data_type(field: Field, longest: int) -> None:
    assert SMALL.max_length(field) == longest
    if field.data_type not in ("color", "entity_type"):  # their shapes are checked besides
        assert coerce(field, "a" * longest, SMALL) == "a" * longest
    with pytest.raises(ValidationError) as err:
        coerce(field, "a" * (longest + 1), SMALL)
    message = str(err.value)
    assert (
        f"Shot.sg_field ({field.data_type}) is limited to {longest:,} characters, got {longest + 1:,}"
        in message
    )
    assert err.value.details["field"] == "sg_field" and err.value.details["limit"] == longest
    assert len(message) < 200  # the value is quoted by its start only


def test_declared_list_values_are_accepted_however_long() -> None:
    long_value = "v" * 300
    field = fld("list", valid_values=(long_value, "short"))
    assert coerce(field, long_value) == long_value
    with pytest.raises(ValidationError, match="limited to 255 characters"):
        coerce(field, "w" * 300)


def test_json_values_are_limited_by_their_json_text() -> None:
    meta = fld("serializable")
    assert coerce(meta, {"k": "é" * 30}, SMALL) == {"k": "é" * 30}  # 38 characters of compact JSON
    with pytest.raises(ValidationError) as err:
        coerce(meta, {"k": "é" * 40}, SMALL)
    assert "Shot.sg_field (serializable) is limited to 40 characters of JSON, got 48" in str(err.value)
    url = fld("url")
    assert SMALL.max_length(url) == 32_768
    assert coerce(url, {"url": "https://x.example/" + "a" * 16_000})["link_type"] == "web"
    with pytest.raises(
        ValidationError, match=r"Shot.sg_field \(url\) is limited to 32,768 characters of JSON"
    ):
        coerce(url, "https://x.example/" + "a" * 17_000)  # stored as url and name: twice the text


def test_the_default_limits_and_their_settings() -> None:
    assert ValueLimits() == ValueLimits.from_env({}) == ValueLimits(65_536, 1_048_576)
    assert coerce(fld("text"), "x" * 65_536, ValueLimits()) == "x" * 65_536
    with pytest.raises(ValidationError, match="limited to 65,536 characters, got 52,428,800"):
        coerce(fld("text"), "x" * 52_428_800, ValueLimits())
    raised = ValueLimits.from_env({"SHOTLOG_MAX_TEXT_LENGTH": "1000000", "SHOTLOG_MAX_JSON_LENGTH": " 5 "})
    assert raised == ValueLimits(1_000_000, 5)
    assert coerce(fld("text"), "x" * 100_000, raised) == "x" * 100_000
    for bad in ("0", "-5", "lots", "1e6"):
        with pytest.raises(ValueError, match="SHOTLOG_MAX_TEXT_LENGTH must be a positive number"):
            ValueLimits.from_env({"SHOTLOG_MAX_TEXT_LENGTH": bad})
    # numbers, dates and links are bounded by their kind
    assert ValueLimits().max_length(fld("number")) is None
    assert ValueLimits().max_length(fld("date_time")) is None


def test_a_tag_list_holds_at_most_a_thousand_tags() -> None:
    tags = [f"t{i}" for i in range(TAGS_MAX)]
    assert coerce(fld("tag_list"), tags) == tags
    with pytest.raises(
        ValidationError, match=r"Shot.sg_field \(tag_list\) is limited to 1,000 tags, got 1,001"
    ):
        coerce(fld("tag_list"), [*tags, "one more"])
