"""What an upload writes, and in what order, so that no field ever names a missing object.

Every upload goes the same way, whichever door it came in by (a form post, a client's PUTs to an
upload URL, the REST API):

1. the target is checked (the entity exists, the caller may write it, the field takes a file)
   before a byte is stored;
2. an upload row is committed (``file_uploads``): the object's key, its owner, when it expires;
3. the bytes are written to the store, streamed and atomically (``files.storage``), size-limited;
4. one transaction creates the Attachment, its ``stored_files`` row and the field that names it,
   and removes the upload row.

A crash after 2 leaves an upload row whose object the sweep deletes; a failure in 4 deletes the
object at once. A thumbnail is decoded and its renditions made and stored before 4, so that a bad
image changes nothing; its transaction then logs FPTR's pair of changes, transient then final.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import logging
import tempfile
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shotlog import settings
from shotlog.clock import utcnow_seconds
from shotlog.connection import Shotlog
from shotlog.errors import NotFound, ShotlogError, ValidationError
from shotlog.eventlog import log as eventlog
from shotlog.filelinks import UploadedFile
from shotlog.files import names, signing, thumbnails
from shotlog.files.links import FileLinks
from shotlog.files.renderer import Renderer
from shotlog.files.storage import FileStore, Stored, TooLarge, open_files
from shotlog.store import files as rows
from shotlog.store.files import PendingUpload, StoredFile
from shotlog.store.writer import WriteTransaction
from shotlog.values import Thumbnail

__all__ = ["THUMBNAIL_FIELDS", "UPLOAD_TYPES", "FileRules", "Files", "Target", "open_site_files"]

log = logging.getLogger("shotlog.files")

#: what api_get_upload_link_info's upload_type may be
UPLOAD_TYPES = ("Thumbnail", "Attachment")
#: the client's thumbnail field names (upload_thumbnail's and the fields themselves) → the field set
THUMBNAIL_FIELDS = {
    "thumb_image": "image",
    "image": "image",
    "filmstrip_thumb_image": "filmstrip_image",
    "filmstrip_image": "filmstrip_image",
}
#: the movie fields whose upload gives a Version without a thumbnail the placeholder image
MOVIE_FIELDS = {("Version", "sg_uploaded_movie")}
PLACEHOLDER_NAME = "no_preview.png"
#: how long an announced upload may take before the sweep deletes what it stored
UPLOAD_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class FileRules:
    """The settings an upload is held to."""

    limit: int
    url_seconds: int
    direct_uploads: bool


@dataclass(frozen=True, slots=True)
class Target:
    """Where an upload goes: ``field`` is the image field, a file/link field, or None (the
    Attachment is only linked to the entity, as FPTR's Files tab shows it)."""

    entity_type: str
    entity_id: int
    field: str | None
    project: dict[str, Any] | None

    @property
    def link(self) -> dict[str, Any]:
        return {"type": self.entity_type, "id": self.entity_id}


def _fault(field: str, value: object, message: str) -> ValidationError:
    return ValidationError(message, field=field, value=value)


class Files:
    """The files of one site: its store, its object storage, its rules."""

    def __init__(self, store: Shotlog, storage: FileStore, rules: FileRules) -> None:
        self.store = store
        self.storage = storage
        self.rules = rules
        self._secret: bytes | None = None
        self._lock = threading.Lock()
        self.renderer = Renderer()

    # -- the site's URL key ---------------------------------------------------------------------------

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            with self._lock, self.store.db.write() as conn:
                fresh = base64.b64encode(signing.new_secret()).decode()
                key = rows.signing_key(conn, "files", fresh, utcnow_seconds())
                self._secret = base64.b64decode(key)
        return self._secret

    def sign(self, purpose: str, subject: str) -> str:
        expires = int(utcnow_seconds().timestamp()) + self.rules.url_seconds
        return signing.sign(self.secret, purpose, subject, expires)

    def verify(self, purpose: str, subject: str, token: object) -> bool:
        now = int(utcnow_seconds().timestamp())
        return isinstance(token, str) and signing.verify(self.secret, purpose, subject, token, now)

    def links(self, base: str) -> FileLinks:
        return FileLinks(
            base.rstrip("/"), self.secret, self.rules.url_seconds, int(utcnow_seconds().timestamp())
        )

    # -- 1. the target, checked before anything is stored --------------------------------------------

    def target(
        self, view: Shotlog, entity_type: object, entity_id: object, field: object, *, thumbnail: bool
    ) -> Target:
        """The entity and field an upload names, refused unless the entity exists, is visible to
        ``view`` and the field takes this kind of file."""
        if not isinstance(entity_type, str) or not entity_type:
            raise _fault(
                "entity_type", entity_type, f"entity_type must name an entity type, got {entity_type!r}"
            )
        try:
            number = int(str(entity_id))
        except ValueError:
            raise _fault("entity_id", entity_id, f"entity_id must be an integer, got {entity_id!r}") from None
        schema = view.catalog.schema
        etype = schema.entity(entity_type)  # UnknownEntityType names it
        name: str | None
        if thumbnail:
            name = THUMBNAIL_FIELDS.get(str(field or "thumb_image"))
            if name is None or name not in schema.fields[etype.name]:
                raise _fault("field_name", field, f"{etype.name} has no thumbnail field {field!r}")
        else:
            name = None if field in (None, "") else str(field)
            if name is not None:
                f = schema.field(etype.name, name)  # UnknownField names it
                if f.data_type != "url":
                    raise _fault(
                        "field_name",
                        name,
                        f"{f.qualified} ({f.data_type}) does not take a file: upload to a File/Link "
                        "field, or give no field_name to attach the file to the entity",
                    )
        wanted = ["project"] if "project" in schema.fields[etype.name] else []
        found = view.find_one(etype.name, [["id", "is", number]], wanted)
        if found is None:
            raise NotFound(etype.name, number)
        project = found.get("project")
        return Target(etype.name, number, name, project if isinstance(project, dict) else None)

    # -- 2. the upload row -----------------------------------------------------------------------------

    def begin(self, view: Shotlog, upload_type: str, filename: object) -> PendingUpload:
        """Announce an upload by ``view``'s user: the row the sweep will find if it never completes."""
        if upload_type not in UPLOAD_TYPES:
            raise _fault("upload_type", upload_type, f"upload_type must be one of {', '.join(UPLOAD_TYPES)}")
        shown = names.display_name(str(filename or ""))
        actor = view.actor.link()
        owner = actor if actor is not None else ("ApiUser", 0)
        now = utcnow_seconds()
        pending = PendingUpload(
            upload_id=uuid.uuid4().hex,
            key=names.new_key(upload_type.lower(), shown),
            upload_type=upload_type,
            filename=shown,
            owner=(owner[0], int(owner[1])),
            multipart_id=None,
            created_at=now,
            expires_at=now + UPLOAD_WINDOW,
        )
        with self.store.db.write() as conn:
            rows.add_upload(conn, pending)
        return pending

    def pending(self, view: Shotlog, upload_id: object) -> PendingUpload:
        """The caller's own live upload ``upload_id``."""
        with self.store.db.read() as conn:
            up = rows.upload(conn, str(upload_id)) if isinstance(upload_id, str) else None
        actor = view.actor.link()
        if up is None or up.expires_at < utcnow_seconds() or (actor is not None and tuple(actor) != up.owner):
            raise _fault(
                "upload_id", upload_id, f"no upload {upload_id!r} is waiting for you (expired or unknown)"
            )
        return up

    def stat(self, up: PendingUpload) -> Stored:
        """What a client PUT for ``up``, held to the size limit (a bucket cannot refuse it sooner)."""
        found = self.storage.stat(up.key)
        if found is None:
            raise _fault("upload_link_info", up.upload_id, f"nothing was uploaded for {up.filename!r} yet")
        if found.size > self.rules.limit:
            self.abandon(up)
            raise TooLarge(self.rules.limit, found.size)
        return found

    def set_multipart(self, up: PendingUpload) -> PendingUpload:
        upload_id = self.storage.begin_multipart(up.key)
        with self.store.db.write() as conn:
            rows.set_multipart(conn, up.upload_id, upload_id)
        return dataclasses.replace(up, multipart_id=upload_id)

    def abandon(self, up: PendingUpload) -> None:
        """Delete what an upload stored, and its row (a refused or failed upload)."""
        try:
            if up.multipart_id is not None:
                self.storage.abort_multipart(up.key, up.multipart_id)
            self.storage.delete(up.key)
        except ShotlogError:
            log.warning("could not delete %s of a failed upload; the sweep will retry", up.key, exc_info=True)
            return  # the row stays for the sweep
        with self.store.db.write() as conn:
            rows.forget_upload(conn, up.upload_id)

    # -- 4. linking what was stored --------------------------------------------------------------------

    def link_file(
        self,
        view: Shotlog,
        target: Target,
        up: PendingUpload,
        stored: Stored,
        *,
        display_name: object = None,
        tag_list: object = None,
    ) -> int:
        """The Attachment of an uploaded file; set on ``target.field`` if it names one."""
        shown = names.display_name(str(display_name)) if display_name else up.filename
        tags = [t.strip() for t in str(tag_list).split(",") if t.strip()] if tag_list else []
        content_type = names.content_type(up.filename)

        def work(tx: WriteTransaction) -> int:
            att = self._attachment(tx, target, up, stored, shown, content_type, tags, {}, linked=True)
            if target.field is not None:
                tx.update(
                    target.entity_type,
                    target.entity_id,
                    {target.field: UploadedFile(att, shown, content_type)},
                )
            return att

        att = self._linked(view, up, work)
        if (target.entity_type, target.field) in MOVIE_FIELDS:
            self._placeholder(view, target)
        return att

    def _placeholder(self, view: Shotlog, movie: Target) -> None:
        """A Version given a movie and no thumbnail gets FPTR's stand-in until one is uploaded
        (shotlog makes no frame of the movie: it does not transcode)."""
        target = Target(movie.entity_type, movie.entity_id, "image", movie.project)
        if self._raw_image(view, target, "image") is not None:
            return
        up = self.begin(view, "Thumbnail", PLACEHOLDER_NAME)
        data = thumbnails.placeholder_png()
        try:
            stored = self.storage.write(up.key, [data], limit=self.rules.limit, content_type="image/png")
        except BaseException:
            self.abandon(up)
            raise
        with tempfile.TemporaryDirectory(prefix="shotlog-placeholder-") as directory:
            local = Path(directory) / PLACEHOLDER_NAME
            local.write_bytes(data)
            self.link_thumbnail(view, target, up, stored, local)

    def link_thumbnail(
        self, view: Shotlog, target: Target, up: PendingUpload, stored: Stored, local: Path
    ) -> int:
        """The Attachment of an uploaded thumbnail; ``local`` is a copy of its bytes on disk, named
        as the client named the file (error messages show that name)."""
        assert target.field is not None
        try:
            # decoded whole and checked before anything is written: a bad image changes nothing
            renditions = self.renderer.render(local, filmstrip=target.field == "filmstrip_image")
        except thumbnails.BadImage as e:
            self.abandon(up)
            message = f"{target.entity_type}.{target.field}: {e}; the thumbnail was not changed"
            raise _fault(target.field, up.filename, message) from None
        content_type = names.content_type(up.filename)
        keys = self.store_renditions(up.key, renditions)

        def work(tx: WriteTransaction) -> int:
            att = self._attachment(tx, target, up, stored, up.filename, content_type, [], keys, linked=False)
            # FPTR's pair: the thumbnail set transient, then final with its renditions made; both in
            # this one transaction, since they were made before it began
            self.set_image(tx, target, Thumbnail(att, pending=True))
            self.set_image(tx, target, Thumbnail(att))
            return att

        try:
            return self._linked(view, up, work)
        except BaseException:
            for key in keys.values():
                with contextlib.suppress(ShotlogError):
                    self.storage.delete(key)
            raise

    def store_renditions(self, key: str, renditions: Mapping[str, bytes]) -> dict[str, str]:
        """The renditions of the image at ``key`` stored beside it, not synced: they can be made
        again from the image, and the thumbnail route serves the image where one is missing."""
        keys: dict[str, str] = {}
        for name, data in renditions.items():
            rendition = f"{key}.{name}.jpg"
            try:
                self.storage.write(
                    rendition, [data], limit=self.rules.limit, content_type="image/jpeg", durable=False
                )
            except ShotlogError:
                # the original is served in its place: still the image, if not at FPTR's size
                log.warning("rendition %s of %s could not be stored", name, key, exc_info=True)
                continue
            keys[name] = rendition
        return keys

    def share_thumbnail(
        self, view: Shotlog, targets: list[Target], source: Target, *, filmstrip: bool
    ) -> int:
        """Set ``source``'s thumbnail on ``targets``, each with FPTR's pair of changes."""
        field = "filmstrip_image" if filmstrip else "image"
        found = view.find_one(source.entity_type, [["id", "is", source.entity_id]], [field])
        thumb = None if found is None else Thumbnail.parse(self._raw_image(view, source, field))
        if thumb is None:
            raise _fault(
                "source_entity",
                source.link,
                f"{source.entity_type} {source.entity_id} has no {field} to share",
            )
        shared = [Target(t.entity_type, t.entity_id, field, t.project) for t in targets]

        def work(tx: WriteTransaction) -> None:
            for target in shared:
                self.set_image(tx, target, Thumbnail(thumb.attachment_id, pending=True))
                self.set_image(tx, target, Thumbnail(thumb.attachment_id))

        view.transaction(work)
        return thumb.attachment_id

    def _raw_image(self, view: Shotlog, target: Target, field: str) -> Any:
        with self.store.db.read() as conn:
            return rows.image_value(conn, view.catalog, target.entity_type, target.entity_id, field)

    def _attachment(
        self,
        tx: WriteTransaction,
        target: Target,
        up: PendingUpload,
        stored: Stored,
        shown: str,
        content_type: str,
        tags: list[str],
        renditions: Mapping[str, str],
        *,
        linked: bool,
    ) -> int:
        data: dict[str, Any] = {
            "filename": up.filename,
            "file_size": stored.size,
            "file_extension": names.extension(up.filename),
        }
        if target.project is not None:
            data["project"] = {"type": "Project", "id": target.project["id"]}
        if linked and target.entity_type in _linkable(tx):
            data["attachment_links"] = [target.link]
        if tags:
            data["tag_list"] = tags
        att = int(tx.create("Attachment", data)["id"])
        tx.update("Attachment", att, {"this_file": UploadedFile(att, shown, content_type)})
        rows.add_stored(
            tx.conn,
            StoredFile(
                attachment_id=att,
                key=up.key,
                size_bytes=stored.size,
                sha256=stored.sha256,
                content_type=content_type,
                filename=shown,
                renditions=renditions,
                created_at=tx.now,
            ),
        )
        rows.forget_upload(tx.conn, up.upload_id)
        return att

    def set_image(self, tx: WriteTransaction, target: Target, thumb: Thumbnail) -> None:
        assert target.field is not None
        if target.entity_type == "EventLogEntry":
            if not eventlog.set_image(tx.conn, target.entity_id, target.field, thumb.stored()):
                raise NotFound("EventLogEntry", target.entity_id)
            return
        tx.update(target.entity_type, target.entity_id, {target.field: thumb})

    def _linked(self, view: Shotlog, up: PendingUpload, work: Any) -> int:
        try:
            return int(view.transaction(work))
        except BaseException:
            self.abandon(up)
            raise

    # -- reading -----------------------------------------------------------------------------------------

    def readable(self, view: Shotlog, attachment_id: int) -> StoredFile:
        """The stored file of an Attachment ``view``'s user may see."""
        if view.find_one("Attachment", [["id", "is", attachment_id]], ["id"]) is None:
            raise NotFound("Attachment", attachment_id)
        return self.stored(attachment_id)

    def upload_row(self, upload_id: str) -> PendingUpload | None:
        """The live upload ``upload_id`` whoever owns it (its signed URL is the credential)."""
        with self.store.db.read() as conn:
            up = rows.upload(conn, upload_id)
        return None if up is None or up.expires_at < utcnow_seconds() else up

    def stored(self, attachment_id: int) -> StoredFile:
        with self.store.db.read() as conn:
            found = rows.stored(conn, attachment_id)
        if found is None:
            raise NotFound("Attachment", attachment_id)  # a link, or a file this site does not keep
        return found


def open_site_files(store: Shotlog) -> Files:
    """The site's files as the ``SHOTLOG_FILES_*`` settings say."""
    storage = open_files(
        settings.FILES_URL.read(),
        database_url=store.db.url,
        s3_endpoint=settings.FILES_S3_ENDPOINT.read(),
        s3_region=settings.FILES_S3_REGION.read(),
    )
    rules = FileRules(
        limit=settings.FILES_MAX_BYTES.read(),
        url_seconds=settings.FILES_URL_SECONDS.read(),
        direct_uploads=settings.FILES_DIRECT_UPLOADS.read(),
    )
    return Files(store, storage, rules)


def _linkable(tx: WriteTransaction) -> set[str]:
    field = tx.schema.fields["Attachment"].get("attachment_links")
    return set(field.valid_types) if field is not None else set()
