"""FPTR's REST file endpoints against the real server: ``_upload`` announcements, the PUT of the
bytes to the URL given, the completion, and reading the files back (records, file fields,
thumbnails, downloads); and every refusal as a 4xx in the error envelope."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from PIL import Image
from restkit import API, RestServer, errors_of, launch

from motoserver import moto_server
from testdbs import Databases


def _png(size: tuple[int, int] = (640, 360), color: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def version(api: httpx.Client, proj: dict[str, Any]) -> int:
    reply = api.post(f"{API}/entity/versions", json={"code": "v001", "project": proj})
    assert reply.status_code == 201, reply.text
    return int(reply.json()["data"]["id"])


def _upload(
    api: httpx.Client, path: str, filename: str, data: bytes, upload_data: dict[str, Any] | None = None
) -> httpx.Response:
    """Announce, PUT (to the URL given, with no credentials of its own), complete."""
    info = api.get(f"{path}/_upload", params={"filename": filename})
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["data"]["storage_service"] == "s3" and body["data"]["multipart_upload"] is False
    put = httpx.put(body["links"]["upload"], content=data, timeout=30)
    assert put.status_code == 200, put.text
    assert put.headers["etag"]
    return api.post(
        body["links"]["complete_upload"], json={"upload_info": body["data"], "upload_data": upload_data or {}}
    )


def _get(url: str) -> httpx.Response:
    reply = httpx.get(url, timeout=30, follow_redirects=True)
    assert reply.status_code == 200, reply.text
    return reply


def test_a_thumbnail_uploads_and_reads_back_as_a_url_everywhere(
    api: httpx.Client, rest: RestServer, version: int, proj: dict[str, Any]
) -> None:
    original = _png()
    done = _upload(api, f"{API}/entity/versions/{version}/image", "frame 0101.png", original)
    assert done.status_code == 201, done.text
    att = done.json()["data"]
    assert att["type"] == "Attachment"

    image = api.get(f"{API}/entity/versions/{version}").json()["data"]["attributes"]["image"]
    assert image.startswith(f"{rest.url}/files/thumbnail/{att['id']}/thumbnail?t="), image
    thumb = Image.open(io.BytesIO(_get(image).content))
    assert thumb.format == "JPEG" and max(thumb.size) < 640

    listed = api.get(f"{API}/entity/versions", params={"filter[id]": str(version), "fields": "image"})
    assert listed.json()["data"][0]["attributes"]["image"].startswith(f"{rest.url}/files/thumbnail/")
    found = api.post(
        f"{API}/entity/versions/_search",
        json={"filters": [["id", "is", version]], "fields": ["image", "project.Project.image"]},
    )
    assert found.json()["data"][0]["attributes"]["image"].startswith(f"{rest.url}/files/thumbnail/")

    field = api.get(f"{API}/entity/versions/{version}/image")
    assert field.status_code == 200 and field.json()["data"].startswith(f"{rest.url}/files/thumbnail/")
    redirect = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "original"})
    assert redirect.status_code == 302
    assert _get(redirect.headers["location"]).content == original
    small = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "thumbnail"})
    assert Image.open(io.BytesIO(_get(small.headers["location"]).content)).format == "JPEG"


def test_a_file_uploads_to_a_file_field_with_its_display_name_and_tags(
    api: httpx.Client, rest: RestServer, version: int, uniq: str
) -> None:
    tag = api.post(f"{API}/entity/tags", json={"name": uniq})
    assert tag.status_code == 201, tag.text
    movie = os.urandom(200_000)
    done = _upload(
        api,
        f"{API}/entity/versions/{version}/sg_uploaded_movie",
        "shot_010 v001.mov",
        movie,
        {"display_name": "Shot 010, take 1", "tags": [{"type": "Tag", "id": tag.json()["data"]["id"]}]},
    )
    assert done.status_code == 201, done.text
    att = done.json()["data"]["id"]

    value = api.get(f"{API}/entity/versions/{version}").json()["data"]["attributes"]["sg_uploaded_movie"]
    assert value["name"] == "Shot 010, take 1" and value["link_type"] == "upload" and value["id"] == att
    assert value["url"].startswith(f"{rest.url}/file_serve/attachment/{att}?t=")
    assert _get(value["url"]).content == movie
    record = api.get(f"{API}/entity/attachments/{att}", params={"fields": "this_file,tag_list,filename"})
    attributes = record.json()["data"]["attributes"]
    assert attributes["this_file"]["url"].startswith(f"{rest.url}/file_serve/attachment/{att}?t=")
    assert attributes["filename"] == "shot_010 v001.mov"
    assert attributes["tag_list"] == [uniq]
    download = api.get(f"{API}/entity/versions/{version}/sg_uploaded_movie", params={"alt": "original"})
    assert download.status_code == 302
    assert _get(download.headers["location"]).content == movie


def test_an_upload_to_a_record_is_an_attachment_linked_to_it(api: httpx.Client, version: int) -> None:
    done = _upload(api, f"{API}/entity/versions/{version}", "notes.txt", b"first notes\n")
    assert done.status_code == 201, done.text
    att = done.json()["data"]["id"]
    links = api.get(f"{API}/entity/attachments/{att}", params={"fields": "attachment_links"})
    related = links.json()["data"]["relationships"]["attachment_links"]["data"]
    assert [(r["type"], r["id"]) for r in related] == [("Version", version)]


def test_a_multipart_upload_joins_its_parts(api: httpx.Client, version: int) -> None:
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    path = f"{API}/entity/versions/{version}/sg_uploaded_movie/_upload"
    info = api.get(path, params={"filename": "big.mov", "multipart_upload": "true"})
    assert info.status_code == 200, info.text
    body = info.json()
    assert body["data"]["multipart_upload"] is True
    upload, etags = body["links"]["upload"], []
    next_part = body["links"]["get_next_part"]
    for data in parts:
        put = httpx.put(upload, content=data, timeout=60)
        assert put.status_code == 200, put.text
        etags.append(put.headers["etag"])
        step = api.get(next_part)
        assert step.status_code == 200, step.text
        upload, next_part = step.json()["links"]["upload"], step.json()["links"]["get_next_part"]
    done = api.post(path, json={"upload_info": {**body["data"], "etags": etags}, "upload_data": {}})
    assert done.status_code == 201, done.text
    value = api.get(f"{API}/entity/versions/{version}").json()["data"]["attributes"]["sg_uploaded_movie"]
    assert _get(value["url"]).content == b"".join(parts)


def test_an_aborted_multipart_upload_cannot_be_completed(api: httpx.Client, version: int) -> None:
    path = f"{API}/entity/versions/{version}/sg_uploaded_movie/_upload"
    body = api.get(path, params={"filename": "big.mov", "multipart_upload": "true"}).json()
    aborted = api.post(f"{path}/multipart_abort", json={"upload_info": body["data"]})
    assert aborted.status_code == 204, aborted.text
    done = api.post(path, json={"upload_info": {**body["data"], "etags": ["x"]}, "upload_data": {}})
    assert "no upload" in errors_of(done, 400, 104)["title"]


def test_refusals_name_what_was_wrong(api: httpx.Client, version: int) -> None:
    assert (
        "Unknown entity type"
        in errors_of(api.get(f"{API}/entity/nopes/1/_upload?filename=a.png"), 404)["title"]
    )
    missing = api.get(f"{API}/entity/versions/999999999/image/_upload", params={"filename": "a.png"})
    assert errors_of(missing, 404)["source"] == {"parameter": "id"}
    text_field = api.get(f"{API}/entity/versions/{version}/code/_upload", params={"filename": "a.png"})
    error = errors_of(text_field, 400, 104)
    assert "does not take a file" in error["title"] and error["source"]["field"] == "field_name"
    no_name = api.get(f"{API}/entity/versions/{version}/image/_upload")
    assert errors_of(no_name, 400)["source"] == {"parameter": "filename"}
    bad_flag = api.get(
        f"{API}/entity/versions/{version}/_upload", params={"filename": "a", "multipart_upload": "y"}
    )
    assert errors_of(bad_flag, 400)["source"] == {"parameter": "multipart_upload"}
    no_info = api.post(f"{API}/entity/versions/{version}/image/_upload", json={"upload_data": {}})
    assert errors_of(no_info, 400)["source"] == {"pointer": "/upload_info"}
    unknown = api.post(
        f"{API}/entity/versions/{version}/image/_upload", json={"upload_info": {"upload_id": "f" * 32}}
    )
    assert "no upload" in errors_of(unknown, 400, 104)["title"]
    not_file = api.get(f"{API}/entity/versions/{version}/code")
    assert "not a file" in errors_of(not_file, 400)["title"]
    bad_alt = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "huge"})
    assert errors_of(bad_alt, 400)["source"] == {"parameter": "alt"}
    empty = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "original"})
    assert errors_of(empty, 404)["source"] == {"parameter": "field"}


def test_a_thumbnail_upload_cannot_be_completed_on_a_file_field(api: httpx.Client, version: int) -> None:
    body = api.get(f"{API}/entity/versions/{version}/image/_upload", params={"filename": "a.png"}).json()
    assert httpx.put(body["links"]["upload"], content=_png(), timeout=30).status_code == 200
    wrong = api.post(
        f"{API}/entity/versions/{version}/sg_uploaded_movie/_upload", json={"upload_info": body["data"]}
    )
    assert errors_of(wrong, 400)["source"] == {"pointer": "/upload_info/upload_id"}


def test_a_bad_image_is_refused_and_keeps_the_previous_thumbnail(api: httpx.Client, version: int) -> None:
    path = f"{API}/entity/versions/{version}/image"
    assert _upload(api, path, "good.png", _png()).status_code == 201
    before = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "original"}).headers["location"]
    bad = _upload(api, path, "broken.png", b"\x89PNG\r\n\x1a\n not really")
    assert "the thumbnail was not changed" in errors_of(bad, 400, 104)["title"]
    after = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "original"}).headers["location"]
    assert before.split("?")[0] == after.split("?")[0]


def test_a_forged_upload_url_is_refused_and_stores_nothing(api: httpx.Client, version: int) -> None:
    body = api.get(f"{API}/entity/versions/{version}/image/_upload", params={"filename": "a.png"}).json()
    url = body["links"]["upload"]
    forged = url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB")
    refused = httpx.put(forged, content=_png(), timeout=30)
    assert refused.status_code == 403 and "forged or has expired" in refused.text
    done = api.post(body["links"]["complete_upload"], json={"upload_info": body["data"]})
    assert "nothing was uploaded" in errors_of(done, 400, 104)["title"]
    image = api.get(f"{API}/entity/versions/{version}").json()["data"]["attributes"]["image"]
    assert image is None


def test_uploads_need_a_token(anon: httpx.Client, version: int) -> None:
    errors_of(anon.get(f"{API}/entity/versions/{version}/image/_upload?filename=a.png"), 401, 102)


@pytest.fixture(scope="module")
def s3_site(rest_databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestServer]:
    """A server keeping its files in a bucket on a real moto server: upload URLs are presigned
    PUTs, reads redirect to presigned GETs."""
    directory = tmp_path_factory.mktemp("rest_s3")
    with moto_server(directory) as endpoint:
        creds = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        bucket = f"shotlog-rest-{uuid.uuid4().hex[:8]}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_keys(creds))
        client.create_bucket(Bucket=bucket)
        client.close()
        env = {"SHOTLOG_FILES_URL": f"s3://{bucket}/site", "SHOTLOG_FILES_S3_ENDPOINT": endpoint, **creds}
        server = launch(rest_databases.new(), directory, env)
        yield server
        server.stop()


def _keys(creds: dict[str, str]) -> dict[str, str]:
    return {
        "aws_access_key_id": creds["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": creds["AWS_SECRET_ACCESS_KEY"],
    }


def test_uploads_go_to_the_bucket_and_read_back_through_presigned_urls(s3_site: RestServer) -> None:
    api = s3_site.client(s3_site.script_token())
    proj = api.post(f"{API}/entity/projects", json={"name": f"s3-{uuid.uuid4().hex[:8]}"}).json()["data"]
    version = api.post(
        f"{API}/entity/versions", json={"code": "v001", "project": {"type": "Project", "id": proj["id"]}}
    ).json()["data"]["id"]
    original = _png()
    info = api.get(f"{API}/entity/versions/{version}/image/_upload", params={"filename": "frame.png"}).json()
    assert not info["links"]["upload"].startswith(s3_site.url)  # the bucket's own presigned URL
    assert httpx.put(info["links"]["upload"], content=original, timeout=30).status_code == 200
    done = api.post(info["links"]["complete_upload"], json={"upload_info": info["data"], "upload_data": {}})
    assert done.status_code == 201, done.text
    redirect = api.get(f"{API}/entity/versions/{version}/image", params={"alt": "original"})
    assert redirect.status_code == 302 and _get(redirect.headers["location"]).content == original

    parts = [os.urandom(5 * 1024 * 1024), os.urandom(2000)]
    path = f"{API}/entity/versions/{version}/sg_uploaded_movie/_upload"
    body = api.get(path, params={"filename": "take.mov", "multipart_upload": "true"}).json()
    upload, next_part, etags = body["links"]["upload"], body["links"]["get_next_part"], []
    for data in parts:
        put = httpx.put(upload, content=data, timeout=60)
        assert put.status_code == 200, put.text
        etags.append(put.headers["etag"])
        step = api.get(next_part).json()["links"]
        upload, next_part = step["upload"], step["get_next_part"]
    done = api.post(path, json={"upload_info": {**body["data"], "etags": etags}})
    assert done.status_code == 201, done.text
    movie = api.get(f"{API}/entity/versions/{version}").json()["data"]["attributes"]["sg_uploaded_movie"]
    assert _get(movie["url"]).content == b"".join(parts)
