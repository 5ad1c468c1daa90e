"""log_events: log every event the daemon sees (an installation check, like upstream's logArgs).

Settings, section [log_events] of the daemon's configuration file:
    script_name, script_key   an ApiUser (or env SGDAEMON_LOG_EVENTS_NAME / SGDAEMON_LOG_EVENTS_KEY)
    level                     logging level of the lines, default INFO
"""

import logging
import os

SECTION = "log_events"


def _setting(config, key, default=None):
    if config is not None and config.has_option(SECTION, key):
        return config.get(SECTION, key)
    return os.environ.get("SGDAEMON_{}_{}".format(SECTION.upper(), key.split("_")[-1].upper()), default)


def registerCallbacks(reg):
    config = reg.logger.config
    name, key = _setting(config, "script_name"), _setting(config, "script_key")
    if not name or not key:
        reg.logger.warning("[%s] script_name and script_key are not set: not registering", SECTION)
        return
    level = logging.getLevelName(str(_setting(config, "level", "INFO")).upper())
    if not isinstance(level, int):
        raise ValueError(
            "[{}] level must be a logging level name, got {!r}".format(SECTION, _setting(config, "level"))
        )
    reg.registerCallback(name, key, log_event, matchEvents=None, args={"level": level})
    reg.logger.setLevel(min(level, reg.logger.level or level))


def log_event(sg, logger, event, args):
    entity = event.get("entity") or {}
    logger.log(
        args["level"],
        "%s #%d %s %s %s",
        event["event_type"],
        event["id"],
        entity.get("type", "-"),
        entity.get("id", "-"),
        event.get("attribute_name") or "",
    )
