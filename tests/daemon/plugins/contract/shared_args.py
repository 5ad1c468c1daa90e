"""State shared through the mutable ``args`` object: the same object on every call."""

import json
import os


def registerCallbacks(reg):
    config = reg.logger.config
    state = {"calls": 0, "ids": [], "out": os.path.join(config.get("tests", "out_dir"), "shared_args.jsonl")}
    name, key = config.get("tests", "shared_args_name"), config.get("tests", "shared_args_key")
    reg.registerCallback(name, key, count, matchEvents={"Shotgun_Shot_New": None}, args=state)
    reg.registerCallback(name, key, count, matchEvents={"Shotgun_Shot_New": None}, args=state)


def count(sg, logger, event, args):
    args["calls"] += 1
    with open(args["out"], "a") as fh:
        fh.write(json.dumps({"id": event["id"], "calls": args["calls"], "args_id": id(args)}) + "\n")
