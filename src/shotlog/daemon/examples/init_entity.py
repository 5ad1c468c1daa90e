"""init_entity: fill default values on new entities.

Listens to ``Shotgun_<entity_type>_New``. Each field of ``defaults`` that is still empty on the new
entity is set; fields someone already filled are left alone.

Settings, section [init_entity]:
    script_name, script_key   an ApiUser (or env SGDAEMON_INIT_ENTITY_NAME / _KEY)
    entity_type               default: Shot
    defaults                  a JSON object of field -> value (default: {"description": "New shot"})
"""

import json
import os

SECTION = "init_entity"


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
    entity_type = _setting(config, "entity_type", "Shot")
    raw = _setting(config, "defaults", '{"description": "New shot"}')
    try:
        defaults = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"[{SECTION}] defaults is not JSON: {exc}") from None
    if not isinstance(defaults, dict) or not defaults:
        raise ValueError(f"[{SECTION}] defaults must be a JSON object of field values, got {raw!r}")
    args = {"entity_type": entity_type, "defaults": defaults}
    reg.registerCallback(name, key, fill_defaults, {f"Shotgun_{entity_type}_New": None}, args)


def fill_defaults(sg, logger, event, args):
    entity_id = (event.get("meta") or {}).get("entity_id")
    row = sg.find_one(args["entity_type"], [["id", "is", entity_id]], list(args["defaults"]))
    if row is None:
        return  # retired since
    data = {f: v for f, v in args["defaults"].items() if row.get(f) in (None, "", [])}
    if data:
        sg.update(args["entity_type"], entity_id, data)
        logger.info("%s %d: filled %s", args["entity_type"], entity_id, sorted(data))
