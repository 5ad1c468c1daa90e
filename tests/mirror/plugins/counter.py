"""Writes the id of every event it is given to ``counter.jsonl`` (the mirror tests count them)."""

import json
import os


def registerCallbacks(reg):
    config = reg.logger.config
    reg.registerCallback(
        config.get("tests", "script_name"),
        config.get("tests", "script_key"),
        record,
        matchEvents=None,
        args={"out": os.path.join(config.get("tests", "out_dir"), "counter.jsonl")},
    )


def record(sg, logger, event, args):
    with open(args["out"], "a") as fh:
        fh.write(json.dumps({"id": event["id"], "entity": event["entity"]}) + "\n")
