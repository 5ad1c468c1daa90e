"""Where a page of a list is, in words: ranges, totals, estimates and page numbers (pure)."""

from __future__ import annotations

import pytest

from shotlog.web.orientation import Tally, page_count, page_number, page_text, range_text


@pytest.mark.parametrize(
    ("before", "shown", "total", "words"),
    [
        (Tally(50), 50, Tally(12345), "Events 51–100 of 12,345"),
        (Tally(50), 50, Tally(12345, exact=False), "Events 51–100 of about 12,345"),
        (Tally(0), 1, Tally(1), "Event 1 of 1"),
        (Tally(0), 2, Tally(2), "Events 1–2 of 2"),
        (Tally(0), 0, Tally(0), "No events"),
        (Tally(0), 0, None, "No events"),
        (Tally(100), 0, Tally(100), "No events after the first 100"),
        (Tally(0), 50, None, "Events 1–50"),
        (Tally(5000, exact=False), 50, Tally(9000, exact=False), "Events about 5,001–5,050 of about 9,000"),
        # an estimate below what the page shows is raised to it; an exact count never is
        (Tally(90), 50, Tally(120, exact=False), "Events 91–140 of about 140"),
    ],
)
def test_range_words(before: Tally, shown: int, total: Tally | None, words: str) -> None:
    assert range_text(before, shown, total) == words


def test_about_only_for_estimates() -> None:
    assert "about" not in range_text(Tally(0), 50, Tally(10**7))
    assert "about" in range_text(Tally(0), 50, Tally(10**7, exact=False))


@pytest.mark.parametrize(
    ("before", "size", "number"), [(0, 50, 1), (49, 50, 1), (50, 50, 2), (51, 50, 2), (12300, 25, 493)]
)
def test_page_number(before: int, size: int, number: int) -> None:
    assert page_number(before, size) == number


@pytest.mark.parametrize(
    ("total", "size", "pages"), [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2), (12345, 50, 247)]
)
def test_page_count(total: int, size: int, pages: int) -> None:
    assert page_count(total, size) == pages


@pytest.mark.parametrize(
    ("before", "total", "words"),
    [
        (Tally(50), Tally(12345), "Page 2 of 247"),
        (Tally(50), Tally(12345, exact=False), "Page 2 of about 247"),
        (Tally(4950, exact=False), Tally(12345, exact=False), "Page about 100 of about 247"),
        (Tally(50), None, "Page 2"),
        (Tally(0), Tally(0), "Page 1 of 1"),
    ],
)
def test_page_words(before: Tally, total: Tally | None, words: str) -> None:
    assert page_text(before, 50, total) == words


@pytest.mark.parametrize(
    ("noun", "shown", "words"),
    [
        ("Shot", 2, "Shots 1–2 of 2"),
        ("Status", 2, "Statuses 1–2 of 2"),
        ("Pipeline Step", 1, "Pipeline Step 1 of 2"),
        ("Status", 0, "No Statuses"),
    ],
)
def test_entity_lists_name_their_rows(noun: str, shown: int, words: str) -> None:
    total = Tally(2 if shown else 0)
    assert range_text(Tally(0), shown, total, noun) == words
