"""Credentials a server starts with, from the environment or made up on a fresh database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from shotlog.accounts.credentials import Credentials, new_secret
from shotlog.connection import Shotlog
from shotlog.settings import ADMIN_LOGIN, ADMIN_PASSWORD, SCRIPT_KEY, SCRIPT_NAME
from shotlog.store.tables import script_keys

__all__ = ["Bootstrap", "ensure_credentials"]

#: the advisory lock that makes servers starting together set their credentials one at a time
_LOCK_KEY = 0x5107_108


@dataclass(frozen=True)
class Bootstrap:
    """What was created; ``generated`` secrets are printed once, never stored in clear."""

    script_name: str | None = None
    script_key: str | None = None
    admin_login: str | None = None
    admin_password: str | None = None
    generated: bool = False


def _has_any_credentials(store: Shotlog) -> bool:
    with store.db.read() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(script_keys)).scalar():
            return True
    return _humans_with_password(store) > 0


def _humans_with_password(store: Shotlog) -> int:
    table = store.catalog.table("HumanUser")
    column = store.catalog.schema.fields["HumanUser"]["password_proxy"].column or "password_proxy"
    with store.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(table.c[column].is_not(None))).scalar_one())


def _ensure_script(store: Shotlog, credentials: Credentials, name: str, key: str) -> None:
    found = store.find_one("ApiUser", [["firstname", "is", name]], ["id"])
    if found is None:
        found = store.create("ApiUser", {"firstname": name, "description": "Created by shotlog serve"})
    credentials.set_script_key(found["id"], key)


def _ensure_admin(store: Shotlog, credentials: Credentials, login: str, password: str) -> None:
    found = store.find_one("HumanUser", [["login", "is", login]], ["id"])
    data = {"password_proxy": password, "permission_rule_set": "Admin", "sg_status_list": "act"}
    if found is None:
        store.create("HumanUser", {"login": login, "firstname": "Admin", "lastname": login, **data})
    else:
        if credentials.user(login, password) is not None:
            # the same password: writing it again would end the admin's sessions at every start
            del data["password_proxy"]
        store.update("HumanUser", found["id"], data)


@contextmanager
def _one_server_at_a_time(store: Shotlog) -> Iterator[None]:
    """Servers that start together (systemd starts every ``shotlog-serve@`` unit at once) would each
    find no script, or the same script without its key, and race: two ApiUsers of one name, or a
    key written twice and the second server stopped by the conflict. On PostgreSQL a session
    advisory lock, held on a connection of its own, makes them take turns; the later one then
    finds everything set. SQLite serves one machine, where one server per database is the rule."""
    if store.db.backend != "postgresql":
        yield
        return
    with store.db.writer.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
            conn.commit()


def ensure_credentials(
    store: Shotlog, credentials: Credentials, env: dict[str, str] | None = None
) -> Bootstrap:
    """The credentials the environment names, made or updated; on a fresh database with none named,
    an admin and a script made up (``generated``). Servers starting together take turns."""
    with _one_server_at_a_time(store):
        return _ensure_credentials(store, credentials, env)


def _ensure_credentials(store: Shotlog, credentials: Credentials, env: dict[str, str] | None) -> Bootstrap:
    script_name, script_key = SCRIPT_NAME.read(env), SCRIPT_KEY.read(env)
    login, password = ADMIN_LOGIN.read(env), ADMIN_PASSWORD.read(env)
    if bool(script_name) != bool(script_key):
        raise ValueError("Set both SHOTLOG_SCRIPT_NAME and SHOTLOG_SCRIPT_KEY, or neither")
    if bool(login) != bool(password):
        raise ValueError("Set both SHOTLOG_ADMIN_LOGIN and SHOTLOG_ADMIN_PASSWORD, or neither")
    if script_name and script_key:
        _ensure_script(store, credentials, script_name, script_key)
    if login and password:
        _ensure_admin(store, credentials, login, password)
    if script_name or login:
        return Bootstrap(script_name, None, login, None, generated=False)
    if _has_any_credentials(store):
        return Bootstrap()
    # A fresh database and nothing configured: make an admin and a script so a client can connect now.
    made = Bootstrap("shotlog_admin", new_secret(), "admin", secrets.token_urlsafe(12), generated=True)
    assert made.script_name and made.script_key and made.admin_login and made.admin_password
    _ensure_script(store, credentials, made.script_name, made.script_key)
    _ensure_admin(store, credentials, made.admin_login, made.admin_password)
    return made
