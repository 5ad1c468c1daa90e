"""File/link values: which storage a local path belongs to, and the shape it is stored in."""

from __future__ import annotations

from typing import Any

import pytest

from shotlog.errors import ValidationError
from shotlog.filelinks import StorageRoot, is_local_request, parse_local, resolve, shape
from shotlog.schema.model import Field

PATH = Field(entity_type="PublishedFile", name="path", data_type="url", display_name="Path")

PRIMARY = StorageRoot(3, "primary", "/mnt/projects", "/Volumes/projects", "P:\\")
RENDERS = StorageRoot(5, "renders", "/mnt/projects/renders", None, None)
TWIN = StorageRoot(9, "twin", "/mnt/projects", None, None)
STORAGES = [PRIMARY, RENDERS]


def local(value: dict[str, Any], storages: list[StorageRoot] = STORAGES) -> dict[str, Any]:
    return resolve(PATH, parse_local(PATH, value), storages)


@pytest.mark.parametrize(
    ("path", "storage", "relative"),
    [
        ("/mnt/projects/demo/a.ma", 3, "demo/a.ma"),
        ("/Volumes/projects/demo/a.ma", 3, "demo/a.ma"),
        ("/mnt/projects/renders/sh010/b.exr", 5, "sh010/b.exr"),  # the deepest root wins
        ("P:\\demo\\a.ma", 3, "demo/a.ma"),
        ("p:/demo/a.ma", 3, "demo/a.ma"),  # Windows: either separator, any case
        ("/mnt/projects/renders", 3, "renders"),  # a folder named like the deeper root's end
    ],
)
def test_a_local_path_finds_its_storage(path: str, storage: int, relative: str) -> None:
    got = local({"local_path": path})
    assert got["local_storage"]["id"] == storage
    assert got["relative_path"] == relative
    assert got["local_path"] == path
    assert got["url"] == f"file://{path}"


def test_every_platform_path_is_filled_from_the_storage() -> None:
    got = local({"local_path": "/Volumes/projects/demo/shot 1/a.v001.mov"})
    assert got == {
        "link_type": "local",
        "name": "a.v001.mov",
        "content_type": "video/quicktime",
        "local_path": "/Volumes/projects/demo/shot 1/a.v001.mov",
        "local_path_linux": "/mnt/projects/demo/shot 1/a.v001.mov",
        "local_path_mac": "/Volumes/projects/demo/shot 1/a.v001.mov",
        "local_path_windows": "P:\\demo\\shot 1\\a.v001.mov",
        "local_storage": {"type": "LocalStorage", "id": 3, "name": "primary"},
        "relative_path": "demo/shot 1/a.v001.mov",
        "url": "file:///Volumes/projects/demo/shot 1/a.v001.mov",
    }


def test_a_relative_path_uses_the_storage_named() -> None:
    got = local(
        {
            "relative_path": "sh010/b.exr",
            "local_storage": {"type": "LocalStorage", "id": 5, "name": "renders"},
            "name": "beauty",
            "content_type": "image/x-exr",
        }
    )
    assert got["local_path_linux"] == got["local_path"] == "/mnt/projects/renders/sh010/b.exr"
    assert got["local_path_mac"] is None and got["local_path_windows"] is None
    assert (got["name"], got["content_type"]) == ("beauty", "image/x-exr")


def test_on_the_same_root_the_higher_id_wins() -> None:
    assert local({"local_path": "/mnt/projects/a.ma"}, [TWIN, PRIMARY])["local_storage"]["id"] == 9


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"local_path": "/elsewhere/a.ma"}, "doesn't match any defined Local Storage"),
        ({"local_path": "/mnt/projectsX/a.ma"}, "doesn't match"),  # a prefix is not a parent
        ({"local_path": "/mnt/projects/"}, "root of a Local Storage"),
        ({"local_path": 5}, "local_path must be a string"),
        ({"relative_path": "a.ma"}, "needs the local_storage"),
        ({"relative_path": "a\\b.ma", "local_storage": {"type": "LocalStorage", "id": 3}}, "forward slashes"),
        (
            {"relative_path": "a.ma", "local_storage": {"type": "Shot", "id": 3}},
            "local_storage must be a link",
        ),
        ({"relative_path": "a.ma", "local_storage": {"type": "LocalStorage", "id": 4}}, "LocalStorage 4"),
        ({"relative_path": "/", "local_storage": {"type": "LocalStorage", "id": 3}}, "name a file"),
        ({"local_path": "/mnt/projects/a.ma", "link_type": "web"}, "link_type"),
    ],
)
def test_bad_local_values_name_the_field(value: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        local(value)
    assert "PublishedFile.path" in caught.value.message
    assert words in caught.value.message
    assert caught.value.details["field"] == "path"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("https://x/a", {"url": "https://x/a", "name": "https://x/a", "link_type": "web"}),
        (
            {"url": "file:///tmp/a.ma"},
            {"url": "file:///tmp/a.ma", "name": "file:///tmp/a.ma", "link_type": "web"},
        ),
        (
            {
                "url": "https://s3/a.zip",
                "name": "a.zip",
                "link_type": "upload",
                "content_type": "application/zip",
            },
            {
                "url": "https://s3/a.zip",
                "name": "a.zip",
                "link_type": "upload",
                "content_type": "application/zip",
            },
        ),
        (
            {"local_path_linux": "/mnt/a", "local_path_mac": None, "name": "a"},
            {"local_path_linux": "/mnt/a", "local_path_mac": None, "name": "a", "link_type": "local"},
        ),
    ],
)
def test_values_that_need_no_storage(value: Any, stored: dict[str, Any]) -> None:
    assert not is_local_request(value)
    assert shape(PATH, value) == stored


@pytest.mark.parametrize(
    "value", [{"url": 5}, {"name": "no url"}, {"url": "x", "link_type": "ftp"}, 12, None]
)
def test_values_without_a_usable_shape_are_refused(value: Any) -> None:
    with pytest.raises(ValidationError, match=r"PublishedFile\.path"):
        shape(PATH, value)
