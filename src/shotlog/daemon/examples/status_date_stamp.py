"""status_date_stamp: stamp a date field when a status field changes into given statuses.

Listens to changes of ``status_field`` on ``entity_type``. When the new value is one of
``statuses``, ``date_field`` is set to today's date (the daemon host's local date), unless it already
has a value and ``overwrite`` is off.

Settings, section [status_date_stamp]:
    script_name, script_key   an ApiUser (or env SGDAEMON_STATUS_DATE_STAMP_NAME / _KEY)
    entity_type               default: Task
    status_field              default: sg_status_list
    statuses                  comma-separated (default: ip)
    date_field                a date field of entity_type (default: start_date)
    overwrite                 true/false (default: false)
"""

import datetime
import os

SECTION = "status_date_stamp"


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
    entity_type = _setting(config, "entity_type", "Task")
    status_field = _setting(config, "status_field", "sg_status_list")
    args = {
        "entity_type": entity_type,
        "statuses": {s.strip() for s in _setting(config, "statuses", "ip").split(",") if s.strip()},
        "date_field": _setting(config, "date_field", "start_date"),
        "overwrite": str(_setting(config, "overwrite", "false")).lower() in ("1", "true", "yes", "on"),
    }
    reg.registerCallback(name, key, stamp, {f"Shotgun_{entity_type}_Change": [status_field]}, args)


def stamp(sg, logger, event, args):
    meta = event.get("meta") or {}
    if meta.get("new_value") not in args["statuses"]:
        return
    entity_id = meta.get("entity_id")
    row = sg.find_one(args["entity_type"], [["id", "is", entity_id]], [args["date_field"]])
    if row is None or (row.get(args["date_field"]) and not args["overwrite"]):
        return
    today = datetime.date.today().isoformat()
    sg.update(args["entity_type"], entity_id, {args["date_field"]: today})
    logger.info("%s %d: %s = %s", args["entity_type"], entity_id, args["date_field"], today)
