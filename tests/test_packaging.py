"""The wheel: what installing it brings, and that it carries everything shotlog reads at run time.

``pip install shotlog`` must bring only what running needs (boto3 only with the ``s3`` extra, no
test tool ever), and the wheel must hold every file of the package: a template, a static file or a
migration left out works from a checkout and fails on the first install. The wheel is built from a
copy of the source, offline, with the setuptools of the dev tools (``--no-build-isolation``).
.ci/run installs the same wheel in a fresh virtualenv and runs it.
"""

from __future__ import annotations

import email.parser
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from shotlog.cli import main

ROOT = Path(__file__).resolve().parent.parent
#: the development tools: none of them may come with a plain install
DEV_ONLY = {"pytest", "moto", "playwright", "ruff", "mypy", "hypothesis", "httpx", "schemathesis", "trustme"}


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    )
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("shotlog-*.whl")
    return zipfile.ZipFile(path)


def _metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.parser.Parser().parsestr(wheel.read(name).decode())


def test_a_plain_install_brings_what_running_needs_and_nothing_for_s3_or_tests(
    wheel: zipfile.ZipFile,
) -> None:
    requires = _metadata(wheel).get_all("Requires-Dist") or []
    plain = {_name(r) for r in requires if "extra ==" not in r}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert plain == {_name(r) for r in declared}
    assert not plain & (DEV_ONLY | {"boto3", "botocore"}), sorted(plain & (DEV_ONLY | {"boto3", "botocore"}))
    s3 = {_name(r) for r in requires if 'extra == "s3"' in r}
    assert s3 == {"boto3", "botocore"}
    dev = {_name(r) for r in requires if 'extra == "dev"' in r}
    assert dev >= DEV_ONLY


def test_the_wheel_holds_every_file_of_the_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    package = ROOT / "src" / "shotlog"
    wanted = {
        "shotlog/" + path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert sorted(wanted - names) == []
    # what shotlog reads from its own folder at run time, by kind
    for needed in (
        "shotlog/web/templates/base.html",
        "shotlog/web/static/app.css",
        "shotlog/store/migrations/env.py",
        "shotlog/store/migrations/versions/0001_initial_schema.py",
        "shotlog/daemon/examples/log_events.py",
    ):
        assert needed in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "shotlog = shotlog.cli:main" in wheel.read(entry_points).decode()


def test_shotlog_version_is_the_installed_package_s() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"shotlog, version {importlib.metadata.version('shotlog')}\n"
