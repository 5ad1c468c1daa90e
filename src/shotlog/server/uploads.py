"""``/upload/*``: the form posts shotgun_api3 uploads with (``upload``, ``upload_thumbnail``,
``upload_filmstrip_thumbnail``, ``share_thumbnail`` and the S3-style flow's announcements).

The client sends its credentials as form fields and reads the answer as text: ``1:<id>`` (or
``1\\n...`` lines) is a success, anything else a failure it raises ``ShotgunError`` with. HTTP
errors would never reach the caller (the client retries them and reports "Max attempts limit
reached"), so every refusal is a 200 whose text starts ``0`` and says what was wrong.

A form's file arrives spooled to a temporary file by the multipart parser; a body larger than the
size limit is refused by its ``Content-Length`` before it is read.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from shotlog.connection import Shotlog
from shotlog.errors import ShotlogError, ValidationError, incident_ref
from shotlog.files import links, names
from shotlog.files.service import Files, Target
from shotlog.files.storage import Stored, TooLarge
from shotlog.server.api3.wire import ProtocolError
from shotlog.server.body_limits import late_body_response
from shotlog.server.principals import Principals
from shotlog.store.files import PendingUpload

__all__ = ["AUTH_FIELDS", "Uploads", "named_copy", "site_base"]

log = logging.getLogger("shotlog.uploads")

#: the credential fields of a form (shotgun_api3's ``_auth_params``)
AUTH_FIELDS = (
    "user_login",
    "user_password",
    "auth_token",
    "script_name",
    "script_key",
    "session_token",
    "reject_if_expired",
    "sudo_as_login",
    "session_uuid",
)
#: form fields besides the file, and their longest values
MAX_FIELDS = 64
CHUNK = 1024 * 1024
#: thumbnails being stored and rendered at once (see ``Uploads._in_turn``)
THUMBNAIL_SLOTS = 1


def site_base(request: Request, public_url: str | None) -> str:
    """The site's address for URLs in replies: the configured one, else the one the client used."""
    if public_url:
        return public_url.rstrip("/")
    # Worked out once per way of reaching the server: every api3 write's reply asks for it (its
    # records may hold files), and Starlette builds and parses a URL each time (about 15 µs).
    # The key is all ``base_url`` reads: scheme, server, root path and the first Host header.
    scope = request.scope
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    root = scope.get("app_root_path", scope.get("root_path", ""))
    key = (scope.get("scheme", "http"), scope.get("server"), root, host)
    base = _BASES.get(key)
    if base is None:
        if len(_BASES) >= _MAX_BASES:  # the Host header is the client's to choose: stay bounded
            _BASES.clear()
        base = _BASES[key] = str(request.base_url).rstrip("/")
    return base


#: ``site_base``'s answers by what they are made of
_BASES: dict[tuple[Any, ...], str] = {}
_MAX_BASES = 256


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while data := fh.read(CHUNK):
            yield data


