"""The archive's CSV downloads guard against formulas as live exports do, unless asked not to."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import shotlog
from shotlog.archive import Archive, ArchivePolicy


def test_archive_csv_neutralises_formulas_unless_raw(sg: shotlog.Shotlog, tmp_path: Path) -> None:
    project = sg.create("Project", {"name": "Archived"})
    shot = sg.create("Shot", {"code": '=HYPERLINK("http://x.example")', "project": project})
    archive = Archive(sg, ArchivePolicy(url=str(tmp_path / "arch"), live_days=183))
    # a year from now, every event so far is past the live window
    report = archive.run(now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=365))
    assert report.archived_events > 0
    months = [s.month for s in archive.segments()]

    def download(**options: bool) -> str:
        export = archive.download("csv", months=months, columns="id,event_type,entity", **options)
        return b"".join(export.chunks()).decode("utf-8-sig")

    new_shot = f"Shotgun_Shot_New,Shot,{shot['id']},"
    assert new_shot + '"\'=HYPERLINK(""http://x.example"")"\r\n' in download()
    assert new_shot + '"=HYPERLINK(""http://x.example"")"\r\n' in download(neutralise=False)
