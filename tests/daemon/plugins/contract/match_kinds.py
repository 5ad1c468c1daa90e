"""One callback per kind of matchEvents value; each records the events it was given."""

import json
import os

STATE = {"out": None}  # set at registration; a module global shared by the callbacks


def registerCallbacks(reg):
    config = reg.logger.config
    STATE["out"] = os.path.join(config.get("tests", "out_dir"), "match_kinds.jsonl")
    name, key = config.get("tests", "match_kinds_name"), config.get("tests", "match_kinds_key")
    reg.registerCallback(name, key, as_string, matchEvents={"Shotgun_Shot_Change": "sg_status_list"})
    reg.registerCallback(name, key, as_list, matchEvents={"Shotgun_Shot_Change": ["sg_status_list"]})
    reg.registerCallback(name, key, as_none, matchEvents={"Shotgun_Shot_New": None})
    reg.registerCallback(name, key, star_attr, matchEvents={"Shotgun_Shot_New": ["*"]})
    reg.registerCallback(name, key, star_type, matchEvents={"*": ["description"], "Shotgun_Shot_New": None})
    reg.registerCallback(name, key, new_with_attr, matchEvents={"Shotgun_Shot_New": ["code"]})


def _note(cb, event):
    with open(STATE["out"], "a") as fh:
        fh.write(
            json.dumps(
                {"cb": cb, "id": event["id"], "type": event["event_type"], "attr": event["attribute_name"]}
            )
            + "\n"
        )


def as_string(sg, logger, event, args):
    _note("as_string", event)


def as_list(sg, logger, event, args):
    _note("as_list", event)


def as_none(sg, logger, event, args):
    _note("as_none", event)


def star_attr(sg, logger, event, args):
    _note("star_attr", event)


def star_type(sg, logger, event, args):
    _note("star_type", event)


def new_with_attr(sg, logger, event, args):
    _note("new_with_attr", event)
