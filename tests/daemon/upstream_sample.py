"""shotgunEvents' own sample configuration (``fixtures/shotgunEventDaemon.conf``), filled in as a
studio fills it in: the site, the engine's script and key, and the paths. Nothing else changes.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["SAMPLE", "fill_in"]

SAMPLE = Path(__file__).resolve().parent / "fixtures" / "shotgunEventDaemon.conf"

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_OPTION = re.compile(r"^(?P<key>[A-Za-z_]+)(?P<sep>\s*[:=]\s?)(?P<value>.*)$")


def fill_in(
    *,
    server: str,
    name: str,
    key: str,
    plugin_paths: list[Path],
    directory: Path,
    text: str | None = None,
) -> str:
    """The sample with only these values changed; pid, state and log files go to ``directory``.

    Each key must be found exactly once where the sample has it, so a changed fixture fails here
    instead of silently running a different file."""
    values = {
        ("daemon", "pidFile"): str(directory / "shotgunEventDaemon.pid"),
        ("daemon", "eventIdFile"): str(directory / "shotgunEventDaemon.id"),
        ("daemon", "logPath"): str(directory / "logs"),
        ("shotgun", "server"): server,
        ("shotgun", "name"): name,
        ("shotgun", "key"): key,
        ("plugins", "paths"): ", ".join(str(p) for p in plugin_paths),
    }
    seen: dict[tuple[str, str], int] = dict.fromkeys(values, 0)
    section = ""
    out = []
    for line in (SAMPLE.read_text() if text is None else text).split("\n"):
        if m := _SECTION.match(line):
            section = m["name"]
        elif (m := _OPTION.match(line)) and (section, m["key"]) in values:
            seen[(section, m["key"])] += 1
            line = f"{m['key']}{m['sep']}{values[(section, m['key'])]}"
        out.append(line)
    wrong = {k: n for k, n in seen.items() if n != 1}
    assert not wrong, f"the sample does not have these keys exactly once: {wrong}"
    return "\n".join(out)
