"""Scripts (ApiUser) and their keys, managed while shotlog runs, as FPTR's Scripts admin page does.

Every surface (the CLI, the web UI's admin pages, REST, api3's ``create("ApiUser")``) goes through
``Scripts``, acting as a view of the store: the view's user is the one the events name, and only
a user administrator (``shotlog.access.authority.may_administer_users``) may create a script or
change its key. A key is made here, shown once to the caller and kept as a digest
(``Credentials.set_script_key``, which owns ``script_keys``).

* create: the ApiUser (FPTR's ``Shotgun_ApiUser_New`` and its field changes) and its first key
  (``Shotgun_ApiUser_Change`` on ``salted_password``, without the value);
* rotate: a new key; the old one is refused from that commit on, in every server process;
* revoke: no key at all; the script signs in no more until it is given a new one.

FPTR itself cannot re-key a script (its advice is to make a new one); shotlog can, through the
CLI, the web UI and REST. api3 has no call for it, since FPTR's has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shotlog.access.authority import SHOTLOG, Authority, may_administer_users
from shotlog.accounts.credentials import Credentials, new_script_key
from shotlog.connection import Shotlog
from shotlog.errors import ConflictError, NotFound, PermissionDenied, ValidationError

__all__ = ["MAX_NAME", "Script", "Scripts", "authority_of", "script_name"]

#: FPTR's ``firstname`` of a script is a text field; a name longer than this is a mistake
MAX_NAME = 255
_FIELDS = [
    "firstname",
    "description",
    "permission_rule_set",
    "sg_status_list",
    "created_at",
]


@dataclass(frozen=True, slots=True)
class Script:
    """A script as the admin pages list it (never its key: only when the key was made)."""

    id: int
    name: str
    description: str | None
    permission_rule_set: str | None
    status: str
    key_made_at: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        made = self.key_made_at
        return {
            "type": "ApiUser",
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "permission_rule_set": self.permission_rule_set,
            "sg_status_list": self.status,
            "has_key": made is not None,
            "key_created_at": None if made is None else made.isoformat(timespec="seconds") + "Z",
        }


def script_name(value: object) -> str:
    """A new script's checked name (pure); a ``ValidationError`` naming the field otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"firstname: a script needs a name, got {value!r}", field="firstname")
    if len(value.strip()) > MAX_NAME:
        raise ValidationError(
            f"firstname: at most {MAX_NAME} characters, got {len(value.strip())}",
            field="firstname",
        )
    return value.strip()


def _rule_set_name(value: object) -> str | None:
    if isinstance(value, Mapping):  # a permission set as a link to its entity
        name = value.get("name")
        return name if isinstance(name, str) else None
    return value if isinstance(value, str) else None


def authority_of(view: Shotlog) -> Authority:
    """The view's principal for ``shotlog.access.authority``, its permission set read now (a set
    taken away counts on the next request). A view with no user is shotlog's own code (the CLI)."""
    actor = view.actor
    if actor.type is None or actor.id is None:
        return SHOTLOG
    row = view.find_one(actor.type, [["id", "is", actor.id]], ["permission_rule_set"])
    return Authority(
        actor.type,
        actor.id,
        None if row is None else _rule_set_name(row.get("permission_rule_set")),
    )


def _require_admin(view: Shotlog, what: str) -> None:
    who = authority_of(view)
    if not may_administer_users(who):
        raise PermissionDenied(
            f"{what} needs the permission to administer users; {who.label()} does not have it"
        )


class Scripts:
    """The scripts of one store and their keys."""

    def __init__(self, store: Shotlog, credentials: Credentials | None = None) -> None:
        self.store = store
        self.credentials = credentials or Credentials(store)

    def list(self) -> list[Script]:
        """Every active script, by name."""
        rows = self.store.find(
            "ApiUser",
            [],
            _FIELDS,
            order=[{"field_name": "firstname", "direction": "asc"}],
        )
        made = self.credentials.script_keys_made()
        return [self._script(r, made) for r in rows]

    def find(self, ref: object) -> Script:
        """The active script with this id (an int or digits) or name; ``NotFound`` otherwise."""
        if isinstance(ref, int) and not isinstance(ref, bool):
            rows = self.store.find("ApiUser", [["id", "is", ref]], _FIELDS)
        elif isinstance(ref, str) and ref.strip().isdigit():
            rows = self.store.find("ApiUser", [["id", "is", int(ref.strip())]], _FIELDS)
        elif isinstance(ref, str) and ref.strip():
            rows = self.store.find("ApiUser", [["firstname", "is", ref.strip()]], _FIELDS)
        else:
            rows = []
        if not rows:
            by_name = isinstance(ref, str) and not ref.strip().isdigit()
            raise NotFound("ApiUser", ref, key="name" if by_name else "id")
        if len(rows) > 1:
            raise ConflictError(
                f"{len(rows)} scripts are named {ref!r}; give the id of one",
                field="script",
            )
        return self._script(rows[0], self.credentials.script_keys_made())

    def create(
        self, view: Shotlog, name: object, fields: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], str]:
        """A new script made by ``view``'s user, with ``fields`` of ApiUser besides its name, and its
        key (shown once: nothing can read it back)."""
        checked = script_name(name)
        if self.store.find_one("ApiUser", [["firstname", "is", checked]], ["id"]) is not None:
            raise ConflictError(
                f"firstname: a script named {checked!r} exists already",
                field="firstname",
            )
        data = {k: v for k, v in (fields or {}).items() if k not in ("firstname", "salted_password")}
        # the store refuses a new user to anyone who may not administer users, naming the field
        # (a new script gets a permission set); the key asks the same question of its own
        entity = view.create("ApiUser", {**data, "firstname": checked})
        _require_admin(view, "Giving a script a key")
        key = new_script_key()
        self.credentials.set_script_key(entity["id"], key, by=view.actor, name=checked)
        return entity, key

    def rotate(self, view: Shotlog, ref: object) -> tuple[Script, str]:
        """A new key for the script ``ref`` (its old key and tokens end at once)."""
        _require_admin(view, "Changing a script's key")
        script = self.find(ref)
        key = new_script_key()
        self.credentials.set_script_key(script.id, key, by=view.actor, name=script.name)
        return self.find(script.id), key

    def revoke(self, view: Shotlog, ref: object) -> Script:
        """Take the script ``ref``'s key away; a ``ValidationError`` when it has none."""
        _require_admin(view, "Revoking a script's key")
        script = self.find(ref)
        if not self.credentials.revoke_script_key(script.id, by=view.actor, name=script.name):
            raise ValidationError(f"script: {script.name!r} has no key to revoke", field="script")
        return self.find(script.id)

    @staticmethod
    def _script(row: Mapping[str, Any], made: Mapping[int, dt.datetime]) -> Script:
        return Script(
            int(row["id"]),
            str(row.get("firstname") or ""),
            row.get("description"),
            _rule_set_name(row.get("permission_rule_set")),
            str(row.get("sg_status_list") or "act"),
            made.get(int(row["id"])),
        )
