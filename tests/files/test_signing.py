"""Expiring URL tokens: good for one purpose, one subject and a time; anything else is False."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotlog.files.signing import new_secret, sign, verify

SECRET = b"k" * 32
NOW = 1_700_000_000


def test_a_token_verifies_until_it_expires() -> None:
    token = sign(SECRET, "download", "attachment/2024/05/abc.mov", NOW + 60)
    assert re.fullmatch(r"\d+\.[A-Za-z0-9_-]{43}", token)
    assert verify(SECRET, "download", "attachment/2024/05/abc.mov", token, NOW)
    assert verify(SECRET, "download", "attachment/2024/05/abc.mov", token, NOW + 60)
    assert not verify(SECRET, "download", "attachment/2024/05/abc.mov", token, NOW + 61)


def test_a_token_is_bound_to_its_secret_purpose_and_subject() -> None:
    token = sign(SECRET, "thumbnail", "Shot/12", NOW + 60)
    assert not verify(b"other" * 8, "thumbnail", "Shot/12", token, NOW)
    assert not verify(SECRET, "download", "Shot/12", token, NOW)
    assert not verify(SECRET, "thumbnail", "Shot/13", token, NOW)
    # the parts are length-prefixed: moving text between purpose and subject signs other bytes
    assert sign(SECRET, "ab", "c", NOW) != sign(SECRET, "a", "bc", NOW)


@pytest.mark.parametrize(
    "forged",
    ["", ".", "abc", "123", "123.", ".sig", "-5.x", "1e9.x", "٣.x", "99999999999999999.x", "0017.x"],
)
def test_malformed_tokens_are_false(forged: str) -> None:
    assert not verify(SECRET, "upload", "k", forged, NOW)


def test_a_later_expiry_cannot_be_written_into_a_token() -> None:
    token = sign(SECRET, "upload", "k", NOW + 10)
    signature = token.partition(".")[2]
    assert not verify(SECRET, "upload", "k", f"{NOW + 10_000}.{signature}", NOW + 100)
    padded = sign(SECRET, "upload", "k", 17).partition(".")[2]
    assert not verify(SECRET, "upload", "k", f"0017.{padded}", 0)


@given(
    st.text(max_size=50),
    st.text(max_size=200),
    st.integers(0, 10**12 - 1),
    st.binary(min_size=1, max_size=64),
)
def test_every_signed_token_verifies_and_any_change_breaks_it(
    purpose: str, subject: str, expires: int, secret: bytes
) -> None:
    token = sign(secret, purpose, subject, expires)
    assert verify(secret, purpose, subject, token, expires)
    assert not verify(secret, purpose, subject + "x", token, expires)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert not verify(secret, purpose, subject, flipped, expires)


def test_new_secrets_are_random_and_long() -> None:
    secrets = {new_secret() for _ in range(100)}
    assert len(secrets) == 100 and all(len(s) == 32 for s in secrets)


def test_an_expiry_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="expires"):
        sign(SECRET, "upload", "k", -1)
    with pytest.raises(ValueError, match="expires"):
        sign(SECRET, "upload", "k", 10**12)
