"""Counting words for the web UI: "1 held delivery", "2 held deliveries", "all Statuses" (pure).

Pages and messages say how many of a thing there are through ``counted`` (templates: the
``counted`` filter), so no template spells its own plural. English rules cover the nouns shotlog
shows: entity type names (the last word of "Pipeline Step" is the one that changes), events,
deliveries, attempts, errors, scripts.
"""

from __future__ import annotations

__all__ = ["counted", "plural"]

#: nouns whose plural no rule gives (lower case; the caller's capitals are kept)
_IRREGULAR = {
    "person": "people",
    "software": "software",
    "media": "media",
    "data": "data",
}


def plural(noun: str) -> str:
    """The plural of ``noun``; of a phrase, its last word's ("Pipeline Step" -> "Pipeline Steps")."""
    head, _, word = noun.rpartition(" ")
    if not word:
        return noun
    lower = word.lower()
    if lower in _IRREGULAR:
        many = _IRREGULAR[lower]
        many = many.capitalize() if word[0].isupper() else many
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        many = word + "es"
    elif lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        many = word[:-1] + "ies"
    else:
        many = word + "s"
    return f"{head} {many}" if head else many


def counted(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and ``noun``, made plural unless ``n`` is one: ``counted(2, "held delivery")``.

    ``many`` is the plural where the rules give the wrong one. Numbers get thousands separators.
    """
    word = noun if n == 1 else (many or plural(noun))
    return f"{n:,} {word}"
