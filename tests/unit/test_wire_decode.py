"""Decoding api3 request bodies: the orjson path, the checked path and the yielding path of large
bodies (``decode(yielding=True)``) accept and refuse alike."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shotlog.server.api3.wire import MAX_DEPTH, ProtocolError, check_payload, decode


def checked(body: bytes) -> Any:
    """What the checked path alone makes of ``body``: the payload, or the refusal's message."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "refused"
    try:
        check_payload(payload)
    except ProtocolError:
        return "refused"
    return payload


def decoded(body: bytes, yielding: bool = False) -> Any:
    try:
        call = decode(body, yielding=yielding)
    except ProtocolError:
        return "refused"
    return call.args


def request(args: Any) -> bytes:
    return json.dumps({"method_name": "read", "params": [{"script_name": "s"}, args]}).encode()


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"id": 2**63}, "does not fit in 64 bits"),  # orjson would read it as an unsigned integer
        ({"id": 2**64}, "does not fit in 64 bits"),  # ... and this one as a float
        ({"id": -(2**63) - 1}, "does not fit in 64 bits"),
        ({"filters": nested(MAX_DEPTH + 1)}, "nested more than"),
    ],
)
@pytest.mark.parametrize("yielding", [False, True])
def test_what_the_fast_path_would_let_through_is_still_refused(
    args: Any, message: str, yielding: bool
) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode(request(args), yielding=yielding)


@pytest.mark.parametrize("yielding", [False, True])
def test_the_widest_integers_that_fit_and_the_deepest_nesting_allowed_pass(yielding: bool) -> None:
    for value in (2**63 - 1, -(2**63), 10**18):
        assert decode(request({"id": value}), yielding=yielding).args == {"id": value}
    deep = nested(MAX_DEPTH - 4)  # the envelope's own object and lists take the other levels
    assert decode(request({"filters": deep}), yielding=yielding).args == {"filters": deep}


@pytest.mark.parametrize(
    "body",
    [
        b'{"method_name": "read", "params": [{}, {"type": "\\ud800"}]}',  # escaped lone surrogate
        b'{"method_name": "read", "params": [{}, {"type": "\xed\xa0\x80"}]}',  # one as raw bytes
        b'{"method_name": "read", "params": [{}, {"\\udc00": 1}]}',  # in a key
        b'{"method_name": "read", "params": [{}, {"type": "Shot"}]',  # truncated
    ],
)
@pytest.mark.parametrize("yielding", [False, True])
def test_bad_text_and_bad_json_are_refused(body: bytes, yielding: bool) -> None:
    with pytest.raises(ProtocolError):
        decode(body, yielding=yielding)


@pytest.mark.parametrize("yielding", [False, True])
def test_what_only_the_standard_parser_accepts_is_still_accepted(yielding: bool) -> None:
    # NaN and a UTF-8 byte order mark: orjson refuses both, and requests were accepted with them
    call = decode(b'{"method_name": "read", "params": [{}, {"x": NaN}]}', yielding=yielding)
    assert math.isnan(call.args["x"])
    assert decode(b'\xef\xbb\xbf{"method_name": "info"}', yielding=yielding).method == "info"
    # and UTF-16, which json.loads detects
    assert decode('{"method_name": "info"}'.encode("utf-16"), yielding=yielding).method == "info"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**65), max_value=2**65)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_decode_agrees_with_the_checked_path(args: Any) -> None:
    body = request(args)
    expected = checked(body)
    for got in (decoded(body), decoded(body, yielding=True)):
        if expected == "refused":
            assert got == "refused"
        else:
            assert got == expected["params"][1]
