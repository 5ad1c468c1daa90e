"""driver.executemany stores exactly what Connection.execute stores, on both backends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from shotlog.errors import ConflictError
from shotlog.store import driver
from shotlog.store.database import Database

_md = sa.MetaData()
_t = sa.Table(
    "driver_probe",
    _md,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime),
    sa.Column("doc", sa.JSON),
    sa.Column("label", sa.String(50)),
    sa.Column("amount", sa.Numeric(10, 2)),  # PostgreSQL's numeric result processor needs the type code
)


def test_executemany_matches_execute(db_url: str) -> None:
    db = Database(db_url)
    now = dt.datetime(2026, 11, 27, 12, 30, 45, 123456)
    rows: list[dict[str, Any]] = [
        {"id": 1, "at": now, "doc": {"a": [1, 2], "é": "ü"}, "label": "x"},
        {"id": 2, "at": now, "doc": None, "label": None},
        {"id": 3, "at": now + dt.timedelta(seconds=1), "doc": {"k": None}, "label": "z"},
    ]
    try:
        with db.write() as conn:
            _md.create_all(conn)
            driver.executemany(conn, sa.insert(_t), rows)
            conn.execute(sa.insert(_t), [{**r, "id": r["id"] + 100} for r in rows])
            stmt = sa.update(_t).where(_t.c.id == sa.bindparam("_pk"))
            driver.executemany(conn, stmt, [{"_pk": 1, "label": "one"}, {"_pk": 3, "label": "three"}])
            conn.execute(stmt, [{"_pk": 101, "label": "one"}, {"_pk": 103, "label": "three"}])
        with db.read() as conn:
            got = {r.id: r for r in conn.execute(sa.select(_t))}
            text = sa.text("SELECT id, CAST(doc AS TEXT), CAST(at AS TEXT) FROM driver_probe")
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


def test_execute_and_fetch_one_match_sqlalchemy(db_url: str) -> None:
    """Single-row statements store and read back exactly what Connection.execute does, with the
    binds a statement carries itself (``coalesce(max(id), 0) + 1``) filled in."""
    db = Database(db_url)
    now = dt.datetime(2026, 11, 27, 8, 1, 2, 345678)
    try:
        with db.write() as conn:
            _md.create_all(conn)
            first = {"id": 1, "at": now, "doc": {"é": [1, None]}, "label": "a", "amount": Decimal("12.50")}
            driver.execute(conn, sa.insert(_t), first)
            next_id = sa.select(sa.func.coalesce(sa.func.max(_t.c.id), 0)).scalar_subquery() + 1
            stmt = sa.insert(_t).values(id=next_id).returning(_t.c.id, _t.c.at)
            got = driver.fetch_one(conn, stmt, {"at": now, "doc": None, "label": "b"})
            assert got is not None and (got.id, got.at) == (2, now)
            select = sa.select(_t).where(_t.c.id == sa.bindparam("_pk"))
            mine = driver.fetch_one(conn, select, {"_pk": 1})
            theirs = conn.execute(select, {"_pk": 1}).one()
            assert mine is not None and mine._asdict() == theirs._asdict()
            assert mine.doc == {"é": [1, None]} and mine.at == now and mine.label == "a"
            assert mine.amount == Decimal("12.50")
            assert driver.fetch_one(conn, select, {"_pk": 99}) is None
            with pytest.raises(AttributeError):
                _ = mine.no_such_column
    finally:
        with db.write() as conn:
            _md.drop_all(conn)
        db.dispose()


def test_driver_errors_are_wrapped_as_sqlalchemy_errors(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.write() as conn:
            _md.create_all(conn)
        with pytest.raises(ConflictError), db.write() as conn:
            driver.execute(conn, sa.insert(_t), {"id": 7, "label": "x"})
            driver.execute(conn, sa.insert(_t), {"id": 7, "label": "again"})
        with db.read() as conn:  # the failed transaction left nothing behind
            assert conn.execute(sa.select(sa.func.count()).select_from(_t)).scalar_one() == 0
    finally:
        with db.write() as conn:
            _md.drop_all(conn)
        db.dispose()
