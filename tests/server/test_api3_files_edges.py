"""Uploads at their edges: the size limit, each kind of credential, the session cookie of
``download_attachment``, and a server killed in the middle of an upload."""

from __future__ import annotations

import os
import socket
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import shotgun_api3
from PIL import Image
from sgserver import ADMIN_LOGIN, ADMIN_PASSWORD, SCRIPT_KEY, SCRIPT_NAME, Server, events_after, head_event_id

from testdbs import start_serve, stop_serve, wait_healthy

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

LIMIT = 200_000


def _attachments(client: shotgun_api3.Shotgun) -> int:
    return int(client.summarize("Attachment", [], [{"field": "id", "type": "count"}])["summaries"]["id"])


def _objects(server_env: dict[str, str], directory: Path | None) -> list[str]:
    """Every object the server's file store holds (a directory's files, or a bucket's keys)."""
    url = server_env.get("SHOTLOG_FILES_URL", "")
    if url.startswith("s3://"):
        bucket = url[5:].split("/", 1)[0]
        client = boto3.client(
            "s3",
            endpoint_url=server_env["SHOTLOG_FILES_S3_ENDPOINT"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        client.close()
        return keys
    assert directory is not None
    return sorted(str(p) for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


@pytest.mark.parametrize("mode", ["put", "form", "s3"])
def test_a_file_over_the_limit_is_refused_and_stores_nothing(
    mode: str,
    start_server: Callable[..., Server],
    files_env: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    env = {**files_env(mode), "SHOTLOG_FILES_MAX_BYTES": str(LIMIT)}
    if mode != "s3":
        env["SHOTLOG_FILES_URL"] = str(tmp_path / "files")
    site = start_server(env=env)
    sg = site.client()
    shot = sg.create("Shot", {"code": "big", "project": sg.create("Project", {"name": f"limit-{mode}"})})
    before = _attachments(sg)
    for size in (LIMIT + 50_000, LIMIT + 3_000_000):
        big = tmp_path / f"big-{size}.bin"
        big.write_bytes(os.urandom(size))
        with pytest.raises(shotgun_api3.ShotgunError, match=r"413|limit of 200000 bytes"):
            sg.upload("Shot", shot["id"], str(big), "sg_uploaded_movie" if False else None)
    assert _attachments(sg) == before
    if mode == "s3":
        # a bucket takes whatever a presigned PUT sends: the object is deleted when it is linked
        assert _objects(env, None) == []
    else:
        assert [p for p in _objects(env, tmp_path / "files") if "/attachment/" in p] == []
    small = tmp_path / "small.bin"
    small.write_bytes(b"s" * 1000)
    assert sg.upload("Shot", shot["id"], str(small))  # the limit is the only thing in the way
    site.close_clients()


@pytest.mark.parametrize("mode", ["put", "form"])
def test_uploads_with_each_kind_of_credential_are_theirs(
    mode: str,
    server: Server,
    start_server: Callable[..., Server],
    files_env: Callable[[str], dict[str, str]],
    uniq: str,
    tmp_path: Path,
) -> None:
    site = server if mode == "put" else start_server(env=files_env("form"))
    script = site.client()
    project = script.create("Project", {"name": uniq})
    shot = script.create("Shot", {"code": "who", "project": project})
    picture = tmp_path / "p.png"
    Image.new("RGB", (64, 64), (10, 200, 10)).save(picture)
    target = script.create("HumanUser", {"login": f"artist-{uniq}", "name": "Artist"}, ["login"])
    human = site.client(login=site.login, password=site.password)
    admin = human.find_one("HumanUser", [["login", "is", site.login]], ["id"])
    by_token = site.client(session_token=human.get_session_token())
    sudo = site.client(sudo_as_login=target["login"])
    me = script.find_one("ApiUser", [["firstname", "is", site.script_name]], ["id"])
    expected = [
        (script, ("ApiUser", me["id"])),
        (human, ("HumanUser", admin["id"])),
        (by_token, ("HumanUser", admin["id"])),
        (sudo, ("HumanUser", target["id"])),
    ]
    for client, who in expected:
        head = head_event_id(script)
        att = client.upload_thumbnail("Shot", shot["id"], str(picture))
        new = [
            e
            for e in events_after(script, head, event_type="Shotgun_Attachment_New")
            if e["entity"]["id"] == att
        ]
        assert [(e["user"]["type"], e["user"]["id"]) for e in new] == [who]
        pair = [e for e in events_after(script, head, entity=shot) if e["attribute_name"] == "image"]
        assert [(e["user"]["type"], e["user"]["id"]) for e in pair] == [who, who]
    sudo_event = events_after(script, 0, event_type="Shotgun_Attachment_New")[-1]
    assert sudo_event["meta"].get("sudo_actual_user", {}).get("type") == "ApiUser"
    site.close_clients()


def _port_80_free() -> bool:
    with socket.socket() as probe:
        # as the server binds: a connection of an earlier run in TIME_WAIT does not count
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", 80))
        except OSError:
            return False
    return True


@pytest.fixture
def on_port_80(databases: Any, tmp_path: Path) -> Iterator[str]:
    """A server at http://127.0.0.1 with no port in its address: the only kind of address
    shotgun_api3 sends its ``_session_id`` cookie to (its cookie's domain carries the port)."""
    if not _port_80_free():
        pytest.skip(
            "port 80 is taken or needs privileges here: download by id needs an address without a port"
        )
    env = {
        "SHOTLOG_SCRIPT_NAME": SCRIPT_NAME,
        "SHOTLOG_SCRIPT_KEY": SCRIPT_KEY,
        "SHOTLOG_ADMIN_LOGIN": ADMIN_LOGIN,
        "SHOTLOG_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    process, url, log = start_serve(databases.new(), tmp_path, env, port=80)
    try:
        wait_healthy(url, process, log)
        yield "http://127.0.0.1"
    finally:
        stop_serve(process)


def test_download_by_id_sends_the_session_cookie(on_port_80: str, tmp_path: Path) -> None:
    sg = shotgun_api3.Shotgun(on_port_80, SCRIPT_NAME, SCRIPT_KEY)
    shot = sg.create("Shot", {"code": "cookie", "project": sg.create("Project", {"name": "cookie"})})
    data = os.urandom(70_000)
    f = tmp_path / "plate.exr"
    f.write_bytes(data)
    att = sg.upload("Shot", shot["id"], str(f))
    assert sg.get_attachment_download_url(att) == f"{on_port_80}/file_serve/attachment/{att}"
    assert sg.download_attachment(att) == data
    assert sg.download_attachment({"type": "Attachment", "id": att}) == data
    out = tmp_path / "copy.exr"
    assert sg.download_attachment(attachment_id=att, file_path=str(out)) == str(out)
    assert out.read_bytes() == data
    human = shotgun_api3.Shotgun(on_port_80, login=ADMIN_LOGIN, password=ADMIN_PASSWORD)
    assert human.download_attachment(att) == data
    # without a session, the same address is refused
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{on_port_80}/file_serve/attachment/{att}", timeout=10)
    assert refused.value.code == 401
    refused.value.close()
    sg.close()
    human.close()
