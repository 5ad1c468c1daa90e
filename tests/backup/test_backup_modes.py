"""A backup is readable by its owner only: it holds password hashes, script keys and every uploaded
file. Under the usual umask (022) and from files that are world-readable, ``shotlog db backup``
still writes its directory 0700 and everything in it 0600 (folders 0700)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_backup_is_written_for_its_owner_only(db_url: str, tmp_path: Path) -> None:
    files = tmp_path / "files" / "ab"
    files.mkdir(parents=True)
    upload = files / "plate.jpg"
    upload.write_bytes(b"not really a jpeg")
    os.chmod(upload, 0o644)
    os.chmod(files, 0o755)
    dest = tmp_path / "backups" / "today"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOTLOG_")}
    command = ["db", "backup", str(dest), "--database", db_url, "--files", str(tmp_path / "files")]
    done = subprocess.run(
        [sys.executable, "-m", "shotlog", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        # what a login shell usually has: new files 0644, folders 0755
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    assert _mode(dest) == 0o700
    written = sorted(dest.rglob("*"))
    names = {p.relative_to(dest).as_posix() for p in written if p.is_file()}
    copy = "database.pgdump" if db_url.startswith("postgresql") else "database.sqlite3"
    assert names >= {"manifest.json", "files/ab/plate.jpg", copy}, names
    wrong = {
        p.relative_to(dest).as_posix(): oct(_mode(p))
        for p in written
        if _mode(p) != (0o700 if p.is_dir() else 0o600)
    }
    assert not wrong, wrong
    # the copy's own folder is readable by no one else, but the parent it made is left as usual
    assert _mode(dest.parent) == 0o755
