"""The demo's thumbnails: a small seascape per version, drawn with Pillow from the story's numbers.

The same title, hue and sun give the same picture, so a seed's thumbnails are the same every time.
"""

from __future__ import annotations

import colorsys
import io

from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = ["SIZE", "seascape"]

SIZE = (240, 135)


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def seascape(title: str, hue: float, sun: float) -> bytes:
    """A PNG: a sky in ``hue`` over a dark sea, a light at ``sun`` (0 to 1 across), ``title`` below."""
    width, height = SIZE
    horizon = height * 3 // 5
    # the sky darkens towards the top: a gradient made in C, not drawn line by line
    sky = ImageOps.colorize(
        Image.linear_gradient("L").resize((width, horizon)),
        _rgb(hue, 0.55, 0.35),
        _rgb(hue, 0.55, 0.9),
    )
    image = Image.new("RGB", SIZE)
    image.paste(sky, (0, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, horizon, width, height], fill=_rgb(hue + 0.5, 0.5, 0.25))
    x, r = int(20 + sun * (width - 40)), 11
    draw.ellipse([x - r, horizon - 2 * r, x + r, horizon], fill=_rgb(0.13, 0.35, 1.0))
    tower = width - 44 if sun < 0.5 else 30
    top = horizon - 48
    draw.polygon(
        [(tower, horizon), (tower + 14, horizon), (tower + 10, top), (tower + 4, top)], fill=(235, 235, 230)
    )
    draw.rectangle([0, height - 18, width, height], fill=(0, 0, 0))
    draw.text((6, height - 15), title, fill=(255, 255, 255), font=ImageFont.load_default())
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
