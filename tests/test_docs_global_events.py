"""docs/event-log.md's table of FPTR's global event types is generated from the one list in code.

Regenerate it with ``SHOTLOG_UPDATE_DOCS=1 python -m pytest tests/test_docs_global_events.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from shotlog.schema.global_events import FPTR_GLOBAL_EVENT_TYPES, WRITTEN

DOC = Path(__file__).resolve().parent.parent / "docs" / "event-log.md"
BLOCK = re.compile(r"(<!-- global-events:start -->\n)(.*?)(<!-- global-events:end -->)", re.S)


def render_table() -> str:
    rows = ["| Event type | Written by shotlog |", "|---|---|"]
    for name in FPTR_GLOBAL_EVENT_TYPES:
        rows.append(f"| `{name}` | {('yes: ' + WRITTEN[name]) if name in WRITTEN else 'never'} |")
    return "\n".join(rows) + "\n"


def test_global_event_table_is_current() -> None:
    text = DOC.read_text()
    found = BLOCK.search(text)
    assert found, "docs/event-log.md lost its global-events markers"
    if os.environ.get("SHOTLOG_UPDATE_DOCS"):
        DOC.write_text(text[: found.start(2)] + render_table() + text[found.end(2) :])
        text = DOC.read_text()
        found = BLOCK.search(text)
        assert found
    assert found.group(2) == render_table(), (
        "docs/event-log.md is stale: SHOTLOG_UPDATE_DOCS=1 pytest tests/test_docs_global_events.py"
    )
