"""Writes back through its own connection: a new Shot gets a description."""

import json
import os


def registerCallbacks(reg):
    config = reg.logger.config
    out = os.path.join(config.get("tests", "out_dir"), "writer.jsonl")
    reg.registerCallback(
        config.get("tests", "writer_name"),
        config.get("tests", "writer_key"),
        describe,
        matchEvents={"Shotgun_Shot_New": None},
        args={"out": out},
    )


def describe(sg, logger, event, args):
    shot = event["entity"]
    if shot is None:
        return
    sg.update("Shot", shot["id"], {"description": f"seen by writer {event['id']}"})
    with open(args["out"], "a") as fh:
        fh.write(json.dumps({"id": event["id"], "shot": shot["id"]}) + "\n")
