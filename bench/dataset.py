"""A large, realistic event log for the read benchmarks, generated once and cached.

The database is created and migrated by ``shotlog.connect()``; projects and users are created
through the public API, so they are real entities with their own events. Then the bulk: about
``events / 50`` entities (Shot, Asset, Task, Version, Note; 200,000 for 10M events) are inserted
straight into their entity tables, and ``events`` rows straight into ``event_log_entries``:

* SQLite: ``executemany`` in transactions of 250,000 rows with ``synchronous=OFF``;
* PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3 (``cursor.copy``).

The event-log indexes are dropped before the load and re-created afterwards from the exact DDL the
migration created (read back from ``sqlite_master`` / ``pg_indexes``), which is much faster than
maintaining six B-trees row by row and gives the same indexes. PostgreSQL is then ``VACUUM
ANALYZE``d (the state autovacuum reaches on its own); SQLite is not ``ANALYZE``d, because shotlog
never does that itself, so the planner sees what a real shotlog database gives it.

The distribution: 20 projects of Zipf-like sizes; 5 entity types (Task and Version busiest); each
entity has a ``Shotgun_<T>_New`` event when it appears, then ``_Change`` events with
``attribute_change`` metas (status, text, number, date, list and multi-entity fields), a few
``_Retirement``/``_Revival``; about 4% custom events (logins, Toolkit, tkMultiEventApp...). 30
event types in all; ``created_at`` increases over three years; 40 HumanUsers and 3 ApiUsers act.

Cache: SQLite ``bench/out/events_<N>.db``; PostgreSQL database ``shotlog_bench_events_<N>``. A
marker (``bench/out/events_<N>.<backend>.json``) is written when a load completes, so an interrupted
load is redone and a complete one is reused.

    python bench/dataset.py [--events N] [--backend sqlite|postgresql|both] [--rebuild] [--drop-pg]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import benchlib as bl
import shotlog

GEN_VERSION = 1
DEFAULT_EVENTS = 10_000_000
N_PROJECTS = 20
N_HUMANS = 40
API_USERS = ("event daemon", "toolkit", "ingest")
CHUNK = 250_000
START = dt.datetime(2023, 1, 1)
SPAN_SECONDS = 3 * 365 * 86400

EVENT_COLUMNS = (
    "id",
    "event_type",
    "description",
    "entity_type",
    "entity_id",
    "project_type",
    "project_id",
    "user_type",
    "user_id",
    "attribute_name",
    "meta",
    "session_uuid",
    "created_at",
)

# entity type -> (share of entities, share of change activity, display prefix, status values)
TYPES: dict[str, tuple[float, float, str, tuple[str, ...]]] = {
    "Shot": (0.15, 0.15, "sh", ("wtg", "rdy", "ip", "hld", "fin", "omt")),
    "Asset": (0.05, 0.07, "as", ("wtg", "rdy", "ip", "hld", "fin")),
    "Task": (0.50, 0.40, "tk", ("wtg", "rdy", "ip", "rev", "fin")),
    "Version": (0.25, 0.30, "v", ("rev", "vwd", "apr", "na")),
    "Note": (0.05, 0.08, "note", ("opn", "ip", "clsd")),
}
TYPE_NAMES = tuple(TYPES)

# Custom (non entity-change) event types and their share of all events.
CUSTOM_SHARE = 0.04
CUSTOM = (
    "Shotgun_User_Login",
    "Shotgun_User_Logout",
    "Shotgun_Attachment_View",
    "Shotgun_Project_Change",
    "Shotgun_HumanUser_Change",
    "Toolkit_App_Startup",
    "Toolkit_Folders_Create",
    "Toolkit_Publish",
    "Shotgun_Version_Playback",
    "tkMultiEventApp_event_new",
)
RETIRE_SHARE = 0.003
REVIVE_SHARE = 0.0005


def event_types() -> list[str]:
    out = [f"Shotgun_{t}_{k}" for t in TYPE_NAMES for k in ("New", "Change", "Retirement", "Revival")]
    return out + list(CUSTOM)


# -- where things live ---------------------------------------------------------------------------------


def sqlite_path(n: int) -> Path:
    return bl.OUT / f"events_{n}.db"


def pg_dbname(n: int) -> str:
    return f"shotlog_bench_events_{n}"


def marker_path(n: int, backend: str) -> Path:
    return bl.OUT / f"events_{n}.{backend}.json"


def url_for(backend: str, n: int, admin_url: str) -> str:
    if backend == "sqlite":
        return bl.sqlite_url(sqlite_path(n))
    return bl.pg_url(admin_url, pg_dbname(n))


def cached(backend: str, n: int, admin_url: str) -> dict[str, Any] | None:
    """The marker of a complete cached load, or None."""
    mp = marker_path(n, backend)
    if not mp.exists():
        return None
    marker: dict[str, Any] = json.loads(mp.read_text())
    if marker.get("version") != GEN_VERSION or marker.get("events") != n:
        return None
    if backend == "sqlite" and not sqlite_path(n).exists():
        return None
    if backend == "postgresql" and not bl.pg_database_exists(admin_url, pg_dbname(n)):
        return None
    return marker


# -- the generator ------------------------------------------------------------------------------------


class Generator:
    """Deterministic event rows (``EVENT_COLUMNS`` tuples) and the entities they are about."""

    def __init__(
        self,
        n_events: int,
        first_event_id: int,
        projects: list[tuple[int, str]],
        users: list[tuple[str, int, str]],
        first_entity_ids: dict[str, int],
        seed: int = 1234,
    ) -> None:
        self.n = n_events
        self.first_id = first_event_id
        self.projects = projects
        self.users = users
        self.rng = random.Random(seed)
        self.n_entities = max(1000, n_events // 50)
        rng = self.rng
        # Zipf-like project sizes: the biggest project gets ~20% of the entities.
        pweights = [1.0 / (k + 1) ** 0.9 for k in range(len(projects))]
        type_weights = [TYPES[t][0] for t in TYPE_NAMES]
        self.ent_type: list[int] = rng.choices(range(len(TYPE_NAMES)), type_weights, k=self.n_entities)
        self.ent_proj: list[int] = rng.choices(range(len(projects)), pweights, k=self.n_entities)
        counters = dict(first_entity_ids)
        self.ent_id: list[int] = []
        for ti in self.ent_type:
            t = TYPE_NAMES[ti]
            self.ent_id.append(counters[t])
            counters[t] += 1
        self.ent_born: list[int] = [-1] * self.n_entities
        self.sessions = [f"{rng.getrandbits(128):032x}" for _ in range(2000)]
        self.sessions = [f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}" for s in self.sessions]
        self.user_weights = [1.0 / (k + 1) ** 0.5 for k in range(len(users))]

    def name(self, k: int) -> str:
        return f"{TYPES[TYPE_NAMES[self.ent_type[k]]][2]}{self.ent_id[k]:06d}"

    def when(self, i: int) -> dt.datetime:
        return START + dt.timedelta(seconds=(i * SPAN_SECONDS) // self.n)

    def entity_rows(self) -> dict[str, list[dict[str, Any]]]:
        """Entity rows by type, after ``events()`` ran (so their creation times are known)."""
        out: dict[str, list[dict[str, Any]]] = {t: [] for t in TYPE_NAMES}
        for k in range(self.n_entities):
            t = TYPE_NAMES[self.ent_type[k]]
            born = self.when(max(self.ent_born[k], 0))
            out[t].append(
                {
                    "id": self.ent_id[k],
                    "name": self.name(k),
                    "project": self.projects[self.ent_proj[k]][0],
                    "status": TYPES[t][3][0],
                    "created_at": born,
                }
            )
        return out

    def events(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        rand = rng.random
        n, n_ent = self.n, self.n_entities
        born_every = n * 0.95 / n_ent
        recent = max(50, n_ent // 60)  # "work in progress": the newest ~1.7% of entities
        next_birth = 0
        created = 0
        custom_types = CUSTOM
        users, ucum = self.users, list(itertools.accumulate(self.user_weights))
        # Per-user sticky sessions: a user keeps a session for a while.
        user_session = {u[1]: self.sessions[i % len(self.sessions)] for i, u in enumerate(users)}
        sess_i = len(users)
        retired: set[int] = set()
        last_ts = -1
        ts_str = ""
        step = SPAN_SECONDS / n
        start_epoch = START.replace(tzinfo=dt.UTC).timestamp()
        for i in range(n):
            eid = self.first_id + i
            sec = int(i * step)
            if sec != last_ts:
                last_ts = sec
                ts_str = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start_epoch + sec)) + ".000000"
            u = rng.choices(users, cum_weights=ucum)[0] if rand() < 0.3 else users[i % 7]
            utype, uid, uname = u
            if rand() < 0.001:
                user_session[uid] = self.sessions[sess_i % len(self.sessions)]
                sess_i += 1
            session = user_session[uid] if utype == "HumanUser" else None
            if created < n_ent and i >= next_birth:
                k = created
                created += 1
                next_birth = int(created * born_every)
                self.ent_born[k] = i
                yield self._new(eid, k, utype, uid, uname, session, ts_str)
                continue
            r = rand()
            if r < CUSTOM_SHARE or created == 0:
                yield self._custom(eid, rng.choice(custom_types), created, utype, uid, uname, session, ts_str)
                continue
            # pick an entity: busy recent work, plus a long tail over everything created so far
            if rand() < 0.6:
                k = created - 1 - int(rand() * min(created, recent))
            else:
                k = int(rand() * created)
            r2 = rand()
            if r2 < RETIRE_SHARE and k not in retired:
                retired.add(k)
                yield self._retire(eid, k, utype, uid, uname, session, ts_str, "Retirement")
            elif r2 < RETIRE_SHARE + REVIVE_SHARE and k in retired:
                retired.discard(k)
                yield self._retire(eid, k, utype, uid, uname, session, ts_str, "Revival")
            else:
                yield self._change(eid, k, utype, uid, uname, session, ts_str)

    # -- row shapes (meta strings are written as JSON text; values never need escaping) -------------

    def _base(self, k: int) -> tuple[str, str, int, int, str]:
        t = TYPE_NAMES[self.ent_type[k]]
        return t, self.name(k), self.ent_id[k], self.projects[self.ent_proj[k]][0], TYPES[t][2]

    def _new(
        self, eid: int, k: int, utype: str, uid: int, uname: str, session: str | None, ts: str
    ) -> tuple[Any, ...]:
        t, name, ent_id, pid, _ = self._base(k)
        meta = f'{{"type": "new_entity", "entity_type": "{t}", "entity_id": {ent_id}}}'
        return (eid, f"Shotgun_{t}_New", f"{uname} created new {t} {name}", t, ent_id, "Project", pid,
                utype, uid, None, meta, session, ts)  # fmt: skip

    def _retire(
        self, eid: int, k: int, utype: str, uid: int, uname: str, session: str | None, ts: str, kind: str
    ) -> tuple[Any, ...]:
        t, name, ent_id, pid, _ = self._base(k)
        mtype = "entity_retirement" if kind == "Retirement" else "entity_revival"
        meta = (
            f'{{"type": "{mtype}", "entity_type": "{t}", "entity_id": {ent_id}, "id": {ent_id}, '
            f'"class_name": "{t}", "display_name": "{name}"}}'
        )
        verb = "retired" if kind == "Retirement" else "revived"
        return (eid, f"Shotgun_{t}_{kind}", f"{uname} {verb} {t} {name}", t, ent_id, "Project", pid,
                utype, uid, None, meta, session, ts)  # fmt: skip

    def _change(
        self, eid: int, k: int, utype: str, uid: int, uname: str, session: str | None, ts: str
    ) -> tuple[Any, ...]:
        rng = self.rng
        t, name, ent_id, pid, _ = self._base(k)
        statuses = TYPES[t][3]
        r = rng.random()
        if r < 0.45:
            attr, dtype = "sg_status_list", "status_list"
            old, new = rng.sample(statuses, 2)
            ov, nv = f'"{old}"', f'"{new}"'
            shown = f'from "{old}" to "{new}"'
        elif r < 0.65:
            attr, dtype = ("content" if t in ("Task", "Note") else "description"), "text"
            n1, n2 = rng.randrange(1000), rng.randrange(1000)
            ov, nv = f'"revision {n1} notes"', f'"revision {n2} notes"'
            shown = f'from "revision {n1} notes" to "revision {n2} notes"'
        elif r < 0.80:
            attr = {"Shot": "sg_cut_in", "Asset": "sg_asset_type", "Task": "est_in_mins",
                    "Version": "frame_count", "Note": "sg_note_type"}[t]  # fmt: skip
            if t in ("Asset", "Note"):
                dtype = "list"
                choices = ("Character", "Prop", "Environment") if t == "Asset" else ("Client", "Internal")
                old, new = rng.choice(choices), rng.choice(choices)
                ov, nv = f'"{old}"', f'"{new}"'
            else:
                dtype = "number"
                old, new = rng.randrange(1, 2000), rng.randrange(1, 2000)
                ov, nv = str(old), str(new)
            shown = f'from "{old}" to "{new}"'
        elif r < 0.88 and t == "Task":
            attr, dtype = "due_date", "date"
            d = (START + dt.timedelta(days=rng.randrange(1100))).date().isoformat()
            ov, nv = "null", f'"{d}"'
            shown = f'from "" to "{d}"'
        elif t in ("Task", "Note"):
            attr, dtype = ("task_assignees" if t == "Task" else "addressings_to"), "multi_entity"
            who = self.users[rng.randrange(N_HUMANS)]
            item = (
                f'{{"type": "HumanUser", "id": {who[1]}, "name": "{who[2]}", "status": "act", '
                '"valid": "valid"}'
            )
            added, removed = (item, "") if rng.random() < 0.7 else ("", item)
            meta = (
                f'{{"type": "attribute_change", "attribute_name": "{attr}", "entity_type": "{t}", '
                f'"entity_id": {ent_id}, "field_data_type": "{dtype}", "added": [{added}], '
                f'"removed": [{removed}]}}'
            )
            desc = f'{uname} changed "{attr}" on {t} {name}: {"added" if added else "removed"} "{who[2]}"'
            return (eid, f"Shotgun_{t}_Change", desc, t, ent_id, "Project", pid, utype, uid, attr, meta,
                    session, ts)  # fmt: skip
        else:
            attr, dtype = "sg_status_list", "status_list"
            old, new = rng.sample(statuses, 2)
            ov, nv = f'"{old}"', f'"{new}"'
            shown = f'from "{old}" to "{new}"'
        meta = (
            f'{{"type": "attribute_change", "attribute_name": "{attr}", "entity_type": "{t}", '
            f'"entity_id": {ent_id}, "field_data_type": "{dtype}", "old_value": {ov}, "new_value": {nv}}}'
        )
        desc = f'{uname} changed "{attr}" {shown} on {t} {name}'
        return (eid, f"Shotgun_{t}_Change", desc, t, ent_id, "Project", pid, utype, uid, attr, meta,
                session, ts)  # fmt: skip

    def _custom(
        self,
        eid: int,
        etype: str,
        created: int,
        utype: str,
        uid: int,
        uname: str,
        session: str | None,
        ts: str,
    ) -> tuple[Any, ...]:
        rng = self.rng
        proj = self.projects[rng.randrange(len(self.projects))][0]
        human = self.users[rng.randrange(N_HUMANS)]
        some = rng.randrange(created) if created else None
        ent: tuple[str | None, int | None] = (None, None)
        project: tuple[str | None, int | None] = ("Project", proj)
        attr = None
        if etype in ("Shotgun_User_Login", "Shotgun_User_Logout"):
            ent, project = ("HumanUser", human[1]), (None, None)
            meta = f'{{"type": "{etype[8:].lower()}", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}}'
            desc = f"{human[2]} {'logged in' if etype.endswith('Login') else 'logged out'}"
        elif etype == "Shotgun_Project_Change":
            ent, attr = ("Project", proj), "last_accessed_by_current_user"
            meta = (
                f'{{"type": "attribute_change", "attribute_name": "{attr}", "entity_type": "Project", '
                f'"entity_id": {proj}, "field_data_type": "date_time", "old_value": null, '
                f'"new_value": "{ts[:19]}"}}'
            )
            desc = f"{uname} accessed Project {proj}"
        elif etype == "Shotgun_HumanUser_Change":
            ent, attr, project = ("HumanUser", human[1]), "sg_status_list", (None, None)
            meta = (
                '{"type": "attribute_change", "attribute_name": "sg_status_list", '
                f'"entity_type": "HumanUser", "entity_id": {human[1]}, "field_data_type": "status_list", '
                '"old_value": "act", "new_value": "dis"}'
            )
            desc = f"{uname} changed Status on {human[2]}"
        elif some is not None:
            ent = (TYPE_NAMES[self.ent_type[some]], self.ent_id[some])
            meta = (
                f'{{"app": "tk-multi-{etype.rsplit("_", 1)[-1].lower()}", '
                f'"version": "v0.{rng.randrange(20)}.{rng.randrange(9)}", '
                f'"core": "v0.20.{rng.randrange(30)}", "host": "ws{rng.randrange(120):03d}"}}'
            )
            desc = f"{etype.replace('_', ' ')} by {uname}"
        else:
            meta = '{"app": "tk-desktop"}'
            desc = f"{etype.replace('_', ' ')} by {uname}"
        return (eid, etype, desc, ent[0], ent[1], project[0], project[1], utype, uid, attr, meta, session, ts)


# -- loading -------------------------------------------------------------------------------------------


def _setup(sg: shotlog.Shotlog) -> tuple[list[tuple[int, str]], list[tuple[str, int, str]]]:
    """Projects and users through the public API (so they are complete entities)."""
    projects = sg.batch(
        [
            {"request_type": "create", "entity_type": "Project", "data": {"name": f"Project {k + 1:02d}"}}
            for k in range(N_PROJECTS)
        ]
    )
    first = ("Ada", "Ben", "Chen", "Dora", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jin")
    last = ("Smith", "Lopez", "Ng", "Okafor")
    humans = sg.batch(
        [
            {
                "request_type": "create",
                "entity_type": "HumanUser",
                "data": {
                    "firstname": first[k % 10],
                    "lastname": last[k // 10],
                    "login": f"user{k:02d}",
                    "email": f"user{k:02d}@studio.example",
                },
                "return_fields": ["name"],
            }
            for k in range(N_HUMANS)
        ]
    )
    apis = sg.batch(
        [
            {"request_type": "create", "entity_type": "ApiUser", "data": {"firstname": name}}
            for name in API_USERS
        ]
    )
    users = [("HumanUser", h["id"], h["name"]) for h in humans] + [
        ("ApiUser", a["id"], a["firstname"]) for a in apis
    ]
    return [(p["id"], p["name"]) for p in projects], users


def _entity_columns(sg: shotlog.Shotlog, t: str) -> dict[str, str]:
    schema = sg.catalog.schema
    fields = schema.fields[t]
    disp = fields[schema.entity(t).display_field].column
    proj = fields["project"]
    assert disp and proj.column and proj.type_column
    return {"name": disp, "ptype": proj.type_column, "pid": proj.column}


def _entity_tuples(sg: shotlog.Shotlog, gen: Generator) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    for t, rows in gen.entity_rows().items():
        c = _entity_columns(sg, t)
        cols = ["id", "created_at", "updated_at", "created_by_type", "created_by_id", "updated_by_type",
                "updated_by_id", c["ptype"], c["pid"], c["name"], "sg_status_list"]  # fmt: skip
        data = [
            (r["id"], r["created_at"], r["created_at"], "ApiUser", 1, "ApiUser", 1, "Project", r["project"])
            + (r["name"], r["status"])
            for r in rows
        ]
        out[catalog_table(sg, t)] = (cols, data)
    return out


def catalog_table(sg: shotlog.Shotlog, t: str) -> str:
    return str(sg.catalog.table(t).name)


def _progress(i: int, n: int, t0: float, label: str) -> None:
    el = time.perf_counter() - t0
    print(f"  {label}: {i:,}/{n:,} events, {el:.0f}s, {i / el if el else 0:,.0f} rows/s", flush=True)


def build_sqlite(n: int) -> dict[str, Any]:
    bl.ensure_out()
    path = sqlite_path(n)
    bl.remove_sqlite(path)
    marker_path(n, "sqlite").unlink(missing_ok=True)
    t0 = time.perf_counter()
    sg = shotlog.connect(bl.sqlite_url(path))
    projects, users = _setup(sg)
    first_ids = dict.fromkeys(TYPE_NAMES, 1)
    head = sg.head_event_id()
    gen = Generator(n, head + 1, projects, users, first_ids)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute("UPDATE event_log_entries SET created_at = ?", (START.strftime("%Y-%m-%d %H:%M:%S.000000"),))
    ddl = [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_log_entries' "
            "AND sql IS NOT NULL"
        )
    ]
    for name, _ in ddl:
        conn.execute(f'DROP INDEX "{name}"')
    marks = ", ".join("?" * len(EVENT_COLUMNS))
    insert = f"INSERT INTO event_log_entries ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})"
    print(f"SQLite: loading {n:,} events into {path}", flush=True)
    t1 = time.perf_counter()
    buf: list[tuple[Any, ...]] = []
    done = 0
    for row in gen.events():
        buf.append(row)
        if len(buf) >= CHUNK:
            conn.execute("BEGIN")
            conn.executemany(insert, buf)
            conn.execute("COMMIT")
            done += len(buf)
            buf = []
            if done % 1_000_000 == 0:
                _progress(done, n, t1, "SQLite")
    if buf:
        conn.execute("BEGIN")
        conn.executemany(insert, buf)
        conn.execute("COMMIT")
    load_s = time.perf_counter() - t1
    print(f"  events loaded in {load_s:.0f}s; inserting {gen.n_entities:,} entities", flush=True)
    conn.execute("BEGIN")
    for t, (cols, data) in _entity_tuples(sg, gen).items():
        rows = [tuple(v.strftime("%Y-%m-%d %H:%M:%S.000000") if isinstance(v, dt.datetime) else v for v in r)
                for r in data]  # fmt: skip
        conn.executemany(f"INSERT INTO {t} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    conn.execute("COMMIT")
    t2 = time.perf_counter()
    for name, sql in ddl:
        print(f"  creating {name}", flush=True)
        conn.execute(sql)
    index_s = time.perf_counter() - t2
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    sg.close()
    marker = {
        "version": GEN_VERSION,
        "events": n,
        "entities": gen.n_entities,
        "first_bulk_id": head + 1,
        "head": head + n,
        "load_seconds": round(load_s, 1),
        "index_seconds": round(index_s, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "bytes": path.stat().st_size,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    marker_path(n, "sqlite").write_text(json.dumps(marker, indent=2) + "\n")
    print(f"SQLite dataset ready: {marker}", flush=True)
    return marker


_COPY_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row: tuple[Any, ...]) -> str:
    return "\t".join(
        "\\N" if v is None else (v.translate(_COPY_ESCAPE) if isinstance(v, str) else str(v)) for v in row
    )


def build_pg(n: int, admin_url: str) -> dict[str, Any]:
    import psycopg

    bl.ensure_out()
    marker_path(n, "postgresql").unlink(missing_ok=True)
    t0 = time.perf_counter()
    url = bl.pg_create(admin_url, pg_dbname(n), recreate=True)
    sg = shotlog.connect(url)
    projects, users = _setup(sg)
    head = sg.head_event_id()
    first_ids = dict.fromkeys(TYPE_NAMES, 1)
    gen = Generator(n, head + 1, projects, users, first_ids)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE event_log_entries SET created_at = %s", (START,))
        ddl = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'event_log_entries' "
            "AND indexname <> 'pk_event_log_entries'"
        ).fetchall()
        for name, _ in ddl:
            conn.execute(f'DROP INDEX "{name}"')
        conn.commit()
        print(f"PostgreSQL: loading {n:,} events into {pg_dbname(n)}", flush=True)
        t1 = time.perf_counter()
        cur = conn.cursor()
        with cur.copy(f"COPY event_log_entries ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            lines: list[str] = []
            done = 0
            for row in gen.events():
                lines.append(_copy_line(row))
                if len(lines) >= 20_000:
                    copy.write(("\n".join(lines) + "\n").encode())
                    done += len(lines)
                    lines = []
                    if done % 1_000_000 == 0:
                        _progress(done, n, t1, "PostgreSQL")
            if lines:
                copy.write(("\n".join(lines) + "\n").encode())
        conn.commit()
        load_s = time.perf_counter() - t1
        print(f"  events loaded in {load_s:.0f}s; inserting {gen.n_entities:,} entities", flush=True)
        for t, (cols, data) in _entity_tuples(sg, gen).items():
            with cur.copy(f"COPY {t} ({', '.join(cols)}) FROM STDIN") as copy:
                for r in data:
                    copy.write_row(r)
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))")
        conn.commit()
        t2 = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name, sql in ddl:
            print(f"  creating {name}", flush=True)
            conn.execute(sql)
        conn.commit()
        index_s = time.perf_counter() - t2
        conn.autocommit = True
        print("  VACUUM ANALYZE", flush=True)
        conn.execute("VACUUM ANALYZE")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    sg.close()
    marker = {
        "version": GEN_VERSION,
        "events": n,
        "entities": gen.n_entities,
        "first_bulk_id": head + 1,
        "head": head + n,
        "load_seconds": round(load_s, 1),
        "index_seconds": round(index_s, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "bytes": size[0] if size else None,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    marker_path(n, "postgresql").write_text(json.dumps(marker, indent=2) + "\n")
    print(f"PostgreSQL dataset ready: {marker}", flush=True)
    return marker


def ensure(backend: str, n: int, admin_url: str, *, rebuild: bool = False) -> tuple[str, dict[str, Any]]:
    """The URL of a complete ``n``-event database on ``backend``, generating it unless cached."""
    marker = None if rebuild else cached(backend, n, admin_url)
    if marker is None:
        marker = build_sqlite(n) if backend == "sqlite" else build_pg(n, admin_url)
    else:
        print(f"{backend}: reusing cached {n:,}-event log ({marker['created']})", flush=True)
    return url_for(backend, n, admin_url), marker


def events_arg(parser: argparse.ArgumentParser) -> None:
    """``--events N``: the size of the cached log a benchmark reads (default 10 million)."""
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="log size (default 10,000,000)")


def backends(choice: str) -> list[str]:
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


def throwaway_copy(backend: str, n: int, admin_url: str, label: str) -> tuple[str, Callable[[], None]]:
    """A copy of the cached ``n``-event log to measure on (``label`` names it), and how to remove it.

    Benchmarks that write (updates add events, the archive moves them) run on a copy, so the cached
    log stays exactly the one its marker describes.
    """
    if backend == "sqlite":
        dst = bl.OUT / f"{label}_copy_{n}.db"
        bl.remove_sqlite(dst)
        # the backup API copies what the WAL holds too, which a file copy could miss
        with sqlite3.connect(sqlite_path(n)) as src, sqlite3.connect(dst) as out:
            src.backup(out)
        return bl.sqlite_url(dst), lambda: bl.remove_sqlite(dst)
    import psycopg
    from psycopg import sql

    name = f"shotlog_bench_{label}_{n}"
    bl.pg_drop(admin_url, name)
    with psycopg.connect(bl._libpq(admin_url), autocommit=True) as conn:
        template = sql.Identifier(pg_dbname(n))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), template))
    return bl.pg_url(admin_url, name), lambda: bl.pg_drop(admin_url, name)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    events_arg(p)
    bl.backend_arg(p)
    p.add_argument("--rebuild", action="store_true", help="regenerate even if cached")
    p.add_argument("--drop-pg", action="store_true", help="drop the cached PostgreSQL database and exit")
    p.add_argument("--pg-admin-url", default=bl.DEFAULT_PG_ADMIN)
    args = p.parse_args(argv)
    if args.drop_pg:
        bl.pg_drop(args.pg_admin_url, pg_dbname(args.events))
        marker_path(args.events, "postgresql").unlink(missing_ok=True)
        print(f"dropped {pg_dbname(args.events)}")
        return
    for b in backends(args.backend):
        ensure(b, args.events, args.pg_admin_url, rebuild=args.rebuild)


if __name__ == "__main__":
    main(sys.argv[1:])
