"""Server time of the web UI's event log pages on a large event log (goal: < 200 ms per page).

The log is bench/dataset.py's cached dataset (10 million events by default). The pages are served
by the real application (``create_app``: routing, session lookup, the store queries, Jinja
rendering, gzip) through Starlette's in-process test client, so the time is what the server spends
on a request, without a network. The session is a real ``web`` session token of one of the
dataset's HumanUsers (issued here and revoked at the end; nothing else is written).

Pages: the first page of the whole log, a deep keyset page, and filtered pages (project, event-type
wildcard, entity, user, date range, description text, a rare event type), each with the default
50 rows and its capped match count; then one event page and one entity page with its history.
Baseline: the same first page read by ``sg.find`` alone (the store's share of the time).

    python bench/webui.py [--events N] [--backend sqlite|postgresql|both] [--reps 30] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import benchlib as bl
import dataset
import shotlog
from shotlog.accounts.credentials import Credentials, Principal
from shotlog.web.eventlist import EVENT_FIELDS

GOAL_MS = 200.0


def pages(sg: shotlog.Shotlog, marker: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, path) of every page measured, with parameters picked from the data."""
    head = sg.head_event_id()
    mid = marker["first_bulk_id"] + (head - marker["first_bulk_id"]) // 2
    projects = sg.find("Project", [], ["name"], order=[{"field_name": "id", "direction": "asc"}])
    big = projects[0]
    user = sg.find_one(
        "HumanUser", [["login", "is_not", None]], ["id"], order=[{"field_name": "id", "direction": "desc"}]
    )
    task = sg.find_one("Task", [], ["id"], order=[{"field_name": "id", "direction": "desc"}])
    middle_day = sg.find_one("EventLogEntry", [["id", "is", mid]], ["created_at"])["created_at"].date()
    return [
        ("first", "first page, no filter", "/events"),
        ("deep", f"keyset page after id {mid:,}", f"/events?after={mid}"),
        ("project", f"project {big['name']} (largest)", f"/events?project={big['id']}"),
        ("type_wild", "event type Shotgun_Task_*", "/events?event_type=Shotgun_Task_%2A"),
        ("type_rare", "event type Shotgun_Asset_Retirement", "/events?event_type=Shotgun_Asset_Retirement"),
        ("entity", f"entity Task #{task['id']}", f"/events?entity_type=Task&entity_id={task['id']}"),
        ("user", f"user HumanUser #{user['id']}", f"/events?user=HumanUser:{user['id']}"),
        ("date", f"one day ({middle_day})", f"/events?from={middle_day}&to={middle_day}"),
        ("text", "description contains 'status'", "/events?q=status"),
        ("text_rare", "description contains a word no event has (one 100,000-id window)", "/events?q=zzqqzz"),
        ("sort_type", "sorted by event type", "/events?sort=-event_type"),
        ("size500", "first page, 500 rows", "/events?size=500"),
        ("event", f"event page #{mid:,}", f"/events/{mid}"),
        ("entity_page", f"entity page Task #{task['id']} with history", f"/entities/Task/{task['id']}"),
    ]


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from shotlog.server.app import create_app

    url, marker = dataset.ensure(backend, args.events, args.pg_admin_url)
    sg = shotlog.connect(url)
    credentials = Credentials(sg)
    human = sg.find_one("HumanUser", [["sg_status_list", "is", "act"]], ["name", "login"])
    token, _ = credentials.issue(Principal("HumanUser", human["id"], human["name"], human["login"]), "web")
    out: dict[str, Any] = {"dataset": marker, "pages": {}}
    print(f"\n== {backend}: {marker['head']:,} events (cached dataset from {marker['created']})")
    try:
        with TestClient(create_app(sg, credentials)) as client:
            client.cookies.set("shotlog_session", token)
            first = client.get("/events")
            assert first.status_code == 200, first.text[:500]
            baseline = bl.latency_stats(
                bl.timed_calls(
                    lambda: sg.find(
                        "EventLogEntry",
                        [],
                        EVENT_FIELDS,
                        order=[{"field_name": "id", "direction": "desc"}],
                        limit=51,
                    ),
                    args.reps,
                    args.warmup,
                )[0]
            )
            out["baseline_find"] = baseline
            print(f"- baseline: sg.find of the first 51 events: median {baseline['median_ms']:.1f} ms")
            for key, label, path in pages(sg, marker):
                reply = client.get(path)
                if reply.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {reply.status_code}\n{reply.text[:1000]}")
                stats = bl.latency_stats(
                    bl.timed_calls(lambda p=path: client.get(p), args.reps, args.warmup)[0]
                )
                ok = stats["p95_ms"] < GOAL_MS
                print(
                    f"- {label}: median {stats['median_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms "
                    f"[{'meets' if ok else 'MISSES'} < {GOAL_MS:g} ms]  ({len(reply.content):,} bytes) {path}"
                )
                out["pages"][key] = {
                    "label": label,
                    "path": path,
                    "bytes": len(reply.content),
                    **stats,
                    "meets_goal": ok,
                }
    finally:
        credentials.revoke(token)
        sg.close()
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dataset.events_arg(p)
    bl.backend_arg(p)
    p.add_argument("--reps", type=int, default=30, help="timed requests per page (default 30)")
    p.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    bl.common_args(p)
    args = p.parse_args(argv)
    chosen = bl.chosen_backends(args)
    info = bl.announce_machine(args)
    print(
        f"web UI pages: server time per request, {args.reps} reps after {args.warmup} warm-up; "
        f"goal p95 < {GOAL_MS:g} ms"
    )
    results: dict[str, Any] = {
        "machine": info,
        "command": bl.command_line(),
        "events": args.events,
        "goal_ms": GOAL_MS,
    }
    for backend in chosen:
        results[backend] = bench_backend(backend, args)
    bl.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
