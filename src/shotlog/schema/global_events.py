"""FPTR's global (non-entity) event types, and which of them shotlog writes. Pure.

This module is the single source of truth for three readers: webhook validation (a hook may
subscribe to FPTR's 40 global types), the flag on a hook subscribed to a type shotlog never
writes (``never_written``, shown by the REST answer and the web UI), and docs/event-log.md, whose
table ``tests/test_docs.py`` checks against ``WRITTEN``.

"Never written" means shotlog itself never writes the type, and no client may create it either
(``shotlog.access.authority``: every type listed here is shotlog's own), so a hook on it cannot fire.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

__all__ = [
    "FPTR_GLOBAL_EVENT_TYPES",
    "SCHEMA_EVENT_TYPES",
    "WRITTEN",
    "never_written",
    "written_global_types",
]

#: The non-entity event types FPTR's webhooks accept (webhooks reference §9).
FPTR_GLOBAL_EVENT_TYPES: tuple[str, ...] = (
    "ClientUser_FailedLogin",
    "ClientUser_Login",
    "ClientUser_Logout",
    "CRS_HumanUser_Thumbnail_Access_By_Client",
    "CRS_PlaylistShare_Create",
    "CRS_PlaylistShare_Revoke",
    "CRS_Preferences_Change",
    "CRS_Version_Media_Download",
    "CRS_Version_Thumbnail_Access_By_Client",
    "SG_RV_Session_Validate_Success",
    "ShotGrid_Invitation",
    "ShotGrid_PAT_Added",
    "ShotGrid_PAT_Exchanged",
    "ShotGrid_PAT_Removed",
    "Shotgun_ActionMenuItem_Triggered",
    "Shotgun_CutSupportDataMigration_data_migration",
    "Shotgun_CutSupportDataMigration_disable_cutversionconnection",
    "Shotgun_CutSupportDataMigration_schema_cleanup",
    "Shotgun_DisplayColumn_Delete",
    "Shotgun_PageSetting_Change",
    "Shotgun_Preferences_Change",
    "Shotgun_ProjectConfiguration_Update",
    "Shotgun_Reading_Change",
    "Shotgun_Review_Tools_Version_View",
    "Shotgun_ValidationRule_Create",
    "Shotgun_ImportApp_Complete",
    "Shotgun_ImportApp_Failed",
    "Shotgun_ImportApp_Start",
    "Shotgun_NotesApp_Summary_Email",
    "Shotgun_Nsx_Support_Ticket",
    "Shotgun_PermissionRuleSet_ChangeRule",
    "Shotgun_PermissionRuleSet_DeleteRule",
    "Shotgun_PermissionRuleSet_NewRule",
    "Shotgun_User_FailedLogin",
    "Shotgun_User_Login",
    "Shotgun_User_Logout",
    "Shotgun_User_PasswordChange",
    "Shotgun_Webhook_Created",
    "Shotgun_Webhook_Deleted",
    "Shotgun_Webhook_Updated",
)

#: Of FPTR's global types, those shotlog writes, each with the operations that write it.
WRITTEN: dict[str, str] = {
    "Shotgun_ActionMenuItem_Triggered": "an Action Menu Item triggered from the web UI or its route",
    "Shotgun_Preferences_Change": "a site preference changed (shotlog prefs set, Python API)",
    "Shotgun_PermissionRuleSet_ChangeRule": (
        "a permission rule set's rule changed between allowed and refused (CLI, web UI, REST)"
    ),
    "Shotgun_PermissionRuleSet_DeleteRule": "a rule removed, so the less specific one applies",
    "Shotgun_PermissionRuleSet_NewRule": "a rule added where none was",
    "Shotgun_Reading_Change": "a person marks a Note read or unread (update of read_by_current_user)",
    "Shotgun_User_FailedLogin": (
        "a wrong login or password: web sign-in, api3 user_login/user_password, REST password grant"
    ),
    "Shotgun_User_Login": (
        "web sign-in; api3 get_session_token; the first api3 call with a password in a session "
        "window; REST password grant"
    ),
    "Shotgun_User_Logout": "web sign-out",
    "Shotgun_User_PasswordChange": (
        "a person's password set by themselves or an administrator (web UI, api3, REST)"
    ),
    "ShotGrid_PAT_Added": "a person makes a personal access token (web UI, REST, CLI)",
    "ShotGrid_PAT_Exchanged": "a REST password grant pays with a personal access token",
    "ShotGrid_PAT_Removed": "a personal access token revoked by its owner or a user administrator",
    "Shotgun_Webhook_Created": "a hook created (REST, web UI, CLI, Python API)",
    "Shotgun_Webhook_Deleted": "a hook deleted",
    "Shotgun_Webhook_Updated": "a hook changed, its status (enabled, disabled) included",
}

#: Schema changes are entity events on FPTR's DisplayColumn (a field is a DisplayColumn row); not in
#: FPTR's subscribable list, but shotlog lets event_types hooks name them.
SCHEMA_EVENT_TYPES: tuple[str, ...] = (
    "Shotgun_DisplayColumn_New",
    "Shotgun_DisplayColumn_Change",
    "Shotgun_DisplayColumn_Retirement",
    "Shotgun_DisplayColumn_Revival",
)


def written_global_types() -> tuple[str, ...]:
    """FPTR's global types shotlog writes, in FPTR's order."""
    return tuple(t for t in FPTR_GLOBAL_EVENT_TYPES if t in WRITTEN)


def never_written(patterns: Iterable[str]) -> list[str]:
    """The subscribed names or patterns that only match global types shotlog never writes.

    A pattern that also matches a type shotlog writes (``Shotgun_User_*``), or no global type at
    all (``Shotgun_Shot_*``, a custom ``Toolkit_*`` type), is not flagged.
    """
    flagged = []
    for pattern in patterns:
        matched = [t for t in FPTR_GLOBAL_EVENT_TYPES if fnmatchcase(t, pattern)]
        if not matched:
            continue
        if any(t in WRITTEN for t in matched):
            continue
        if any(fnmatchcase(t, pattern) for t in SCHEMA_EVENT_TYPES):
            continue
        flagged.append(pattern)
    return flagged
