"""Writing the demo's story into a database, dated as it happened, then archiving its oldest months.

Every beat goes through the Python API real writes take (``create``, ``update``, ``delete``, an
EventLogEntry ``create`` for Toolkit's events), as the person or script of the beat (``as_user``),
with the connection's ``write_clock`` (``StoryClock``) set to the beat's time: rows and events carry
the story's dates. Thumbnails are uploaded through the site's files service, as a client's are.
The archive run is shotlog's own (``run_archive``), with the end of the story as now.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shotlog.archive.job import RunReport, run_archive
from shotlog.archive.policy import ArchivePolicy
from shotlog.archive.storage import open_storage
from shotlog.connection import Shotlog
from shotlog.demo.pictures import seascape
from shotlog.demo.story import Beat, Ref
from shotlog.errors import ShotlogError
from shotlog.eventlog import read as eventlog
from shotlog.files.service import Files, Target

__all__ = ["DemoRefused", "Stage", "StoryClock", "archive", "newest_event_at"]


class DemoRefused(ShotlogError):
    """The demo cannot be written into this database (its log already holds later events)."""


class StoryClock:
    """The time of the beat being written: the demo connection's ``write_clock``."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def newest_event_at(sg: Shotlog) -> dt.datetime | None:
    with sg.db.read() as conn:
        return eventlog.created_at_through(conn, eventlog.head_id(conn))


class Stage:
    """Plays beats into ``sg`` (a connection whose ``write_clock`` is ``clock``)."""

    def __init__(self, sg: Shotlog, clock: StoryClock, files: Files) -> None:
        self.sg = sg
        self.clock = clock
        self.files = files
        self.links: dict[str, dict[str, Any]] = {}
        self._views: dict[str | None, Shotlog] = {None: sg}
        self._pictures = Path(tempfile.mkdtemp(prefix="shotlog-demo-"))

    def play(self, beats: Sequence[Beat]) -> None:
        try:
            for beat in beats:
                self.clock.at = beat.at
                self._play(beat)
        finally:
            for path in self._pictures.iterdir():
                path.unlink()
            self._pictures.rmdir()

    def _view(self, actor: str | None) -> Shotlog:
        view = self._views.get(actor)
        if view is None:
            link = self.links.get(f"HumanUser:{actor}") or self.links[f"ApiUser:{actor}"]
            view = self._views[actor] = self.sg.as_user(link)
        return view

    def _play(self, beat: Beat) -> None:
        view = self._view(beat.actor)
        data = {name: self._resolve(value) for name, value in beat.data.items()}
        if beat.action == "create":
            made = view.create(beat.entity_type, data)
            self.links[beat.key] = {"type": beat.entity_type, "id": made["id"]}
        elif beat.action == "update":
            view.update(beat.entity_type, self.links[beat.key]["id"], data)
        elif beat.action == "delete":
            view.delete(beat.entity_type, self.links[beat.key]["id"])
        elif beat.action == "event":
            view.create("EventLogEntry", data)
        elif beat.action == "thumbnail":
            self._thumbnail(view, beat, data)
        elif beat.action == "share":
            source = data["source"]
            target = self.links[beat.key]
            self.files.share_thumbnail(
                view,
                [Target(target["type"], target["id"], "image", None)],
                Target(source["type"], source["id"], "image", None),
                filmstrip=False,
            )
        else:
            raise ValueError(f"unknown demo action {beat.action!r}")

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return self.links[value.key]
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        return value

    def _thumbnail(self, view: Shotlog, beat: Beat, data: dict[str, Any]) -> None:
        """Upload the beat's picture as a client does: announce, store the bytes, link them."""
        link = self.links[beat.key]
        png = seascape(data["title"], data["hue"], data["sun"])
        name = f"{data['title']}.png"
        target = self.files.target(view, link["type"], link["id"], data["field"], thumbnail=True)
        upload = self.files.begin(view, "Thumbnail", name)
        stored = self.files.storage.write(
            upload.key, [png], limit=self.files.rules.limit, content_type="image/png", durable=False
        )
        local = self._pictures / name
        local.write_bytes(png)
        self.files.link_thumbnail(view, target, upload, stored, local)
        local.unlink()


def archive(sg: Shotlog, url: str, now: dt.datetime) -> RunReport:
    """shotlog's archive run over the story, as if run at its end (``SHOTLOG_ARCHIVE_*`` apply)."""
    policy = dataclasses.replace(ArchivePolicy.from_env(), url=url)
    storage = open_storage(url, s3_endpoint=policy.s3_endpoint, s3_region=policy.s3_region)
    return run_archive(sg, storage, policy, now=now)
