"""Uploads, thumbnails and downloads through the real, unmodified shotgun_api3 client.

Every test runs against three servers: the shared one (files in a directory, the client PUTs to
upload URLs shotlog gives it: its S3-style flow), one with direct uploads off (the client posts
forms to /upload/*), and one keeping files in an S3 bucket on a real moto server (the client PUTs
to presigned URLs, downloads follow a redirect to a presigned GET).
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shotgun_api3
from PIL import Image
from sgserver import Server, events_after, head_event_id

MODES = ("put", "form", "s3")

# shotgun_api3's form posts open the file they send and never close it (``_upload_to_sg``): the
# client's leak, reported by the garbage collector in whichever test happens to run next
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(scope="module")
def mode_servers(
    start_server: Callable[..., Server], server: Server, files_env: Callable[[str], dict[str, str]]
) -> dict[str, Server]:
    """The shared server is the ``put`` one (the default settings); the others start here."""
    return {
        "put": server,
        "form": start_server(env=files_env("form")),
        "s3": start_server(env=files_env("s3")),
    }


@pytest.fixture(params=MODES)
def site(request: pytest.FixtureRequest, mode_servers: dict[str, Server]) -> Server:
    return mode_servers[request.param]


@pytest.fixture
def client(site: Server) -> Iterator[shotgun_api3.Shotgun]:
    yield site.client()
    site.close_clients()


@pytest.fixture
def proj(client: shotgun_api3.Shotgun, uniq: str) -> dict[str, Any]:
    return client.create("Project", {"name": uniq})


def _image(
    path: Path, size: tuple[int, int] = (640, 360), color: tuple[int, int, int] = (200, 40, 30)
) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def _attachments(client: shotgun_api3.Shotgun) -> int:
    return int(client.summarize("Attachment", [], [{"field": "id", "type": "count"}])["summaries"]["id"])


def _fetch(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.read(), reply.headers.get("Content-Type", "")


def test_upload_to_a_file_field_reads_back_and_downloads(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    version = client.create("Version", {"code": "v001", "project": proj})
    movie = tmp_path / "shot_010 v001.mov"
    data = os.urandom(300_000)
    movie.write_bytes(data)
    head = head_event_id(client)

    att_id = client.upload("Version", version["id"], str(movie), "sg_uploaded_movie")

    value = client.find_one("Version", [["id", "is", version["id"]]], ["sg_uploaded_movie"])[
        "sg_uploaded_movie"
    ]
    assert value["link_type"] == "upload"
    assert (value["type"], value["id"], value["name"]) == ("Attachment", att_id, "shot_010 v001.mov")
    assert value["content_type"] == "video/quicktime"
    att = client.find_one(
        "Attachment",
        [["id", "is", att_id]],
        ["filename", "file_size", "file_extension", "this_file", "attachment_links", "project"],
    )
    assert (att["filename"], att["file_size"], att["file_extension"]) == ("shot_010 v001.mov", 300_000, "mov")
    assert att["project"]["id"] == proj["id"]
    assert [(x["type"], x["id"]) for x in att["attachment_links"]] == [("Version", version["id"])]

    # to memory and to a path, by the field's value (its url is signed: no cookie is needed)
    assert client.download_attachment(value) == data
    out = tmp_path / "out.mov"
    assert client.download_attachment(att["this_file"], file_path=str(out)) == str(out)
    assert out.read_bytes() == data
    assert client.get_attachment_download_url(value) == value["url"]

    kinds = [(e["event_type"], e["attribute_name"]) for e in events_after(client, head)]
    assert ("Shotgun_Attachment_New", None) in kinds
    assert ("Shotgun_Attachment_Change", "this_file") in kinds
    assert ("Shotgun_Version_Change", "sg_uploaded_movie") in kinds


def test_upload_without_a_field_attaches_the_file(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    shot = client.create("Shot", {"code": "sh010", "project": proj})
    notes = tmp_path / "notes.txt"
    notes.write_text("lighting notes\n")
    att_id = client.upload(
        "Shot", shot["id"], str(notes), display_name="Lighting notes", tag_list="review,light"
    )
    att = client.find_one("Attachment", [["id", "is", att_id]], ["this_file", "attachment_links", "tag_list"])
    assert att["this_file"]["name"] == "Lighting notes"
    assert sorted(att["tag_list"]) == ["light", "review"]
    assert [x["id"] for x in att["attachment_links"]] == [shot["id"]]
    assert client.download_attachment(att["this_file"]) == b"lighting notes\n"


def test_a_thumbnail_upload_writes_fptrs_pair_of_image_changes(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    shot = client.create("Shot", {"code": "sh020", "project": proj})
    head = head_event_id(client)
    first = client.upload_thumbnail("Shot", shot["id"], str(_image(tmp_path / "a.png")))
    second = client.upload_thumbnail("Shot", shot["id"], str(_image(tmp_path / "b.jpg", color=(0, 90, 200))))

    changes = [e for e in events_after(client, head) if e["attribute_name"] == "image"]
    assert [e["event_type"] for e in changes] == ["Shotgun_Shot_Change"] * 4
    metas = [{k: e["meta"][k] for k in ("old_value", "new_value", "is_transient")} for e in changes]
    assert metas == [
        {"old_value": None, "new_value": first, "is_transient": True},
        {"old_value": first, "new_value": first, "is_transient": False},
        {"old_value": first, "new_value": second, "is_transient": True},
        {"old_value": second, "new_value": second, "is_transient": False},
    ]
    assert all(e["meta"]["field_data_type"] == "image" for e in changes)

    url = client.find_one("Shot", [["id", "is", shot["id"]]], ["image"])["image"]
    body, content_type = _fetch(url)
    assert content_type == "image/jpeg"
    with Image.open(io.BytesIO(body)) as thumb:
        assert max(thumb.size) <= 640 and thumb.getpixel((10, 10))[2] > 150  # the second, blue image


def test_create_and_update_with_an_image_path_upload_it(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    picture = _image(tmp_path / "asset.png")
    asset = client.create("Asset", {"code": "chair", "project": proj, "image": str(picture)})
    assert asset["image"] and "/files/thumbnail/" in asset["image"]
    updated = client.update(
        "Asset", asset["id"], {"image": str(_image(tmp_path / "two.png", color=(1, 2, 3)))}
    )
    assert updated["image"] != asset["image"]


def test_filmstrip_and_shared_thumbnails(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    source = client.create("Version", {"code": "src", "project": proj})
    others = [client.create("Version", {"code": f"o{i}", "project": proj}) for i in range(2)]
    strip = _image(tmp_path / "strip.jpg", size=(240 * 4, 135))
    strip_id = client.upload_filmstrip_thumbnail("Version", source["id"], str(strip))
    read = client.find_one("Version", [["id", "is", source["id"]]], ["filmstrip_image", "image"])
    assert read["filmstrip_image"] and read["image"] is None
    assert _fetch(read["filmstrip_image"])[0]

    head = head_event_id(client)
    thumb_id = client.upload_thumbnail("Version", source["id"], str(_image(tmp_path / "t.png")))
    shared = client.share_thumbnail(others, source_entity=source)
    assert shared == thumb_id != strip_id
    for other in others:
        changes = [
            e["meta"] for e in events_after(client, head, entity=other) if e["attribute_name"] == "image"
        ]
        assert [(m["new_value"], m["is_transient"]) for m in changes] == [(thumb_id, True), (thumb_id, False)]
    # with a path, the first entity gets the upload and the others share it
    new_id = client.share_thumbnail(others, thumbnail_path=str(_image(tmp_path / "n.png", color=(9, 9, 9))))
    images = client.find("Version", [["id", "in", [o["id"] for o in others]]], ["image"])
    assert {i["image"].split("/files/thumbnail/")[1].split("/")[0] for i in images} == {str(new_id)}


def test_an_event_log_entry_can_have_a_thumbnail(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    event = client.create(
        "EventLogEntry",
        {
            "event_type": "Toolkit_Publish",
            "description": "published",
            "project": proj,
            "image": str(_image(tmp_path / "e.png")),
        },
    )
    read = client.find_one("EventLogEntry", [["id", "is", event["id"]]], ["image"])
    assert read["image"] and _fetch(read["image"])[1] == "image/jpeg"


def test_a_bad_thumbnail_is_refused_and_keeps_the_previous_one(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    shot = client.create("Shot", {"code": "sh030", "project": proj})
    good = client.upload_thumbnail("Shot", shot["id"], str(_image(tmp_path / "good.png")))
    before = _attachments(client)
    text = tmp_path / "not-an-image.png"
    text.write_text("this is text, not a picture\n" * 20)
    truncated = tmp_path / "truncated.jpg"
    _image(tmp_path / "whole.jpg", size=(1200, 800))
    truncated.write_bytes((tmp_path / "whole.jpg").read_bytes()[:400])
    for bad in (text, truncated):
        expected = (
            rf"Shot\.image: {bad.name} is (not an image|truncated|not a readable image).*was not changed"
        )
        with pytest.raises(shotgun_api3.ShotgunError, match=expected):
            client.upload_thumbnail("Shot", shot["id"], str(bad))
    image = client.find_one("Shot", [["id", "is", shot["id"]]], ["image"])["image"]
    assert f"/files/thumbnail/{good}/" in image
    after = _attachments(client)
    assert after == before


def test_uploads_to_what_cannot_take_them_store_nothing(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    shot = client.create("Shot", {"code": "sh040", "project": proj})
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * 1000)
    before = _attachments(client)
    refusals = [
        (lambda: client.upload("Shot", 999_999_999, str(f)), r"No Shot with id 999999999"),
        (lambda: client.upload("Nope", shot["id"], str(f)), r"Nope"),
        (
            lambda: client.upload("Shot", shot["id"], str(f), "code"),
            r"Shot\.code \(text\) does not take a file",
        ),
        (lambda: client.upload("Shot", shot["id"], str(f), "no_such_field"), r"no_such_field"),
        (lambda: client.upload_thumbnail("Shot", 999_999_999, str(f)), r"No Shot with id 999999999"),
    ]
    for call, message in refusals:
        with pytest.raises(shotgun_api3.ShotgunError, match=message):
            call()
    after = _attachments(client)
    assert after == before


def test_a_dangerous_file_name_is_stored_safely_and_shown_as_given(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    shot = client.create("Shot", {"code": "sh050", "project": proj})
    f = tmp_path / "plain.txt"
    f.write_bytes(b"payload")
    att_id = client.upload("Shot", shot["id"], str(f), display_name="../../etc/passwd\x00.txt")
    att = client.find_one("Attachment", [["id", "is", att_id]], ["this_file"])
    assert att["this_file"]["name"] == "passwd.txt"
    assert client.download_attachment(att["this_file"]) == b"payload"


def test_signed_urls_are_refused_when_forged_or_altered(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    shot = client.create("Shot", {"code": "sh060", "project": proj})
    f = tmp_path / "secret.txt"
    f.write_bytes(b"secret")
    att_id = client.upload("Shot", shot["id"], str(f), "sg_uploaded_movie" if False else None)
    url = client.find_one("Attachment", [["id", "is", att_id]], ["this_file"])["this_file"]["url"]
    base, token = url.split("?t=")
    expires, signature = token.split(".", 1)
    forged = [
        f"{base}?t={int(expires) + 1}.{signature}",  # a later expiry, same signature
        f"{base}?t={expires}.{'A' * len(signature)}",
        base.replace(f"/{att_id}", f"/{att_id + 1}") + f"?t={token}",  # another attachment
        f"{base}?t=1.{signature}",  # expired long ago
    ]
    for bad in forged:
        with pytest.raises(urllib.error.HTTPError) as refused:
            _fetch(bad)
        assert refused.value.code in (403, 404)
        refused.value.close()
    # and without any credential at all
    with pytest.raises(urllib.error.HTTPError) as refused:
        _fetch(base)
    assert refused.value.code == 401
    refused.value.close()


def test_a_file_past_the_clients_part_size_goes_up_in_parts(
    site: Server, client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    """Above 20 MB the client PUTs 20 MB parts, each to its own URL, then completes the upload
    (PUT and S3 servers; a form post sends the file whole)."""
    version = client.create("Version", {"code": "v-parts", "project": proj})
    movie = tmp_path / "long.mov"
    data = os.urandom(shotgun_api3.Shotgun._MULTIPART_UPLOAD_CHUNK_SIZE + 1_500_000)
    movie.write_bytes(data)
    mark = site.log_mark()
    att = client.upload("Version", version["id"], str(movie), "sg_uploaded_movie")
    value = client.find_one("Version", [["id", "is", version["id"]]], ["sg_uploaded_movie"])[
        "sg_uploaded_movie"
    ]
    assert value["id"] == att
    assert client.download_attachment(value) == data
    posts = site.log_since(mark)
    if "/upload/upload_file" in posts:
        assert "/upload/api_get_upload_link_info" not in posts
        return  # the form server: one post
    assert posts.count("/upload/api_get_upload_link_for_part") == 2
    assert "/upload/api_complete_multipart_upload" in posts


def test_a_movie_gives_a_version_without_a_thumbnail_the_placeholder(
    client: shotgun_api3.Shotgun, proj: dict[str, Any], tmp_path: Path
) -> None:
    bare = client.create("Version", {"code": "no-thumb", "project": proj})
    shown = client.create("Version", {"code": "thumb", "project": proj})
    own = client.upload_thumbnail("Version", shown["id"], str(_image(tmp_path / "own.png")))
    movie = tmp_path / "take.mov"
    movie.write_bytes(os.urandom(50_000))
    head = head_event_id(client)
    for version in (bare, shown):
        client.upload("Version", version["id"], str(movie), "sg_uploaded_movie")
    placeholder = client.find_one("Version", [["id", "is", bare["id"]]], ["image"])["image"]
    body, content_type = _fetch(placeholder)
    assert content_type == "image/jpeg" and body
    changes = [e["meta"] for e in events_after(client, head, entity=bare) if e["attribute_name"] == "image"]
    assert [(m["old_value"], m["is_transient"]) for m in changes] == [
        (None, True),
        (changes[0]["new_value"], False),
    ]
    # a Version that has its own thumbnail keeps it
    kept = client.find_one("Version", [["id", "is", shown["id"]]], ["image"])["image"]
    assert f"/files/thumbnail/{own}/" in kept
    assert not [e for e in events_after(client, head, entity=shown) if e["attribute_name"] == "image"]
    # and an uploaded thumbnail replaces the placeholder
    new = client.upload_thumbnail("Version", bare["id"], str(_image(tmp_path / "new.png")))
    assert (
        f"/files/thumbnail/{new}/"
        in client.find_one("Version", [["id", "is", bare["id"]]], ["image"])["image"]
    )
