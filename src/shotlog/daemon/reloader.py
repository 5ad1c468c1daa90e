"""Which plugin files changed, so their workers load them again.

Three ways to hear of a change: ``watchfiles`` (inotify) as soon as a file is written, a comparison
of fingerprints every two seconds (for file systems without events), and a request (SIGHUP,
``shotlog daemon reload``). A file touched but not changed reloads nothing: a reload happens only
when its fingerprint differs from the one last loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shotlog.daemon.plugins import Plugin, fingerprint

__all__ = ["Changes", "Reloader"]

log = logging.getLogger("engine")

#: seconds between two comparisons of every plugin file's fingerprint
POLL_EVERY = 2.0


@dataclass
class Changes:
    """What the engine should do this turn of its loop."""

    #: every plugin loads again (an operator asked)
    everything: bool = False
    #: look for new plugin files
    scan: bool = False
    #: files the watcher or the poll saw change; ``Reloader.differs`` says which really did
    paths: set[Path] = field(default_factory=set)


class Reloader:
    def __init__(self, directories: Sequence[Path], *, hot: bool, stop: threading.Event) -> None:
        self.directories = directories
        self.hot = hot
        self._stop = stop
        self._all = threading.Event()
        self._changed: set[Path] = set()
        self._lock = threading.Lock()
        self._fingerprints: dict[Path, str] = {}
        self._last_poll = 0.0

    def request(self, path: Path | None = None) -> None:
        """Reload ``path``'s plugin, or every plugin (and look for new files) when None."""
        if path is None:
            self._all.set()
        else:
            with self._lock:
                self._changed.add(path)

    def start(self, plugins: Iterable[Plugin]) -> None:
        self.remember(plugins)
        if self.hot:
            threading.Thread(target=self._watch, name="plugin-watch", daemon=True).start()

    def _watch(self) -> None:
        import watchfiles

        paths = [p for p in self.directories if p.is_dir()]
        if not paths:
            return
        try:
            for changes in watchfiles.watch(*paths, stop_event=self._stop, debounce=200, rust_timeout=1000):
                for _, changed in changes:
                    path = Path(changed)
                    if path.suffix == ".py":
                        self.request(path)
        except Exception as exc:  # no inotify (container limits...): the fingerprint poll remains
            log.warning("watching plugin files failed (%s); polling them every 2 s instead", exc)

    def changes(self, now: float, plugins: Iterable[Plugin]) -> Changes:
        """What changed since the last call (``now``: the monotonic clock)."""
        found = Changes()
        if self._all.is_set():
            self._all.clear()
            found.everything = found.scan = True
        with self._lock:
            found.paths, self._changed = self._changed, set()
        if self.hot and now - self._last_poll >= POLL_EVERY:
            self._last_poll = now
            found.scan = True
            for plugin in plugins:
                if fingerprint(plugin.path) != self._fingerprints.get(plugin.path):
                    found.paths.add(plugin.path)
        if found.paths:
            found.scan = True  # a new file: a new plugin
        return found

    def differs(self, path: Path) -> bool:
        """Whether ``path`` changed since last loaded (then it counts as loaded)."""
        fp = fingerprint(path)
        if fp == self._fingerprints.get(path):
            return False  # touched but not changed (or already reloaded)
        self._fingerprints[path] = fp
        return True

    def remember(self, plugins: Iterable[Plugin]) -> None:
        """The fingerprints of plugins loaded for the first time."""
        for plugin in plugins:
            self._fingerprints.setdefault(plugin.path, plugin.fingerprint)
