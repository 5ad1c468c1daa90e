"""Fixtures of the mirror tests: one site for the session; a mirror database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mirrorkit import Mirror, Site, launch_site

from testdbs import Databases


class _Dbs(Databases):
    prefix = "mir"


@pytest.fixture(scope="session")
def databases(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = _Dbs(template, tmp_path_factory.mktemp("mirror_dbs"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def site(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = launch_site(databases.new(), tmp_path_factory.mktemp("mirror_site"))
    yield s
    s.stop()
    log = s.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[log.index("Traceback") - 2000 :][:6000]


@pytest.fixture
def mirror(site: Site, databases: Databases, tmp_path: Path) -> Iterator[Mirror]:
    """A mirror of ``site`` (not started) into a fresh database; stopped at the end of the test."""
    m = Mirror(site, databases.new(), tmp_path)
    yield m
    m.stop()
    assert "Traceback" not in m.log(), m.log()[-6000:]
