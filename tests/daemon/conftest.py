"""Fixtures of the daemon tests: one real ``shotlog serve`` per session on a fresh database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from daemonkit import Site, launch_site

from testdbs import Databases


class _Dbs(Databases):
    prefix = "dmn"


@pytest.fixture(scope="session")
def databases(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = _Dbs(template, tmp_path_factory.mktemp("daemon_dbs"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def site(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = launch_site(databases.new(), tmp_path_factory.mktemp("daemon_site"))
    yield s
    s.stop()
    # Tracebacks of the stream and daemon endpoints (the server's other parts have their own suites).
    log = s.log_path.read_text(errors="replace")
    for block in log.split("Traceback")[1:]:
        assert "server/stream.py" not in block and "shotlog/daemon/" not in block, block[:4000]
