"""README's "From the command line" block, run as written on a database with the README's Python
example in it: every command but the event daemon's (which need your shotgunEvents configuration)
and `events tail` (which follows until stopped) exits 0. Backups go to a temporary directory instead
of /backups."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import shotlog

README = Path(__file__).resolve().parents[2] / "README.md"


def _commands() -> list[str]:
    section = README.read_text().split("## From the command line", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.strip().splitlines()]


def test_the_readmes_commands_work_as_written(db_url: str, tmp_path: Path) -> None:
    with shotlog.connect(db_url) as sg:  # the README's Python example, which the commands read
        project = sg.create("Project", {"name": "Feature"})
        shot = sg.create("Shot", {"code": "sh010", "project": project})
        sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    env["SHOTLOG_DATABASE_URL"] = db_url
    env["SHOTLOG_FILES_URL"] = str(tmp_path / "files")
    ran = []
    for line in _commands():
        if line.startswith(("shotlog daemon", "shotlog events tail")):
            continue
        line = line.replace("/backups/$(date +%F)", str(tmp_path / "backup"))
        words = shlex.split(line)
        assert words[0] == "shotlog", line
        done = subprocess.run(
            [sys.executable, "-m", "shotlog", *words[1:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        ran.append(words[1])
    assert {"db", "events", "schema", "archive"} <= set(ran), ran
