"""Finding and loading plugin files: every ``*.py`` directly inside each configured directory.

Order is deterministic: directories in configuration order, files sorted by name (case-sensitive,
as upstream sorts), callbacks in registration order. A module is executed from its source file
with a fresh name and is not put in ``sys.modules`` (as upstream); its directory is not added to
``sys.path`` either, so two plugin directories with a ``utils.py`` each cannot shadow each other.

A plugin that fails to import, lacks ``registerCallbacks`` or raises inside it is kept as a
``Plugin`` with ``error`` set: it is reported (log, status, email) and skipped, the others run.
"""

from __future__ import annotations

import configparser
import hashlib
import importlib.util
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from shotlog.daemon.registrar import Callback, Connector, Registrar, RegistrationError, plugin_logger

__all__ = ["Plugin", "discover", "fingerprint", "load_plugin"]

log = logging.getLogger("engine")


@dataclass
class Plugin:
    collection: str  # the directory as written in [plugins] paths: it keys the plugin's state
    name: str
    path: Path
    fingerprint: str  # mtime + size + content hash: any change reloads (upstream: a newer mtime only)
    callbacks: list[Callback] = field(default_factory=list)
    emails: tuple[str, ...] | None = None
    error: str | None = None  # why loading failed: the plugin is inactive until its file changes
    module: ModuleType | None = field(default=None, repr=False)
    logger: logging.Logger | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.collection, self.name)

    def close(self) -> None:
        for cb in self.callbacks:
            cb.close()


def fingerprint(path: Path) -> str:
    try:
        data = path.read_bytes()
        stat = path.stat()
    except OSError:
        return "missing"
    return f"{stat.st_mtime_ns}:{len(data)}:{hashlib.sha256(data).hexdigest()[:16]}"


def discover(collections: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """(collection, file) of every plugin, in processing order; dot-files and packages ignored."""
    found: list[tuple[str, Path]] = []
    for name, directory in collections:
        if not directory.is_dir():
            log.error("Plugin directory %s (%s) does not exist", directory, name)
            continue
        files = [
            p for p in directory.iterdir() if p.suffix == ".py" and p.is_file() and not p.name.startswith(".")
        ]
        found.extend((name, p) for p in sorted(files, key=lambda p: p.name))
    return found


def load_plugin(
    collection: str,
    path: Path,
    *,
    level: int,
    config: configparser.ConfigParser,
    connector: Connector,
) -> Plugin:
    name = path.stem
    plugin = Plugin(collection, name, path, fingerprint(path))
    logger = plugin_logger(name, level, config)
    plugin.logger = logger
    module_name = f"shotlog_plugin_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}_{name}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        plugin.error = f"could not be imported: {_one_line(exc)}"
        logger.error("Plugin %s %s\n%s", path, plugin.error, traceback.format_exc())
        return plugin
    plugin.module = module
    register = getattr(module, "registerCallbacks", None)
    if not callable(register):
        plugin.error = "has no registerCallbacks(reg) function"
        log.critical("Plugin %s %s; it is skipped", path, plugin.error)
        return plugin
    reg = Registrar(name, logger, connector)
    try:
        register(reg)
    except RegistrationError as exc:
        plugin.error = str(exc)
        log.critical("Plugin %s rejected: %s", path, exc)
        return plugin
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        plugin.error = f"registerCallbacks raised {_one_line(exc)}"
        log.critical("Plugin %s: %s; it is skipped\n%s", path, plugin.error, traceback.format_exc())
        return plugin
    plugin.callbacks, plugin.emails = reg._registered()
    if not plugin.callbacks:
        log.info("Plugin %s registered no callbacks; it is loaded but never called", path)
    return plugin


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0] if text else type(exc).__name__
