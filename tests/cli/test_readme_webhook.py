"""README's "Try a webhook on this machine", run as written: the variable it exports, the listener,
the hook it creates and the deliveries it lists, against a real ``shotlog serve`` started with that
variable, as the README says. Only the listener's port is a free one instead of 8765."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import shotgun_api3

from testdbs import free_port, start_serve, stop_serve, wait_healthy
from waiting import wait_for

README = Path(__file__).resolve().parents[2] / "README.md"
SCRIPT = {"SHOTLOG_SCRIPT_NAME": "readme_tests", "SHOTLOG_SCRIPT_KEY": "k3y-" + "0a1b2c3d4e5f6789" * 4}


def _steps() -> list[str]:
    section = README.read_text().split("### Try a webhook on this machine", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.strip().splitlines()]


def test_the_readmes_webhook_steps_work_as_written(db_url: str, tmp_path: Path) -> None:
    export, listen, create, deliveries = _steps()
    name, _, value = export.removeprefix("export ").partition("=")
    port = str(free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    env.update({name: value, "SHOTLOG_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"})

    def argv(line: str) -> list[str]:
        words = shlex.split(line.replace("8765", port).removesuffix("&").strip())
        assert words[0] == "shotlog", line
        return [sys.executable, "-m", "shotlog", *words[1:]]

    server, url, server_log = start_serve(db_url, tmp_path, {name: value, **SCRIPT})
    heard = tmp_path / "listen.log"
    with heard.open("wb") as out:
        listener = subprocess.Popen(argv(listen), stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        wait_healthy(url, server, server_log)
        wait_for(lambda: "listening on" in heard.read_text(), "the listener", 30)
        made = subprocess.run(argv(create), capture_output=True, text=True, env=env, timeout=60, check=False)
        assert made.returncode == 0, made.stderr
        hook_id = json.loads(made.stdout)["id"]

        sg = shotgun_api3.Shotgun(
            url, script_name=SCRIPT["SHOTLOG_SCRIPT_NAME"], api_key=SCRIPT["SHOTLOG_SCRIPT_KEY"]
        )
        project = sg.create("Project", {"name": "Readme"})
        sg.create("Version", {"code": "v001", "project": project})
        sg.close()
        wait_for(
            lambda: "Shotgun_Version_New" in heard.read_text(), "the Version's event at the listener", 30
        )

        listed: list[str] = []

        def delivered() -> bool:
            # the worker records the answer just after the listener printed the request
            done = subprocess.run(
                argv(deliveries.replace("HOOK_ID", hook_id)),
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            listed.append(done.stdout)
            return "delivered" in done.stdout

        wait_for(delivered, "a delivery listed as delivered", 30)
    finally:
        listener.terminate()
        listener.wait(15)
        stop_serve(server)
