"""The deploy/ files on their own: systemd accepts every unit, nginx the site, and their numbers agree
with shotlog's settings (docs/operations.md, "A production layout")."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
from layoutfiles import ENV_FILE, INSTALLED, NGINX, SITE, UNITS, Nginx, Unit, read_env_file, render_site

from shotlog import settings
from testdbs import free_port

SERVICES = sorted(p.name for p in UNITS.glob("*.service"))


def _seconds(text: str, directive: str, block: str = "") -> list[float]:
    """Every value of ``directive`` (in seconds) in ``text``, or only inside the first ``block {``."""
    if block:
        start = text.index(block + " {")
        text = text[start : text.index("\n}", start)]
    values = re.findall(rf"^\s*{directive}\s+(\d+)(s|m|h|d)?;", text, flags=re.MULTILINE)
    scale = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return [float(n) * scale[unit] for n, unit in values]


def test_the_roles_have_their_units() -> None:
    assert SERVICES == [
        "shotlog-daemon@.service",
        "shotlog-mirror.service",
        "shotlog-serve@.service",
        "shotlog-worker@.service",
    ]
    for name, words in {
        "shotlog-serve@.service": ["serve", "--port", "8001"],
        "shotlog-worker@.service": ["worker"],
        "shotlog-daemon@.service": ["daemon", "run", "--config", "/etc/shotlog/daemon/8001.conf"],
        "shotlog-mirror.service": ["mirror", "run"],
    }.items():
        unit = Unit.load(name)
        assert unit.command("8001")[3:] == words
        assert unit.one("KillSignal") == "SIGTERM"
        assert unit.one("Restart") in ("always", "on-failure")
        assert float(unit.one("TimeoutStopSec")) > 5
        assert unit.one("User") == "shotlog" and unit.one("NoNewPrivileges") == "yes"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on each unit, the program path pointed at this checkout's."""
    program = shutil.which("shotlog") or str(Path(sys.executable).with_name("shotlog"))
    assert Path(program).exists()
    paths = []
    for path in [*UNITS.glob("*.service"), *UNITS.glob("*.target")]:
        text = path.read_text()
        assert INSTALLED in text or path.suffix == ".target"
        # a template is verified as one of its instances
        name = path.name.replace("@.", "@8001.")
        (tmp_path / name).write_text(text.replace(INSTALLED, program))
        paths.append(str(tmp_path / name))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *paths],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # it exits 0 on most complaints (an unknown key, a bad value): any output is a finding
    problems = [line for line in (done.stdout + done.stderr).splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and problems == [], done.stdout + done.stderr


def test_the_environment_file_sets_only_settings_shotlog_knows() -> None:
    names = {s.name for s in settings.ALL}
    values = read_env_file(ENV_FILE)
    unknown = [k for k in values if k.startswith("SHOTLOG_") and k not in names]
    assert unknown == []
    # the servers listen behind nginx only, and keep idle clients as long as the default
    assert values["SHOTLOG_HOST"] == "127.0.0.1"
    assert float(values["SHOTLOG_KEEPALIVE_SECONDS"]) == settings.KEEPALIVE_SECONDS.default
    assert values["FORWARDED_ALLOW_IPS"] == "127.0.0.1"  # uvicorn's: X-Forwarded-For from nginx


def test_the_site_keeps_clients_as_long_as_shotlog_and_closes_upstreams_first() -> None:
    text = SITE.read_text()
    keepalive = settings.KEEPALIVE_SECONDS.default
    (upstream,) = _seconds(text, "keepalive_timeout", "upstream shotlog")
    # nginx closes an idle upstream connection before shotlog would
    assert upstream < keepalive
    # a client's idle connection lasts as long as shotlog would keep it
    assert _seconds(text, "keepalive_timeout") == [upstream, keepalive]
    assert "proxy_http_version 1.1;" in text and 'proxy_set_header Connection "";' in text
    assert re.search(r"^\s*keepalive \d+;", text, flags=re.MULTILINE)
    # the api3 body limit is shotlog's; a request that may have reached a server is never sent twice
    assert f"client_max_body_size {settings.API3_MAX_BODY.default // 2**20}m;" in text
    (next_upstream,) = re.findall(r"^\s*proxy_next_upstream (.*);", text, flags=re.MULTILINE)
    assert "non_idempotent" not in next_upstream and not re.search(r"http_\d", next_upstream)


@pytest.mark.skipif(not NGINX.exists(), reason="Debian's nginx is not installed")
def test_nginx_accepts_the_rendered_site(tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    tls.mkdir()
    issued = trustme.CA().issue_cert("127.0.0.1")
    issued.private_key_pem.write_to_path(str(tls / "privkey.pem"))
    issued.cert_chain_pems[0].write_to_path(str(tls / "fullchain.pem"))
    site = render_site(
        https_port=free_port(),
        http_port=free_port(),
        upstream_ports=[free_port(), free_port()],
        tls_dir=tls,
        access_log=tmp_path / "access.log",
    )
    # everything but the ports and paths is the file's own
    assert site.count("\n") == SITE.read_text().count("\n")
    Nginx(tmp_path / "nginx", site, 0).check()
