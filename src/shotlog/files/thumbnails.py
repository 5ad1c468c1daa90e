"""Thumbnails: checking an uploaded image and rendering the sizes served for it (Pillow).

All of it is CPU work on one file; callers run it on a worker thread, never on the event loop.

Sizes. FPTR's documentation gives one number, the filmstrip's: a horizontal strip of frames each
exactly 240 pixels wide (shotgun_api3's ``upload_filmstrip_thumbnail``). For the still it states
none; its stored thumbnails come back at most 512 pixels on the long side, so ``thumbnail`` fits a
512 x 512 box and ``large`` (the detail pages' image) a 1024 x 1024 one. Neither is ever enlarged.

Safety. Only the common still formats are opened (JPEG, PNG, GIF, BMP, TIFF, WebP); an image of more
than ``MAX_PIXELS`` is refused from its header, before any pixel is decoded (a decompression bomb);
a truncated or corrupt file fails its full decode and is refused.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from shotlog.errors import ShotlogError

__all__ = [
    "FILMSTRIP_FRAME_WIDTH",
    "MAX_PIXELS",
    "SIZES",
    "BadImage",
    "ImageInfo",
    "inspect",
    "placeholder_png",
    "render",
]

#: 70 megapixels: an 8192 x 8192 frame (67 Mpx) passes, a bomb's 100,000 x 100,000 does not.
#: Decoding one costs up to 4 bytes a pixel, so this also bounds a render's memory (about 280 MB).
MAX_PIXELS = 70_000_000
FILMSTRIP_FRAME_WIDTH = 240
#: rendition name → the box it is fitted into
SIZES = {"thumbnail": (512, 512), "large": (1024, 1024)}
FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP")
JPEG_QUALITY = 85
#: behind transparent pixels (a JPEG has no alpha)
BACKGROUND = (255, 255, 255)


class BadImage(ShotlogError):
    """The upload is not an image shotlog can use; the message names the file and why."""


class ImageInfo(NamedTuple):
    width: int
    height: int
    format: str


def _open(path: Path) -> Image.Image:
    """The image at ``path`` with its header read and its size checked; nothing decoded yet."""
    try:
        image = Image.open(path, formats=FORMATS)
    except UnidentifiedImageError:
        raise BadImage(f"{path.name} is not an image (JPEG, PNG, GIF, BMP, TIFF or WebP)") from None
    # Pillow's own bound raises an error, or a warning that the tests make an error; either way
    # the size is what is wrong
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(f"{path.name} has too many pixels (more than {MAX_PIXELS})") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadImage(f"{path.name} is not a readable image: {exc}") from None
    width, height = image.size
    if width * height > MAX_PIXELS or width < 1 or height < 1:
        image.close()
        raise BadImage(f"{path.name} has too many pixels ({width} x {height}, more than {MAX_PIXELS})")
    return image


def _decoded(path: Path, image: Image.Image) -> Image.Image:
    """The image decoded whole (the only way to know a JPEG is not truncated), upright per its
    EXIF orientation, in RGB."""
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        reason = "truncated" if "truncated" in str(exc) else f"corrupt ({exc})"
        raise BadImage(f"{path.name} is {reason}") from None
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return upright.convert("RGB")


def inspect(path: Path) -> ImageInfo:
    """The image's size (as stored, before EXIF rotation) and format; ``BadImage`` for a
    non-image, a truncated or corrupt file, or one of too many pixels."""
    with _open(path) as image:
        info = ImageInfo(image.width, image.height, str(image.format))
        _decoded(path, image).close()
    return info


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # no metadata, no optimisation passes: the same pixels always give the same bytes
    image.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def _fitted(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = min(box[0] / image.width, box[1] / image.height, 1.0)
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def render(path: Path, *, filmstrip: bool) -> dict[str, bytes]:
    """JPEG renditions of the image: ``thumbnail`` and ``large`` (see ``SIZES``), or for a
    filmstrip the one ``filmstrip``, its size kept, once its width is checked to be whole frames."""
    with _open(path) as opened:
        image = _decoded(path, opened)
    if filmstrip:
        if image.width % FILMSTRIP_FRAME_WIDTH:
            raise BadImage(
                f"{path.name} is {image.width} pixels wide, not a whole number of "
                f"{FILMSTRIP_FRAME_WIDTH}-pixel filmstrip frames"
            )
        return {"filmstrip": _jpeg(image)}
    return {name: _jpeg(_fitted(image, box)) for name, box in SIZES.items()}


@functools.cache
def placeholder_png() -> bytes:
    """The "thumbnail pending" image: a grey 512 x 288 frame with three dots, rendered once."""
    image = Image.new("RGB", (512, 288), (58, 60, 64))
    draw = ImageDraw.Draw(image)
    for n in range(3):
        x = 216 + n * 40
        draw.ellipse((x, 132, x + 16, 148), fill=(150, 153, 158))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
