"""Running one plugin over an id range once, outside the daemon, leaving every cursor alone."""

from __future__ import annotations

import copy
import logging
from typing import Any

from shotlog.daemon.conf import DaemonConfig
from shotlog.daemon.events import Event, from_wire
from shotlog.daemon.launch import make_connector, make_pump, state_session
from shotlog.daemon.plugins import discover, load_plugin
from shotlog.eventlog import SHOTGUNEVENTS_FIELDS

__all__ = ["replay_range"]

log = logging.getLogger("engine")


def replay_range(
    config: DaemonConfig, plugin_name: str, first: int, last: int, collection: str | None = None
) -> int:
    """Call the plugin's matching callbacks on events ``first..last``; the number of events run."""
    collections = list(zip(config.plugin_path_names, config.plugin_paths, strict=True))
    files = [(c, p) for c, p in discover(collections) if p.stem == plugin_name and collection in (None, c)]
    if not files:
        raise LookupError(f"no plugin file {plugin_name}.py in [plugins] paths")
    if len(files) > 1:
        raise LookupError(f"{plugin_name}.py is in several plugin directories: pass --collection")
    coll, path = files[0]
    plugin = load_plugin(
        coll, path, level=config.log_level, config=config.plugin_view(), connector=make_connector(config)
    )
    if plugin.error:
        raise ValueError(f"plugin {plugin_name} cannot be loaded: {plugin.error}")
    try:
        with state_session(config) as (state, store):
            events = _events(config, state, store, first, last)
        ran = 0
        for ev in events:
            event = copy.deepcopy(ev.data)
            matched = [cb for cb in plugin.callbacks if cb.matches(event)]
            for cb in matched:
                sg = cb.sg
                if config.use_session_uuid:
                    sg.set_session_uuid(event.get("session_uuid"))
                cb.function(sg, cb.logger, event, cb.args)
            ran += 1 if matched else 0
        return ran
    finally:
        plugin.close()


def _events(config: DaemonConfig, state: Any, store: Any, first: int, last: int) -> list[Event]:
    if config.source == "api3":
        assert config.script_name and config.script_key
        sg = make_connector(config)(config.script_name, config.script_key)
        rows = sg.find(
            "EventLogEntry",
            [["id", "between", [first, last]]],
            list(SHOTGUNEVENTS_FIELDS),
            [{"field_name": "id", "direction": "asc"}],
        )
        return [Event(r["id"], r["id"], from_wire(r)) for r in rows]
    pump = make_pump(config, state, store)
    out: list[Event] = []
    cursor = first - 1
    while cursor < last:
        page = pump.fetch(cursor, config.max_event_batch_size)
        if not page:
            break
        out.extend(ev for ev in page if ev.id <= last)
        cursor = page[-1].position
    return out
