"""State kept in callable objects; their names follow upstream's <ClassName>_<hex id> rule."""

import functools
import json
import os


class Counter:
    def __init__(self, out):
        self.out = out
        self.calls = 0

    def __call__(self, sg, logger, event, args):
        self.calls += 1
        with open(self.out, "a") as fh:
            fh.write(
                json.dumps({"id": event["id"], "who": "Counter", "calls": self.calls, "logger": logger.name})
                + "\n"
            )


def _partial_target(out, sg, logger, event, args):
    with open(out, "a") as fh:
        fh.write(json.dumps({"id": event["id"], "who": "partial", "logger": logger.name}) + "\n")


def registerCallbacks(reg):
    config = reg.logger.config
    out = os.path.join(config.get("tests", "out_dir"), "callable_instances.jsonl")
    name, key = config.get("tests", "callable_instances_name"), config.get("tests", "callable_instances_key")
    reg.registerCallback(name, key, Counter(out), matchEvents={"Shotgun_Shot_New": None})
    reg.registerCallback(
        name, key, functools.partial(_partial_target, out), matchEvents={"Shotgun_Shot_New": None}
    )
