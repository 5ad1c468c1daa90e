"""Whether a database is a mirror, read safely: a database without the mirror's table (an older
schema opened without migrating) reads its events and links as before."""

from __future__ import annotations

import sqlalchemy as sa

import shotlog
from shotlog.store import mirrors


def test_a_database_without_the_mirror_table_reads_its_links(db_url: str) -> None:
    with shotlog.connect(db_url) as sg:
        project = sg.create("Project", {"name": "no mirror here"})
        with sg.db.write() as conn:
            conn.execute(sa.text("DROP TABLE mirror_state"))
        mirrors._cache.clear()  # as a process that has not asked yet
        events = sg.find("EventLogEntry", [["entity", "is", project]], ["entity"], limit=1)
        assert events[0]["entity"] == {"type": "Project", "id": project["id"], "name": "no mirror here"}
        assert mirrors.mirrored_site(sg.db) is None
