"""The statements of the files tables: ``stored_files``, ``file_uploads`` and ``signing_keys``
(migration 0008).

``shotlog.files`` decides what to store and when; this module is the only one that reads or writes
these two tables. Each function takes the connection of the caller's transaction, so a stored
file's row commits with the Attachment it belongs to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shotlog.store.catalog import Catalog
from shotlog.store.tables import file_uploads, signing_keys, stored_files

__all__ = [
    "PendingUpload",
    "StoredFile",
    "add_stored",
    "add_upload",
    "all_stored",
    "expired_uploads",
    "forget_upload",
    "image_value",
    "set_multipart",
    "signing_key",
    "stored",
    "stored_many",
    "upload",
]


@dataclass(frozen=True, slots=True)
class StoredFile:
    """The object behind an Attachment."""

    attachment_id: int
    key: str
    size_bytes: int
    sha256: str | None
    content_type: str
    filename: str
    renditions: Mapping[str, str]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """An object being written and not linked yet; ``owner`` is who may write and link it."""

    upload_id: str
    key: str
    upload_type: str
    filename: str
    owner: tuple[str, int]
    multipart_id: str | None
    created_at: dt.datetime
    expires_at: dt.datetime


def _stored(row: Any) -> StoredFile:
    return StoredFile(
        attachment_id=row.attachment_id,
        key=row.key,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        content_type=row.content_type,
        filename=row.filename,
        renditions=dict(row.renditions or {}),
        created_at=row.created_at,
    )


def _upload(row: Any) -> PendingUpload:
    return PendingUpload(
        upload_id=row.upload_id,
        key=row.key,
        upload_type=row.upload_type,
        filename=row.filename,
        owner=(row.owner_type, row.owner_id),
        multipart_id=row.multipart_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


# -- stored_files ---------------------------------------------------------------------------------


def add_stored(conn: Connection, f: StoredFile) -> None:
    conn.execute(
        stored_files.insert().values(
            attachment_id=f.attachment_id,
            key=f.key,
            size_bytes=f.size_bytes,
            sha256=f.sha256,
            content_type=f.content_type,
            filename=f.filename,
            renditions=dict(f.renditions) or None,
            created_at=f.created_at,
        )
    )


def stored(conn: Connection, attachment_id: int) -> StoredFile | None:
    row = conn.execute(sa.select(stored_files).where(stored_files.c.attachment_id == attachment_id)).first()
    return None if row is None else _stored(row)


def stored_many(conn: Connection, attachment_ids: list[int]) -> dict[int, StoredFile]:
    if not attachment_ids:
        return {}
    rows = conn.execute(sa.select(stored_files).where(stored_files.c.attachment_id.in_(attachment_ids)))
    return {row.attachment_id: _stored(row) for row in rows}


def all_stored(conn: Connection) -> Iterator[StoredFile]:
    """Every stored file, in attachment order (a backup's listing of a bucket it does not copy)."""
    for row in conn.execute(sa.select(stored_files).order_by(stored_files.c.attachment_id)):
        yield _stored(row)


# -- file_uploads ---------------------------------------------------------------------------------


def add_upload(conn: Connection, up: PendingUpload) -> None:
    conn.execute(
        file_uploads.insert().values(
            upload_id=up.upload_id,
            key=up.key,
            upload_type=up.upload_type,
            filename=up.filename,
            owner_type=up.owner[0],
            owner_id=up.owner[1],
            multipart_id=up.multipart_id,
            created_at=up.created_at,
            expires_at=up.expires_at,
        )
    )


def upload(conn: Connection, upload_id: str) -> PendingUpload | None:
    row = conn.execute(sa.select(file_uploads).where(file_uploads.c.upload_id == upload_id)).first()
    return None if row is None else _upload(row)


def forget_upload(conn: Connection, upload_id: str) -> bool:
    """Remove the row (its object is linked now, or deleted); False if it was already gone."""
    done = conn.execute(file_uploads.delete().where(file_uploads.c.upload_id == upload_id))
    return bool(done.rowcount)


def set_multipart(conn: Connection, upload_id: str, multipart_id: str) -> None:
    conn.execute(
        file_uploads.update().where(file_uploads.c.upload_id == upload_id).values(multipart_id=multipart_id)
    )


def expired_uploads(conn: Connection, now: dt.datetime, limit: int = 500) -> list[PendingUpload]:
    rows = conn.execute(
        sa.select(file_uploads)
        .where(file_uploads.c.expires_at < now)
        .order_by(file_uploads.c.expires_at)
        .limit(limit)
    )
    return [_upload(row) for row in rows]


def image_value(conn: Connection, catalog: Catalog, entity_type: str, entity_id: int, field: str) -> Any:
    """The stored value of an entity's thumbnail field, as written (reads present it as a URL)."""
    f = catalog.schema.field(entity_type, field)
    table = catalog.table(entity_type)
    column = table.c[f.column or f.name]
    return conn.execute(sa.select(column).where(table.c.id == entity_id)).scalar()


# -- signing_keys ---------------------------------------------------------------------------------


def signing_key(conn: Connection, purpose: str, new: str, now: dt.datetime) -> str:
    """The site's key for ``purpose``; ``new`` becomes it when there is none yet (the first server to
    ask wins a race: the insert of a second one fails and it reads the first one's key)."""
    select = sa.select(signing_keys.c.secret).where(signing_keys.c.purpose == purpose)
    found = conn.execute(select).scalar()
    if found is not None:
        return str(found)
    try:
        with conn.begin_nested():
            conn.execute(signing_keys.insert().values(purpose=purpose, secret=new, created_at=now))
    except sa.exc.IntegrityError:
        return str(conn.execute(select).scalar_one())
    return new
