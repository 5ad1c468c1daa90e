"""FPTR's REST file endpoints: uploads to a record or one of its fields, and reading a file field.

An upload takes three requests, as FPTR's REST API documents them:

1. ``GET /api/v1/entity/{entity}/{id}[/{field}]/_upload?filename=…[&multipart_upload=true]`` checks
   the target and announces the upload (``shotlog.files.service``: the same checks and rows as
   api3's); it answers the upload's description (``data``, to send back) and where to PUT the
   bytes (``links.upload``), with ``links.get_next_part`` for a multipart upload;
2. the client PUTs the bytes there: shotlog's own signed ``/files/upload/…`` URL, or a presigned
   S3 URL. Both behave as FPTR's ``s3`` storage service (the URL is the credential and answers the
   part's ``ETag``), so the description says ``storage_service: s3`` whichever store is used;
3. ``POST`` the same path with ``{"upload_info": …, "upload_data": {"display_name", "tags"}}``
   links the file: an ``image`` or ``filmstrip_image`` field is a thumbnail (FPTR's transient and
   final pair of changes), a File/Link field takes the Attachment, and with no field the
   Attachment is only linked to the record. ``upload_info.etags`` completes a multipart upload.

``GET /api/v1/entity/{entity}/{id}/{field}`` reads a file field (``image``, ``filmstrip_image``
or a File/Link field) as its URL; ``?alt=original`` or ``?alt=thumbnail`` redirects to the file.
The handlers run in a worker thread with the caller's view (``rest.endpoint``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shotlog.connection import Shotlog
from shotlog.errors import NotFound, ValidationError, shown
from shotlog.files.service import Files, Target
from shotlog.server.responses import HttpError, json_response
from shotlog.server.rest import shapes
from shotlog.server.rest.entities import Entities
from shotlog.server.uploads import Uploads, named_copy, site_base
from shotlog.store.files import PendingUpload
from shotlog.values import Thumbnail

__all__ = ["THUMBNAIL_TARGETS", "RestFiles"]

#: the fields an upload to is a thumbnail
THUMBNAIL_TARGETS = ("image", "filmstrip_image")
#: ``alt`` of a file field read: which file to redirect to
ALTS = ("original", "thumbnail")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


class RestFiles:
    """The handlers of the ``_upload`` paths and of file field reads."""

    def __init__(self, entities: Entities, uploads: Uploads) -> None:
        self.entities = entities
        self.uploads = uploads
        self.files: Files = uploads.files

    # -- what every handler reads ---------------------------------------------------------------------

    def _target(self, request: Request, view: Shotlog) -> Target:
        entity_type = self.entities.entity_type(view, request)
        entity_id = self.entities.record_id(request)
        field = request.path_params.get("field")
        try:
            return self.files.target(
                view, entity_type, entity_id, field, thumbnail=field in THUMBNAIL_TARGETS
            )
        except NotFound as e:
            raise HttpError(404, e.message, source={"parameter": "id"}) from None

    def _paths(self, target: Target) -> tuple[str, str]:
        """The target's ``_upload`` path and the path its multipart links hang from."""
        path = f"{shapes.BASE}/entity/{shapes.url_name(target.entity_type)}/{target.entity_id}"
        if target.field is not None:
            path += f"/{target.field}"
        return f"{path}/_upload", f"{path}/_upload/multipart"

    def _base(self, request: Request) -> str:
        return site_base(request, self.uploads.public_url)

    # -- 1. announcing an upload ------------------------------------------------------------------------

    def upload_info(self, request: Request, view: Shotlog) -> Any:
        params = request.query_params
        filename = params.get("filename", "").strip()
        if not filename:
            raise HttpError(
                400,
                "filename must name the file to upload, e.g. ?filename=plate.jpg",
                source={"parameter": "filename"},
            )
        multipart = _flag(params.get("multipart_upload"), "multipart_upload")
        target = self._target(request, view)
        kind = "Thumbnail" if target.field in THUMBNAIL_TARGETS else "Attachment"
        up = self.files.begin(view, kind, filename)
        if multipart:
            up = self.files.set_multipart(up)
        complete, parts = self._paths(target)
        links = {"upload": self._put_url(request, up, 1 if multipart else None), "complete_upload": complete}
        if multipart:
            links["get_next_part"] = _next_part(parts, up, 2)
        return {"data": _description(up), "links": links}

    def _put_url(self, request: Request, up: PendingUpload, part: int | None) -> str:
        return self.uploads.put_url(self._base(request), up.upload_id, up.key, up.multipart_id, part)

    def next_part(self, request: Request, view: Shotlog) -> Any:
        """Where to PUT part ``part_number`` of a multipart upload, and where to ask for the next."""
        params = request.query_params
        number = _part_number(params.get("part_number"))
        up = self._multipart(view, params.get("upload_id"))
        _, parts = self._paths(self._target(request, view))
        return {
            "links": {
                "upload": self._put_url(request, up, number),
                "get_next_part": _next_part(parts, up, number + 1),
            }
        }

    def _multipart(self, view: Shotlog, upload_id: object) -> PendingUpload:
        up = self.files.pending(view, upload_id)
        if up.multipart_id is None:
            raise HttpError(
                400,
                "this upload was not announced with multipart_upload=true",
                source={"parameter": "upload_id"},
            )
        return up

    # -- 3. linking what was uploaded -------------------------------------------------------------------

    def complete(self, request: Request, view: Shotlog) -> Any:
        body = _object(self.entities.body(request, required=True), "the request body")
        info = _object(body.get("upload_info"), "upload_info")
        data = _object(body.get("upload_data") or {}, "upload_data")
        target = self._target(request, view)
        up = self.files.pending(view, info.get("upload_id"))
        thumbnail = target.field in THUMBNAIL_TARGETS
        if (up.upload_type == "Thumbnail") != thumbnail:
            where = (
                f"{target.entity_type}.{target.field}" if target.field else f"the {target.entity_type} record"
            )
            raise HttpError(
                400,
                f"upload {up.upload_id} was announced as {up.upload_type.lower()} upload, not to {where}: "
                "complete it on the path its upload info named",
                source={"pointer": "/upload_info/upload_id"},
            )
        if up.multipart_id is not None:
            self._join_parts(up, info.get("etags"))
        stored = self.files.stat(up)
        if thumbnail:
            with self.files.storage.open(up.key) as src, named_copy(up.filename, src) as local:
                att = self.files.link_thumbnail(view, target, up, stored, local)
        else:
            att = self.files.link_file(
                view,
                target,
                up,
                stored,
                display_name=_display_name(data.get("display_name")),
                tag_list=_tag_names(view, data.get("tags")),
            )
        link = f"{shapes.BASE}/entity/{shapes.url_name('Attachment')}/{att}"
        return json_response({"data": {"type": "Attachment", "id": att}, "links": {"attachment": link}}, 201)

    def _join_parts(self, up: PendingUpload, etags: object) -> None:
        if not isinstance(etags, list) or not etags or not all(isinstance(e, str) for e in etags):
            raise HttpError(
                400,
                "upload_info.etags must list the ETag each part's PUT answered, in part order, "
                f"got {shown(etags)}",
                source={"pointer": "/upload_info/etags"},
            )
        self.uploads.join_parts(up, etags)

    def abort(self, request: Request, view: Shotlog) -> Any:
        """Give up a multipart upload: its parts and its row go (the body is the upload info, bare or
        under ``upload_info``)."""
        body = _object(self.entities.body(request, required=True), "the request body")
        info = body.get("upload_info", body)
        up = self._multipart(view, _object(info, "upload_info").get("upload_id"))
        self.files.abandon(up)
        return Response(status_code=204)

    # -- reading a file field -----------------------------------------------------------------------------

    def read_field(self, request: Request, view: Shotlog) -> Any:
        entity_type = self.entities.entity_type(view, request)
        entity_id = self.entities.record_id(request)
        name = request.path_params["field"]
        schema = view.catalog.schema
        if not schema.has_field(entity_type, name):
            # a path of FPTR's only when it names a field: others are unknown paths, as before
            raise HttpError(404, f"No such path: {request.url.path}", source={"parameter": "field"})
        data_type = schema.field(entity_type, name).data_type
        if data_type not in ("image", "url"):
            raise HttpError(
                400,
                f"{entity_type}.{name} is a {data_type} field, not a file: read it with GET "
                f"{shapes.BASE}/entity/{shapes.url_name(entity_type)}/{entity_id}?fields={name}",
                source={"parameter": "field"},
            )
        alt = request.query_params.get("alt")
        if alt is not None and alt not in ALTS:
            raise HttpError(
                400, f"alt must be original or thumbnail, got {shown(alt)}", source={"parameter": "alt"}
            )
        rows = view.find(entity_type, [["id", "is", entity_id]], [name])
        if not rows:
            raise HttpError(404, f"No {entity_type} with id {entity_id}", source={"parameter": "id"})
        raw = rows[0].get(name)
        links = self.files.links(self._base(request))
        if alt is None:
            value = links.image(raw) if data_type == "image" else links.upload(raw)
            return {"data": value, "links": {"self": request.url.path}}
        url = _alt_url(links, raw, data_type, alt)
        if url is None:
            raise HttpError(
                404, f"{entity_type} {entity_id} has no file in {name}", source={"parameter": "field"}
            )
        return RedirectResponse(url, status_code=302)


