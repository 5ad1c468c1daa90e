"""Three callbacks sharing state through a module global; the order they run in is recorded."""

import json
import os

COUNTER = {"n": 0}
STATE = {"out": None}  # set at registration; a module global shared by the callbacks


def registerCallbacks(reg):
    config = reg.logger.config
    STATE["out"] = os.path.join(config.get("tests", "out_dir"), "shared_globals.jsonl")
    name, key = config.get("tests", "shared_globals_name"), config.get("tests", "shared_globals_key")
    reg.registerCallback(name, key, first, matchEvents={"Shotgun_Shot_New": None})
    reg.registerCallback(name, key, second, matchEvents={"Shotgun_Shot_New": None})
    reg.registerCallback(name, key, third, matchEvents={"Shotgun_Shot_New": None})


def _note(which, event):
    COUNTER["n"] += 1
    # The event dict is shared by this plugin's callbacks: what "first" adds, "third" sees.
    event.setdefault("touched_by", []).append(which)
    with open(STATE["out"], "a") as fh:
        fh.write(
            json.dumps({"id": event["id"], "cb": which, "n": COUNTER["n"], "touched": event["touched_by"]})
            + "\n"
        )


def first(sg, logger, event, args):
    _note("first", event)


def second(sg, logger, event, args):
    _note("second", event)


def third(sg, logger, event, args):
    _note("third", event)
