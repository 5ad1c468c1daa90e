"""Progress files: the record survives a torn write, and never overrides the database cursor it does
not continue or an operator's move."""

from __future__ import annotations

from pathlib import Path

from daemonkit import RunningEngine, Site, config_text, copy_plugins, make_config, records, wait_for

from shotlog.daemon import status
from shotlog.daemon.progress import ProgressFile


def test_a_write_cut_short_leaves_the_previous_record(tmp_path: Path) -> None:
    path = tmp_path / "p.cursor"
    progress = ProgressFile(path)
    assert progress.read() is None
    progress.write(10, 10, 3, 5, 5, 0)
    progress.write(11, 11, 3, 5, 6, 1)
    progress.close()
    data = bytearray(path.read_bytes())
    assert ProgressFile(path).read() is not None
    # records alternate between two 64-byte slots: the second write (sequence 2) went to slot 0;
    # damage it as a kill -9 in the middle of the copy would
    data[12] ^= 0xFF
    path.write_bytes(bytes(data))
    record = ProgressFile(path).read()
    assert record is not None and (record.position, record.handled) == (10, 5)
    assert record.continues(db_position=5, db_token=3)
    assert not record.continues(db_position=4, db_token=3), "written on top of another cursor"
    assert not record.continues(db_position=5, db_token=4), "an operator acted since"
    path.write_bytes(b"\xff" * 4096)  # garbage: no record, the database wins
    assert ProgressFile(path).read() is None


def test_a_replay_to_the_last_committed_position_is_not_overwritten(site: Site, tmp_path: Path) -> None:
    """The worker runs ahead of its database cursor (committed once a minute here); an operator's
    replay back to exactly that committed position must still replay, not be taken for a resume."""
    plugins = copy_plugins(["recorder"], tmp_path / "plugins")
    out = tmp_path / "out"
    out.mkdir()
    scripts = {"recorder": site.script("plugin_recorder")}
    text = config_text(site, [plugins], out, source="direct", state_url=None, scripts=scripts)
    text = text.replace("[shotlog]", "[shotlog]\ncommit_interval = 60\ncommit_every = 1000000")
    running = RunningEngine(make_config(text, tmp_path / "daemon.conf"))
    try:
        (worker,) = running.engine.workers.values()
        committed = running.engine.cursors.get(*worker.key)
        assert committed is not None
        sg = site.client()
        sg.create("Project", {"name": f"replay {tmp_path.name}"})
        head = site.head()
        wait_for(lambda: any(r["id"] == head for r in records(out, "recorder")), "the new events")
        assert worker.position == head and committed.position < head

        status.replay(
            running.engine.cursors.db, running.engine.config.name, "recorder", committed.position + 1
        )
        wait_for(
            lambda: [r["id"] for r in records(out, "recorder")].count(head) == 2,
            "the replayed events",
            timeout=20,
        )
    finally:
        running.stop()
