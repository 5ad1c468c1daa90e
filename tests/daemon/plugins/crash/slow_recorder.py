"""Appends each event id to a file, slowly, so a test can kill the daemon in the middle of a backlog."""

import os
import time


def registerCallbacks(reg):
    config = reg.logger.config
    out = os.path.join(config.get("tests", "out_dir"), "slow_recorder.ids")
    reg.registerCallback(
        config.get("tests", "slow_recorder_name"),
        config.get("tests", "slow_recorder_key"),
        record,
        args={"out": out},
    )


def record(sg, logger, event, args):
    time.sleep(0.01)
    with open(args["out"], "a") as fh:
        fh.write(f"{event['id']}\n")
        fh.flush()
        os.fsync(fh.fileno())
