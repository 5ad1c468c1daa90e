"""version_approved: when a Version is approved, update its Shot and its Task.

Listens to Version status changes. When the new status is ``approved_status``, the Version's
``entity`` (if it is a Shot) gets ``shot_status`` and its ``sg_task`` gets ``task_status``; the
Shot's ``shot_version_field`` (if set, an entity field) is pointed at the Version.

Settings, section [version_approved]:
    script_name, script_key   an ApiUser (or env SGDAEMON_VERSION_APPROVED_NAME / _KEY)
    approved_status           Version status that means approved (default: apr)
    shot_status               status given to the Shot; empty: leave it (default: fin)
    task_status               status given to the Task; empty: leave it (default: fin)
    shot_version_field        entity field of Shot to point at the approved Version; empty: none
                              (default: empty)
"""

import os

SECTION = "version_approved"


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
    args = {
        "approved": _setting(config, "approved_status", "apr"),
        "shot_status": _setting(config, "shot_status", "fin"),
        "task_status": _setting(config, "task_status", "fin"),
        "version_field": _setting(config, "shot_version_field", ""),
    }
    reg.registerCallback(
        name, key, version_status_changed, {"Shotgun_Version_Change": ["sg_status_list"]}, args
    )


def version_status_changed(sg, logger, event, args):
    meta = event.get("meta") or {}
    if meta.get("new_value") != args["approved"]:
        return
    version = sg.find_one("Version", [["id", "is", meta.get("entity_id")]], ["entity", "sg_task", "code"])
    if version is None:
        return
    shot = version.get("entity")
    if shot and shot["type"] == "Shot":
        data = {}
        if args["shot_status"]:
            data["sg_status_list"] = args["shot_status"]
        if args["version_field"]:
            data[args["version_field"]] = {"type": "Version", "id": version["id"]}
        if data:
            sg.update("Shot", shot["id"], data)
    task = version.get("sg_task")
    if task and args["task_status"]:
        sg.update("Task", task["id"], {"sg_status_list": args["task_status"]})
    logger.info(
        "Version %s approved: Shot %s, Task %s updated",
        version.get("code"),
        shot and shot["id"],
        task and task["id"],
    )