def _alt_url(links: Any, raw: Any, data_type: str, alt: str) -> str | None:
    """Where ``alt`` of a file field's stored value is: the image or its thumbnail, the uploaded
    file, a web link's address; None when the field holds no file."""
    if data_type == "image":
        if Thumbnail.parse(raw) is None:
            return raw if isinstance(raw, str) and raw.startswith(("http://", "https://")) else None
        return str(links.image(raw, alt))
    if isinstance(raw, Mapping):
        if raw.get("link_type") == "upload" and isinstance(raw.get("id"), int):
            return str(links.download_url(raw["id"]))
        if raw.get("link_type") == "web" and isinstance(raw.get("url"), str):
            return str(raw["url"])
    return None


def _description(up: PendingUpload) -> dict[str, Any]:
    """The upload's description, which the client sends back as ``upload_info``."""
    return {
        "timestamp": up.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "upload_type": up.upload_type,
        "upload_id": up.upload_id,
        "storage_service": "s3",
        "original_filename": up.filename,
        "multipart_upload": up.multipart_id is not None,
    }


def _next_part(path: str, up: PendingUpload, number: int) -> str:
    query = urlencode(
        {
            "filename": up.filename,
            "part_number": number,
            "timestamp": up.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "upload_id": up.upload_id,
        }
    )
    return f"{path}?{query}"


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        pointer = "" if what == "the request body" else f"/{what}"
        raise HttpError(400, f"{what} must be a JSON object, got {shown(value)}", source={"pointer": pointer})
    return value


