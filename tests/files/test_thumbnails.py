"""Thumbnails from real images made with Pillow, and the files that must be refused."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from shotlog.files.thumbnails import (
    FILMSTRIP_FRAME_WIDTH,
    MAX_PIXELS,
    BadImage,
    ImageInfo,
    inspect,
    placeholder_png,
    render,
)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """An image whose left half is red and right half blue: orientation can be told from it."""
    image = Image.new(mode, (width, height), (255, 0, 0) if mode == "RGB" else (255, 0, 0, 255))
    image.paste((0, 0, 255) if mode == "RGB" else (0, 0, 255, 255), (width // 2, 0, width, height))
    return image


def saved(tmp_path: Path, image: Image.Image, name: str, fmt: str, **options: object) -> Path:
    path = tmp_path / name
    image.save(path, fmt, **options)
    return path


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_is_inspected_and_rendered_at_both_sizes(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(1920, 1080), "frame.jpg", "JPEG", quality=90)
    assert inspect(path) == ImageInfo(1920, 1080, "JPEG")
    out = render(path, filmstrip=False)
    assert set(out) == {"thumbnail", "large"}
    thumb, large = decoded(out["thumbnail"]), decoded(out["large"])
    assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (512, 288))
    assert large.size == (1024, 576)


def test_a_png_with_alpha_becomes_an_rgb_jpeg_and_a_small_one_is_not_enlarged(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(300, 200, "RGBA"), "frame.png", "PNG")
    assert inspect(path) == ImageInfo(300, 200, "PNG")
    out = render(path, filmstrip=False)
    thumb = decoded(out["thumbnail"])
    assert (thumb.format, thumb.mode, thumb.size) == ("JPEG", "RGB", (300, 200))
    assert decoded(out["large"]).size == (300, 200)


def test_a_tall_image_fits_the_box_by_its_height(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(1000, 4000), "tall.png", "PNG")
    assert decoded(render(path, filmstrip=False)["thumbnail"]).size == (128, 512)


def test_output_is_deterministic(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(1280, 720), "frame.png", "PNG")
    assert render(path, filmstrip=False) == render(path, filmstrip=False)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90 degrees clockwise to view
    path = saved(tmp_path, gradient(800, 400), "rotated.jpg", "JPEG", exif=exif.tobytes())
    thumb = decoded(render(path, filmstrip=False)["thumbnail"])
    assert thumb.size == (256, 512)
    top, bottom = thumb.getpixel((128, 20)), thumb.getpixel((128, 490))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]  # red went up, blue down


def test_a_filmstrip_is_kept_whole(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(FILMSTRIP_FRAME_WIDTH * 10, 135), "strip.png", "PNG")
    out = render(path, filmstrip=True)
    assert set(out) == {"filmstrip"}
    assert decoded(out["filmstrip"]).size == (2400, 135)


def test_a_filmstrip_of_part_frames_is_refused_naming_the_widths(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(1000, 135), "strip.png", "PNG")
    with pytest.raises(BadImage, match=r"strip\.png is 1000 pixels wide, not a whole number of 240-pixel"):
        render(path, filmstrip=True)


def test_a_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an image at all\n" * 10)
    for call in (lambda: inspect(path), lambda: render(path, filmstrip=False)):
        with pytest.raises(BadImage, match=r"notes\.txt is not an image"):
            call()


def test_a_corrupt_png_is_refused(tmp_path: Path) -> None:
    good = saved(tmp_path, gradient(200, 100), "good.png", "PNG").read_bytes()
    path = tmp_path / "bad.png"
    path.write_bytes(good[:60] + bytes(b ^ 0xFF for b in good[60:]))
    with pytest.raises(BadImage, match=r"bad\.png"):
        inspect(path)


def test_a_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    whole = saved(tmp_path, gradient(1200, 800), "whole.jpg", "JPEG").read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(BadImage, match=r"cut\.jpg is truncated"):
        inspect(path)
    with pytest.raises(BadImage, match=r"cut\.jpg is truncated"):
        render(path, filmstrip=False)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a size and holds almost no data, as a decompression bomb does."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (9_000, 9_000), (MAX_PIXELS + 1, 1)])
def test_too_many_pixels_are_refused_from_the_header(tmp_path: Path, width: int, height: int) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(width, height))
    with pytest.raises(BadImage, match=r"bomb\.png has too many pixels"):
        inspect(path)
    with pytest.raises(BadImage, match="too many pixels"):
        render(path, filmstrip=False)


def test_other_formats_are_not_opened(tmp_path: Path) -> None:
    path = saved(tmp_path, gradient(64, 64), "frame.pcx", "PCX")
    with pytest.raises(BadImage, match="not an image"):
        inspect(path)


def test_the_placeholder_is_a_small_png() -> None:
    data = placeholder_png()
    image = decoded(data)
    assert image.format == "PNG" and image.size == (512, 288)
    assert len(data) < 10_000 and placeholder_png() is data
