"""The ``reg`` object handed to a plugin's ``registerCallbacks(reg)``, and the callbacks it records.

The public members are exactly shotgunEvents' (event-daemon.md §3-4): ``logger``, ``getLogger()``,
``setEmails(*emails)``, ``registerCallback(sgScriptName, sgScriptKey, callback, matchEvents=None,
args=None, stopOnError=True)`` and the de-facto ``reg.logger.config``. Differences, on purpose:

* ``matchEvents`` is checked here, so a bad value rejects the plugin (``RegistrationError`` naming
  it) instead of killing the daemon at the first event;
* the callback's shotgun_api3 connection is made lazily (no network call at registration), so a
  site that is briefly unreachable does not deactivate plugins;
* ``setEmails(True)`` / ``setEmails(False)`` mean what upstream documents (default recipients / no
  email) instead of mailing the addresses ``True`` and ``False``.
"""

from __future__ import annotations

import configparser
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shotlog.daemon.matching import MatchEventsError, check_match_events, matches

__all__ = ["Callback", "Connector", "Registrar", "RegistrationError", "callback_name", "plugin_logger"]

#: makes the shotgun_api3 connection of one callback: (script name, script key) -> connection
Connector = Callable[[str, str], Any]


class RegistrationError(Exception):
    """``registerCallbacks`` asked for something invalid; the plugin is skipped, the daemon runs on."""


def callback_name(callback: Callable[..., Any]) -> str:
    """Upstream's naming: ``__name__``, or ``<ClassName>_<hex id>`` for callable instances."""
    name = getattr(callback, "__name__", None)
    if isinstance(name, str):
        return name
    return f"{type(callback).__name__}_{hex(id(callback))}"


def plugin_logger(plugin: str, level: int, config: configparser.ConfigParser) -> logging.Logger:
    logger = logging.getLogger(f"plugin.{plugin}")
    logger.setLevel(level)
    logger.config = config  # type: ignore[attr-defined]
    return logger


@dataclass
class Callback:
    plugin: str
    name: str
    index: int  # registration order within the plugin
    function: Callable[..., Any]
    script_name: str
    script_key: str = field(repr=False)
    match_events: dict[str, Any] | None
    args: Any
    stop_on_error: bool
    logger: logging.Logger
    connector: Connector = field(repr=False)
    _sg: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def matches(self, event: Mapping[str, Any]) -> bool:
        return matches(self.match_events, event)

    @property
    def sg(self) -> Any:
        """The callback's own connection, authenticated with its own script: made on first use."""
        with self._lock:
            if self._sg is None:
                self._sg = self.connector(self.script_name, self.script_key)
            return self._sg

    def close(self) -> None:
        with self._lock:
            if self._sg is not None:
                close = getattr(self._sg, "close", None)
                if callable(close):
                    close()
                self._sg = None


class Registrar:
    """``reg``: what a plugin may call while it registers."""

    def __init__(
        self,
        plugin: str,
        logger: logging.Logger,
        connector: Connector,
    ) -> None:
        self._plugin_name = plugin
        self._logger = logger
        self._connector = connector
        self._callbacks: list[Callback] = []
        #: None = the daemon's default recipients; () = no email; else these addresses
        self._emails: tuple[str, ...] | None = None

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def getLogger(self) -> logging.Logger:
        return self._logger

    def setEmails(self, *emails: Any) -> None:
        """``True``: the configured recipients; ``False``: none; strings: these addresses."""
        if emails == (True,):
            self._emails = None
        elif emails == (False,) or not emails:
            self._emails = ()
        elif all(isinstance(e, str) for e in emails):
            self._emails = tuple(emails)
        else:
            raise RegistrationError(
                f"plugin {self._plugin_name}: setEmails takes True, False or addresses, got {emails!r}"
            )

    def registerCallback(
        self,
        sgScriptName: str,
        sgScriptKey: str,
        callback: Callable[..., Any],
        matchEvents: Any = None,
        args: Any = None,
        stopOnError: bool = True,
    ) -> None:
        plugin = self._plugin_name
        if not callable(callback):
            raise RegistrationError(f"plugin {plugin}: callback {callback!r} is not callable")
        name = callback_name(callback)
        try:
            match_events = check_match_events(matchEvents)
        except MatchEventsError as exc:
            raise RegistrationError(f"plugin {plugin}, callback {name}: {exc}") from None
        for label, value in (("sgScriptName", sgScriptName), ("sgScriptKey", sgScriptKey)):
            if not isinstance(value, str) or not value:
                raise RegistrationError(
                    f"plugin {plugin}, callback {name}: {label} must be a non-empty string"
                )
        logger = logging.getLogger(f"{self._logger.name}.{name}")
        logger.config = getattr(self._logger, "config", None)  # type: ignore[attr-defined]
        self._callbacks.append(
            Callback(
                plugin=plugin,
                name=name,
                index=len(self._callbacks),
                function=callback,
                script_name=sgScriptName,
                script_key=sgScriptKey,
                match_events=match_events,
                args=args,
                stop_on_error=bool(stopOnError),
                logger=logger,
                connector=self._connector,
            )
        )

    # Not public members: upstream's reg has none besides the four above (plugins that probe with
    # hasattr must see the same object). The loader reads the results through these.
    def _registered(self) -> tuple[list[Callback], tuple[str, ...] | None]:
        return list(self._callbacks), self._emails
