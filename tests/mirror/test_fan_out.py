"""What a mirrored log gives with nothing else to configure: a webhook and an event daemon
(``source = direct``) on the mirror's database each receive every mirrored event once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from mirrorkit import SCRIPT_KEY, SCRIPT_NAME, Mirror, Site, wait_for

import shotlog
from shotlog.daemon.conf import parse_config
from shotlog.daemon.launch import Daemon
from shotlog.webhooks.api import Webhooks
from webhooks.receivers import Receiver
from webhooks.webhookkit import WorkerThread, fast_settings

PLUGINS = Path(__file__).resolve().parent / "plugins"


def _daemon_config(site: Site, db_url: str, out: Path) -> str:
    return f"""[daemon]
pidFile = {out / "daemon.pid"}
eventIdFile = {out / "state.id"}
logMode = 1
logPath = {out / "logs"}
logFile = shotgunEventDaemon
logging = 20
fetch_interval = 0.05

[shotgun]
server = {site.url}
name = {SCRIPT_NAME}
key = {SCRIPT_KEY}

[plugins]
paths = {PLUGINS}

[emails]
enabled = false

[shotlog]
name = on-the-mirror
source = direct
database_url = {db_url}
stop_timeout = 10

[tests]
out_dir = {out}
script_name = {SCRIPT_NAME}
script_key = {SCRIPT_KEY}
"""


def _ids(path: Path) -> list[int]:
    if not path.exists():
        return []
    text = path.read_text()
    return [json.loads(line)["id"] for line in text[: text.rfind("\n") + 1].splitlines()]


def test_a_webhook_and_a_daemon_plugin_receive_each_mirrored_event_once(
    site: Site, mirror: Mirror, tmp_path: Path
) -> None:
    receiver = Receiver().start()
    # the hook is made before the mirror starts: making it logs an event of this database's own
    with shotlog.connect(mirror.db_url) as store:
        Webhooks(store, fast_settings()).create_hook(
            {"url": receiver.url, "token": "s3cret", "entity_types": {"Shot": {"create": [], "update": []}}}
        )
    worker = WorkerThread(mirror.db_url, fast_settings()).start()
    out = tmp_path / "daemon"
    (out / "logs").mkdir(parents=True)
    config = parse_config(_daemon_config(site, mirror.db_url, out), {}, path=tmp_path / "daemon.conf")
    daemon = Daemon(config, foreground=False)
    thread = threading.Thread(target=daemon.run, daemon=True)
    thread.start()
    try:
        mirror.start_inline()
        start = mirror.wait_through(0)["last_event_id"]
        sg = site.client()
        project = sg.create("Project", {"name": "fan out"})
        for i in range(10):
            shot = sg.create("Shot", {"code": f"fan{i:02d}", "project": project})
            sg.update("Shot", shot["id"], {"description": "mirrored"})
        sg.create("Shot", {"code": "last", "project": project})
        head = site.head()
        mirror.wait_through(head)
        every = site.events(start, head)
        # a webhook hears a create once (not its creation's field changes) and each later update
        shot_events = [
            e["id"]
            for e in every
            if e["event_type"] == "Shotgun_Shot_New"
            or (e["event_type"] == "Shotgun_Shot_Change" and not e["meta"].get("in_create"))
        ]

        def delivered() -> list[int]:
            return [i["event_log_entry_id"] for i in receiver.items()]

        wait_for(lambda: set(delivered()) >= set(shot_events), "every Shot event through the webhook")
        wait_for(lambda: head in _ids(out / "counter.jsonl"), "the daemon plugin's last event")
        # a later event arriving on both is the signal that nothing before it is still to repeat
        later = sg.create("Shot", {"code": "later", "project": project})
        after = site.head()
        mirror.wait_through(after)
        wait_for(lambda: after in _ids(out / "counter.jsonl"), "the daemon plugin's later event")
        wait_for(
            lambda: any(i["entity"]["id"] == later["id"] for i in receiver.items()), "the later delivery"
        )
        hook_ids = [i for i in delivered() if i <= head]
        assert sorted(hook_ids) == shot_events, "a webhook delivery was missed or repeated"
        plugin_ids = [i for i in _ids(out / "counter.jsonl") if start < i <= head]
        assert plugin_ids == [e["id"] for e in every], "the daemon plugin missed or repeated an event"
    finally:
        daemon.engine.stop()
        thread.join(30)
        worker.stop()
        receiver.stop()
