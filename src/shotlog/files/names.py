"""Names of files: the key an object is stored under, and the name shown for it (pure).

What a client calls its file never becomes a path: a key is shotlog's own (a kind, the month, a
random id) with at most a sanitised extension. The client's name is kept for display only, cleaned
so it can travel in a header or JSON, and sent back in ``Content-Disposition`` (RFC 6266).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import posixpath
import re
import unicodedata
import uuid
from urllib.parse import quote

from shotlog.clock import utcnow

__all__ = ["content_disposition", "content_type", "display_name", "extension", "new_key"]

MAX_NAME = 255
FALLBACK_NAME = "file"
_KIND = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_SAFE_EXTENSION = re.compile(r"[a-z0-9]{1,10}")
#: characters never shown: controls, format characters (bidi overrides), surrogates, line breaks
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_DRIVE = re.compile(r"^[A-Za-z]:")
#: the standard library's table only (not the machine's mime.types), so answers are the same on
#: every host; plus the formats of a studio that it lacks
_TYPES = mimetypes.MimeTypes(filenames=())
_EXTRA_TYPES = {
    "exr": "image/x-exr",
    "dpx": "image/x-dpx",
    "hdr": "image/vnd.radiance",
    "mov": "video/quicktime",
    "mxf": "application/mxf",
    "abc": "application/octet-stream",
    "usd": "application/octet-stream",
    "webp": "image/webp",
}


def new_key(kind: str, filename: str, *, now: dt.datetime | None = None) -> str:
    """A fresh, collision-free key: ``{kind}/{yyyy}/{mm}/{32 hex}{.ext}`` (the extension only if
    the client's name has a plain one of 1-10 letters and digits)."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"file kind {kind!r} is not a lower-case word")
    when = now or utcnow()
    ext = extension(filename)
    suffix = f".{ext}" if _SAFE_EXTENSION.fullmatch(ext) else ""
    return f"{kind}/{when:%Y}/{when:%m}/{uuid.uuid4().hex}{suffix}"


def display_name(raw: str) -> str:
    """The name as the user gave it, without its folders (``/``, ``\\``, a drive ``C:``) or any
    hidden character, cut to 255 characters (keeping the extension); ``file`` if nothing is left."""
    text = "".join(ch for ch in str(raw) if unicodedata.category(ch) not in _HIDDEN)
    name = _DRIVE.sub("", re.split(r"[/\\]", text)[-1]).strip()
    if name in ("", ".", ".."):
        return FALLBACK_NAME
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext) <= 16:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME].rstrip()
    return name


def extension(name: str) -> str:
    """``mov`` for ``Shot 010.MOV``: lower case, no dot, '' if the name has none."""
    return posixpath.splitext(display_name(name))[1][1:].lower()


def content_type(name: str) -> str:
    """The media type a file of this name is served as; ``application/octet-stream`` if unknown."""
    ext = extension(name)
    if ext in _EXTRA_TYPES:
        return _EXTRA_TYPES[ext]
    guessed = _TYPES.guess_type(f"x.{ext}", strict=False)[0] if ext else None
    return guessed or "application/octet-stream"


def _ascii_fallback(name: str) -> str:
    """The name in printable ASCII for clients without RFC 5987: accents dropped, the rest ``_``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    plain = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%;' else "_" for ch in plain).strip()
    stem, dot, ext = plain.rpartition(".")
    if not dot:
        stem, ext = plain, ""
    return plain if stem.strip("_ .") else FALLBACK_NAME + dot + ext


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A ``Content-Disposition`` value (RFC 6266): an ASCII ``filename`` and the exact UTF-8
    ``filename*``."""
    name = display_name(filename)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
