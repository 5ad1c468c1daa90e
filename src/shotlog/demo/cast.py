"""Who and what the demo's story is about: people, scripts, pipeline steps and the three shows.

Plain declarations; ``shotlog.demo.story`` turns them into dated beats. Days count from the first
day of the story (``STORY_DAYS`` long), so the same cast plays the same way whatever day it starts.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CORE", "PEOPLE", "SCRIPTS", "SHOWS", "STEPS", "STORY_DAYS", "Person", "Script", "Show", "Step"]

#: how long the story runs: about nine months, ending when the demo is loaded
STORY_DAYS = 270
#: the tk-core version the Toolkit events name
CORE = "v0.20.28"


@dataclass(frozen=True, slots=True)
class Person:
    login: str
    firstname: str
    lastname: str
    #: FPTR's built-in permission groups (``HumanUser.permission_rule_set``)
    rule_set: str
    #: the steps this person works on (artists and the vendor), or () for those who review and run
    steps: tuple[str, ...] = ()
    joins: int = 0
    leaves: int | None = None

    def active(self, day: float, *, for_days: float = 0) -> bool:
        """Here on ``day`` and for ``for_days`` more (a task is not handed to someone about to go)."""
        return self.joins <= day and (self.leaves is None or self.leaves > day + for_days)


PEOPLE: tuple[Person, ...] = (
    Person("mortiz", "Maya", "Ortiz", "Admin"),  # pipeline TD: sets up users, projects, folders
    Person("jpark", "June", "Park", "Manager"),  # producer
    Person("lnguyen", "Linh", "Nguyen", "Manager"),  # coordinator: shots, tasks, playlists
    Person("tbrandt", "Tom", "Brandt", "Manager"),  # VFX supervisor: reviews
    Person("alee", "Ann", "Lee", "Artist", ("Layout", "Compositing")),
    Person("bruiz", "Bob", "Ruiz", "Artist", ("Rigging", "Animation")),
    Person("cwu", "Chen", "Wu", "Artist", ("Modeling", "FX")),
    Person("dokafor", "Dana", "Okafor", "Artist", ("Surfacing", "Lighting")),
    Person("ekowalski", "Eva", "Kowalski", "Artist", ("Modeling", "Surfacing", "Layout")),
    Person("gadeyemi", "Gbenga", "Adeyemi", "Artist", ("Animation", "Lighting"), leaves=200),
    Person("fsilva", "Felipe", "Silva", "Artist", ("Animation", "Lighting"), joins=120),
    Person("shollis", "Sam", "Hollis", "Vendor", ("Compositing",), joins=160),  # Northlight VFX
    Person("rvance", "Rita", "Vance", "Client", joins=40),  # the studio's client-side reviewer
)


@dataclass(frozen=True, slots=True)
class Script:
    name: str
    description: str


SCRIPTS: tuple[Script, ...] = (
    Script("status_rollup", "Event daemon plugin: readies the next task, rolls statuses up to shots"),
)


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    short: str
    #: the Toolkit engine artists of this step start
    engine: str


STEPS: dict[str, Step] = {
    s.code: s
    for s in (
        Step("Modeling", "MOD", "tk-maya v0.12.4"),
        Step("Rigging", "RIG", "tk-maya v0.12.4"),
        Step("Surfacing", "SRF", "tk-mari v1.3.2"),
        Step("Layout", "LAY", "tk-maya v0.12.4"),
        Step("Animation", "ANM", "tk-maya v0.12.4"),
        Step("FX", "FX", "tk-houdini v1.9.1"),
        Step("Lighting", "LGT", "tk-katana v0.6.3"),
        Step("Compositing", "CMP", "tk-nuke v0.15.2"),
    )
}


@dataclass(frozen=True, slots=True)
class Show:
    code: str
    name: str
    kind: str
    description: str
    begins: int
    #: (code, description, number of shots, day its shots start, has FX)
    sequences: tuple[tuple[str, str, int, int, bool], ...]
    #: (code, asset type, steps)
    assets: tuple[tuple[str, str, tuple[str, ...]], ...]
    #: delivered once its last task is final (status Complete, then archived); else still running
    wraps: bool = False
    #: how long its work takes against a feature's (a commercial moves fast)
    pace: float = 1.0
    #: whose shot is omitted (and retired) on which day
    omitted: tuple[str, int] | None = None


_CHARACTER = ("Modeling", "Rigging", "Surfacing")
_PROP = ("Modeling", "Surfacing")

SHOWS: tuple[Show, ...] = (
    Show(
        "LH",
        "Demo: The Lighthouse",
        "Feature",
        "A keeper, a storm and the night the lamp went out",
        begins=1,
        sequences=(
            ("LH_010", "Storm rolls in", 5, 40, True),
            ("LH_020", "The keeper climbs", 5, 95, False),
            ("LH_030", "Rescue", 4, 150, True),
            ("LH_040", "Morning after", 4, 232, False),
        ),
        assets=(
            ("lighthouse", "Environment", ("Modeling", "Surfacing")),
            ("keeper", "Character", _CHARACTER),
            ("gull", "Character", _CHARACTER),
            ("lantern", "Prop", _PROP),
            ("rowboat", "Prop", _PROP),
        ),
        omitted=("LH_020_0050", 130),
    ),
    Show(
        "SW",
        "Demo: Saltwater",
        "Commercial",
        "Thirty seconds of sea spray for a sparkling water",
        begins=18,
        sequences=(("SW_010", "Spot", 4, 30, True),),
        assets=(("bottle", "Prop", _PROP),),
        wraps=True,
        pace=0.35,
    ),
    Show(
        "NF",
        "Demo: Night Ferry",
        "Episodic",
        "Pilot: the last crossing of the night",
        begins=165,
        sequences=(
            ("NF_101", "Departure", 4, 185, False),
            ("NF_102", "Fog", 4, 222, True),
        ),
        assets=(
            ("ferry", "Environment", ("Modeling", "Surfacing")),
            ("captain", "Character", _CHARACTER),
        ),
    ),
)
