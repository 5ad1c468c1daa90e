"""Script keys are checked on every call, with a success remembered for ``SCRIPT_CACHE_SECONDS``.

The documented promise (docs/api3.md): a new key works at once, and a refusal is never remembered;
re-keying, disabling or retiring a script takes effect at once, since each call reads the script's
credentials epoch (these tests allow the cache's time and check it was not exceeded; the call-by-call
promise is tested on two servers in test_api3_credentials.py). The keys and users are changed by
another process, as an administrator's ``shotlog`` command or a second server would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shotgun_api3
from sgserver import Server

import shotlog
from shotlog.accounts.credentials import SCRIPT_CACHE_SECONDS, Credentials
from shotlog.connection import Shotlog

#: how long past the promise a refusal may take to show (scheduling on a busy test machine)
SLACK = 1.5


@pytest.fixture
def admin(server: Server) -> Iterator[Shotlog]:
    """The server's database, opened by this process: changes come from outside the server."""
    store = shotlog.connect(server.db_url, migrate=False)
    yield store
    store.close()


def _script(admin: Shotlog, key: str) -> tuple[dict[str, Any], str]:
    name = f"script-{uuid.uuid4().hex[:10]}"
    user = admin.create("ApiUser", {"firstname": name})
    Credentials(admin).set_script_key(user["id"], key)
    return user, name


def _works(server: Server, name: str, key: str) -> bool:
    body = server.call(
        "read",
        {"type": "Project", "return_fields": ["id"], "filters": []},
        auth={
            "script_name": name,
            "script_key": key,
        },
    )
    if "results" in body:
        return True
    assert body["error_code"] == 102, body
    return False


def _refused_within(server: Server, name: str, key: str) -> float:
    """Seconds until calls with (name, key) are refused; fails past the promise.

    A call is timed from when it was sent: the server accepted it at that moment or later, so a
    call sent past the promise and still accepted breaks it however slowly the machine answers.
    """
    start = time.monotonic()
    while True:
        sent = time.monotonic() - start
        if not _works(server, name, key):
            return sent
        assert sent < SCRIPT_CACHE_SECONDS + SLACK, f"still accepted {sent:.1f} s after the change"
        time.sleep(0.05)


def test_a_new_key_works_at_once_and_the_old_one_stops(server: Server, admin: Shotlog) -> None:
    user, name = _script(admin, "first-key-0001")
    assert _works(server, name, "first-key-0001")  # now remembered by the server
    Credentials(admin).set_script_key(user["id"], "second-key-0002")
    assert _works(server, name, "second-key-0002")  # a key never seen before is checked, not cached
    _refused_within(server, name, "first-key-0001")
    assert _works(server, name, "second-key-0002")


@pytest.mark.parametrize(
    "take_away",
    [
        pytest.param(
            lambda admin, uid: admin.update("ApiUser", uid, {"sg_status_list": "dis"}), id="disabled"
        ),
        pytest.param(lambda admin, uid: admin.delete("ApiUser", uid), id="retired"),
    ],
)
def test_a_disabled_or_retired_script_is_refused_within_the_promise(
    server: Server, admin: Shotlog, take_away: Callable[[Shotlog, int], Any]
) -> None:
    user, name = _script(admin, "doomed-key-0003")
    assert _works(server, name, "doomed-key-0003")
    take_away(admin, user["id"])
    _refused_within(server, name, "doomed-key-0003")
    time.sleep(SCRIPT_CACHE_SECONDS)  # and it stays refused once the remembered success has expired
    assert not _works(server, name, "doomed-key-0003")


def test_a_refusal_is_not_remembered(server: Server, admin: Shotlog) -> None:
    user, name = _script(admin, "old-key-0004")
    assert not _works(server, name, "future-key-0005")
    Credentials(admin).set_script_key(user["id"], "future-key-0005")
    assert _works(server, name, "future-key-0005")  # at once: the failure above was not kept


def test_a_refused_script_fails_through_the_client(server: Server, admin: Shotlog) -> None:
    user, name = _script(admin, "client-key-0006")
    client = server.client(script_name=name, api_key="client-key-0006")
    assert client.find("Project", [["id", "is", 0]]) == []
    admin.delete("ApiUser", user["id"])
    time.sleep(SCRIPT_CACHE_SECONDS + 0.2)
    with pytest.raises(shotgun_api3.AuthenticationFault):
        client.find("Project", [["id", "is", 0]])
