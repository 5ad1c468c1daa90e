"""How ``shotlog serve`` writes its log: text lines or JSON lines, each with its request's id.

One handler on standard error takes the records of uvicorn and of shotlog alike, through
``RequestIdFilter`` (``server.request_log``). ``SHOTLOG_LOG_FORMAT`` picks the layout:

* ``text``: ``2026-05-04T10:11:12.345Z INFO shotlog.request [3f9c…] 127.0.0.1:5123 - "POST /api3/json
  HTTP/1.1" 200 OK 1.9 ms api3 read ok``; the bracketed id is there on the lines a request caused;
* ``json``: one object a line, ``time``, ``level``, ``logger``, ``message``, ``request_id`` (when
  there is one), the request line's fields (``method``, ``target``, ``status``, ``duration_ms``…)
  and ``exception`` (the traceback's text) for a logged failure.

uvicorn's own access log is off: ``RequestLog`` writes the one line per request instead, with its
id and secrets redacted.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import orjson

from shotlog.server.request_log import RequestIdFilter

__all__ = ["FORMATS", "JsonFormatter", "TextFormatter", "log_config"]

#: the values of SHOTLOG_LOG_FORMAT
FORMATS = ("text", "json")


def _timestamp(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``<UTC time> <LEVEL> <logger> [<request id>] <message>``, the traceback below it if any."""

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        tag = f" [{rid}]" if rid else ""
        line = f"{_timestamp(record)} {record.levelname} {record.name}{tag} {record.getMessage()}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        elif record.exc_text:
            line = f"{line}\n{record.exc_text}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        fields = getattr(record, "request", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        # default=str: a message argument of any type must not cost the line
        return orjson.dumps(out, default=str).decode()


def log_config(fmt: str, level: str) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of ``shotlog serve`` (given to uvicorn as ``log_config``)."""
    if fmt not in FORMATS:
        raise ValueError(f"the log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"shotlog": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "shotlog",
                "filters": ["request_id"],
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.error": {"level": upper},
            # replaced by RequestLog's line; never on, whatever the level
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "shotlog": {"handlers": ["stderr"], "level": upper, "propagate": False},
        },
    }
