"""The repository's deploy/ files, rendered for a test on one machine: no second copy of any of them.

* ``Unit`` reads a systemd unit's ``[Service]`` section and turns its ``ExecStart`` into a command
  this checkout runs (``/opt/shotlog/bin/shotlog`` becomes ``python -m shotlog``, ``%i`` the
  instance name) with the environment the unit would give it (``EnvironmentFile=`` and
  ``Environment=``), plus the test's own settings on top.
* ``render_site`` replaces the site's ports, certificate and log paths in the nginx site file,
  each replacement required to match, so that a change to the file that the test no longer
  understands fails here instead of testing something else; ``Nginx`` runs Debian's nginx on it as
  an unprivileged process with a prefix of its own.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SITE = DEPLOY / "nginx" / "shotlog.conf"
ENV_FILE = DEPLOY / "shotlog.env"
UNITS = DEPLOY / "systemd"
NGINX = Path("/usr/sbin/nginx")
#: where the units expect the installed program (a virtual environment's bin/)
INSTALLED = "/opt/shotlog/bin/shotlog"
#: where the units read the environment file from
INSTALLED_ENV = "/etc/shotlog/shotlog.env"


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as systemd reads them (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        values[key.strip()] = value.strip()
    return values


@dataclass(frozen=True)
class Unit:
    path: Path
    service: dict[str, list[str]]

    @classmethod
    def load(cls, name: str) -> Unit:
        path = UNITS / name
        service: dict[str, list[str]] = {}
        section = ""
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]":
                key, _, value = line.partition("=")
                service.setdefault(key, []).append(value)
        return cls(path, service)

    def one(self, key: str) -> str:
        values = self.service.get(key, [])
        assert len(values) == 1, f"{self.path.name}: {key}= {values}"
        return values[0]

    def command(self, instance: str = "") -> list[str]:
        """The unit's ``ExecStart`` as this checkout's Python runs it."""
        argv = shlex.split(self.one("ExecStart").replace("%i", instance))
        assert argv[0] == INSTALLED, f"{self.path.name}: ExecStart runs {argv[0]}, not {INSTALLED}"
        return [sys.executable, "-m", "shotlog", *argv[1:]]

    def environment(self, overrides: Mapping[str, str]) -> dict[str, str]:
        """This process's environment without ``SHOTLOG_*``, then the unit's, then ``overrides``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
        for file in self.service.get("EnvironmentFile", []):
            # the example file stands for the installed one; any other file is the site's own
            if file == INSTALLED_ENV:
                env.update(read_env_file(ENV_FILE))
        for assignment in self.service.get("Environment", []):
            for word in shlex.split(assignment):
                key, _, value = word.partition("=")
                env[key] = value
        env.update(PYTHONUNBUFFERED="1")
        env.update(overrides)
        return env

    def start(self, log: Path, overrides: Mapping[str, str], instance: str = "") -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                self.command(instance), stdout=out, stderr=subprocess.STDOUT, env=self.environment(overrides)
            )


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"{SITE.name} no longer has {old!r}: update tests/deploy/layoutfiles.py"
    return text.replace(old, new)


def render_site(
    *, https_port: int, http_port: int, upstream_ports: list[int], tls_dir: Path, access_log: Path
) -> str:
    """The site file with the test's ports and paths; every other line as written."""
    text = SITE.read_text()
    servers = re.findall(r"^\s*server (127\.0\.0\.1:\d+)\b", text, flags=re.MULTILINE)
    assert len(servers) == len(upstream_ports), f"the site lists {servers}"
    for old, port in zip(servers, upstream_ports, strict=True):
        text = _replace(text, f"server {old} ", f"server 127.0.0.1:{port} ")
    text = _replace(text, "listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl")
    text = _replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = _replace(text, "/etc/shotlog/tls/", f"{tls_dir}/")
    return _replace(text, "/var/log/nginx/shotlog.access.log", str(access_log))


#: the main configuration Debian's /etc/nginx/nginx.conf stands for, with paths of the test's own
_MAIN = """daemon off;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    access_log off;
    include {site};
}}
"""


class Nginx:
    """Debian's nginx on the rendered site, in the foreground, as this (unprivileged) user."""

    def __init__(self, prefix: Path, site: str, https_port: int) -> None:
        self.prefix = prefix
        self.https_port = https_port
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "site.conf").write_text(site)
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(_MAIN.format(prefix=prefix, site=prefix / "site.conf"))
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self, *extra: str) -> list[str]:
        return [
            str(NGINX),
            "-p",
            str(self.prefix),
            "-c",
            str(self.conf),
            "-e",
            str(self.prefix / "error.log"),
            *extra,
        ]

    def check(self) -> None:
        """``nginx -t``: the rendered configuration is valid."""
        done = subprocess.run(self.argv("-t"), check=False, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr

    def start(self, timeout: float = 30.0) -> Nginx:
        with (self.prefix / "stdout.log").open("ab") as out:
            self.process = subprocess.Popen(self.argv(), stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx is not listening: {self.error_log()}") from None
                time.sleep(0.05)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish their requests
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
