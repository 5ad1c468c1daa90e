"""The demo's story as data (``shotlog.demo.story``): deterministic, nine months long, believable."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest

from shotlog.demo import pictures
from shotlog.demo.cast import PEOPLE, STORY_DAYS
from shotlog.demo.story import ACTIONS, Beat, Ref, plot, story_start

END = dt.datetime(2026, 6, 30, 15, 20)


@pytest.fixture(scope="module")
def beats() -> list[Beat]:
    return plot(1, END)


def test_the_same_seed_tells_the_same_story(beats: list[Beat]) -> None:
    assert plot(1, END) == beats
    other = plot(2, END)
    assert other != beats
    assert [b.at for b in other] != [b.at for b in beats]


def test_the_story_spans_nine_months_and_ends_before_now(beats: list[Beat]) -> None:
    start = story_start(END)
    assert start == dt.datetime(2025, 10, 3)  # midnight, STORY_DAYS before the end
    assert beats[0].at - start < dt.timedelta(days=1)
    assert END - beats[-1].at < dt.timedelta(days=3)
    assert all(start <= b.at < END for b in beats)
    assert [b.at for b in beats] == sorted(b.at for b in beats)
    assert all(b.at.microsecond == 0 for b in beats)  # what the event log stores
    months = {(b.at.year, b.at.month) for b in beats}
    assert len(months) >= STORY_DAYS // 31


def test_work_happens_in_working_hours(beats: list[Beat]) -> None:
    people = [b for b in beats if b.actor not in (None, "status_rollup")]
    assert all(b.at.weekday() < 5 for b in people)
    assert all(9 <= b.at.hour < 20 for b in people)  # a few minutes past 19:00 for the last write


def test_every_role_acts(beats: list[Beat]) -> None:
    actors = Counter(b.actor for b in beats)
    roles = {p.rule_set for p in PEOPLE if actors[p.login]}
    assert roles == {"Admin", "Manager", "Artist", "Vendor", "Client"}
    assert actors["status_rollup"] > 50  # the event daemon's script
    assert {b.action for b in beats} == set(ACTIONS)


def test_no_one_acts_before_joining_or_after_leaving(beats: list[Beat]) -> None:
    start = story_start(END)
    for person in PEOPLE:
        days = [(b.at - start).days for b in beats if b.actor == person.login]
        assert days, person.login
        assert min(days) >= person.joins
        if person.leaves is not None:
            assert max(days) <= person.leaves


def test_task_statuses_move_forward(beats: list[Beat]) -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for b in beats:
        if b.entity_type == "Task" and "sg_status_list" in b.data:
            seen[b.key].append(b.data["sg_status_list"])
    allowed = {"wtg": {"rdy", "ip"}, "rdy": {"ip"}, "ip": {"rev"}, "rev": {"ip", "fin"}}
    finished = 0
    for key, statuses in seen.items():
        for before, after in itertools.pairwise(statuses):
            assert after in allowed[before], (key, statuses)
        finished += statuses[-1] == "fin"
    assert finished > 50
    assert any(s[-1] in ("ip", "rev") for s in seen.values())  # work still going on at the end


@pytest.mark.parametrize("days_later", [0, 1, 2, 3, 4, 5, 6])  # the story starting on each weekday
def test_links_and_actors_exist_when_used(days_later: int) -> None:
    created: set[str] = set()
    deleted: set[str] = set()

    def refs(value: object) -> list[str]:
        if isinstance(value, Ref):
            return [value.key]
        if isinstance(value, list):
            return [k for v in value for k in refs(v)]
        return []

    for b in plot(1, END + dt.timedelta(days=days_later, hours=5 * days_later)):
        if b.actor is not None:
            assert {f"HumanUser:{b.actor}", f"ApiUser:{b.actor}"} & created, b
        for key in (k for v in b.data.values() for k in refs(v)):
            assert key in created and key not in deleted, (b, key)
        if b.action == "create":
            created.add(b.key)
        elif b.action == "delete":
            deleted.add(b.key)
        elif b.action in ("update", "thumbnail", "share"):
            assert b.key in created and b.key not in deleted, b


def test_toolkit_events_and_the_omitted_shot(beats: list[Beat]) -> None:
    events = Counter(b.data["event_type"] for b in beats if b.action == "event")
    assert events["Toolkit_App_Startup"] > 50
    assert events["Toolkit_Folders_Create"] > 20
    assert [b.key for b in beats if b.action == "delete"] == ["Shot:LH_020_0050"]


def test_a_short_story_is_the_beginning_of_the_long_one() -> None:
    short = plot(1, END, days=30)
    assert short and all(b.at < END for b in short)
    assert story_start(END, 30) == dt.datetime(2026, 5, 31)


def test_pictures_are_pngs_and_repeatable() -> None:
    one = pictures.seascape("LH_010_0010_cmp_v001", 0.3, 0.7)
    assert one.startswith(b"\x89PNG")
    assert pictures.seascape("LH_010_0010_cmp_v001", 0.3, 0.7) == one
    assert pictures.seascape("LH_010_0010_cmp_v001", 0.6, 0.7) != one
