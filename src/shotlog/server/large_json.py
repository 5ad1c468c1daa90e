"""Large JSON request bodies, parsed and freed without holding the GIL for long. Pure.

orjson and the json module's C scanner build a whole value while holding the GIL, and freeing one
releases every part of it in one go: a 60 MB body of small strings holds the GIL for seconds each
way, and the event loop, with every other request, waits. A body past ``YIELDING_BYTES`` is instead
decoded to text a piece at a time and parsed by the json module's Python scanner (its strings are
still read by C), and freed a slice at a time, so that the interpreter switches threads every few
milliseconds. It is about three times slower than orjson; both run in a worker thread.
"""

from __future__ import annotations

import codecs
import json
import json.scanner
import time
from collections.abc import Callable
from typing import Any

__all__ = ["YIELDING_BYTES", "dismantle", "loads"]

#: bodies up to this size are parsed by orjson or the C scanner: a few milliseconds at most
YIELDING_BYTES = 256 * 1024
#: bytes decoded to text at a time, and items freed at a time (about a millisecond each)
_PIECE = 1024 * 1024
_SLICE = 10_000
#: values read between two offers of the GIL to other threads (about 0.2 ms of work)
_YIELD_EVERY = 256


def loads(body: bytes, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """``json.loads(body)``, letting other threads run while it works.

    Raises ``UnicodeDecodeError`` for text that is not in the encoding the body's first bytes say
    (as ``json.loads`` would), ``ValueError`` for what is not JSON, ``RecursionError`` for nesting
    deeper than the interpreter's recursion limit."""
    decoder = codecs.getincrementaldecoder(json.detect_encoding(body[:4]))()
    view = memoryview(body)
    parts = [decoder.decode(view[i : i + _PIECE]) for i in range(0, len(body), _PIECE)]
    parts.append(decoder.decode(b"", final=True))
    text = "".join(parts)
    del parts
    parser = json.JSONDecoder(parse_constant=parse_constant)
    # Each string and number read lets other threads have the GIL now and then: left to the
    # interpreter's switch interval (5 ms), a short request waits that long at each of its steps.
    calls = 0

    def yielding(read: Callable[..., Any]) -> Callable[..., Any]:
        def read_and_yield(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            if not calls % _YIELD_EVERY:
                time.sleep(0)  # releases the GIL: a waiting thread takes it
            return read(*args)

        return read_and_yield

    parser.parse_string = yielding(parser.parse_string)  # type: ignore[attr-defined]
    parser.parse_int = yielding(parser.parse_int)
    parser.parse_float = yielding(parser.parse_float)
    parser.scan_once = json.scanner.py_make_scanner(parser)  # type: ignore[attr-defined]
    return parser.decode(text)


def dismantle(value: Any) -> None:
    """Empty the lists and dicts of ``value`` a slice at a time, so that freeing a large value never
    holds the GIL for long. Call it when nothing else needs ``value``: its containers are emptied."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            while current:
                tail = current[-_SLICE:]
                del current[-_SLICE:]
                stack.extend(item for item in tail if isinstance(item, list | dict))
                del tail
                time.sleep(0)  # as in loads: a waiting thread takes the GIL
        elif isinstance(current, dict):
            while current:
                for _ in range(min(_SLICE, len(current))):
                    item = current.popitem()[1]
                    if isinstance(item, list | dict):
                        stack.append(item)
                item = None
                time.sleep(0)
