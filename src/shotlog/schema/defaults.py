"""The default schema: the entity types and fields a new shotlog database starts with.

It follows Flow Production Tracking's default site schema for the types pipelines use. The store
applies it idempotently (``shotlog.store.registry.apply_defaults``): types and fields missing from the
database are added, existing ones are left as the studio configured them.
"""

from __future__ import annotations

from typing import Any

from shotlog.schema.model import EntityType, Field

__all__ = ["common_fields", "default_entity_types", "default_fields"]

_USERS = ("HumanUser", "ApiUser")
_PEOPLE = ("HumanUser", "Group")
_SHOT_STATUSES = ("wtg", "rdy", "ip", "hld", "fin", "omt", "na")
_TASK_STATUSES = ("wtg", "rdy", "ip", "rev", "hld", "fin", "omt", "na")
_TASK_LINKS = ("Asset", "Shot", "Sequence", "Episode", "Scene", "Project")
_STATUS_NAMES = {
    "wtg": "Waiting to Start",
    "rdy": "Ready to Start",
    "ip": "In Progress",
    "rev": "Pending Review",
    "hld": "On Hold",
    "fin": "Final",
    "omt": "Omit",
    "na": "N/A",
    "apr": "Approved",
    "vwd": "Viewed",
    "opn": "Open",
    "clsd": "Closed",
    "act": "Active",
    "dis": "Disabled",
    "res": "Resolved",
    "cmpt": "Complete",
}

# (name, display name, display field, project scoped)
_TYPES: list[tuple[str, str, str, bool]] = [
    ("Project", "Project", "name", False),
    ("HumanUser", "Person", "name", False),
    ("ApiUser", "Script", "firstname", False),
    ("Group", "Group", "code", False),
    ("Department", "Department", "name", False),
    ("Episode", "Episode", "code", True),
    ("Sequence", "Sequence", "code", True),
    ("Scene", "Scene", "code", True),
    ("Shot", "Shot", "code", True),
    ("Asset", "Asset", "code", True),
    ("Step", "Pipeline Step", "code", False),
    ("Task", "Task", "content", True),
    ("TaskTemplate", "Task Template", "code", False),
    ("Version", "Version", "code", True),
    ("PublishedFile", "Published File", "code", True),
    ("PublishedFileType", "Published File Type", "code", False),
    ("Note", "Note", "subject", True),
    ("Reply", "Reply", "content", False),
    ("Attachment", "File", "filename", True),
    ("Playlist", "Playlist", "code", True),
    ("LocalStorage", "File Storage", "code", False),
    ("PipelineConfiguration", "Pipeline Configuration", "code", True),
    ("Software", "Software", "code", False),
    ("FilesystemLocation", "Filesystem Location", "code", True),
    ("PublishedFileDependency", "Published File Dependency", "code", False),
    ("Page", "Page", "name", False),
    ("ActionMenuItem", "Action Menu Item", "title", False),
    ("Status", "Status", "name", False),
    ("Tag", "Tag", "name", False),
    ("Ticket", "Ticket", "title", True),
    ("TimeLog", "Time Log", "description", True),
    ("Delivery", "Delivery", "title", True),
    ("WorkDayRule", "Work Day Rule", "description", False),
    ("PermissionRuleSet", "Permission Rule Set", "code", False),
]

F = tuple[str, str, str, dict[str, Any]]


def _f(name: str, dtype: str, display: str, **extra: Any) -> F:
    return (name, dtype, display, extra)


def _status(values: tuple[str, ...], default: str | None, display: str = "Status") -> F:
    return _f(
        "sg_status_list",
        "status_list",
        display,
        valid_values=values,
        display_values={v: _STATUS_NAMES.get(v, v) for v in values},
        default=default,
    )


