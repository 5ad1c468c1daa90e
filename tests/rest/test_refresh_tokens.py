"""REST refresh tokens are single-use, with reuse detection (issue 22, item 8).

A grant starts a family of tokens; each refresh spends its refresh token and issues the next pair
of the family. A spent refresh token presented again is refused, and every token of its family,
the pair its first use issued included, is revoked (OAuth 2.0 Security BCP, refresh token
rotation). Other grants of the same user are a different family and live on.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import sqlalchemy as sa
from restkit import API, RestServer, errors_of

from shotlog.store.database import Database
from shotlog.store.tables import session_tokens

REUSED = "The refresh token was already used; every token of its grant is now revoked. Sign in again."


def _tokens(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _person(api: httpx.Client, uniq: str) -> tuple[int, str, str]:
    login, password = f"r-{uniq}", f"pw-{uniq}"
    reply = api.post(
        f"{API}/entity/human_users",
        json={"login": login, "password_proxy": password, "firstname": "R", "lastname": uniq},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["data"]["id"], login, password


def _works(rest: RestServer, access_token: str) -> bool:
    with rest.client(access_token) as client:
        status = client.get(f"{API}/entity/projects").status_code
    assert status in (200, 401)
    return status == 200


def _refresh(rest: RestServer, refresh_token: str) -> httpx.Response:
    return rest.grant(grant_type="refresh_token", refresh_token=refresh_token)


def test_a_refresh_token_used_twice_revokes_its_family(
    rest: RestServer, api: httpx.Client, uniq: str
) -> None:
    _id, login, password = _person(api, uniq)
    first = _tokens(rest.grant(grant_type="password", username=login, password=password))
    other = _tokens(rest.grant(grant_type="password", username=login, password=password))
    second = _tokens(_refresh(rest, first["refresh_token"]))
    assert _works(rest, second["access_token"])

    # the spent token again: refused, and the pair its first use issued is revoked with it
    assert errors_of(_refresh(rest, first["refresh_token"]), 400, 102)["title"] == REUSED
    assert not _works(rest, second["access_token"])
    assert not _works(rest, first["access_token"])
    errors_of(_refresh(rest, second["refresh_token"]), 400, 102)

    # another grant of the same person is another family
    assert _works(rest, other["access_token"])
    assert _works(rest, _tokens(_refresh(rest, other["refresh_token"]))["access_token"])


def test_a_chain_of_refreshes_works_and_each_link_is_single_use(
    rest: RestServer, api: httpx.Client, uniq: str
) -> None:
    _id, login, password = _person(api, uniq)
    tokens = _tokens(rest.grant(grant_type="password", username=login, password=password))
    chain = [tokens]
    for _ in range(3):
        chain.append(_tokens(_refresh(rest, chain[-1]["refresh_token"])))
    assert all(_works(rest, t["access_token"]) for t in chain)
    # an old link of the chain, replayed: the whole chain ends, the newest pair too
    errors_of(_refresh(rest, chain[1]["refresh_token"]), 400, 102)
    assert not any(_works(rest, t["access_token"]) for t in chain)
    errors_of(_refresh(rest, chain[-1]["refresh_token"]), 400, 102)


def test_concurrent_uses_of_one_refresh_token_succeed_once(
    rest: RestServer, api: httpx.Client, uniq: str
) -> None:
    _id, login, password = _person(api, uniq)
    tokens = _tokens(rest.grant(grant_type="password", username=login, password=password))
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: _refresh(rest, tokens["refresh_token"]), range(8)))
    statuses = sorted(r.status_code for r in replies)
    # one winner; each loser is a reuse, which revokes what the winner got
    assert statuses == [200] + [400] * 7, [r.text for r in replies]
    for reply in replies:
        if reply.status_code == 200:
            assert not _works(rest, reply.json()["access_token"])


def test_a_password_change_ends_refresh_tokens(rest: RestServer, api: httpx.Client, uniq: str) -> None:
    user_id, login, password = _person(api, uniq)
    tokens = _tokens(rest.grant(grant_type="password", username=login, password=password))
    refreshed = _tokens(_refresh(rest, tokens["refresh_token"]))
    changed = api.put(f"{API}/entity/human_users/{user_id}", json={"password_proxy": "a new password"})
    assert changed.status_code == 200, changed.text
    assert not _works(rest, refreshed["access_token"])
    errors_of(_refresh(rest, refreshed["refresh_token"]), 400, 102)
    fresh = _tokens(rest.grant(grant_type="password", username=login, password="a new password"))
    assert _works(rest, fresh["access_token"])


def test_a_disabled_users_tokens_stay_dead_when_enabled_again(
    rest: RestServer, api: httpx.Client, uniq: str
) -> None:
    user_id, login, password = _person(api, uniq)
    tokens = _tokens(rest.grant(grant_type="password", username=login, password=password))
    for status in ("dis", "act"):
        reply = api.put(f"{API}/entity/human_users/{user_id}", json={"sg_status_list": status})
        assert reply.status_code == 200, reply.text
    assert not _works(rest, tokens["access_token"])
    errors_of(_refresh(rest, tokens["refresh_token"]), 400, 102)
    assert _works(
        rest, _tokens(rest.grant(grant_type="password", username=login, password=password))["access_token"]
    )


def test_a_refresh_token_from_before_families_joins_one(
    rest: RestServer, api: httpx.Client, uniq: str
) -> None:
    """Tokens issued before migration 0007 have no family: spending one starts a family, so its
    reuse still revokes what it bought."""
    _id, login, password = _person(api, uniq)
    tokens = _tokens(rest.grant(grant_type="password", username=login, password=password))
    db = Database(rest.db_url)
    try:
        with db.write() as conn:
            digest = hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
            done = conn.execute(
                sa.update(session_tokens).where(session_tokens.c.token_sha256 == digest).values(family=None)
            )
            assert done.rowcount == 1
    finally:
        db.dispose()
    second = _tokens(_refresh(rest, tokens["refresh_token"]))
    assert _works(rest, second["access_token"])
    assert errors_of(_refresh(rest, tokens["refresh_token"]), 400, 102)["title"] == REUSED
    assert not _works(rest, second["access_token"])
    errors_of(_refresh(rest, second["refresh_token"]), 400, 102)
