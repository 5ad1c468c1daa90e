"""The URLs of stored files, made when a value is read: thumbnails, downloads, upload targets.

Stored values name an Attachment (``values.Thumbnail``, ``filelinks.UploadedFile``), never a URL,
because a URL depends on who reads: the address the reader reached the server by, and a signature
that expires. ``FileLinks`` turns stored values into what FPTR returns:

* an ``image`` field: a signed, expiring thumbnail URL, or for a transient value (which shotlog
  itself commits only with its final one) FPTR's placeholder, which Toolkit recognises
  (``/images/status/transient/``);
* an uploaded file on a file/link field: the value with its ``url``,
  ``<site>/file_serve/attachment/<id>?t=<token>``: the address ``download_attachment`` asks with its
  session cookie, signed too, since the client sends the cookie only to a site without a port.

Pure: the caller gives the site's address, the key and the time.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from shotlog.errors import ShotlogError
from shotlog.files import signing
from shotlog.schema.model import Schema
from shotlog.values import Thumbnail

__all__ = [
    "PLACEHOLDER_PATH",
    "FileLinks",
    "download_path",
    "thumbnail_path",
    "thumbnail_subject",
    "upload_path",
    "upload_subject",
]

#: where the "thumbnail pending" image is served, under FPTR's path for it
PLACEHOLDER_PATH = "/images/status/transient/thumbnail_pending.png"


def thumbnail_path(attachment_id: int, rendition: str = "thumbnail") -> str:
    return f"/files/thumbnail/{attachment_id}/{rendition}"


def download_path(attachment_id: int) -> str:
    return f"/file_serve/attachment/{attachment_id}"


def upload_path(upload_id: str) -> str:
    return f"/files/upload/{upload_id}"


def thumbnail_subject(attachment_id: int, rendition: str) -> str:
    """What a thumbnail URL's signature covers."""
    return f"{attachment_id}/{rendition}"


def upload_subject(upload_id: str, part: int | None) -> str:
    """What an upload URL's signature covers: the upload, and the part for a multipart one."""
    return upload_id if part is None else f"{upload_id}/{part}"


@dataclass(frozen=True, slots=True)
class FileLinks:
    """URLs for readers that reached the site at ``base`` (``http://host:port``, no trailing /)."""

    base: str
    secret: bytes
    seconds: int
    now: int

    def thumbnail_url(self, attachment_id: int, rendition: str = "thumbnail") -> str:
        expires = self.now + self.seconds
        token = signing.sign(self.secret, "thumbnail", thumbnail_subject(attachment_id, rendition), expires)
        return f"{self.base}{thumbnail_path(attachment_id, rendition)}?t={token}"

    def download_url(self, attachment_id: int) -> str:
        """A download URL that carries its own expiring credential, so it works where the client's
        session cookie is not sent (shotgun_api3 sends none to a site with a port in its address)."""
        token = signing.sign(self.secret, "download", str(attachment_id), self.now + self.seconds)
        return f"{self.base}{download_path(attachment_id)}?t={token}"

    def image(self, stored: object, rendition: str = "thumbnail") -> Any:
        """What an ``image`` field reads as: a thumbnail URL, FPTR's placeholder for a transient
        value, None, or a value shotlog did not write (a mirrored site's URL) as it is."""
        thumb = Thumbnail.parse(stored)
        if thumb is None:
            return stored
        if thumb.pending:
            return self.base + PLACEHOLDER_PATH
        return self.thumbnail_url(thumb.attachment_id, rendition)

    def upload(self, value: Any) -> Any:
        """An uploaded file's link with its download URL; other values as they are."""
        if (
            isinstance(value, dict)
            and value.get("link_type") == "upload"
            and "url" not in value
            and isinstance(value.get("id"), int)
        ):
            return {**value, "url": self.download_url(value["id"])}
        return value

    def present(self, schema: Schema, entity_type: str, records: Iterable[MutableMapping[str, Any]]) -> None:
        """Rewrite in place the image and uploaded-file values of ``records`` of ``entity_type``
        (their keys are field names or deep paths, ``entity.Shot.image``). The records of one read
        share their keys, so the keys to rewrite are found once, from the first record."""
        keys: list[tuple[str, str]] | None = None
        for record in records:
            if keys is None:
                keys = [(k, kind) for k in record if (kind := _kind(schema, entity_type, k)) is not None]
                if not keys:
                    return
            for key, kind in keys:
                value = record.get(key)
                if value is None:
                    continue
                if kind == "url":
                    record[key] = self.upload(value)
                else:
                    strip = key.rsplit(".", 1)[-1] == "filmstrip_image"
                    record[key] = self.image(value, "filmstrip" if strip else "thumbnail")


def _kind(schema: Schema, entity_type: str, key: str) -> str | None:
    """The data type of the field a record key names, if it is one presentation rewrites."""
    parts = key.split(".")
    owner, name = (entity_type, parts[0]) if len(parts) == 1 else (parts[-2], parts[-1])
    try:
        data_type = schema.field(owner, name).data_type
    except ShotlogError:
        return None
    return data_type if data_type in ("image", "url") else None
