"""note_from_field: create a Note from a text field when it changes.

Listens to changes of ``field`` on ``entity_type``. When the new value is not empty, a Note is
created on the entity's Project, linked to the entity, with the text as its body and
``subject_prefix`` + the entity's name as its subject, authored by the user who made the change.

Settings, section [note_from_field]:
    script_name, script_key   an ApiUser (or env SGDAEMON_NOTE_FROM_FIELD_NAME / _KEY)
    entity_type               default: Version
    field                     a text field (default: description)
    subject_prefix            default: "Note from "
"""

import os

SECTION = "note_from_field"


def _setting(config, key, default=None):
    if config is not None and config.has_option(SECTION, key):
        return config.get(SECTION, key)
    env = "SGDAEMON_{}_{}".format(SECTION.upper(), key.split("_")[-1].upper())
    return os.environ.get(env, default) if key.startswith("script_") else default


def registerCallbacks(reg):
    config = reg.logger.config
    name, key = _setting(config, "script_name"), _setting(config, "script_key")
    if not name or not key:
        reg.logger.warning("[%s] script_name and script_key are not set: not registering", SECTION)
        return
    entity_type = _setting(config, "entity_type", "Version")
    field = _setting(config, "field", "description")
    args = {
        "entity_type": entity_type,
        "field": field,
        "prefix": _setting(config, "subject_prefix", "Note from "),
    }
    reg.registerCallback(name, key, make_note, {f"Shotgun_{entity_type}_Change": [field]}, args)


def make_note(sg, logger, event, args):
    meta = event.get("meta") or {}
    text = meta.get("new_value")
    if not isinstance(text, str) or not text.strip():
        return
    entity = event.get("entity")
    project = event.get("project")
    if entity is None or project is None:
        return  # retired since, or not in a project
    data = {
        "project": {"type": "Project", "id": project["id"]},
        "subject": "{}{}".format(args["prefix"], entity.get("name") or f"{entity['type']} {entity['id']}"),
        "content": text,
        "note_links": [{"type": entity["type"], "id": entity["id"]}],
    }
    user = event.get("user")
    if user and user.get("type") == "HumanUser":
        data["user"] = {"type": "HumanUser", "id": user["id"]}
    note = sg.create("Note", data)
    logger.info("Note %d created from %s %d.%s", note["id"], entity["type"], entity["id"], args["field"])
