"""Log files as shotgunEvents writes them: the engine log, one file per plugin, the timing log.

* ``logMode 0``: everything goes to ``logFile``; ``logMode 1``: the engine writes ``logFile`` and
  each plugin ``<logPath>/plugin.<name>``. Files rotate at midnight, ten kept; format
  ``%(asctime)s - %(name)s - %(levelname)s - %(message)s``.
* In the foreground (``shotlog daemon run``) records also go to stdout.
* ``timing_log: on`` writes ``<logFile>.timing``: one line per callback call, upstream's format.

``LogSetup`` remembers every handler it attached so ``close`` removes them (several engines can
run in one process, as the tests do).
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import sys
from pathlib import Path

from shotlog.daemon.conf import DaemonConfig

__all__ = ["LogSetup", "timing_line"]

FILE_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
STDOUT_FORMAT = "%(levelname)s:%(name)s:%(message)s"


def _span(delta: dt.timedelta) -> str:
    """``DD:HH:MM:SS.ffffff``, as upstream's timing log writes durations."""
    total = max(delta, dt.timedelta(0))
    hours, rem = divmod(total.seconds, 3600)
    minutes, seconds = divmod(rem, 60)
    return f"{total.days:02d}:{hours:02d}:{minutes:02d}:{seconds:02d}.{total.microseconds:06d}"


def timing_line(
    event_id: int,
    created_at: dt.datetime | None,
    callback: str,
    start: dt.datetime,
    end: dt.datetime,
    error: bool,
) -> str:
    delay = _span(start - created_at) if created_at is not None else "None"
    return (
        f"event_id={event_id} created_at={created_at} callback={callback} start={start} end={end} "
        f"duration={_span(end - start)} error={error} delay={delay}"
    )


class LogSetup:
    def __init__(self, config: DaemonConfig, *, foreground: bool) -> None:
        self.config = config
        self.foreground = foreground
        self._attached: list[tuple[logging.Logger, logging.Handler]] = []
        self.directory = config.log_path or (config.path.parent if config.path else Path.cwd())
        self.engine = logging.getLogger("engine")
        self.timing = logging.getLogger("timing")

    def _file(self, name: str) -> logging.Handler:
        self.directory.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.TimedRotatingFileHandler(
            self.directory / name, when="midnight", backupCount=10, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(FILE_FORMAT))
        return handler

    def attach(self, logger: logging.Logger, handler: logging.Handler) -> None:
        logger.addHandler(handler)
        self._attached.append((logger, handler))

    def start(self) -> None:
        cfg = self.config
        self.engine.setLevel(cfg.log_level)
        main = self._file(cfg.log_file)
        if cfg.log_mode == 0:
            self.attach(logging.getLogger("plugin"), main)
        self.attach(self.engine, main)
        if self.foreground:
            out = logging.StreamHandler(sys.stdout)
            out.setFormatter(logging.Formatter(STDOUT_FORMAT))
            self.attach(self.engine, out)
            self.attach(logging.getLogger("plugin"), out)
        self.timing.propagate = False
        self.timing.setLevel(logging.INFO)
        if cfg.timing_log:
            self.attach(self.timing, self._file(f"{cfg.log_file}.timing"))

    def plugin(self, logger: logging.Logger, name: str) -> None:
        """Give a plugin logger its own file (logMode 1)."""
        if self.config.log_mode != 1:
            return
        for attached_logger, _ in self._attached:
            if attached_logger is logger:
                return
        self.attach(logger, self._file(f"plugin.{name}"))

    def close(self) -> None:
        for logger, handler in self._attached:
            logger.removeHandler(handler)
            handler.close()
        self._attached.clear()
