"""assignees_to_project: add the people assigned to a Task to the Task's Project.

Listens to changes of Task ``task_assignees``. Every HumanUser added (directly, or as a member of an
added Group) who is not yet in the Project's ``users`` is added to it. Nobody is ever removed.

Settings, section [assignees_to_project]:
    script_name, script_key   an ApiUser (or env SGDAEMON_ASSIGNEES_TO_PROJECT_NAME / _KEY)
    project_field             the Project's multi-entity field of people (default: users)
"""

import os

SECTION = "assignees_to_project"


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
    args = {"field": _setting(config, "project_field", "users")}
    reg.registerCallback(name, key, assignees_changed, {"Shotgun_Task_Change": ["task_assignees"]}, args)


def assignees_changed(sg, logger, event, args):
    meta = event.get("meta") or {}
    added = meta.get("added") or []
    if not added:
        return
    people = set()
    for link in added:
        if link.get("type") == "HumanUser":
            people.add(link["id"])
        elif link.get("type") == "Group":
            group = sg.find_one("Group", [["id", "is", link["id"]]], ["users"])
            people.update(u["id"] for u in (group or {}).get("users") or [] if u["type"] == "HumanUser")
    task = sg.find_one("Task", [["id", "is", meta.get("entity_id")]], ["project"])
    if not people or not task or not task.get("project"):
        return
    project = sg.find_one("Project", [["id", "is", task["project"]["id"]]], [args["field"]])
    have = {u["id"] for u in (project or {}).get(args["field"]) or [] if u["type"] == "HumanUser"}
    missing = sorted(people - have)
    if not missing:
        return
    sg.update(
        "Project",
        task["project"]["id"],
        {args["field"]: [{"type": "HumanUser", "id": i} for i in missing]},
        multi_entity_update_modes={args["field"]: "add"},
    )
    logger.info(
        "Project %d: added people %s assigned to Task %d",
        task["project"]["id"],
        missing,
        meta.get("entity_id"),
    )
