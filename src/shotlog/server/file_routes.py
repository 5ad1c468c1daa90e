"""The routes that carry file bytes: upload targets, thumbnails, downloads.

They are answered before the application's middleware (``server.app.ShotlogApp``): a 2 GB body
must stream to the store in the chunks it arrives in, and a download must not pass through gzip.

* ``PUT /files/upload/{upload_id}[?part=n]&t=<token>``: where a client PUTs an announced upload
  (or one part of it) when the files are kept in a directory; the signed token is the credential,
  as a presigned URL is on S3. Answers the ``ETag`` the client reports back.
* ``GET /files/thumbnail/{attachment_id}/{rendition}?t=<token>``: a thumbnail, by the signed URL an
  ``image`` field reads as (on S3: a redirect to a presigned GET, so bytes never pass through).
* ``GET /file_serve/attachment/{id}``: an Attachment's file for a signed-in caller: the api3
  session cookie ``_session_id`` that ``download_attachment`` sends, a bearer token, or the web UI's
  session.
* ``GET /images/status/transient/thumbnail_pending.png``: FPTR's placeholder while renditions are made.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from shotlog.accounts.credentials import Principal
from shotlog.errors import NotFound, ShotlogError
from shotlog.files import links, names, thumbnails
from shotlog.files.service import Files
from shotlog.files.storage import TooLarge
from shotlog.server.principals import Principals
from shotlog.server.responses import HttpError

__all__ = ["PREFIXES", "FileRoutes"]

log = logging.getLogger("shotlog.files")

#: the paths ``ShotlogApp`` hands to these routes before its middleware
PREFIXES = ("/files/", "/file_serve/", links.PLACEHOLDER_PATH)
CHUNK = 1024 * 1024


def _error(status: int, message: str, **source: Any) -> JSONResponse:
    body: dict[str, Any] = {"errors": [{"status": status, "title": message}]}
    if source:
        body["errors"][0]["source"] = source
    return JSONResponse(body, status_code=status)


class FileRoutes:
    def __init__(self, principals: Principals, files: Files) -> None:
        self.principals = principals
        self.files = files
        self._placeholder: bytes | None = None

    # -- uploads -----------------------------------------------------------------------------------

    async def put(self, request: Request) -> Response:
        upload_id = request.path_params["upload_id"]
        raw_part = request.query_params.get("part")
        part = int(raw_part) if raw_part is not None and raw_part.isdigit() else None
        if raw_part is not None and part is None:
            return _error(400, f"part must be a part number, got {raw_part!r}", parameter="part")
        subject = links.upload_subject(upload_id, part)
        if not await run_in_threadpool(self.files.verify, "upload", subject, request.query_params.get("t")):
            return _error(403, "the upload URL is forged or has expired; ask for a new one", parameter="t")
        up = await run_in_threadpool(self.files.upload_row, upload_id)
        if up is None:
            return _error(404, f"no upload {upload_id!r} is waiting (expired, linked or unknown)")
        limit = self.files.rules.limit
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) > limit:
            return _error(413, str(TooLarge(limit, int(size))))
        storage = self.files.storage
        try:
            if part is None:
                stored = await storage.write_async(up.key, request.stream(), limit=limit)
                etag = stored.etag or ""
            else:
                if up.multipart_id is None:
                    return _error(400, "this upload was not announced as multipart", parameter="part")
                etag = await storage.write_part_async(
                    up.key, up.multipart_id, part, request.stream(), limit=limit
                )
        except TooLarge as e:
            return _error(413, str(e))
        except ShotlogError as e:
            log.warning("upload %s failed: %s", upload_id, e)
            return _error(503, f"the file could not be stored: {e}")
        return Response(status_code=200, headers={"ETag": f'"{etag}"'})

    # -- reads -------------------------------------------------------------------------------------

    async def thumbnail(self, request: Request) -> Response:
        attachment_id = request.path_params["attachment_id"]
        rendition = request.path_params["rendition"]
        subject = links.thumbnail_subject(attachment_id, rendition)
        if not await run_in_threadpool(
            self.files.verify, "thumbnail", subject, request.query_params.get("t")
        ):
            return _error(403, "the thumbnail URL is forged or has expired; read the image field again")
        try:
            found = await run_in_threadpool(self.files.stored, attachment_id)
        except NotFound as e:
            return _error(404, str(e))
        key = found.renditions.get(rendition) or found.key
        content_type = "image/jpeg" if rendition in found.renditions else found.content_type
        storage = self.files.storage
        if key != found.key and not storage.presigns and storage.size(key) is None:
            # renditions are not synced (they can be made again): after a power failure the image
            # itself stands in
            key, content_type = found.key, found.content_type
        return await self._serve(key, found.filename, content_type, inline=True)

    async def download(self, request: Request) -> Response:
        attachment_id = request.path_params["attachment_id"]
        token = request.query_params.get("t")
        try:
            if token is not None:
                # a URL a read handed out: its signature is the credential, as a presigned URL's is
                if not await run_in_threadpool(self.files.verify, "download", str(attachment_id), token):
                    return _error(403, "the download URL is forged or has expired; read the field again")
                found = await run_in_threadpool(self.files.stored, attachment_id)
            else:
                try:
                    principal = await run_in_threadpool(self._caller, request)
                except HttpError as e:
                    return _error(e.status, e.title)
                view = self.principals.view(principal)
                found = await run_in_threadpool(self.files.readable, view, attachment_id)
        except NotFound as e:
            return _error(404, str(e))
        return await self._serve(found.key, found.filename, found.content_type, inline=False)

    def _caller(self, request: Request) -> Principal:
        session = request.cookies.get("_session_id")
        if session:
            principal = self.principals.credentials.token(session)
            if principal is None:
                raise HttpError(401, "the _session_id cookie is invalid or has expired")
            return principal
        return self.principals.bearer_or_session(request, None)

    async def _serve(self, key: str, filename: str, content_type: str, *, inline: bool) -> Response:
        storage = self.files.storage
        disposition = names.content_disposition(filename, inline=inline)
        if storage.presigns:
            url = await run_in_threadpool(
                storage.presign_get,
                key,
                filename=filename,
                content_type=content_type,
                expires=self.files.rules.url_seconds,
            )
            return RedirectResponse(url, status_code=302)
        path = storage.path(key)
        if path is not None:
            if not path.exists():
                return _error(404, "the file is missing from the store")
            return FileResponse(path, media_type=content_type, headers={"Content-Disposition": disposition})
        stream = await run_in_threadpool(storage.open, key)

        def chunks() -> Any:
            with stream:
                while data := stream.read(CHUNK):
                    yield data

        return StreamingResponse(
            chunks(), media_type=content_type, headers={"Content-Disposition": disposition}
        )

    async def placeholder(self, request: Request) -> Response:
        if self._placeholder is None:
            self._placeholder = await run_in_threadpool(thumbnails.placeholder_png)
        return Response(self._placeholder, media_type="image/png", headers={"Cache-Control": "max-age=3600"})
