"""The pure parts of the archive and the export query: table-driven."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shotlog.archive.policy import ArchivePolicy, month_of, next_month, purge_due, segment_key
from shotlog.errors import ValidationError
from shotlog.export.query import EventQuery, glob_prefix, glob_to_regex


@pytest.mark.parametrize(
    ("when", "month", "following"),
    [
        (dt.datetime(2024, 1, 31, 23, 59), "2024-01", dt.datetime(2024, 2, 1)),
        (dt.datetime(2024, 12, 1), "2024-12", dt.datetime(2025, 1, 1)),
        (dt.datetime(2023, 2, 28, 12), "2023-02", dt.datetime(2023, 3, 1)),
    ],
)
def test_months(when: dt.datetime, month: str, following: dt.datetime) -> None:
    assert month_of(when) == month
    assert next_month(when) == following


def test_segment_key_sorts_by_time_and_names_its_ids() -> None:
    assert segment_key("2024-03", 1, 250_000) == "2024/2024-03/events-000000000001-000000250000.jsonl.gz"
    keys = [segment_key("2024-10", 900, 999), segment_key("2024-09", 10, 899), segment_key("2023-12", 1, 9)]
    assert sorted(keys) == keys[::-1]


def test_policy_windows_and_settings() -> None:
    now = dt.datetime(2025, 7, 1)
    policy = ArchivePolicy(url="/x", live_days=183, keep_days=1826)
    assert policy.cutoff(now) == dt.datetime(2024, 12, 30)
    assert purge_due(dt.datetime(2020, 6, 30), now, policy)
    assert not purge_due(dt.datetime(2020, 7, 2), now, policy)
    assert not purge_due(None, now, policy)
    env = {
        "SHOTLOG_ARCHIVE_URL": "s3://b/p",
        "SHOTLOG_ARCHIVE_LIVE_DAYS": "30",
        "SHOTLOG_ARCHIVE_INTERVAL": "0",
    }
    loaded = ArchivePolicy.from_env(env)
    assert (loaded.url, loaded.live_days, loaded.keep_days, loaded.interval) == ("s3://b/p", 30, 1826, 0)
    assert ArchivePolicy.from_env({"SHOTLOG_ARCHIVE_URL": "none"}).url is None
    for bad, message in [
        ({"SHOTLOG_ARCHIVE_LIVE_DAYS": "six months"}, "SHOTLOG_ARCHIVE_LIVE_DAYS must be a number"),
        ({"SHOTLOG_ARCHIVE_LIVE_DAYS": "0"}, "at least 1 day"),
        ({"SHOTLOG_ARCHIVE_KEEP_DAYS": "10"}, "must be at least the live window"),
        ({"SHOTLOG_ARCHIVE_INTERVAL": "-1"}, "interval must be >= 0"),
    ]:
        with pytest.raises(ValidationError, match=message):
            ArchivePolicy.from_env(bad)


@pytest.mark.parametrize(
    ("pattern", "yes", "no"),
    [
        ("Shotgun_Shot_*", ["Shotgun_Shot_New", "Shotgun_Shot_"], ["Shotgun_Shots", "shotgun_shot_new"]),
        ("*_Retirement", ["Shotgun_Task_Retirement"], ["Shotgun_Task_Retirement2"]),
        ("Shotgun_?sset_New", ["Shotgun_Asset_New"], ["Shotgun_AAsset_New"]),
        ("Shotgun_[AS]*_New", ["Shotgun_Shot_New", "Shotgun_Asset_New"], ["Shotgun_Task_New"]),
        ("Shotgun_[!S]*_New", ["Shotgun_Task_New"], ["Shotgun_Shot_New"]),
        ("a.b+c", ["a.b+c"], ["aXb+c", "a.bbc"]),
    ],
)
def test_globs_match_the_same_in_python_and_as_regex(pattern: str, yes: list[str], no: list[str]) -> None:
    query = EventQuery(event_types=(pattern,))
    regex = re.compile(glob_to_regex(pattern))
    for name in yes:
        assert query.matches_type(name) and regex.search(name), name
    for name in no:
        assert not query.matches_type(name) and not regex.search(name), name


def test_glob_prefix() -> None:
    assert glob_prefix("Shotgun_Shot_*") == "Shotgun_Shot_"
    assert glob_prefix("*_New") is None
    assert glob_prefix("Shotgun_?_*") is None


def test_matches_a_record() -> None:
    record = {
        "id": 10,
        "event_type": "Shotgun_Shot_Change",
        "project": {"type": "Project", "id": 2},
        "entity": {"type": "Shot", "id": 5},
        "user": {"type": "HumanUser", "id": 7},
        "created_at": "2024-03-01T10:00:00Z",
    }
    assert EventQuery(
        project_ids=(2,), entity_type="Shot", entity_ids=(5,), users=(("HumanUser", 7),)
    ).matches(record)
    assert EventQuery(since=dt.datetime(2024, 3, 1, 10), until=dt.datetime(2024, 3, 1, 10, 0, 1)).matches(
        record
    )
    assert not EventQuery(until=dt.datetime(2024, 3, 1, 10)).matches(record)
    assert not EventQuery(min_id=11).matches(record)
    assert not EventQuery(ids=(9,)).matches(record)
    assert not EventQuery(entity_type="Asset").matches(record)
    assert not EventQuery(users=(("ApiUser", 7),)).matches(record)
