"""bulk.executemany stores exactly what Connection.execute stores, on both backends."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from shotlog.store import bulk
from shotlog.store.database import Database

_md = sa.MetaData()
_t = sa.Table(
    "bulk_probe",
    _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime),
    sa.Column("doc", sa.JSON),
    sa.Column("label", sa.String(50)),
)


def test_executemany_matches_execute(db_url: str) -> None:
    db = Database(db_url)
    now = dt.datetime(2026, 11, 27, 12, 30, 45, 123456)
    rows = [
        {"id": 1, "at": now, "doc": {"a": [1, 2], "é": "ü"}, "label": "x"},
        {"id": 2, "at": now, "doc": None, "label": None},
        {"id": 3, "at": now + dt.timedelta(seconds=1), "doc": {"k": None}, "label": "z"},
    ]
    try:
        with db.write() as conn:
            _md.create_all(conn)
            bulk.executemany(conn, sa.insert(_t), rows)
            conn.execute(sa.insert(_t), [{**r, "id": r["id"] + 100} for r in rows])
            stmt = sa.update(_t).where(_t.c.id == sa.bindparam("_pk"))
            bulk.executemany(conn, stmt, [{"_pk": 1, "label": "one"}, {"_pk": 3, "label": "three"}])
            conn.execute(stmt, [{"_pk": 101, "label": "one"}, {"_pk": 103, "label": "three"}])
        with db.read() as conn:
            got = {r.id: r for r in conn.execute(sa.select(_t))}
            text = sa.text("SELECT id, CAST(doc AS TEXT), CAST(at AS TEXT) FROM bulk_probe")
            raw = {r[0]: r[1:] for r in conn.execute(text)}
        for i in (1, 2, 3):
            mine, theirs = got[i], got[i + 100]
            assert (mine.at, mine.doc, mine.label) == (theirs.at, theirs.doc, theirs.label)
            assert raw[i] == raw[i + 100]  # the same stored text, JSON null included
        assert got[1].label == "one" and got[3].label == "three" and got[2].label is None
        assert got[1].doc == {"a": [1, 2], "é": "ü"} and got[1].at == now
    finally:
        with db.write() as conn:
            _md.drop_all(conn)
        db.dispose()
