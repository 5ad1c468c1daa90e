"""task_status_to_entity: when every Task of an entity is final, set the entity final.

Listens to Task status changes. When the changed Task's siblings (the Tasks linked to the same
entity) all have a final status, the entity (Shot, Asset, ...) gets ``entity_final_status``. When a
Task leaves the final statuses again, the entity goes back to ``reopen_status``.

Settings, section [task_status_to_entity]:
    script_name, script_key   an ApiUser (or env SGDAEMON_TASK_STATUS_TO_ENTITY_NAME / _KEY)
    final_statuses            Task statuses that count as final, comma-separated (default: fin, na, omt)
    entity_final_status       status given to the entity (default: fin)
    reopen_status             status given to a final entity when a Task reopens; empty: leave it
                              (default: ip)
    ignore_statuses           Task statuses a Task may move to without reopening its entity (default: na, omt)
"""

import os

SECTION = "task_status_to_entity"


def _setting(config, key, default=None):
    if config is not None and config.has_option(SECTION, key):
        return config.get(SECTION, key)
    env = "SGDAEMON_{}_{}".format(SECTION.upper(), key.split("_")[-1].upper())
    return os.environ.get(env, default) if key.startswith("script_") else default


def _statuses(text):
    return {s.strip() for s in (text or "").split(",") if s.strip()}


def registerCallbacks(reg):
    config = reg.logger.config
    name, key = _setting(config, "script_name"), _setting(config, "script_key")
    if not name or not key:
        reg.logger.warning("[%s] script_name and script_key are not set: not registering", SECTION)
        return
    args = {
        "final": _statuses(_setting(config, "final_statuses", "fin, na, omt")),
        "entity_final": _setting(config, "entity_final_status", "fin"),
        "reopen": _setting(config, "reopen_status", "ip"),
        "ignore": _statuses(_setting(config, "ignore_statuses", "na, omt")),
    }
    reg.registerCallback(name, key, task_status_changed, {"Shotgun_Task_Change": ["sg_status_list"]}, args)


def task_status_changed(sg, logger, event, args):
    meta = event.get("meta") or {}
    task = sg.find_one("Task", [["id", "is", meta.get("entity_id")]], ["entity", "sg_status_list"])
    if not task or not task.get("entity"):
        return
    parent = task["entity"]
    if parent["type"] == "Project":
        return
    new = meta.get("new_value")
    parent_row = sg.find_one(parent["type"], [["id", "is", parent["id"]]], ["sg_status_list"])
    if parent_row is None:
        return
    if new in args["final"]:
        siblings = sg.find("Task", [["entity", "is", parent]], ["sg_status_list"])
        all_final = all(t["sg_status_list"] in args["final"] for t in siblings)
        if all_final and parent_row.get("sg_status_list") != args["entity_final"]:
            sg.update(parent["type"], parent["id"], {"sg_status_list": args["entity_final"]})
            logger.info("%s %d: every Task is final", parent["type"], parent["id"])
    elif (
        args["reopen"]
        and new not in args["ignore"]
        and parent_row.get("sg_status_list") == args["entity_final"]
    ):
        sg.update(parent["type"], parent["id"], {"sg_status_list": args["reopen"]})
        logger.info("%s %d reopened by Task %d", parent["type"], parent["id"], task["id"])