_FIELDS: dict[str, list[F]] = {
    "Project": [
        _f("name", "text", "Project Name", unique=True, mandatory=True),
        _f("sg_description", "text", "Description"),
        _f(
            "sg_status",
            "list",
            "Status",
            valid_values=("Active", "Bidding", "Demo", "Lost", "Complete"),
            default="Active",
        ),
        _f(
            "sg_type",
            "list",
            "Type",
            valid_values=("Feature", "Episodic", "Commercial", "Game Cinematic", "Demo"),
        ),
        _f("archived", "checkbox", "Archived"),
        _f("is_template", "checkbox", "Template"),
        _f("is_demo", "checkbox", "Demo Project"),
        _f("start_date", "date", "Start Date"),
        _f("end_date", "date", "End Date"),
        _f("users", "multi_entity", "Users", valid_types=("HumanUser",)),
        _f("last_accessed_by_current_user", "date_time", "Last Accessed", editable=False),
        _f("image", "image", "Thumbnail"),
        _f("tank_name", "text", "Tank Name"),
        _f("code", "text", "Project Code"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "HumanUser": [
        _f("name", "text", "Name"),
        _f("firstname", "text", "First Name"),
        _f("lastname", "text", "Last Name"),
        _f("login", "text", "Login", unique=True),
        _f("email", "text", "Email"),
        _f("password_proxy", "password", "Password"),
        _f("locked_until", "date_time", "Locked Until"),
        _status(("act", "dis"), "act"),
        _f("email_notes", "checkbox", "Email Notes", default=True),
        _f("department", "entity", "Department", valid_types=("Department",)),
        _f("groups", "multi_entity", "Groups", reverse_of="Group.users"),
        _f("projects", "multi_entity", "Projects", reverse_of="Project.users"),
        # a link, as on FPTR; a new person without one gets the Artist set (shotlog.store.writer)
        _f("permission_rule_set", "entity", "Permission Group", valid_types=("PermissionRuleSet",)),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "ApiUser": [
        _f("firstname", "text", "Script Name", mandatory=True),
        _f("lastname", "text", "Version"),
        _f("description", "text", "Description"),
        _f("email", "text", "Email"),
        # FPTR's default is false, which silently drops a script's events; shotlog defaults to true.
        _f("generate_event_log_entries", "checkbox", "Generate Events", default=True),
        # a new script without one gets the API Admin set (shotlog.store.writer)
        _f("permission_rule_set", "entity", "Permission Group", valid_types=("PermissionRuleSet",)),
        _f(
            "sg_status_list",
            "status_list",
            "Status",
            valid_values=("act", "dis"),
            default="act",
            display_values={"act": "Active", "dis": "Disabled"},
        ),
    ],
    "Group": [
        _f("code", "text", "Group Name", mandatory=True),
        _f("users", "multi_entity", "Users", valid_types=("HumanUser",)),
        _f(
            "sg_status_list",
            "status_list",
            "Status",
            valid_values=("act", "dis"),
            default="act",
            display_values={"act": "Active", "dis": "Disabled"},
        ),
    ],
    "Department": [
        _f("name", "text", "Department Name"),
        _f("code", "text", "Code"),
        _f("color", "color", "Color"),
    ],
    "Episode": [
        _f("code", "text", "Episode Name"),
        _f("description", "text", "Description"),
        _status(_SHOT_STATUSES, "wtg"),
        _f("sequences", "multi_entity", "Sequences", reverse_of="Sequence.episode"),
        _f("tasks", "multi_entity", "Tasks", reverse_of="Task.entity"),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "Sequence": [
        _f("code", "text", "Sequence Name"),
        _f("description", "text", "Description"),
        _status(_SHOT_STATUSES, "wtg"),
        _f("episode", "entity", "Episode", valid_types=("Episode",)),
        _f("shots", "multi_entity", "Shots", reverse_of="Shot.sg_sequence"),
        _f("assets", "multi_entity", "Assets", valid_types=("Asset",)),
        _f("tasks", "multi_entity", "Tasks", reverse_of="Task.entity"),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "Scene": [
        _f("code", "text", "Scene Name"),
        _f("description", "text", "Description"),
        _status(_SHOT_STATUSES, "wtg"),
        _f("shots", "multi_entity", "Shots", valid_types=("Shot",)),
        _f("tasks", "multi_entity", "Tasks", reverse_of="Task.entity"),
        _f("image", "image", "Thumbnail"),
    ],
    "Shot": [
        _f("code", "text", "Shot Code"),
        _f("description", "text", "Description"),
        _status(_SHOT_STATUSES, "wtg"),
        _f("sg_sequence", "entity", "Sequence", valid_types=("Sequence",)),
        _f("sg_cut_in", "number", "Cut In"),
        _f("sg_cut_out", "number", "Cut Out"),
        _f("sg_cut_duration", "number", "Cut Duration"),
        _f("head_in", "number", "Head In"),
        _f("tail_out", "number", "Tail Out"),
        _f("sg_cut_order", "number", "Cut Order"),
        _f("sg_frame_rate", "float", "Frame Rate"),
        _f("sg_shot_type", "list", "Type", valid_values=("Action", "Dialogue", "Establishing", "VFX")),
        _f("assets", "multi_entity", "Assets", valid_types=("Asset",)),
        _f("tasks", "multi_entity", "Tasks", reverse_of="Task.entity"),
        _f("sg_versions", "multi_entity", "Versions", reverse_of="Version.entity"),
        _f("image", "image", "Thumbnail"),
        _f("filmstrip_image", "image", "Filmstrip Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "Asset": [
        _f("code", "text", "Asset Name"),
        _f("description", "text", "Description"),
        _status(_SHOT_STATUSES, "wtg"),
        _f(
            "sg_asset_type",
            "list",
            "Type",
            valid_values=(
                "Character",
                "Vehicle",
                "Prop",
                "Environment",
                "Set",
                "Matte Painting",
                "FX",
                "Graphic",
            ),
        ),
        _f("shots", "multi_entity", "Shots", reverse_of="Shot.assets"),
        _f("sequences", "multi_entity", "Sequences", reverse_of="Sequence.assets"),
        _f("parents", "multi_entity", "Parent Assets", valid_types=("Asset",)),
        _f("tasks", "multi_entity", "Tasks", reverse_of="Task.entity"),
        _f("sg_versions", "multi_entity", "Versions", reverse_of="Version.entity"),
        _f("image", "image", "Thumbnail"),
        _f("filmstrip_image", "image", "Filmstrip Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "Step": [
        _f("code", "text", "Step Name"),
        _f("short_name", "text", "Short Name"),
        _f("description", "text", "Description"),
        _f("entity_type", "entity_type", "Entity Type"),
        _f("color", "color", "Color"),
        _f("list_order", "number", "Order"),
        _f("department", "entity", "Department", valid_types=("Department",)),
    ],
    "Task": [
        _f("content", "text", "Task Name"),
        _f("entity", "entity", "Link", valid_types=_TASK_LINKS),
        _f("step", "entity", "Pipeline Step", valid_types=("Step",)),
        _status(_TASK_STATUSES, "wtg"),
        _f("task_assignees", "multi_entity", "Assigned To", valid_types=_PEOPLE),
        _f("task_reviewers", "multi_entity", "Reviewers", valid_types=_PEOPLE),
        _f("start_date", "date", "Start Date"),
        _f("due_date", "date", "Due Date"),
        _f("duration", "duration", "Duration"),
        _f("est_in_mins", "duration", "Bid"),
        _f("time_logs_sum", "duration", "Time Logged", editable=False),
        _f("color", "color", "Gantt Bar Color", default="pipeline_step"),
        _f("milestone", "checkbox", "Milestone"),
        _f("sg_description", "text", "Description"),
        _f("sg_priority_1", "list", "Priority", valid_values=("1", "2", "3", "4", "5")),
        _f("upstream_tasks", "multi_entity", "Upstream Dependency", valid_types=("Task",)),
        _f("downstream_tasks", "multi_entity", "Downstream Dependency", reverse_of="Task.upstream_tasks"),
        _f("task_template", "entity", "Task Template", valid_types=("TaskTemplate",)),
        _f("sg_versions", "multi_entity", "Versions", reverse_of="Version.sg_task"),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "TaskTemplate": [
        _f("code", "text", "Template Name"),
        _f("description", "text", "Description"),
        _f("entity_type", "entity_type", "Entity Type"),
        _f("project", "entity", "Project", valid_types=("Project",)),
    ],
    "Version": [
        _f("code", "text", "Version Name"),
        _f("description", "text", "Description"),
        _f("entity", "entity", "Link", valid_types=("Asset", "Shot", "Sequence", "Episode", "Scene")),
        _f("sg_task", "entity", "Task", valid_types=("Task",)),
        _f("user", "entity", "Artist", valid_types=("HumanUser", "ApiUser", "Group")),
        _status(("rev", "vwd", "apr", "ip", "hld", "na"), "rev"),
        _f("sg_path_to_frames", "text", "Path to Frames"),
        _f("sg_path_to_movie", "text", "Path to Movie"),
        _f("sg_first_frame", "number", "First Frame"),
        _f("sg_last_frame", "number", "Last Frame"),
        _f("frame_count", "number", "Frame Count"),
        _f("frame_range", "text", "Frame Range"),
        _f("sg_frames_aspect_ratio", "float", "Frames Aspect Ratio"),
        _f("sg_movie_aspect_ratio", "float", "Movie Aspect Ratio"),
        _f("sg_uploaded_movie", "url", "Uploaded Movie"),
        _f("published_files", "multi_entity", "Published Files", reverse_of="PublishedFile.version"),
        _f("playlists", "multi_entity", "Playlists", reverse_of="Playlist.versions"),
        _f("image", "image", "Thumbnail"),
        _f("filmstrip_image", "image", "Filmstrip Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "PublishedFile": [
        _f("code", "text", "Published File Name"),
        _f("name", "text", "Name"),
        _f("description", "text", "Description"),
        _f(
            "entity",
            "entity",
            "Link",
            valid_types=("Asset", "Shot", "Sequence", "Episode", "Scene", "Project"),
        ),
        _f("task", "entity", "Task", valid_types=("Task",)),
        _f("version", "entity", "Version", valid_types=("Version",)),
        _f("version_number", "number", "Version Number"),
        _f("published_file_type", "entity", "Published File Type", valid_types=("PublishedFileType",)),
        _f("path", "url", "Path"),
        _f("path_cache", "text", "Path Cache"),
        _f("path_cache_storage", "entity", "Path Cache Storage", valid_types=("LocalStorage",)),
        _status(("wtg", "ip", "cmpt", "na"), None),
        _f(
            "upstream_published_files",
            "multi_entity",
            "Upstream Published Files",
            valid_types=("PublishedFile",),
        ),
        _f(
            "downstream_published_files",
            "multi_entity",
            "Downstream Published Files",
            reverse_of="PublishedFile.upstream_published_files",
        ),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "PublishedFileType": [
        _f("code", "text", "Published File Type"),
        _f("description", "text", "Description"),
        _f("short_name", "text", "Short Name"),
    ],
    "Note": [
        _f("subject", "text", "Subject"),
        _f("content", "text", "Body"),
        _f("user", "entity", "Author", valid_types=_USERS),
        _f("sg_note_type", "list", "Type", valid_values=("Internal", "Client")),
        _status(("opn", "ip", "clsd"), "opn"),
        _f(
            "note_links",
            "multi_entity",
            "Links",
            valid_types=(
                "Asset",
                "Shot",
                "Sequence",
                "Episode",
                "Scene",
                "Version",
                "Task",
                "Playlist",
                "Project",
            ),
        ),
        _f("tasks", "multi_entity", "Tasks", valid_types=("Task",)),
        _f("addressings_to", "addressing", "To", valid_types=_PEOPLE),
        _f("addressings_cc", "addressing", "Cc", valid_types=_PEOPLE),
        _f("replies", "multi_entity", "Replies", reverse_of="Reply.entity"),
        _f("read_by_current_user", "text", "Read/Unread", editable=False),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "Reply": [
        _f("content", "text", "Body"),
        _f("entity", "entity", "Note", valid_types=("Note",)),
        _f("user", "entity", "Author", valid_types=_USERS),
    ],
    "Attachment": [
        _f("filename", "text", "File Name"),
        _f("description", "text", "Description"),
        _f("this_file", "url", "File/Link"),
        _f("file_size", "number", "File Size"),
        _f("file_extension", "text", "File Extension"),
        _f(
            "attachment_links",
            "multi_entity",
            "Links",
            valid_types=("Asset", "Shot", "Sequence", "Version", "Task", "Note", "Reply", "Project"),
        ),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "Playlist": [
        _f("code", "text", "Playlist Name"),
        _f("description", "text", "Description"),
        _f("versions", "multi_entity", "Versions", valid_types=("Version",)),
        _f("sg_date_and_time", "date_time", "Date and Time"),
        _f("locked", "checkbox", "Locked"),
        _f("image", "image", "Thumbnail"),
        _f("tag_list", "tag_list", "Tags"),
    ],
    "LocalStorage": [
        _f("code", "text", "Storage Name"),
        _f("description", "text", "Description"),
        _f("mac_path", "text", "Mac Path"),
        _f("windows_path", "text", "Windows Path"),
        _f("linux_path", "text", "Linux Path"),
        _f("uuid", "uuid", "UUID"),
    ],
    # What Toolkit's configuration resolver reads (tk-core bootstrap/resolver.py); the sg_ spellings
    # it also asks for are legacy custom fields, which read as null where a site lacks them.
    "PipelineConfiguration": [
        _f("code", "text", "Config Name"),
        _f("description", "text", "Description"),
        _f("plugin_ids", "text", "Plugin Ids"),
        _f("descriptor", "text", "Descriptor"),
        _f("uploaded_config", "url", "Uploaded Config"),
        _f("windows_path", "text", "Windows Path"),
        _f("mac_path", "text", "Mac Path"),
        _f("linux_path", "text", "Linux Path"),
        _f("users", "multi_entity", "User Restrictions", valid_types=("HumanUser",)),
        _f("image", "image", "Thumbnail"),
    ],
    # What tk-multi-launchapp filters on and reads to build its launch commands.
    "Software": [
        _f("code", "text", "Software Name"),
        _f("description", "text", "Description"),
        _f("engine", "text", "Engine"),
        _f("products", "text", "Products"),
        _f("version_names", "text", "Versions"),
        _f("group_name", "text", "Group"),
        _f("group_default", "checkbox", "Group Default"),
        _f("linux_path", "text", "Linux Path"),
        _f("mac_path", "text", "Mac Path"),
        _f("windows_path", "text", "Windows Path"),
        _f("linux_args", "text", "Linux Args"),
        _f("mac_args", "text", "Mac Args"),
        _f("windows_args", "text", "Windows Args"),
        _f(
            "sg_status_list",
            "status_list",
            "Status",
            valid_values=("act", "dis"),
            default="act",
            display_values={"act": "Active", "dis": "Disabled"},
        ),
        _f("projects", "multi_entity", "Projects", valid_types=("Project",)),
        _f("user_restrictions", "multi_entity", "User Restrictions", valid_types=_PEOPLE),
        _f("image", "image", "Thumbnail"),
    ],
    # Toolkit's path cache: one row per folder it created, written in one batch and announced by a
    # Toolkit_Folders_Create event whose meta lists the new ids (tk-core path_cache.py).
    "FilesystemLocation": [
        _f("code", "text", "Name"),
        _f("entity", "entity", "Linked Entity", valid_types=("*",)),
        _f("linked_entity_type", "text", "Linked Entity Type"),
        _f("linked_entity_id", "number", "Linked Entity Id"),
        _f("is_primary", "checkbox", "Is Primary"),
        _f("path", "url", "Path"),
        _f("configuration_metadata", "text", "Configuration Metadata"),
        _f(
            "pipeline_configuration",
            "entity",
            "Pipeline Configuration",
            valid_types=("PipelineConfiguration",),
        ),
    ],
    # register_publish's dependencies: published_file depends on dependent_published_file. FPTR
    # names a connection row by its ends; shotlog has no computed names, so ``code`` is a plain
    # text field a script may set, and links show it.
    "PublishedFileDependency": [
        _f("code", "text", "Dependency Name"),
        _f("published_file", "entity", "Published File", valid_types=("PublishedFile",)),
        _f("dependent_published_file", "entity", "Dependent Published File", valid_types=("PublishedFile",)),
    ],
    "Page": [
        _f("name", "text", "Page Name"),
        _f("entity_type", "entity_type", "Entity Type"),
        _f("page_type", "text", "Page Type"),
        _f("project", "entity", "Project", valid_types=("Project",)),
        _f("last_accessed", "date_time", "Last Accessed"),
        _f("ui_category", "text", "Category"),
    ],
    "ActionMenuItem": [
        _f("title", "text", "Title", mandatory=True),
        _f("url", "text", "URL"),
        _f("entity_type", "entity_type", "Entity Type"),
        _f("selection_required", "checkbox", "Selection Required"),
        _f("list_order", "number", "Order"),
        _f("folder", "text", "Folder"),
        _f("configure_for_project", "checkbox", "Configure for Project"),
        _f("projects", "multi_entity", "Projects", valid_types=("Project",)),
        _f("permissions_groups", "multi_entity", "Restrict to Groups", valid_types=("Group",)),
        _f("sg_description", "text", "Description"),
    ],
    "Status": [
        _f("name", "text", "Status Name"),
        _f("code", "text", "Status Code", unique=True),
        _f("bg_color", "color", "Background Color"),
        _f("icon", "text", "Icon"),
    ],
    "Tag": [
        _f("name", "text", "Tag Name", unique=True),
    ],
    "Ticket": [
        _f("title", "text", "Title"),
        _f("description", "text", "Description"),
        _status(("opn", "ip", "res", "clsd"), "opn"),
        _f("addressings_to", "addressing", "Assigned To", valid_types=_PEOPLE),
        _f("sg_ticket_type", "list", "Type", valid_values=("Bug", "Feature", "Support")),
        _f("sg_priority", "list", "Priority", valid_values=("1", "2", "3", "4")),
    ],
    "TimeLog": [
        _f("description", "text", "Description"),
        _f("duration", "duration", "Duration"),
        _f("date", "date", "Date"),
        _f("entity", "entity", "Link", valid_types=("Task", "Ticket")),
        _f("user", "entity", "Person", valid_types=("HumanUser",)),
    ],
    "Delivery": [
        _f("title", "text", "Title"),
        _f("description", "text", "Description"),
        _status(("opn", "ip", "cmpt", "na"), "opn"),
        _f("sg_delivery_type", "list", "Type", valid_values=("Incoming", "Outgoing")),
        _f("due_date", "date", "Due Date"),
    ],
    # its rules are rows of permission_rules (shotlog.store.permission_rules), not fields
    "PermissionRuleSet": [
        _f("code", "text", "Name", unique=True, mandatory=True),
        _f("display_name", "text", "Display Name"),
        _f("description", "text", "Description"),
        _f("entity_type", "list", "For", valid_values=("HumanUser", "ApiUser"), default="HumanUser"),
    ],
    # an exception to a work week (work_schedule_update): for the studio, one project or one user
    "WorkDayRule": [
        _f("date", "date", "Date"),
        _f("working", "checkbox", "Working"),
        _f("description", "text", "Description"),
        _f("project", "entity", "Project", valid_types=("Project",)),
        _f("user", "entity", "User", valid_types=("HumanUser",)),
        _f("recalculate_field", "list", "Recalculate Field", valid_values=("due_date", "duration")),
    ],
}


def _common(type_name: str, project_scoped: bool) -> list[F]:
    fields = [
        _f("id", "number", "Id", editable=False),
        _f("created_at", "date_time", "Date Created", editable=False),
        _f("updated_at", "date_time", "Date Updated", editable=False),
        _f("created_by", "entity", "Created by", editable=False, valid_types=_USERS),
        _f("updated_by", "entity", "Updated by", editable=False, valid_types=_USERS),
        _f("cached_display_name", "text", "Cached Display Name", editable=False),
    ]
    if project_scoped:
        fields.append(_f("project", "entity", "Project", valid_types=("Project",)))
    return fields


def _event_log_fields() -> list[F]:
    # Every field of an EventLogEntry is read-only to updates; creates may set the writable ones.
    return [
        _f("id", "number", "Id", editable=False),
        _f("event_type", "text", "Event Type"),
        _f("description", "text", "Description"),
        _f("entity", "entity", "Link", valid_types=("*",)),
        _f("project", "entity", "Project", valid_types=("Project",)),
        _f("user", "entity", "Created By", editable=False, valid_types=_USERS),
        _f("attribute_name", "text", "Attribute Name"),
        _f("meta", "serializable", "Meta"),
        _f("session_uuid", "uuid", "Session Id", editable=False),
        _f("created_at", "date_time", "Date Created", editable=False),
        _f("cached_display_name", "text", "Cached Display Name", editable=False),
        _f("image", "image", "Thumbnail", editable=False),
        _f("filmstrip_image", "image", "Filmstrip Thumbnail", editable=False),
        _f("image_source_entity", "entity", "Image Source Entity", editable=False, valid_types=("*",)),
        _f("image_blur_hash", "text", "Image Blur Hash", editable=False),
    ]


def default_entity_types() -> list[EntityType]:
    types = [
        EntityType(name, display, table=f"entity_{name.lower()}", display_field=df, project_scoped=scoped)
        for name, display, df, scoped in _TYPES
    ]
    types.append(
        EntityType(
            "EventLogEntry",
            "Event Log Entry",
            table="event_log_entries",
            display_field="description",
            project_scoped=False,
            retirable=False,
            mutable=False,
        )
    )
    return types


def _to_field(type_name: str, spec: F) -> Field:
    name, dtype, display, extra = spec
    extra = dict(extra)
    for key in ("valid_types", "valid_values", "hidden_values"):
        if key in extra:
            extra[key] = tuple(extra[key])
    if "reverse_of" in extra:  # a reverse field links back to the type that holds the link
        extra["valid_types"] = (extra["reverse_of"].partition(".")[0],)
    return Field(entity_type=type_name, name=name, data_type=dtype, display_name=display, **extra)


def default_fields() -> list[Field]:
    out: list[Field] = []
    for name, _display, _df, scoped in _TYPES:
        specs = _common(name, scoped) + _FIELDS[name]
        seen: dict[str, F] = {}
        for spec in specs:  # a type's own spec overrides the common one (Page.project)
            seen[spec[0]] = spec
        out.extend(_to_field(name, s) for s in seen.values())
    out.extend(_to_field("EventLogEntry", s) for s in _event_log_fields())
    return out


def common_fields(type_name: str, project_scoped: bool) -> list[Field]:
    """The fields every entity type has (id, created_at/by, updated_at/by, project)."""
    return [_to_field(type_name, s) for s in _common(type_name, project_scoped)]
