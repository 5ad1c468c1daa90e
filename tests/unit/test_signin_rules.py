"""The pure rules and the queueing policy behind sign-in hardening (shotlog issue 22).

``plausible`` (what is refused before hashing), ``redact`` (what the access log may show),
``link_ref`` (a follow argument's link) and ``PasswordChecks`` (how many Argon2 checks run, how
long the others wait). The end-to-end behaviour is in tests/server/test_signin_hardening.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from argon2 import PasswordHasher

from shotlog.access.passwords import MAX_LOGIN, MAX_PASSWORD, PasswordChecks, PasswordsBusy, plausible
from shotlog.errors import ValidationError
from shotlog.server.access_log import redact
from shotlog.store.follows import link_ref


@pytest.mark.parametrize(
    ("login", "password", "expected"),
    [
        ("ann", "secret", True),
        ("", "secret", False),
        ("ann", "", False),
        ("a" * MAX_LOGIN, "secret", True),
        ("a" * (MAX_LOGIN + 1), "secret", False),
        ("ann", "p" * MAX_PASSWORD, True),
        ("ann", "p" * (MAX_PASSWORD + 1), False),
    ],
)
def test_plausible(login: str, password: str, expected: bool) -> None:
    assert plausible(login, password) is expected


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("/api/v1/auth/access_token", "/api/v1/auth/access_token"),
        ("/api/v1/auth/access_token?grant_type=password&password=x", "/api/v1/auth/access_token?[redacted]"),
        ("/api/v1/auth/access_token/?a=1", "/api/v1/auth/access_token/?[redacted]"),
        ("/login?next=/events", "/login?[redacted]"),
        ("/api/v1/entity/shots?page%5Bsize%5D=2", "/api/v1/entity/shots?page%5Bsize%5D=2"),
        (
            "/api/v1/entity/shots?access_token=abc&page%5Bsize%5D=2",
            "/api/v1/entity/shots?access_token=[redacted]&page[size]=2",
        ),
        ("/x?API_KEY=1&user_password=2&b=3", "/x?API_KEY=[redacted]&user_password=[redacted]&b=3"),
        ("/events?", "/events?"),
    ],
)
def test_redact(target: str, logged: str) -> None:
    assert redact(target) == logged


@pytest.mark.parametrize(
    ("link", "ref"),
    [
        ({"type": "HumanUser", "id": 3}, ("HumanUser", 3)),
        ({"type": "Shot", "id": 0, "name": "x"}, ("Shot", 0)),
    ],
)
def test_link_ref_accepts_links(link: dict[str, object], ref: tuple[str, int]) -> None:
    assert link_ref(link, "user") == ref


@pytest.mark.parametrize(
    "link",
    [
        {"type": "HumanUser", "id": True},
        {"type": "HumanUser", "id": False},
        {"type": "HumanUser", "id": "3"},
        {"type": "HumanUser", "id": 3.0},
        {"type": "HumanUser"},
        {"type": "", "id": 3},
        {"id": 3},
        None,
        [("type", "HumanUser"), ("id", 3)],
    ],
)
def test_link_ref_refuses_and_names_the_parameter(link: object) -> None:
    with pytest.raises(ValidationError) as caught:
        link_ref(link, "user")
    assert caught.value.message.startswith("user must be an entity link")
    assert repr(link) in caught.value.message
    assert caught.value.details["parameter"] == "user"


class _Held(PasswordChecks):
    """Checks that run until the test releases them: the slots stay taken as long as it wants."""

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def _check(self, stored: str | None, password: str) -> bool:
        self.started.release()
        assert self.release.wait(30)
        return stored == password


def _hold_one(checks: _Held) -> threading.Thread:
    """A check that takes the only slot; returns once it is running."""

    def hold() -> None:
        # its caller may stop waiting (and be answered busy); the check itself runs on
        with contextlib.suppress(PasswordsBusy):
            checks.verify("a", "a")

    holder = threading.Thread(target=hold)
    holder.start()
    assert checks.started.acquire(timeout=10)
    return holder


def test_a_check_that_finds_no_free_slot_in_time_is_busy() -> None:
    checks = _Held(slots=1, wait=0.2, max_waiting=5)
    holder = _hold_one(checks)
    with pytest.raises(PasswordsBusy):
        checks.verify("b", "b")
    with pytest.raises(PasswordsBusy):
        asyncio.run(checks.verify_async("b", "b"))
    checks.release.set()
    holder.join()
    # the waiters that gave up were cancelled: once the slot is free again, a check runs
    assert checks.verify("c", "c") is True


def test_past_the_waiting_bound_a_check_is_busy_at_once() -> None:
    checks = _Held(slots=1, wait=30, max_waiting=0)
    holder = _hold_one(checks)
    with pytest.raises(PasswordsBusy):
        checks.verify("b", "b")  # does not wait 30 seconds: nobody may wait
    checks.release.set()
    holder.join()


def test_real_checks() -> None:
    checks = PasswordChecks(slots=1)
    stored = PasswordHasher().hash("right")
    assert checks.verify(stored, "right") is True
    assert checks.verify(stored, "wrong") is False
    assert checks.verify(None, "anything") is False  # against the dummy hash
    assert checks.verify("not a hash", "anything") is False
    assert asyncio.run(checks.verify_async(stored, "right")) is True