def _flag(raw: str | None, name: str) -> bool:
    if raw is None:
        return False
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise HttpError(400, f"{name} must be true or false, got {shown(raw)}", source={"parameter": name})
    return value


def _part_number(raw: str | None) -> int:
    number = int(raw) if raw is not None and raw.isdigit() else 0
    if not 1 <= number <= 10_000:
        raise HttpError(
            400, f"part_number must be 1 to 10000, got {shown(raw)}", source={"parameter": "part_number"}
        )
    return number


def _display_name(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(
            f"upload_data.display_name must be a string, got {shown(value)}",
            field="display_name",
            value=value,
        )
    return value


def _tag_names(view: Shotlog, tags: Any) -> str | None:
    """FPTR's ``tags`` (Tag links, or names) as the comma-separated names ``link_file`` takes."""
    if tags is None:
        return None
    if not isinstance(tags, list):
        raise ValidationError(
            f"upload_data.tags must be a list of Tags, got {shown(tags)}", field="tags", value=tags
        )
    names = []
    for tag in tags:
        if isinstance(tag, str) and tag.strip() and "," not in tag:
            names.append(tag.strip())
            continue
        tag_id = tag.get("id") if isinstance(tag, Mapping) and tag.get("type") == "Tag" else None
        found = view.find_one("Tag", [["id", "is", tag_id]], ["name"]) if isinstance(tag_id, int) else None
        if found is None or not found.get("name"):
            raise ValidationError(
                f"upload_data.tags: {shown(tag)} is not a Tag of this site", field="tags", value=tag
            )
        names.append(str(found["name"]))
    return ",".join(names) or None
