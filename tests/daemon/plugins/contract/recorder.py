"""Records every event it is given, with what the daemon passed alongside (sg, logger, args)."""

import datetime
import json
import os


def registerCallbacks(reg):
    config = reg.logger.config
    out = os.path.join(config.get("tests", "out_dir"), "recorder.jsonl")
    reg.registerCallback(
        config.get("tests", "recorder_name"),
        config.get("tests", "recorder_key"),
        record,
        matchEvents=None,
        args={"out": out},
    )


def record(sg, logger, event, args):
    created = event["created_at"]
    row = {
        "id": event["id"],
        "keys": sorted(event),
        "type": event["type"],
        "event_type": event["event_type"],
        "attribute_name": event["attribute_name"],
        "entity": event["entity"],
        "meta": event["meta"],
        "session_uuid": event["session_uuid"],
        "created_at_aware": isinstance(created, datetime.datetime) and created.tzinfo is not None,
        "created_at_tz": type(created.tzinfo).__name__ if isinstance(created, datetime.datetime) else None,
        "created_at_utc": created.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sg_script": sg.config.script_name,
        "sg_session_uuid": sg.config.session_uuid,
        "logger": logger.name,
        "logger_has_config": hasattr(logger, "config"),
    }
    with open(args["out"], "a") as fh:
        fh.write(json.dumps(row) + "\n")
