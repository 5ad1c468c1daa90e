"""Pages filtered by ``field in [...]`` and ordered by id come out the same when split per value."""

from __future__ import annotations

import random

import pytest

import shotlog
from shotlog.store import reader


@pytest.fixture
def sg(db_url: str):  # type: ignore[no-untyped-def]
    with shotlog.connect(db_url, migrate=False) as conn:
        yield conn


def test_split_pages_equal_unsplit_slices(sg: shotlog.Shotlog, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    statuses = ["wtg", "ip", "fin", "hld", "omt"]
    project = sg.create("Project", {"name": "Split"})
    other = sg.create("Project", {"name": "Other"})
    sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "Shot",
                "data": {
                    "code": f"s{i:03d}",
                    "sg_status_list": rng.choice(statuses),
                    "project": rng.choice([project, other]),
                },
            }
            for i in range(120)
        ]
    )
    retired = sg.find("Shot", [["sg_status_list", "is", "ip"]], ["id"], limit=3)
    for r in retired:
        sg.delete("Shot", r["id"])

    calls: list[int] = []
    real = reader._page_ids_by_value

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)
        calls.append(0 if out is None else 1)
        return out

    monkeypatch.setattr(reader, "_page_ids_by_value", spy)
    for wanted in (["ip", "fin"], ["wtg", "hld", "omt"], ["fin", "nope"]):
        filters = [["sg_status_list", "in", wanted], ["project", "is", project]]
        full = sg.find(
            "Shot", filters, ["code", "sg_status_list"], order=[{"field_name": "id", "direction": "asc"}]
        )
        assert calls.pop() == 0  # no limit: the plain query
        assert full and {r["sg_status_list"] for r in full} <= set(wanted)
        for direction in ("asc", "desc"):
            expected = full if direction == "asc" else full[::-1]
            for page in (1, 2, 3):
                got = sg.find(
                    "Shot",
                    filters,
                    ["code", "sg_status_list"],
                    order=[{"field_name": "id", "direction": direction}],
                    limit=7,
                    page=page,
                )
                assert calls.pop() == 1  # the split path answered
                assert got == expected[(page - 1) * 7 : page * 7]
