"""Thumbnails rendered out of the server's process.

Decoding and resizing an image is CPU work that holds the GIL for long stretches. The renderer
does it in a process of its own at a lower CPU priority, one image at a time: a burst of uploads
then never competes with the event loop or the write path for the GIL, and on a busy machine
yields the CPU to them. The process is started on first use (a server that never renders a
thumbnail never starts it) and stopped with the server.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from shotlog.files import thumbnails

__all__ = ["Renderer"]

#: how much lower than the server the renderer runs (nice(2))
NICENESS = 19


class Renderer:
    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def render(self, path: Path, *, filmstrip: bool) -> dict[str, bytes]:
        """``thumbnails.render`` in the renderer's process; ``BadImage`` as it raises it."""
        with self._lock:
            if self._pool is None:
                # spawned, not forked: the server has threads, and a fork would copy their locks
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_lower_priority)
            pool = self._pool
        outcome, value = pool.submit(_render, str(path), filmstrip).result()
        if outcome == "bad":
            raise thumbnails.BadImage(value)
        renditions: dict[str, bytes] = value
        return renditions

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None


def _lower_priority() -> None:
    os.nice(NICENESS)


def _render(path: str, filmstrip: bool) -> tuple[str, Any]:
    """In the renderer's process; a refusal comes back as text (exceptions cross as pickles, and
    shotlog's errors take keyword arguments a pickle does not keep)."""
    try:
        return "ok", thumbnails.render(Path(path), filmstrip=filmstrip)
    except thumbnails.BadImage as e:
        return "bad", str(e)
