"""``shotlog db backup`` of a site being written to, restored by ``shotlog db restore``.

Official shotgun_api3 clients write Shots through a running ``shotlog serve`` and note each id the
server acknowledged. The backup starts while they write (and they go on writing through it); a
restore of it must hold every Shot, and its creation event, acknowledged before the backup began,
and the file uploaded before it, served again by a server on the restored database. A restore over
a database that is not empty is refused without --force and changes nothing.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import shotgun_api3
import sqlalchemy as sa
from click.testing import CliRunner

import shotlog
from shotlog.cli import main
from shotlog.store.database import normalize_url
from shotlog.store.migrate import head_revision
from testdbs import start_serve, stop_serve, wait_healthy

SCRIPT = {"SHOTLOG_SCRIPT_NAME": "backup_tests", "SHOTLOG_SCRIPT_KEY": "k3y-" + "fedcba9876543210" * 4}
WRITERS = 4
BEFORE = 15  # writes each client has acknowledged when the backup starts


def _serve(db_url: str, directory: Path, files: Path) -> tuple[subprocess.Popen[bytes], str]:
    process, url, log = start_serve(db_url, directory, {**SCRIPT, "SHOTLOG_FILES_URL": str(files)})
    try:
        wait_healthy(url, process, log)
    except RuntimeError:
        stop_serve(process)
        raise
    return process, url


def _client(url: str) -> shotgun_api3.Shotgun:
    return shotgun_api3.Shotgun(
        url, script_name=SCRIPT["SHOTLOG_SCRIPT_NAME"], api_key=SCRIPT["SHOTLOG_SCRIPT_KEY"]
    )


def _shotlog(*args: str) -> subprocess.CompletedProcess[str]:
    """The shotlog command as an operator runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "shotlog", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_backup_under_write_load_restores_every_acknowledged_write(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    files, restored_files = tmp_path / "files", tmp_path / "restored_files"
    process, url = _serve(db_url, tmp_path / "site", files)
    acknowledged: list[list[int]] = [[] for _ in range(WRITERS)]
    failures: list[str] = []
    stop = threading.Event()
    try:
        sg = _client(url)
        project = sg.create("Project", {"name": "Backup"})
        movie = tmp_path / "plate.mov"
        movie.write_bytes(b"frames " * 5000)
        attachment = sg.upload("Project", project["id"], str(movie))

        def write(n: int) -> None:
            api = _client(url)
            i = 0
            while not stop.is_set():
                try:
                    shot = api.create("Shot", {"code": f"w{n}_{i}", "project": project})
                except Exception as exc:  # every failure is reported, not only the first
                    failures.append(f"writer {n} call {i}: {exc}")
                    return
                acknowledged[n].append(shot["id"])  # after the answer: the server committed it
                i += 1
            api.close()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while min(len(a) for a in acknowledged) < BEFORE and not failures:
            assert time.monotonic() < deadline, "the writers did not get going"
            time.sleep(0.01)
        before = {shot_id for ids in acknowledged for shot_id in list(ids)}
        during = sum(len(a) for a in acknowledged)
        backup = _shotlog(
            "db", "backup", str(tmp_path / "backup"), "--database", db_url, "--files", str(files)
        )
        written_during = sum(len(a) for a in acknowledged) - during
        stop.set()
        for t in threads:
            t.join(30)
        sg.close()
    finally:
        stop.set()
        stop_serve(process)
    assert not failures, failures
    assert backup.returncode == 0, backup.stderr
    assert "events up to id" in backup.stdout
    # writes kept landing while the backup ran (its process alone takes a second to start), so
    # what follows checks a backup taken under load, not of a quiet database
    assert written_during > 0, "no write was acknowledged while the backup ran"

    restore = CliRunner().invoke(
        main, ["db", "restore", str(tmp_path / "backup"), "-d", empty_url, "--files", str(restored_files)]
    )
    assert restore.exit_code == 0, restore.output
    with shotlog.connect(empty_url, migrate=False) as restored:
        found = {s["id"] for s in restored.find("Shot", [["id", "in", sorted(before)]], ["id"])}
        assert sorted(before - found) == []
        born = restored.find(
            "EventLogEntry",
            [["event_type", "is", "Shotgun_Shot_New"], ["entity.Shot.id", "in", sorted(before)]],
            ["entity"],
        )
        assert {e["entity"]["id"] for e in born} == before

    # the restored site serves the file uploaded before the backup
    process, url = _serve(empty_url, tmp_path / "restored_site", restored_files)
    try:
        sg = _client(url)
        this_file = sg.find_one("Attachment", [["id", "is", attachment]], ["this_file"])["this_file"]
        assert sg.download_attachment(this_file) == movie.read_bytes()
        sg.close()
    finally:
        stop_serve(process)


def _count(url: str) -> int:
    engine = sa.create_engine(normalize_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        count = int(conn.execute(sa.text("SELECT count(*) FROM event_log_entries")).scalar_one())
    engine.dispose()
    return count


def test_a_restore_over_a_database_that_is_not_empty_is_refused_unless_forced(
    sg: shotlog.Shotlog, db_url: str, empty_url: str, tmp_path: Path
) -> None:
    sg.create("Project", {"name": "In the backup"})
    runner = CliRunner()
    made = runner.invoke(
        main, ["db", "backup", str(tmp_path / "b"), "-d", db_url, "--files", str(tmp_path / "f")]
    )
    assert made.exit_code == 0, made.output
    sg.create("Project", {"name": "After the backup"})
    events = _count(db_url)

    refused = runner.invoke(
        main, ["db", "restore", str(tmp_path / "b"), "-d", db_url, "--files", str(tmp_path / "f")]
    )
    assert refused.exit_code == 1
    assert "is not empty" in refused.output and "--force" in refused.output, refused.output
    assert "Traceback" not in refused.output
    assert _count(db_url) == events  # nothing changed

    sg.close()  # as the restore's help says: nothing may use the database it replaces
    forced = runner.invoke(
        main, ["db", "restore", str(tmp_path / "b"), "-d", db_url, "--files", str(tmp_path / "f"), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    with shotlog.connect(db_url, migrate=False) as back:
        names = {p["name"] for p in back.find("Project", [], ["name"])}
    assert "In the backup" in names and "After the backup" not in names


def _backup_into_existing(tmp_path: Path, db_url: str) -> Any:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    return CliRunner().invoke(main, ["db", "backup", str(tmp_path / "full"), "-d", db_url])


def test_a_backup_refuses_a_directory_that_is_not_empty_and_restore_one_that_is_no_backup(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    result = _backup_into_existing(tmp_path, db_url)
    assert result.exit_code == 1 and "not an empty directory" in result.output, result.output
    assert (tmp_path / "full" / "something").read_text() == "x"
    result = CliRunner().invoke(main, ["db", "restore", str(tmp_path / "full"), "-d", empty_url])
    assert result.exit_code == 1 and "not a shotlog backup" in result.output, result.output


def test_a_backup_of_a_newer_schema_is_refused_and_the_database_left_empty(
    db_url: str, empty_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    made = runner.invoke(
        main, ["db", "backup", str(tmp_path / "b"), "-d", db_url, "--files", str(tmp_path / "f")]
    )
    assert made.exit_code == 0, made.output
    manifest = tmp_path / "b" / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace(f'"revision": "{head_revision()}"', '"revision": "0999_later"')
    )
    refused = runner.invoke(main, ["db", "restore", str(tmp_path / "b"), "-d", empty_url])
    assert refused.exit_code == 1
    assert "'0999_later'" in refused.output and repr(head_revision()) in refused.output, refused.output
    engine = sa.create_engine(normalize_url(empty_url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()
