"""Where a page of a list is: its rows' range, the total, its page number, and their words. Pure.

A count is a ``Tally``: exact, or an estimate where counting exactly would read too much of a large
log. The words say "about" only for an estimate: "Events 51-100 of about 12,345" (with an en dash).
"""

from __future__ import annotations

from dataclasses import dataclass

from shotlog.web.wording import plural

__all__ = ["Tally", "page_count", "page_number", "page_text", "range_text"]


@dataclass(frozen=True)
class Tally:
    n: int
    exact: bool = True

    def __str__(self) -> str:
        return f"{self.n:,}" if self.exact else f"about {self.n:,}"


def range_text(before: Tally, shown: int, total: Tally | None, noun: str = "event") -> str:
    """The rows a page shows: ``before`` rows come ahead of it, it shows ``shown``, of ``total``
    (None: not counted). An estimated total is raised to at least the last row shown. ``noun`` names
    a row ("event", or an entity type's display name such as "Pipeline Step")."""
    many = plural(noun)
    if (total is not None and total.exact and total.n == 0) or (shown == 0 and before.n == 0):
        return f"No {many}"
    first, last = before.n + 1, before.n + shown
    about = "" if before.exact else "about "
    if shown == 0:
        return f"No {many} after the first {about}{before.n:,}"
    if shown == 1:
        head = f"{_capital(noun)} {about}{first:,}"
    else:
        head = f"{_capital(many)} {about}{first:,}–{last:,}"
    if total is None:
        return head
    if not total.exact:
        total = Tally(max(total.n, last), exact=False)
    return f"{head} of {total}"


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def page_number(before: int, size: int) -> int:
    """The number of the page whose first row comes after ``before`` rows (pages of ``size``)."""
    return before // size + 1


def page_count(total: int, size: int) -> int:
    """How many pages of ``size`` rows ``total`` rows fill (at least one, an empty list's)."""
    return max(1, -(-total // size))


def page_text(before: Tally, size: int, total: Tally | None) -> str:
    """ "Page 2 of 247", "Page about 100 of about 247" or, uncounted, "Page 2"."""
    about = "" if before.exact else "about "
    number = page_number(before.n, size)
    head = f"Page {about}{number:,}"
    if total is None:
        return head
    pages = max(page_count(total.n, size), number)
    return f"{head} of {'' if total.exact else 'about '}{pages:,}"
