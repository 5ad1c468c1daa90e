"""``api3.head.leading_auth``: the credentials of a large api3 body, read from its head alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shotgun_api3

from shotlog.server.api3.head import leading_auth

AUTH = {"script_name": "farm", "script_key": "k3y"}


def test_the_official_client_puts_its_credentials_at_the_head() -> None:
    """What shotgun_api3 itself sends (its own payload builder and encoder), cut after 300 bytes."""
    sg = shotgun_api3.Shotgun("https://site.example", login="jane", password="pw ünï", connect=False)
    filters = [["code", "in", ["a"] * 100_000]]
    body = sg._encode_payload(sg._build_payload("find", {"type": "Shot", "filters": filters}))
    assert leading_auth(body[:300]) == {"user_login": "jane", "user_password": "pw ünï"}


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"method_name": "read", "params": [' + json.dumps(AUTH).encode() + b", [", AUTH),
        (b'  {\n "params" :[ {"session_token": "t"} , {"x": ', {"session_token": "t"}),
        # keys before params are skipped whatever they hold, when they end within the head
        (b'{"a": {"b": [1, 2]}, "method_name": "read", "params": [{}, ', {}),
        # a character cut in two at the end of the head is left for later, not refused
        (b'{"params": [{"user_login": "j\xc3\xa9"}, ["\xc3', {"user_login": "jé"}),
    ],
)
def test_found(head: bytes, expected: dict[str, Any]) -> None:
    assert leading_auth(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b'["params", {"script_name": "x"}]', id="not an object"),
        pytest.param(b'{"method_name": "read", "params": ["a", "a", ', id="params[0] not an object"),
        pytest.param(b'{"params": {"script_name": "x"}}', id="params not a list"),
        pytest.param(b'{"params": [], "x": 1}', id="no params[0]"),
        pytest.param(b'{"method_name": "read"}', id="no params"),
        pytest.param(b'{"method_name": "' + b"x" * 1000, id="a key's value beyond the head"),
        pytest.param(b'{"params": [{"script_name": "x", "script_key": "y', id="params[0] beyond the head"),
        pytest.param(b'{"params": [{"script_name": "\xff"}]}', id="not UTF-8"),
        pytest.param(b'{"method_name" "read", "params": [{}]}', id="not JSON"),
        pytest.param(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b', "params": [{}]}', id="nested deep"),
    ],
)
def test_not_found(head: bytes) -> None:
    assert leading_auth(head) is None
