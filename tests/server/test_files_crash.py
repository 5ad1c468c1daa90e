"""A server killed (SIGKILL) in the middle of an upload: no field names a missing object, and
nothing half-written stays once the sweep has run."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import shotgun_api3
import sqlalchemy as sa
from sgserver import ADMIN_LOGIN, ADMIN_PASSWORD, SCRIPT_KEY, SCRIPT_NAME

import shotlog
from shotlog.files.service import FileRules, Files
from shotlog.files.storage import open_files
from shotlog.files.sweep import sweep
from shotlog.store.tables import file_uploads, stored_files
from testdbs import start_serve, stop_serve, wait_healthy

ENV = {
    "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
    "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
    "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
    "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
}


class Site:
    """A server on a database and a files directory that outlive it: started, killed, restarted."""

    def __init__(self, db_url: str, directory: Path) -> None:
        self.db_url, self.directory = db_url, directory
        self.files_dir = directory / "files"
        self.env = {**ENV, "SHOTLOG_FILES_URL": str(self.files_dir)}
        self.process: Any = None
        self.url = ""

    def start(self) -> shotgun_api3.Shotgun:
        self.process, self.url, log = start_serve(self.db_url, self.directory, self.env)
        wait_healthy(self.url, self.process, log)
        return shotgun_api3.Shotgun(self.url, SCRIPT_NAME, SCRIPT_KEY)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def files(self) -> Files:
        store = shotlog.connect(self.db_url)
        storage = open_files(str(self.files_dir), database_url=self.db_url)
        return Files(store, storage, FileRules(limit=10**9, url_seconds=60, direct_uploads=True))

    def objects(self) -> list[Path]:
        return sorted(p for p in self.files_dir.rglob("*") if p.is_file())


@pytest.fixture
def site(databases: Any, tmp_path: Path) -> Iterator[Site]:
    s = Site(databases.new(), tmp_path)
    yield s
    if s.process is not None:
        stop_serve(s.process)


def _references_are_whole(files: Files) -> None:
    """Every stored_files row's object exists; every Attachment this site stored has its row."""
    with files.store.db.read() as conn:
        rows = conn.execute(sa.select(stored_files.c.attachment_id, stored_files.c.key)).all()
    for attachment_id, key in rows:
        assert files.storage.size(key) is not None, f"Attachment {attachment_id} names a missing object {key}"
    uploaded = files.store.find("Attachment", [], ["this_file"])
    ours = [a["id"] for a in uploaded if (a["this_file"] or {}).get("link_type") == "upload"]
    assert sorted(ours) == sorted(r[0] for r in rows)


def test_a_kill_during_an_upload_leaves_no_reference_and_the_sweep_clears_it(site: Site) -> None:
    sg = site.start()
    shot = sg.create("Shot", {"code": "killed", "project": sg.create("Project", {"name": "kill"})})
    auth = {"script_name": SCRIPT_NAME, "script_key": SCRIPT_KEY}
    http = httpx.Client(base_url=site.url, timeout=30)
    info = http.post(
        "/upload/api_get_upload_link_info",
        data={**auth, "upload_type": "Attachment", "filename": "plate.exr", "multipart_upload": "False"},
    ).text
    assert info.startswith("1\n"), info
    upload_url = info.split("\n")[1]
    sent, hold = threading.Event(), threading.Event()

    def body() -> Iterator[bytes]:
        yield os.urandom(4 * 1024 * 1024)
        sent.set()
        hold.wait(30)
        yield b"never sent"

    def put() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it: that is the point
            httpx.put(upload_url, content=body(), timeout=30)

    putter = threading.Thread(target=put)
    putter.start()
    assert sent.wait(30)
    # the positive signal: the server is writing the object (its temporary file has bytes)
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while not [p for p in site.objects() if p.name.startswith(".part-") and p.stat().st_size > 0]:
        assert dt.datetime.now() < deadline, "the server never started writing the upload"
    sg.close()
    site.kill()
    hold.set()
    putter.join(30)
    http.close()

    sg = site.start()
    assert sg.find("Attachment", [], ["id"]) == []
    assert sg.find_one("Shot", [["id", "is", shot["id"]]], ["sg_uploaded_movie"])["sg_uploaded_movie"] is None
    files = site.files()
    _references_are_whole(files)
    with files.store.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(file_uploads)).scalar() == 1
    assert [p for p in site.objects() if p.name.startswith(".part-")], "the cut-off write is still there"
    # a day later the sweep deletes what the upload left
    assert sweep(files, now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=2)) == 1
    assert [p for p in site.objects() if "attachment" in str(p)] == []
    with files.store.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(file_uploads)).scalar() == 0
    # and uploads work as before
    f = site.directory / "after.txt"
    f.write_bytes(b"after the crash")
    att = sg.upload("Shot", shot["id"], str(f))
    assert sg.download_attachment(
        sg.find_one("Attachment", [["id", "is", att]], ["this_file"])["this_file"]
    ) == (b"after the crash")
    _references_are_whole(files)
    files.store.close()
    sg.close()
