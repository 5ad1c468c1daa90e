"""A sample production for ``shotlog serve --demo``: real entities with a real event history."""

from __future__ import annotations

from typing import Any

from shotlog.connection import Shotlog

__all__ = ["DEMO_PROJECT", "seed_demo"]

DEMO_PROJECT = "Demo: The Lighthouse"

_PEOPLE = [
    ("Ann", "Lee", "alee"),
    ("Bob", "Ruiz", "bruiz"),
    ("Chen", "Wu", "cwu"),
    ("Dana", "Okafor", "dokafor"),
]
_STEPS = [
    ("Layout", "LAY"),
    ("Animation", "ANM"),
    ("Lighting", "LGT"),
    ("Compositing", "CMP"),
    ("Modeling", "MOD"),
]


def seed_demo(sg: Shotlog) -> str:
    """Create the demo project once (idempotent) and return its name."""
    if sg.find_one("Project", [["name", "is", DEMO_PROJECT]]):
        return f"{DEMO_PROJECT} (already there)"
    project = sg.create(
        "Project", {"name": DEMO_PROJECT, "sg_type": "Feature", "sg_description": "Sample data"}
    )
    people = []
    for first, last, login in _PEOPLE:
        found = sg.find_one("HumanUser", [["login", "is", login]])
        people.append(found or sg.create("HumanUser", {"firstname": first, "lastname": last, "login": login}))
    steps = {}
    for name, short in _STEPS:
        found = sg.find_one("Step", [["code", "is", name]])
        steps[name] = found or sg.create("Step", {"code": name, "short_name": short})
    artist = {p["id"]: sg.as_user({"type": "HumanUser", "id": p["id"]}) for p in people}

    assets = [
        sg.create("Asset", {"code": code, "sg_asset_type": kind, "project": project})
        for code, kind in (("lighthouse", "Environment"), ("keeper", "Character"), ("lantern", "Prop"))
    ]
    for s in range(1, 3):
        seq = sg.create("Sequence", {"code": f"SEQ{s:02d}", "project": project})
        for n in range(1, 4):
            shot = sg.create(
                "Shot",
                {
                    "code": f"SEQ{s:02d}_{n * 10:04d}",
                    "sg_sequence": seq,
                    "project": project,
                    "sg_cut_in": 1001,
                    "sg_cut_out": 1001 + 24 * n,
                    "assets": assets[: n % 3 + 1],
                },
            )
            tasks = []
            for i, step in enumerate(("Layout", "Animation", "Lighting", "Compositing")):
                owner = people[(s + n + i) % len(people)]
                tasks.append(
                    sg.create(
                        "Task",
                        {
                            "content": step,
                            "entity": shot,
                            "step": steps[step],
                            "project": project,
                            "task_assignees": [owner],
                        },
                    )
                )
            _progress(sg, artist, people, project, shot, tasks, s + n)
    for asset in assets:
        sg.create(
            "Task",
            {"content": "Modeling", "entity": asset, "step": steps["Modeling"], "project": project,
             "task_assignees": [people[0]]},
        )  # fmt: skip
    return DEMO_PROJECT


def _progress(
    sg: Shotlog,
    artist: dict[int, Shotlog],
    people: list[dict[str, Any]],
    project: dict[str, Any],
    shot: dict[str, Any],
    tasks: list[dict[str, Any]],
    seed: int,
) -> None:
    """Move some work along, as the artists themselves, so the event log tells a story."""
    done = seed % 4
    for task in tasks[:done]:
        owner = people[seed % len(people)]
        as_owner = artist[owner["id"]]
        as_owner.update("Task", task["id"], {"sg_status_list": "ip"})
        version = as_owner.create(
            "Version",
            {"code": f"{shot['code']}_{task['content'].lower()}_v001", "entity": shot, "sg_task": task,
             "project": project, "user": owner, "description": "First pass"},
        )  # fmt: skip
        as_owner.update("Task", task["id"], {"sg_status_list": "rev"})
        reviewer = artist[people[(seed + 1) % len(people)]["id"]]
        reviewer.create(
            "Note",
            {"subject": f"Notes on {version['code']}", "content": "Looks good, push the contrast a little.",
             "project": project, "note_links": [version, shot], "user": people[(seed + 1) % len(people)]},
        )  # fmt: skip
        reviewer.update("Version", version["id"], {"sg_status_list": "apr"})
        as_owner.update("Task", task["id"], {"sg_status_list": "fin"})
    if done:
        sg.update("Shot", shot["id"], {"sg_status_list": "ip"})
