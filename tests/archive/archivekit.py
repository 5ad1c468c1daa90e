"""Helpers of the archive tests: the old log's dates and the events as exported records."""

from __future__ import annotations

import datetime as dt
from typing import Any

import shotlog
from shotlog.export import ALL_COLUMNS, EventQuery, Export, StoreSource

START = dt.datetime(2024, 1, 1)


NOW = START + dt.timedelta(days=400)


def records(sg: shotlog.Shotlog) -> list[dict[str, Any]]:
    import json

    raw = b"".join(Export(StoreSource(sg), EventQuery(), list(ALL_COLUMNS), "jsonl").chunks())
    return [json.loads(line) for line in raw.splitlines()]