class Uploads:
    """The ``/upload/*`` form endpoints."""

    def __init__(self, principals: Principals, files: Files, public_url: str | None) -> None:
        self.principals = principals
        self.files = files
        self.public_url = public_url
        self._thumbnail_slots: asyncio.Semaphore | None = None

    async def _in_turn(self, work: Callable[[], int], *, thumbnail: bool) -> int:
        """``work`` on a worker thread; a thumbnail's only once one of ``THUMBNAIL_SLOTS`` is free.
        A burst of thumbnails then waits here, on the event loop, holding no thread: the renderer
        takes one image at a time anyway, and the threads stay free for every other request."""
        if not thumbnail:
            return await run_in_threadpool(work)
        if self._thumbnail_slots is None:
            self._thumbnail_slots = asyncio.Semaphore(THUMBNAIL_SLOTS)
        async with self._thumbnail_slots:
            return await run_in_threadpool(work)

    # -- plumbing ----------------------------------------------------------------------------------

    def endpoint(
        self, fn: Callable[[Request, FormData, Shotlog], Awaitable[str]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            size = request.headers.get("content-length", "")
            if size.isdigit() and int(size) > self.files.rules.limit + 1024 * 1024:
                return _refused(str(TooLarge(self.files.rules.limit, int(size))))
            try:
                async with request.form(max_fields=MAX_FIELDS, max_files=2) as form:
                    view = await run_in_threadpool(self._view, form)
                    return PlainTextResponse(await fn(request, form, view))
            except (ProtocolError, ShotlogError) as e:
                return _refused(str(e))
            except ClientDisconnect:  # gone, or too slow (server.body_limits): nothing to log
                return late_body_response()
            except Exception:
                ref = incident_ref()
                log.exception("upload failed [%s]", ref)
                return _refused(f"the upload failed on the server (incident {ref}); nothing was stored")

        return handle

    def _view(self, form: FormData) -> Shotlog:
        auth = {k: form[k] for k in AUTH_FIELDS if isinstance(form.get(k), str)}
        principal = self.principals.api3_caller(auth)
        return self.principals.api3_view(principal, auth)

    # -- direct mode: the file in the form ---------------------------------------------------------

    async def upload_file(self, request: Request, form: FormData, view: Shotlog) -> str:
        upload = _file(form, "file")
        target = await run_in_threadpool(
            self.files.target,
            view,
            form.get("entity_type"),
            form.get("entity_id"),
            form.get("field_name"),
            thumbnail=False,
        )
        att = await self._store(view, target, upload, "Attachment", form)
        return f"1:{att}"

    async def publish_thumbnail(self, request: Request, form: FormData, view: Shotlog) -> str:
        upload = _file(form, "thumb_image")
        field = "filmstrip_image" if _truthy(form.get("filmstrip")) else "image"
        target = await run_in_threadpool(
            self.files.target, view, form.get("entity_type"), form.get("entity_id"), field, thumbnail=True
        )
        att = await self._store(view, target, upload, "Thumbnail", form)
        return f"1:{att}"

    async def _store(
        self, view: Shotlog, target: Target, upload: UploadFile, kind: str, form: FormData
    ) -> int:
        def work() -> int:
            up = self.files.begin(view, kind, upload.filename or "file")
            with named_copy(up.filename, upload.file) as spooled:
                try:
                    stored = self.files.storage.write(
                        up.key,
                        _chunks(spooled),
                        limit=self.files.rules.limit,
                        content_type=names.content_type(up.filename),
                    )
                except BaseException:
                    self.files.abandon(up)
                    raise
                if kind == "Thumbnail":
                    return self.files.link_thumbnail(view, target, up, stored, spooled)
                return _link_file(self.files, view, target, up, stored, form)

        return await self._in_turn(work, thumbnail=kind == "Thumbnail")

    async def share_thumbnail(self, request: Request, form: FormData, view: Shotlog) -> str:
        filmstrip = _truthy(form.get("filmstrip_thumbnail"))
        field = "filmstrip_image" if filmstrip else "image"

        def work() -> int:
            source = self.files.target(
                view, *_pair("source_entity", form.get("source_entity")), field, thumbnail=True
            )
            raw = str(form.get("entities") or "")
            targets = [
                self.files.target(view, *_pair("entities", part), field, thumbnail=True)
                for part in raw.split(",")
                if part.strip()
            ]
            if not targets:
                raise ValidationError(
                    "entities must name at least one entity (Type_id,...)", field="entities", value=raw
                )
            return self.files.share_thumbnail(view, targets, source, filmstrip=filmstrip)

        return f"1:{await run_in_threadpool(work)}"

    # -- S3-style flow: announce, PUT (to shotlog or the bucket), link -----------------------------------

    async def get_upload_link_info(self, request: Request, form: FormData, view: Shotlog) -> str:
        upload_type = str(form.get("upload_type") or "")
        base = site_base(request, self.public_url)

        def work() -> str:
            up = self.files.begin(view, upload_type, form.get("filename"))
            if _truthy(form.get("multipart_upload")):
                up = self.files.set_multipart(up)
                url = ""  # each part gets its own (api_get_upload_link_for_part)
            else:
                url = self.put_url(base, up.upload_id, up.key, None, None)
            stamp = up.created_at.strftime("%Y%m%d%H%M%S")
            return f"1\n{url}\n{stamp}\n{up.upload_type}\n{up.upload_id}"

        return await run_in_threadpool(work)

    def put_url(self, base: str, upload_id: str, key: str, multipart_id: str | None, part: int | None) -> str:
        seconds = self.files.rules.url_seconds
        if self.files.storage.presigns:
            if multipart_id is None or part is None:
                return self.files.storage.presign_put(key, expires=seconds)
            return self.files.storage.presign_part(key, multipart_id, part, expires=seconds)
        subject = links.upload_subject(upload_id, part)
        token = self.files.sign("upload", subject)
        query = f"?t={token}" if part is None else f"?part={part}&t={token}"
        return f"{base}{links.upload_path(upload_id)}{query}"

    async def get_upload_link_for_part(self, request: Request, form: FormData, view: Shotlog) -> str:
        base = site_base(request, self.public_url)
        part = _part_number(form.get("part_number"))

        def work() -> str:
            up = self.files.pending(view, form.get("upload_id"))
            if up.multipart_id is None:
                raise ValidationError(
                    "this upload was not announced as multipart", field="upload_id", value=up.upload_id
                )
            return f"1\n{self.put_url(base, up.upload_id, up.key, up.multipart_id, part)}"

        return await run_in_threadpool(work)

    async def complete_multipart_upload(self, request: Request, form: FormData, view: Shotlog) -> str:
        etags = [e.strip() for e in str(form.get("etags") or "").split(",") if e.strip()]

        def work() -> str:
            up = self.files.pending(view, form.get("upload_id"))
            if up.multipart_id is None:
                raise ValidationError(
                    "this upload was not announced as multipart", field="upload_id", value=up.upload_id
                )
            if not etags:
                raise ValidationError(
                    "etags must list each part's ETag", field="etags", value=form.get("etags")
                )
            self.join_parts(up, etags)
            return "1"

        return await run_in_threadpool(work)

    def join_parts(self, up: PendingUpload, etags: list[str]) -> None:
        """Complete a multipart upload from its parts' ETags; one too large goes (REST does this too)."""
        assert up.multipart_id is not None
        try:
            self.files.storage.complete_multipart(
                up.key, up.multipart_id, etags, limit=self.files.rules.limit
            )
        except TooLarge:
            self.files.abandon(up)
            raise

    async def link_file(self, request: Request, form: FormData, view: Shotlog) -> str:
        info = str(form.get("upload_link_info") or "").split("\n")
        upload_id = info[4].strip() if len(info) > 4 else None
        thumbnail = info[3].strip() == "Thumbnail" if len(info) > 3 else False

        def work() -> int:
            up = self.files.pending(view, upload_id)
            field: object
            if thumbnail:
                field = "filmstrip_image" if _truthy(form.get("filmstrip")) else "image"
            else:
                field = form.get("field_name")
            target = self.files.target(
                view, form.get("entity_type"), form.get("entity_id"), field, thumbnail=thumbnail
            )
            stored = self.files.stat(up)
            if not thumbnail:
                return _link_file(self.files, view, target, up, stored, form)
            with self.files.storage.open(up.key) as src, named_copy(up.filename, src) as local:
                return self.files.link_thumbnail(view, target, up, stored, local)

        return f"1:{await self._in_turn(work, thumbnail=thumbnail)}"

    # -- servers before 3.3 asked this for every thumbnail ------------------------------------------------

    async def thumbnail_url(self, request: Request) -> Response:
        return _refused("get_thumbnail_url is for servers older than 3.3; read the image field instead")


def _link_file(
    files: Files, view: Shotlog, target: Target, up: PendingUpload, stored: Stored, form: FormData
) -> int:
    """Link a stored file with the form's own display name and tags."""
    return files.link_file(
        view, target, up, stored, display_name=form.get("display_name"), tag_list=form.get("tag_list")
    )


def _refused(message: str) -> PlainTextResponse:
    return PlainTextResponse("0\n" + message)


def _truthy(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on")


def _file(form: FormData, name: str) -> UploadFile:
    upload = form.get(name)
    if not isinstance(upload, UploadFile):
        raise ValidationError(f"the form has no file in its {name!r} field", field=name, value=None)
    return upload


@contextmanager
def named_copy(filename: str, source: BinaryIO) -> Iterator[Path]:
    """``source`` copied to a file of its own named ``filename`` (already made safe), in a
    temporary directory removed afterwards: Pillow and the store read it from disk, and a
    refusal names the file as the client named it."""
    with tempfile.TemporaryDirectory(prefix="shotlog-upload-") as directory:
        path = Path(directory) / filename
        if source.seekable():
            source.seek(0)
        with path.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        yield path


def _pair(field: str, value: object) -> tuple[str, str]:
    """``Shot_12`` → (``Shot``, ``12``): how share_thumbnail names entities."""
    text = str(value or "")
    entity_type, _, number = text.rpartition("_")
    if not entity_type or not number.isdigit():
        raise ValidationError(f"{field} must name entities as Type_id, got {text!r}", field=field, value=text)
    return entity_type, number


def _part_number(value: object) -> int:
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if not 1 <= number <= 10_000:
        raise ValidationError(
            f"part_number must be 1 to 10000, got {value!r}", field="part_number", value=value
        )
    return number
