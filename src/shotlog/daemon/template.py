"""``shotlog daemon new-plugin NAME``: a commented starting point in shotgunEvents' plugin format."""

from __future__ import annotations

import keyword
import re

__all__ = ["plugin_source", "valid_plugin_name"]

_TEMPLATE = '''"""{name}: <one line saying what this plugin does>.

A shotgunEvents plugin: it runs unchanged under shotlog's daemon and under shotgunEvents.
The daemon loads every *.py file of its plugin directories and calls registerCallbacks(reg).

Settings (read from the daemon's configuration file, section [{name}]):
    script_name, script_key   the ApiUser this plugin writes as (one script per plugin makes its
                              writes easy to attribute, and to revoke)
"""

import os


def registerCallbacks(reg):
    """Called on every (re)load. Register callbacks here; raise or register nothing to stay idle."""
    config = reg.logger.config  # the daemon's configuration file, without the daemon's own secrets
    section = "{name}"
    script_name = config.get(section, "script_name", fallback=os.environ.get("SGDAEMON_{upper}_NAME"))
    script_key = config.get(section, "script_key", fallback=os.environ.get("SGDAEMON_{upper}_KEY"))
    if not script_name or not script_key:
        reg.logger.warning("[%s] script_name/script_key are not set: not registering", section)
        return

    # matchEvents: event type -> attribute names. None = all events of the type, ["*"] too;
    # {{"*": [...]}} = those attributes on any event type. A bare string is a *substring* test
    # (upstream's behaviour, kept): prefer lists.
    match_events = {{"Shotgun_Shot_Change": ["sg_status_list"]}}

    reg.registerCallback(
        script_name,
        script_key,
        on_event,
        matchEvents=match_events,
        args={{"counter": 0}},  # passed back unchanged (the same object) on every call
        stopOnError=True,  # True: stop this plugin at the first error until it is fixed or resumed
    )
    # reg.setEmails("td@example.com")  # who gets this plugin's error emails (True: the default list)


def on_event(sg, logger, event, args):
    """sg: this callback's own shotgun_api3 connection; event: the EventLogEntry dict."""
    args["counter"] += 1
    entity = event["entity"]  # None when the entity has been retired since
    if entity is None:
        return
    new_value = (event.get("meta") or {{}}).get("new_value")
    logger.info("%s %s: %s -> %s", entity["type"], entity["id"], event["attribute_name"], new_value)
    # sg.update(entity["type"], entity["id"], {{"description": "..."}})
'''


def valid_plugin_name(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", name)) and not keyword.iskeyword(name)


def plugin_source(name: str) -> str:
    return _TEMPLATE.format(name=name, upper=name.upper())
