"""The three sources hand plugins the same events in the same shape; the polling source's gaps."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from daemonkit import RunningEngine, Site, config_text, copy_plugins, make_config, records, wait_for

from shotlog.store.database import Database
from shotlog.store.tables import event_log_entries


def _engine(site: Site, tmp_path: Path, source: str, **kw: object) -> tuple[RunningEngine, Path]:
    base = tmp_path / source
    plugins = copy_plugins(["recorder"], base / "plugins")
    out = base / "out"
    out.mkdir(parents=True)
    scripts = {"recorder": site.script("plugin_recorder")}
    state = None if source == "direct" else f"sqlite:///{base / 'state.db'}"
    text = config_text(site, [plugins], out, source=source, state_url=state, scripts=scripts, **kw)  # type: ignore[arg-type]
    return RunningEngine(make_config(text, base / "daemon.conf")), out


def test_direct_stream_and_polling_sources_agree(site: Site, tmp_path: Path) -> None:
    engines = {s: _engine(site, tmp_path, s) for s in ("direct", "stream", "api3")}
    try:
        sg = site.client()
        start = site.head()
        project = sg.create("Project", {"name": f"sources {tmp_path.name}"})
        shot = sg.create("Shot", {"code": "s010", "project": project})
        sg.update("Shot", shot["id"], {"sg_status_list": "ip", "description": "ünïcode ✓"})
        sg.revive("Shot", shot["id"])  # a no-op revive: no event, nothing differs in time
        head = site.head()
        seen = {}
        for source, (_, out) in engines.items():
            wait_for(
                lambda out=out: any(r["id"] >= head for r in records(out, "recorder")), f"the {source} source"
            )
            seen[source] = [r for r in records(out, "recorder") if start < r["id"] <= head]
        assert [r["id"] for r in seen["direct"]] == list(range(start + 1, head + 1))
        assert seen["stream"] == seen["direct"]
        assert seen["api3"] == seen["direct"]
    finally:
        for running, _ in engines.values():
            running.stop()


def _event_row(db_url: str, event_id: int) -> dict[str, object]:
    db = Database(db_url)
    with db.read() as conn:
        row = conn.execute(sa.select(event_log_entries).where(event_log_entries.c.id == event_id)).one()
    db.dispose()
    return dict(row._mapping)


def _insert_event(db_url: str, row: dict[str, object]) -> None:
    db = Database(db_url)
    with db.write() as conn:
        conn.execute(sa.insert(event_log_entries).values(**row))
    db.dispose()


def test_polling_source_late_committed_id_once_and_no_stall_after_a_gap(site: Site, tmp_path: Path) -> None:
    """An id that becomes visible after higher ones (as on FPTR) is processed exactly once, later;
    a gap followed by more than a page of events neither stalls nor repeats (shotgunEvents #32)."""
    running, out = _engine(site, tmp_path, "api3", batch=5)
    try:
        sg = site.client()
        project = sg.create("Project", {"name": f"gap {tmp_path.name}"})
        wait_for(lambda: records(out, "recorder"), "the first event")
        # Make a real gap as FPTR shows it: hold back one event while many later ones appear.
        # (shotlog itself never shows one: ids commit in order; this removes a committed row and
        # puts it back later, which is what a late commit looks like to a poller.)
        first = sg.create("Shot", {"code": "g000", "project": project})
        template = _event_row(site.db_url, site.head())
        held_id = template["id"] + 1  # reserved now, committed later (as FPTR does)
        _insert_event(site.db_url, {**template, "id": held_id + 1, "description": "after the hole"})
        for i in range(4):
            sg.create("Shot", {"code": f"g{i + 1:03d}", "project": project})  # more than a page of 5
        head = site.head()
        wait_for(lambda: any(r["id"] >= head for r in records(out, "recorder")), "events after the gap")
        ids = [r["id"] for r in records(out, "recorder")]
        assert held_id not in ids
        assert len(ids) == len(set(ids))
        _insert_event(site.db_url, {**template, "id": held_id, "description": "late"})  # the late commit
        wait_for(lambda: held_id in [r["id"] for r in records(out, "recorder")], "the late event")
        sg.update("Shot", first["id"], {"description": "after the late one"})
        head2 = site.head()
        wait_for(lambda: any(r["id"] >= head2 for r in records(out, "recorder")), "events after the late one")
        ids = [r["id"] for r in records(out, "recorder")]
        assert ids.count(held_id) == 1
        assert len(ids) == len(set(ids)), "an event was processed twice"
        assert set(range(ids[0], head2 + 1)) == set(ids), "an event was skipped"
        # processing never moved backwards: only the late id is out of order, once
        late_at = ids.index(held_id)
        rest = ids[:late_at] + ids[late_at + 1 :]
        assert rest == sorted(rest) and ids[late_at - 1] > held_id

        # the journal keeps only what some plugin has not processed yet
        journal = running.engine.feed.pump
        workers = running.engine.workers

        def committed() -> bool:  # database cursors are committed every commit_interval
            return all(c.position >= workers[c.key].position for c in running.engine.cursors.all())

        wait_for(committed, "the cursors' commit")
        running.engine._prune()
        assert journal.fetch(0, 10_000) == []
        sg.update("Shot", first["id"], {"description": "after pruning"})
        head3 = site.head()
        wait_for(lambda: head3 in [r["id"] for r in records(out, "recorder")], "an event after pruning")
    finally:
        running.stop()
