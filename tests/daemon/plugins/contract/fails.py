"""stopOnError=True: "ok" runs first and succeeds, "strict" raises on Shots whose code has "boom"
until the file is fixed (tests rewrite FIXED below); "after" runs last."""

import json
import os

FIXED = False
STATE = {"out": None}  # set at registration; a module global shared by the callbacks


def registerCallbacks(reg):
    config = reg.logger.config
    STATE["out"] = os.path.join(config.get("tests", "out_dir"), "fails.jsonl")
    name, key = config.get("tests", "fails_name"), config.get("tests", "fails_key")
    reg.registerCallback(name, key, ok, matchEvents={"Shotgun_Shot_New": None})
    reg.registerCallback(name, key, strict, matchEvents={"Shotgun_Shot_New": None}, stopOnError=True)
    reg.registerCallback(name, key, after, matchEvents={"Shotgun_Shot_New": None})


def _note(cb, event):
    with open(STATE["out"], "a") as fh:
        fh.write(json.dumps({"cb": cb, "id": event["id"], "fixed": FIXED}) + "\n")


def _code(sg, event):
    shot = sg.find_one("Shot", [["id", "is", event["meta"]["entity_id"]]], ["code"])
    return shot["code"] if shot else ""


def ok(sg, logger, event, args):
    _note("ok", event)


def strict(sg, logger, event, args):
    if "boom" in _code(sg, event) and not FIXED:
        raise RuntimeError("boom in shot {}".format(event["meta"]["entity_id"]))
    _note("strict", event)


def after(sg, logger, event, args):
    _note("after", event)
