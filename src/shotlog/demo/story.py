"""The demo's nine months as beats: who did what to which entity, and when. Pure.

``plot(seed, start)`` depends on its arguments alone (one seeded ``random.Random``): the same seed
and start give the same beats, and the same seed from another start gives the same story moved in
time. Beats come sorted by time and name entities by key (``Ref``); ``shotlog.demo.loader`` turns
the keys into the ids the entities get when written. Work happens in working hours (09:00 to 19:00
UTC, Monday to Friday), and whatever would happen after the story's end is left out, so the last
weeks end with work in progress.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shotlog.demo.cast import CORE, PEOPLE, SCRIPTS, SHOWS, STEPS, STORY_DAYS, Person, Show

__all__ = ["ACTIONS", "Beat", "Ref", "plot", "story_start"]

#: what a beat does: write an entity, log a custom event, upload a thumbnail, or share one
ACTIONS = ("create", "update", "delete", "event", "thumbnail", "share")
_ROLLUP = "status_rollup"
_CLIENT_REVIEWER = next(p for p in PEOPLE if p.rule_set == "Client")
#: the steps whose versions get a thumbnail (the asset look and the shot's final image)
_PICTURE_STEPS = frozenset({"Surfacing", "Compositing"})
_RETAKES = (
    "Too bright in the upper third; bring the exposure down a stop.",
    "Timing feels rushed after the turn: hold four more frames.",
    "Edges are chattering on the rocks, check the matte.",
    "Rain direction fights the wind in the plate.",
    "Lamp flare is too sharp, soften it and add some haze.",
    "Silhouette reads poorly against the sky: more rim light.",
    "Scale feels off next to the boat, compare with the layout.",
)
_APPROVALS = (
    "Approved, thank you.",
    "Looks great, final.",
    "Approved for the next stage.",
    "Lovely work, this is final.",
)
_CLIENT = (
    "We love the mood. Can the water be a touch greener?",
    "Please keep the logo clear of the spray.",
    "Approved from our side.",
    "The beam should feel warmer here.",
)


@dataclass(frozen=True, slots=True)
class Ref:
    """An entity of the story, by key (``"Shot:LH_010_0010"``), written as a link once it exists."""

    key: str


@dataclass(frozen=True, slots=True)
class Beat:
    """One write: ``actor`` (a login, a script name, or None for shotlog itself) does ``action``."""

    at: dt.datetime
    actor: str | None
    action: str
    entity_type: str
    #: the subject's key: what a create names, what an update or delete changes
    key: str
    data: dict[str, Any] = field(default_factory=dict)


def story_start(end: dt.datetime, days: int = STORY_DAYS) -> dt.datetime:
    """The first moment of a story ending at ``end``: midnight, ``days`` days before."""
    return (end - dt.timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)


def plot(seed: int, end: dt.datetime, days: int = STORY_DAYS) -> list[Beat]:
    """The beats of the story that ends at ``end`` (naive UTC), oldest first. A shorter ``days``
    tells only the story's beginning (the cast's days count from the start)."""
    story = _Story(seed, story_start(end, days), end)
    story.people()
    for show in SHOWS:
        story.show(show)
    story.playlists()
    return story.beats()


def _working(t: dt.datetime, rng: random.Random) -> dt.datetime:
    """``t``, or the next working time after it: 09:00 to 19:00 from Monday to Friday."""
    if t.hour >= 19:
        t = (t + dt.timedelta(days=1)).replace(hour=9, minute=rng.randrange(50))
    elif t.hour < 9:
        t = t.replace(hour=9, minute=rng.randrange(50))
    if t.weekday() >= 5:  # Monday, at the same time of day: what came first still does
        t += dt.timedelta(days=7 - t.weekday())
    return t


class _Story:
    def __init__(self, seed: int, start: dt.datetime, end: dt.datetime) -> None:
        self.rng = random.Random(seed)
        self.start = start
        self.end = end
        self._beats: list[Beat] = []
        #: (submitted at, show code, version key, entity key, approved at or None)
        self.versions: list[tuple[dt.datetime, str, str, str, dt.datetime | None]] = []
        self.finished: dict[str, dt.datetime] = {}
        #: when each person's account was made
        self.joined: dict[str, dt.datetime] = {}
        self._notes = 0

    # -- time --------------------------------------------------------------------------------------

    def day(self, n: float, hour: int = 9) -> dt.datetime:
        t = self.start + dt.timedelta(days=n, hours=hour, minutes=self.rng.randrange(50))
        return _working(t.replace(microsecond=0), self.rng)  # a fraction of a day: whole seconds

    def after(self, t: dt.datetime, low_hours: float, high_hours: float, pace: float = 1.0) -> dt.datetime:
        minutes = self.rng.uniform(low_hours * 60, high_hours * 60) * pace
        return _working(t + dt.timedelta(minutes=max(1, int(minutes))), self.rng)

    def soon(self, t: dt.datetime, low: int = 1, high: int = 6) -> dt.datetime:
        """A few minutes later (the next thing the same person does)."""
        return t + dt.timedelta(minutes=self.rng.randint(low, high), seconds=self.rng.randrange(60))

    def add(
        self, at: dt.datetime, actor: str | None, action: str, etype: str, key: str, **data: Any
    ) -> dt.datetime:
        self._beats.append(Beat(at, actor, action, etype, key, data))
        return at

    def beats(self) -> list[Beat]:
        """Every beat before the end, in time order (stable: a create stays before what links it)."""
        return sorted((b for b in self._beats if b.at < self.end), key=lambda b: b.at)

    # -- people ------------------------------------------------------------------------------------

    def people(self) -> None:
        admin, *others = PEOPLE
        t = self.add(self.day(0), None, "create", "HumanUser", f"HumanUser:{admin.login}", **_person(admin))
        self.joined[admin.login] = t
        for script in SCRIPTS:
            t = self.add(
                self.soon(t),
                admin.login,
                "create",
                "ApiUser",
                f"ApiUser:{script.name}",
                firstname=script.name,
                description=script.description,
                generate_event_log_entries=True,
            )
        for step in STEPS.values():
            t = self.add(
                self.soon(t, 1, 2), admin.login, "create", "Step", f"Step:{step.code}",
                code=step.code, short_name=step.short,
            )  # fmt: skip
        for person in others:
            t = self.soon(t) if person.joins == 0 else self.day(person.joins)
            self.add(t, admin.login, "create", "HumanUser", f"HumanUser:{person.login}", **_person(person))
            self.joined[person.login] = t
            if person.rule_set in ("Vendor", "Client"):
                # a restricted set sees and writes only the projects whose Users name the person:
                # the shows already running take them on the day they join (no draw of the story's
                # random sequence, so the rest of the story stays as it was)
                running = [Ref(f"Project:{show.code}") for show in SHOWS if show.begins < person.joins]
                if running:
                    self.add(
                        t + dt.timedelta(minutes=5), admin.login, "update", "HumanUser",
                        f"HumanUser:{person.login}", projects=running,
                    )  # fmt: skip
            if person.leaves is not None:
                self.add(
                    self.day(person.leaves, 17), admin.login, "update", "HumanUser",
                    f"HumanUser:{person.login}", sg_status_list="dis",
                )  # fmt: skip

    def here(self, person: Person, t: dt.datetime, for_days: float = 0) -> bool:
        """Whether ``person`` exists at ``t`` and stays ``for_days`` more."""
        joined = self.joined.get(person.login)
        day = (t - self.start).total_seconds() / 86400
        return joined is not None and joined <= t and person.active(day, for_days=for_days)

    def pick(self, step: str, t: dt.datetime) -> Person:
        return self.rng.choice([p for p in PEOPLE if step in p.steps and self.here(p, t, for_days=25)])

    # -- a show ------------------------------------------------------------------------------------

    def show(self, show: Show) -> None:
        project = Ref(f"Project:{show.code}")
        t = self.day(show.begins, 10)
        crew = [Ref(f"HumanUser:{p.login}") for p in PEOPLE if self.here(p, t)]  # the client reviews it too
        self.add(
            t, "jpark", "create", "Project", project.key,
            name=show.name, sg_type=show.kind, sg_description=show.description, code=show.code,
            tank_name=show.name.split(": ")[-1].lower().replace(" ", "_"),
            start_date=t.date().isoformat(), users=crew,
        )  # fmt: skip
        ends: list[dt.datetime] = []
        t = self.after(t, 20, 28)
        for code, kind, steps in show.assets:
            asset = f"Asset:{show.code}:{code}"
            t = self.add(
                self.soon(t, 3, 12), "lnguyen", "create", "Asset", asset,
                code=code, sg_asset_type=kind, project=project, description=f"{kind}: {code}",
            )  # fmt: skip
            self._tasks(t, project, asset, code, steps)
            self._folders(t, project, asset, "Asset", code)
            first = max(self.day(show.begins + 4 + self.rng.uniform(0, 8) * show.pace), self.after(t, 1, 3))
            ends.append(self.chain(show, project, asset, code, steps, first))
        for seq_code, description, shots, begins, fx in show.sequences:
            ends += self._sequence(show, project, seq_code, description, shots, begins, fx)
        if show.wraps:
            done = max(ends)
            t = self.after(done, 24, 48)
            self.add(t, "jpark", "update", "Project", project.key, sg_status="Complete",
                     end_date=t.date().isoformat())  # fmt: skip
            self.add(
                self.after(t, 24 * 9, 24 * 12), "mortiz", "update", "Project", project.key, archived=True
            )

    def _sequence(
        self, show: Show, project: Ref, code: str, description: str, shots: int, begins: int, fx: bool
    ) -> list[dt.datetime]:
        steps = ("Layout", "Animation", *(("FX",) if fx else ()), "Lighting", "Compositing")
        seq = f"Sequence:{code}"
        t = self.add(
            self.day(begins - 6 * show.pace, 11), "lnguyen", "create", "Sequence", seq,
            code=code, description=description, project=project,
        )  # fmt: skip
        assets = [Ref(f"Asset:{show.code}:{a[0]}") for a in show.assets]
        ends = []
        for n in range(1, shots + 1):
            shot_code = f"{code}_{n * 10:04d}"
            shot = f"Shot:{shot_code}"
            length = self.rng.choice((48, 64, 72, 96, 120, 144))
            t = self.add(
                self.soon(t, 2, 9), "lnguyen", "create", "Shot", shot,
                code=shot_code, sg_sequence=Ref(seq), project=project, sg_cut_in=1001,
                sg_cut_out=1000 + length, sg_cut_duration=length, sg_cut_order=n,
                assets=self.rng.sample(assets, k=min(len(assets), self.rng.randint(1, 3))),
                description=f"{description}, shot {n}",
            )  # fmt: skip
            self._tasks(t, project, shot, shot_code, steps)
            self._folders(t, project, shot, "Shot", shot_code)
            if show.omitted is not None and show.omitted[0] == shot_code:
                omit = self.day(show.omitted[1], 11)
                self.add(omit, "jpark", "update", "Shot", shot, sg_status_list="omt",
                         description="Omitted: cut from the edit")  # fmt: skip
                self.add(self.after(omit, 20, 30), "lnguyen", "delete", "Shot", shot)
                continue
            first = max(self.day(begins + (n - 1) * self.rng.uniform(1, 4) * show.pace), self.after(t, 1, 3))
            ends.append(self.chain(show, project, shot, shot_code, steps, first))
        return ends

    def _tasks(self, t: dt.datetime, project: Ref, entity: str, label: str, steps: Iterable[str]) -> None:
        for step in steps:
            self.add(
                self.soon(t, 1, 1), "lnguyen", "create", "Task", f"Task:{label}:{step}",
                content=step, entity=Ref(entity), step=Ref(f"Step:{step}"), project=project,
                sg_status_list="wtg",
            )  # fmt: skip

    def _folders(self, t: dt.datetime, project: Ref, entity: str, etype: str, label: str) -> None:
        self.add(
            self.soon(t, 8, 15), "mortiz", "event", "EventLogEntry", "",
            event_type="Toolkit_Folders_Create",
            description=f"Toolkit {CORE}: Created folders on disk for {etype} {label}",
            entity=Ref(entity), project=project,
            meta={"core_api_version": CORE, "preview_mode": False, "folders": self.rng.randint(6, 14)},
        )  # fmt: skip

    def _toolkit(self, t: dt.datetime, who: str, project: Ref, entity: str, engine: str, app: str) -> None:
        name = app.split(maxsplit=1)[0]
        self.add(
            t, who, "event", "EventLogEntry", "",
            event_type="Toolkit_App_Startup", description=f"App Startup: {name}",
            entity=Ref(entity), project=project,
            meta={"core": CORE, "engine": engine, "app": app},
        )  # fmt: skip

    # -- the work on one shot or asset ---------------------------------------------------------------

    def chain(
        self, show: Show, project: Ref, entity: str, label: str, steps: Iterable[str], t: dt.datetime
    ) -> dt.datetime:
        """Each step's task in turn: assigned, started, versions reviewed until one is approved."""
        pace = show.pace
        for i, step in enumerate(steps):
            task = f"Task:{label}:{step}"
            if i:
                t = self.add(self.soon(t, 1, 2), _ROLLUP, "update", "Task", task, sg_status_list="rdy")
            artist = self.pick(step, t)
            due = self.after(t, 24 * 8 * pace, 24 * 14 * pace)
            t = self.add(
                self.after(t, 0.5, 6), "lnguyen", "update", "Task", task,
                task_assignees=[Ref(f"HumanUser:{artist.login}")], task_reviewers=[Ref("HumanUser:tbrandt")],
                start_date=t.date().isoformat(), due_date=due.date().isoformat(),
            )  # fmt: skip
            t = self.after(t, 1, 30, pace)
            self._toolkit(t, artist.login, project, entity, STEPS[step].engine, "tk-multi-workfiles2 v0.14.1")
            t = self.add(self.soon(t), artist.login, "update", "Task", task, sg_status_list="ip")
            if i == 0:
                self.add(self.soon(t, 1, 1), _ROLLUP, "update", _kind(entity), entity, sg_status_list="ip")
            t = self._reviews(show, project, entity, label, step, task, artist, t)
        self.finished[entity] = t
        return self.add(self.soon(t, 1, 2), _ROLLUP, "update", _kind(entity), entity, sg_status_list="fin")

    def _reviews(
        self, show: Show, project: Ref, entity: str, label: str, step: str, task: str, artist: Person,
        t: dt.datetime,
    ) -> dt.datetime:  # fmt: skip
        rounds = self.rng.choice((1, 1, 2, 2, 3))
        who = artist.login
        for r in range(1, rounds + 1):
            t = self.after(t, 18, 80, show.pace)
            if r == 1:  # (every publish starts it; the log of one is enough for the demo)
                self._toolkit(t, who, project, entity, STEPS[step].engine, "tk-multi-publish2 v2.8.3")
            code = f"{label}_{STEPS[step].short.lower()}_v{r:03d}"
            version = f"Version:{code}"
            first, last = 1001, 1001 + self.rng.randint(47, 143)
            t = self.add(
                self.soon(t, 2, 8), who, "create", "Version", version,
                code=code, entity=Ref(entity), sg_task=Ref(task), project=project,
                user=Ref(f"HumanUser:{who}"), sg_status_list="rev",
                description=f"{step} pass {r}" + (", notes addressed" if r > 1 else ""),
                sg_first_frame=first, sg_last_frame=last, frame_count=last - first + 1,
                frame_range=f"{first}-{last}",
                sg_path_to_movie=f"/mnt/projects/{show.code.lower()}/{label}/{step.lower()}/{code}.mov",
            )  # fmt: skip
            if step in _PICTURE_STEPS:
                self.add(
                    self.soon(t, 1, 2), who, "thumbnail", "Version", version,
                    field="image", title=code, hue=self.rng.random(), sun=self.rng.random(),
                )  # fmt: skip
            t = self.add(self.soon(t, 3, 9), who, "update", "Task", task, sg_status_list="rev")
            t = self.after(t, 2, 40)
            reviewer = "tbrandt" if self.rng.random() < 0.75 else "jpark"
            final = r == rounds
            if not final or self.rng.random() < 0.5:  # a retake always has notes, an approval may
                self._note(t, reviewer, project, version, entity, task, who, final)
            if final:
                self.add(self.soon(t), reviewer, "update", "Version", version, sg_status_list="apr")
                t = self.add(self.soon(t, 5, 12), reviewer, "update", "Task", task, sg_status_list="fin")
                if step in _PICTURE_STEPS:
                    self.add(self.soon(t, 1, 3), reviewer, "share", _kind(entity), entity,
                             source=Ref(version))  # fmt: skip
                self.versions.append((t, show.code, version, entity, t))
            else:
                self.add(self.soon(t), reviewer, "update", "Version", version, sg_status_list="vwd")
                self.versions.append((t, show.code, version, entity, None))
                t = self.after(t, 1, 20)
                if self.rng.random() < 0.35:
                    t = self.add(
                        t, who, "create", "Reply", f"Reply:{self._notes}",
                        entity=Ref(f"Note:{self._notes}"), content="On it, new version tomorrow.",
                        user=Ref(f"HumanUser:{who}"),
                    )  # fmt: skip
                t = self.add(self.soon(t), who, "update", "Task", task, sg_status_list="ip")
        return t

    def _note(
        self, t: dt.datetime, author: str, project: Ref, version: str, entity: str, task: str, to: str,
        final: bool, *, client: bool = False,
    ) -> None:  # fmt: skip
        self._notes += 1
        text = self.rng.choice(_CLIENT if client else _APPROVALS if final else _RETAKES)
        code = version.split(":", 1)[1]
        data: dict[str, Any] = {
            "subject": f"{'Client notes' if client else 'Notes'} on {code}",
            "content": text,
            "project": project,
            "note_links": [Ref(version), Ref(entity)],
            "user": Ref(f"HumanUser:{author}"),
            "addressings_to": [Ref(f"HumanUser:{to}")],
            "sg_note_type": "Client" if client else "Internal",
        }
        if task:
            data["tasks"] = [Ref(task)]
        self.add(self.soon(t, 2, 15), author, "create", "Note", f"Note:{self._notes}", **data)

    # -- playlists -----------------------------------------------------------------------------------

    def playlists(self) -> None:
        """Friday dailies of each show's week of versions; a client review early each month."""
        for show in SHOWS:
            project = Ref(f"Project:{show.code}")
            mine = [v for v in self.versions if v[1] == show.code]
            if not mine:
                continue
            last = max(v[0] for v in mine)
            first = self.start + dt.timedelta(days=show.begins)
            friday = first + dt.timedelta(days=(4 - first.weekday()) % 7)
            while friday < last + dt.timedelta(days=7):
                at = friday.replace(hour=16, minute=30)
                week = [v for v in mine if at - dt.timedelta(days=7) <= v[0] < at]
                if week:
                    code = f"{show.code} Dailies {at.date().isoformat()}"
                    self.add(
                        at, "lnguyen", "create", "Playlist", f"Playlist:{code}",
                        code=code, project=project, versions=[Ref(v[2]) for v in week[:15]],
                        sg_date_and_time=at.replace(hour=17, minute=0, tzinfo=dt.UTC),
                        description="Weekly dailies",
                    )  # fmt: skip
                friday += dt.timedelta(days=7)
            self._client_reviews(show, project, mine, last)

    def _client_reviews(
        self, show: Show, project: Ref, mine: list[tuple[dt.datetime, str, str, str, dt.datetime | None]],
        last: dt.datetime,
    ) -> None:  # fmt: skip
        month = self.start.replace(day=1)
        while month <= last:
            month = (month + dt.timedelta(days=32)).replace(day=1)
            review = _working(month.replace(hour=10, minute=15), self.rng)
            approved = [
                v for v in mine if v[4] is not None and review - dt.timedelta(days=31) <= v[4] < review
            ]
            if not approved:
                continue
            code = f"{show.code} Client Review {review.strftime('%Y-%m')}"
            self.add(
                review, "jpark", "create", "Playlist", f"Playlist:{code}",
                code=code, project=project, versions=[Ref(v[2]) for v in approved[:8]], locked=True,
                sg_date_and_time=review.replace(tzinfo=dt.UTC), description="Monthly client review",
            )  # fmt: skip
            at = self.after(review, 20, 30)
            if not self.here(_CLIENT_REVIEWER, at):
                continue
            for v in self.rng.sample(approved, k=min(len(approved), self.rng.randint(1, 3))):
                self._note(at, _CLIENT_REVIEWER.login, project, v[2], v[3], "", "jpark", True, client=True)
                at = self.soon(at, 5, 20)


def _person(p: Person) -> dict[str, Any]:
    return {
        "firstname": p.firstname,
        "lastname": p.lastname,
        "login": p.login,
        "email": f"{p.login}@lighthouse.example",
        "permission_rule_set": p.rule_set,
    }


def _kind(key: str) -> str:
    """The entity type of a key: ``Shot`` of ``Shot:LH_010_0010``."""
    return key.split(":", 1)[0]
