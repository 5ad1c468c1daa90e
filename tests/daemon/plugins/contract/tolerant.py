"""stopOnError=False: logs the error and moves on."""

import json
import os


def registerCallbacks(reg):
    config = reg.logger.config
    out = os.path.join(config.get("tests", "out_dir"), "tolerant.jsonl")
    reg.registerCallback(
        config.get("tests", "tolerant_name"),
        config.get("tests", "tolerant_key"),
        maybe_fail,
        matchEvents={"Shotgun_Shot_New": None},
        args={"out": out},
        stopOnError=False,
    )


def maybe_fail(sg, logger, event, args):
    shot = sg.find_one("Shot", [["id", "is", event["meta"]["entity_id"]]], ["code"])
    if shot and "boom" in shot["code"]:
        raise ValueError("tolerant cannot handle {}".format(shot["code"]))
    with open(args["out"], "a") as fh:
        fh.write(json.dumps({"id": event["id"]}) + "\n")
