"""Object keys and display names: nothing a client sends becomes a path; names stay as given."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shotlog.files.names import content_disposition, content_type, display_name, extension, new_key
from shotlog.files.objects import check_key

WHEN = dt.datetime(2024, 3, 9, 12, 0)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\y.mov", "y.mov"),
        ("\\\\server\\share\\plate.exr", "plate.exr"),
        ("C:plate.exr", "plate.exr"),
        ("shot\x00010\x1f.mov", "shot010.mov"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("Shot 010 été.mov", "Shot 010 été.mov"),
        ("  spaced.txt  ", "spaced.txt"),
        ("", "file"),
        ("../", "file"),
        ("..", "file"),
        ("\x00\x01", "file"),
    ],
)
def test_display_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = display_name("a" * 400 + ".mov")
    assert len(name) == 255 and name.endswith("a.mov")
    assert len(display_name("b" * 400)) == 255


@given(st.text(max_size=600))
def test_any_display_name_is_safe_to_carry(raw: str) -> None:
    name = display_name(raw)
    assert 1 <= len(name) <= 255
    assert not set(name) & {"/", "\\", "\x00", "\n", "\r"}
    assert name not in (".", "..")
    name.encode("utf-8")  # no lone surrogate
    assert content_disposition(raw).isascii()


@given(st.text(max_size=300), st.sampled_from(["attachment", "thumbnail", "filmstrip"]))
def test_any_key_is_shotlogs_own(filename: str, kind: str) -> None:
    key = new_key(kind, filename, now=WHEN)
    assert re.fullmatch(rf"{kind}/2024/03/[0-9a-f]{{32}}(\.[a-z0-9]{{1,10}})?", key)
    assert check_key(key) == key


def test_keys_are_fresh_and_keep_a_plain_extension() -> None:
    assert new_key("attachment", "Plate.EXR", now=WHEN).endswith(".exr")
    assert "." not in new_key("attachment", "x.tar.gz!", now=WHEN).split("/")[-1]
    assert "." not in new_key("attachment", "noext", now=WHEN).split("/")[-1]
    assert len({new_key("attachment", "a.mov") for _ in range(1000)}) == 1000
    with pytest.raises(ValueError, match="kind"):
        new_key("../x", "a.mov")


@pytest.mark.parametrize(
    ("name", "ext", "media"),
    [
        ("Shot.MOV", "mov", "video/quicktime"),
        ("frame.jpg", "jpg", "image/jpeg"),
        ("plate.exr", "exr", "image/x-exr"),
        ("notes.txt", "txt", "text/plain"),
        ("movie.mp4", "mp4", "video/mp4"),
        ("README", "", "application/octet-stream"),
        (".bashrc", "", "application/octet-stream"),
        ("x.unknownext", "unknownext", "application/octet-stream"),
    ],
)
def test_extension_and_content_type(name: str, ext: str, media: str) -> None:
    assert extension(name) == ext
    assert content_type(name) == media


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("plate.exr", "attachment; filename=\"plate.exr\"; filename*=UTF-8''plate.exr"),
        (
            "Shot 010 été.mov",
            "attachment; filename=\"Shot 010 ete.mov\"; filename*=UTF-8''Shot%20010%20%C3%A9t%C3%A9.mov",
        ),
        (
            'say "hi";x.txt',
            "attachment; filename=\"say _hi__x.txt\"; filename*=UTF-8''say%20%22hi%22%3Bx.txt",
        ),
        ("日本.mov", "attachment; filename=\"file.mov\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.mov"),
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
    ],
)
def test_content_disposition(name: str, header: str) -> None:
    assert content_disposition(name) == header
    assert content_disposition(name, inline=True).startswith("inline; ")
