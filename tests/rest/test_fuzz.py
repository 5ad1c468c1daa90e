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
(``SHOTLOG_REST_FUZZ_SEED``) so that a run is reproducible; CI runs it with the defaults.

Every path of the document is fuzzed (``test_spec_routes.py`` holds that every served ``/api/v1``
route is in it). A few parameters are pinned so that the run is the same on every machine and
cannot saw off the branch it sits on: the script key routes act on a script of their own (never
the fuzzing script, whose token would stop), the webhook routes that send reach a receiver of the
test's own on 127.0.0.1 (the server's delivery worker is off: a hook the fuzzer makes never sends),
and the event stream ends after its backlog.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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
#: the script whose key the fuzzer rotates and revokes
VICTIM = "fuzz_victim"
# * The key routes act on VICTIM.
# * The webhook routes that read, test or redeliver get the hook and delivery the fixture made, so
#   their 200 and 204 answers are checked too; the fuzzer's own hooks are never sent to.
# * The stream ends after the backlog (followed, it would never end).
# * Personal access tokens are made and listed by a person (a script gets a 403 for making one).
PINNED = """
[[operations]]
include-operation-id = "rotateScriptKey"
parameters = {{ "path.script" = "{victim}" }}

[[operations]]
include-operation-id = "revokeScriptKey"
parameters = {{ "path.script" = "{victim}" }}

[[operations]]
include-operation-id = "readWebhook"
parameters = {{ "path.hook" = "{hook}" }}

[[operations]]
include-operation-id = "testWebhookConnection"
parameters = {{ "path.hook" = "{hook}" }}

[[operations]]
include-operation-id = "listWebhookDeliveries"
parameters = {{ "path.hook" = "{hook}" }}

[[operations]]
include-operation-id = "readWebhookDelivery"
parameters = {{ "path.delivery" = "{delivery}" }}

[[operations]]
include-operation-id = "acknowledgeWebhookDelivery"
parameters = {{ "path.delivery" = "{delivery}" }}

[[operations]]
include-operation-id = "redeliverWebhookDelivery"
parameters = {{ "path.delivery" = "{delivery}" }}

[[operations]]
include-operation-id = "streamEvents"
parameters = {{ "query.follow" = "false" }}

[[operations]]
include-operation-id = "createAccessToken"
headers = {{ Authorization = "Bearer {person}" }}

[[operations]]
include-operation-id = "listAccessTokens"
headers = {{ Authorization = "Bearer {person}" }}
"""


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    """A webhook receiver on 127.0.0.1 that answers every POST 200 at once."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def fuzz_server(start_rest_server: Callable[..., RestServer]) -> RestServer:
    # the delivery worker off: no hook the fuzzer makes is ever sent to; the test's receiver is
    # on loopback, which hooks may reach only when allowed
    env = {"SHOTLOG_WEBHOOKS": "0", "SHOTLOG_WEBHOOKS_ALLOWED_NETWORKS": "127.0.0.0/8"}
    server = start_rest_server(env=env)
    client = server.client(server.script_token())
    project = client.post(f"{API}/entity/projects", json={"name": "fuzz"}).json()["data"]
    link = {"type": "Project", "id": project["id"]}
    for i in range(3):
        shot = client.post(f"{API}/entity/shots", json={"code": f"sh{i}", "project": link})
        assert shot.status_code == 201, shot.text
    victim = client.post(f"{API}/scripts", json={"firstname": VICTIM})
    assert victim.status_code == 201, victim.text
    return server


@pytest.fixture(scope="module")
def pinned(fuzz_server: RestServer, receiver: str) -> str:
    """The configuration of the pinned parameters: a hook that sends to ``receiver``, the delivery
    its connection test made, and a person's access token (it lasts 10 minutes, the run far less)."""
    client = fuzz_server.client(fuzz_server.script_token())
    hook = client.post(
        f"{API}/webhook/hooks", json={"url": receiver, "entity_types": {"Shot": {"create": []}}}
    )
    assert hook.status_code == 201, hook.text
    hook_id = hook.json()["data"]["id"]
    tested = client.post(f"{API}/webhook/hooks/{hook_id}/test_connection")
    assert tested.status_code == 204 and tested.headers["X-Shotlog-Test-Ok"] == "true", tested.headers
    delivery = tested.headers["X-Shotlog-Test-Delivery-Id"]
    person = {"login": "fuzz.person", "firstname": "Fuzz", "password_proxy": "fuzz person password"}
    made = client.post(f"{API}/entity/human_users", json={**person, "permission_rule_set": "Artist"})
    assert made.status_code == 201, made.text
    grant = fuzz_server.grant(
        grant_type="password", username=person["login"], password=person["password_proxy"]
    )
    assert grant.status_code == 200, grant.text
    return PINNED.format(victim=VICTIM, hook=hook_id, delivery=delivery, person=grant.json()["access_token"])


def test_schemathesis_finds_nothing(fuzz_server: RestServer, pinned: str, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG + pinned)
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
    # the person's header reached the token routes: the fuzzer made tokens, so their 201 answers
    # were checked (the log keeps ShotGrid_PAT_Added, though the fuzzer may revoke the tokens)
    client = fuzz_server.client(fuzz_server.script_token())
    added = client.get(f"{API}/entity/event_log_entries", params={"filter[event_type]": "ShotGrid_PAT_Added"})
    assert added.status_code == 200 and added.json()["data"], added.text
