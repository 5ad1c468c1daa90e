"""Property-based: schemathesis generates requests from the live server's /api/v1/spec.json.

Valid and invalid requests for every operation (the coverage phase's boundary values, the fuzzing
phase's random ones, the stateful phase following the document's links: create → read, update,
delete → revive), with the script's Bearer token. Every response must be no 5xx, have a status,
content type and body the document declares, reject schema-violating input with a 4xx, answer
401 without the token and 405 to undeclared methods.

``positive_data_acceptance`` is left out: a schema-valid request may still name a field the site
does not have (``sort=abc``), which the API rightly refuses with a 400.

The server is the test module's own, on a fresh database: the fuzzer updates and deletes whatever
it finds (users included), which must not disturb the shared server of the other tests. Bounded by
``SHOTLOG_REST_FUZZ_EXAMPLES`` examples per operation (default 20) and a fixed seed
(``SHOTLOG_REST_FUZZ_SEED``) so that a run is reproducible.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from restkit import API, SERVER_ERROR, RestServer

pytest.importorskip("schemathesis")

EXAMPLES = int(os.environ.get("SHOTLOG_REST_FUZZ_EXAMPLES", "20"))
SEED = int(os.environ.get("SHOTLOG_REST_FUZZ_SEED", "20261127"))
TIMEOUT = 600

# * Inferred links guess parameters from paths and pair POST .../_search with POST .../{id}
#   (id "_search"); the document's own links are explicit, so only they are followed.
# * Reading a retired record with options[return_only]=retired is a feature, which the
#   use-after-free check (GET after DELETE must be 404) would take for a bug: reads ask for active
#   records (the list operation still fuzzes the option).
# * Field schemas are read for a field most types have, so that the 200 answer is checked too.
CONFIG = """
[phases.stateful.inference]
algorithms = []

[[operations]]
include-operation-id = "readEntity"
parameters = { "query.options[return_only]" = "active" }

[[operations]]
include-operation-id = "readFieldSchema"
parameters = { "path.field" = "created_at" }
"""


@pytest.fixture(scope="module")
def fuzz_server(start_rest_server: Callable[[], RestServer]) -> RestServer:
    server = start_rest_server()
    client = server.client(server.script_token())
    project = client.post(f"{API}/entity/projects", json={"name": "fuzz"}).json()["data"]
    link = {"type": "Project", "id": project["id"]}
    for i in range(3):
        shot = client.post(f"{API}/entity/shots", json={"code": f"sh{i}", "project": link})
        assert shot.status_code == 201, shot.text
    return server


def test_schemathesis_finds_nothing(fuzz_server: RestServer, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{fuzz_server.url}{API}/spec.json",
        "--header",
        f"Authorization: Bearer {fuzz_server.script_token()}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        # One worker: CPython 3.11's ast.parse is not thread-safe, and Hypothesis parses lambdas
        # ("AST constructor recursion depth mismatch" with two workers).
        "--workers",
        "1",
        "--suppress-health-check",
        "all",
        "--max-failures",
        "20",
        "--request-timeout",
        "30",
    ]
    mark = fuzz_server.log_mark()
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    # cwd: Hypothesis keeps its example database in ./.hypothesis
    done = subprocess.run(
        command, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT, env=env
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-20000:]
    assert "Runtime Error" not in output, output[-20000:]
    log = fuzz_server.log_since(mark)
    errors = [line for line in log.splitlines() if SERVER_ERROR.search(line)]
    assert not errors and "Traceback" not in log, log[-8000:]
    assert fuzz_server.alive()
