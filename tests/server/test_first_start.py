"""A fresh database with no credentials configured: the first `shotlog serve` makes an admin and a
script. Their secrets are shown on a terminal and never written where a log keeps them."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import httpx
import shotgun_api3
from click.testing import CliRunner
from sgserver import launch
from tests.testdbs import free_port, stop_serve

from shotlog.cli import main

BLANK = {
    "SHOTLOG_SCRIPT_NAME": "",
    "SHOTLOG_SCRIPT_KEY": "",
    "SHOTLOG_ADMIN_LOGIN": "",
    "SHOTLOG_ADMIN_PASSWORD": "",
}
KEY = re.compile(r"[0-9a-f]{64}")


def _serve_on_a_terminal(db_url: str, directory: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """``shotlog serve`` with its output on a pseudo-terminal, as when typed in a shell; returns
    the process, its URL and what it printed up to its "shotlog on" line."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    env.update(BLANK, COLUMNS="240", SHOTLOG_FILES_URL=str(directory / "files"))
    env.update(SHOTLOG_SIGNIN_LOGIN_FAILURES="0", SHOTLOG_SIGNIN_ADDRESS_FAILURES="0")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "shotlog", "serve", "--database", db_url, "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    printed = b""
    deadline = time.monotonic() + 120
    while b"shotlog on" not in printed:
        assert time.monotonic() < deadline and process.poll() is None, printed.decode(errors="replace")
        if select.select([leader], [], [], 0.5)[0]:
            printed += os.read(leader, 65536)
    os.close(leader)
    while True:  # the line is printed before the listener is up
        assert time.monotonic() < deadline and process.poll() is None, printed
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}", printed.decode(errors="replace")


def test_on_a_terminal_the_made_credentials_are_shown_once(db_url: str, tmp_path: Path) -> None:
    process, url, printed = _serve_on_a_terminal(db_url, tmp_path / "tty")
    try:
        shown = re.sub(r"\x1b\[[0-9;]*m", "", printed)  # the terminal's bold and colours
        script = re.search(r"Script\s+name\s+(\w+)\s+key\s+([0-9a-f]{64})", shown)
        admin = re.search(r"Admin user\s+login\s+(\w+)\s+password\s+(\S+)", shown)
        assert script and admin, printed
        sg = shotgun_api3.Shotgun(url, script_name=script[1], api_key=script[2])
        assert sg.find_one("ApiUser", [["firstname", "is", script[1]]], ["id"])
        person = shotgun_api3.Shotgun(url, login=admin[1], password=admin[2])
        assert person.find_one("HumanUser", [["login", "is", admin[1]]], ["login"])["login"] == admin[1]
        sg.close()
        person.close()
    finally:
        stop_serve(process)
    # a restart makes nothing new and names no credentials; the first ones still work
    again = launch(db_url, tmp_path / "again", BLANK)
    try:
        assert script[2] not in again.log() and "credentials" not in again.log()
        sg = again.client(script_name=script[1], api_key=script[2])
        assert len(sg.find("ApiUser", [["firstname", "is", script[1]]])) == 1
    finally:
        again.stop()


def test_in_a_log_no_secret_is_printed_and_the_commands_it_names_set_them(
    empty_url: str, tmp_path: Path
) -> None:
    server = launch(empty_url, tmp_path / "log", BLANK)
    try:
        log = server.log()
        assert "not printed" in log, log
        assert not KEY.search(log), log
        named = re.search(r"shotlog users set-password (\w+)`.*?shotlog scripts rotate\s+(\w+)`", log, re.S)
        assert named, log
        login, script = named[1], named[2]

        runner = CliRunner()
        rotated = runner.invoke(main, ["scripts", "rotate", script, "--database", empty_url])
        assert rotated.exit_code == 0, rotated.output
        key = rotated.output.split()[-1]  # the key is the last line
        sg = server.client(script_name=script, api_key=key)
        assert sg.find_one("ApiUser", [["firstname", "is", script]], ["id"])

        password = "a-password-of-my-own"
        set_it = runner.invoke(
            main, ["users", "set-password", login, "--password", password, "--database", empty_url]
        )
        assert set_it.exit_code == 0, set_it.output
        person = server.client(login=login, password=password)
        assert person.find_one("HumanUser", [["login", "is", login]], ["login"])["login"] == login
    finally:
        server.stop()
    assert password not in server.log() and key not in server.log()
