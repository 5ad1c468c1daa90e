"""File/link values (FPTR's ``url`` data type): web links, uploads and local files under a storage root.

Pure functions, no database. A caller writes one of these shapes to a file/link field:

* a web link: ``{"url": ..., "name": ...}`` (or a bare URL string);
* a local file by full path: ``{"local_path": "/mnt/projects/demo/a.ma"}``, resolved against the
  roots of the LocalStorage entities (the deepest matching root wins, the higher id on a tie);
* a local file by storage: ``{"relative_path": "demo/a.ma", "local_storage": {"type":
  "LocalStorage", "id": n}}``, which names the storage outright (what Toolkit sends).

A local file is stored in the shape FPTR reads back: ``link_type`` ``"local"``, the path on each
platform the storage defines a root for (``None`` for the others), ``local_storage``,
``relative_path``, ``name`` (the file name unless given), ``content_type`` (guessed from the
extension unless given), ``local_path`` and a ``file://`` ``url``. The writer reads the storage
roots and calls ``resolve``; everything else here decides from its arguments alone.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shotlog.errors import ValidationError
from shotlog.schema.model import Field

__all__ = [
    "LINK_TYPES",
    "LocalRequest",
    "StorageRoot",
    "UploadedFile",
    "is_local_request",
    "parse_local",
    "resolve",
    "shape",
]

LINK_TYPES = ("local", "web", "upload")


@dataclass(frozen=True, slots=True)
class StorageRoot:
    """A LocalStorage entity's roots, as the writer read them."""

    id: int
    code: str | None
    linux_path: str | None
    mac_path: str | None
    windows_path: str | None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file shotlog stores, set on a file/link field by the files service (``shotlog.files``).

    Stored without a ``url``: the download URL names the server a reader reached, so it is added
    when the value is read (``shotlog.files.links``). A client's own upload link always has one.
    """

    attachment_id: int
    name: str
    content_type: str

    def value(self) -> dict[str, Any]:
        return {
            "link_type": "upload",
            "name": self.name,
            "content_type": self.content_type,
            "type": "Attachment",
            "id": self.attachment_id,
        }


@dataclass(frozen=True, slots=True)
class LocalRequest:
    """A local file a caller asked for, before it is resolved against the storages."""

    local_path: str | None
    relative_path: str | None
    storage_id: int | None
    name: str | None
    content_type: str | None


def _fault(field: Field, value: object, message: str) -> ValidationError:
    return ValidationError(
        f"{field.qualified} ({field.data_type}): {message}, got {value!r}",
        entity_type=field.entity_type,
        field=field.name,
        value=value,
    )


def is_local_request(value: object) -> bool:
    """True for a value that names a local file to resolve (``local_path`` or ``relative_path``)."""
    return isinstance(value, Mapping) and (
        value.get("local_path") is not None or value.get("relative_path") is not None
    )


def _text(field: Field, value: Mapping[str, Any], key: str) -> str | None:
    got = value.get(key)
    if got is not None and not isinstance(got, str):
        raise _fault(field, dict(value), f"{key} must be a string")
    return got


def parse_local(field: Field, value: Mapping[str, Any]) -> LocalRequest:
    """Check the keys of a local-file value; a ``relative_path`` needs its ``local_storage``."""
    link_type = value.get("link_type")
    if link_type not in (None, "local"):
        raise _fault(field, dict(value), 'a local path belongs to a link of link_type "local"')
    name = _text(field, value, "name")
    content_type = _text(field, value, "content_type")
    relative = _text(field, value, "relative_path")
    storage = value.get("local_storage")
    if relative is not None and storage is not None:
        if (
            not isinstance(storage, Mapping)
            or storage.get("type") != "LocalStorage"
            or not isinstance(storage.get("id"), int)
            or isinstance(storage.get("id"), bool)
        ):
            raise _fault(field, dict(value), 'local_storage must be a link {"type": "LocalStorage", "id": n}')
        if "\\" in relative:
            # FPTR refuses these too: a relative path is joined with "/" for every platform
            raise _fault(field, dict(value), "relative_path must use forward slashes")
        if not relative.strip("/"):
            raise _fault(field, dict(value), "relative_path must name a file under the storage root")
        return LocalRequest(None, relative.lstrip("/"), storage["id"], name, content_type)
    local = _text(field, value, "local_path")
    if local is None:
        raise _fault(field, dict(value), "relative_path needs the local_storage it is relative to")
    if not local:
        raise _fault(field, dict(value), "local_path must not be empty")
    return LocalRequest(local, None, None, name, content_type)


def _windows(path: str) -> str:
    return path.replace("\\", "/")


def _under(path: str, root: str | None, *, windows: bool) -> str | None:
    """The part of ``path`` below ``root`` ("" for the root itself), or None when it is not below."""
    if not root:
        return None
    if windows:  # drive letters and shares: either separator, any case
        path, root = _windows(path), _windows(root)
        folded_path, folded_root = path.lower(), root.lower()
    else:
        folded_path, folded_root = path, root
    base = folded_root.rstrip("/")
    if folded_path == base:
        return ""
    if folded_path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return None


def _match(path: str, storages: Sequence[StorageRoot]) -> tuple[StorageRoot, str] | None:
    """The storage whose root holds ``path``: the deepest root, then the higher id."""
    best: tuple[int, int, StorageRoot, str] | None = None
    for storage in storages:
        for root, windows in (
            (storage.linux_path, False),
            (storage.mac_path, False),
            (storage.windows_path, True),
        ):
            rest = _under(path, root, windows=windows)
            if not rest or root is None:
                continue  # not under this root, or the root itself (which a parent root may hold)
            rank = (len(_windows(root).rstrip("/")), storage.id)
            if best is None or rank > best[:2]:
                best = (*rank, storage, rest)
    return None if best is None else (best[2], best[3])


def _is_root(path: str, storage: StorageRoot) -> bool:
    return (
        _under(path, storage.linux_path, windows=False) == ""
        or _under(path, storage.mac_path, windows=False) == ""
        or _under(path, storage.windows_path, windows=True) == ""
    )


def _join(root: str | None, relative: str, *, windows: bool) -> str | None:
    if not root:
        return None
    if windows:
        return root.rstrip("\\/") + "\\" + relative.replace("/", "\\")
    return root.rstrip("/") + "/" + relative


def resolve(field: Field, request: LocalRequest, storages: Sequence[StorageRoot]) -> dict[str, Any]:
    """The stored value of a local file, or a fault naming the field and the path."""
    if request.relative_path is not None:
        storage = next((s for s in storages if s.id == request.storage_id), None)
        if storage is None:
            raise ValidationError(
                f"{field.qualified}: local_storage LocalStorage {request.storage_id} "
                "does not exist or is retired",
                entity_type=field.entity_type,
                field=field.name,
                value={"type": "LocalStorage", "id": request.storage_id},
            )
        relative = request.relative_path
    else:
        assert request.local_path is not None
        found = _match(request.local_path, storages)
        if found is None and any(_is_root(request.local_path, s) for s in storages):
            raise ValidationError(
                f"{field.qualified}: local_path {request.local_path!r} is the root of a Local Storage, "
                "not a file under it",
                entity_type=field.entity_type,
                field=field.name,
                value=request.local_path,
            )
        if found is None:
            raise ValidationError(
                f"{field.qualified}: local_path {request.local_path!r} doesn't match any defined "
                "Local Storage (no LocalStorage linux_path, mac_path or windows_path holds it)",
                entity_type=field.entity_type,
                field=field.name,
                value=request.local_path,
            )
        storage, relative = found
    linux = _join(storage.linux_path, relative, windows=False)
    mac = _join(storage.mac_path, relative, windows=False)
    windows = _join(storage.windows_path, relative, windows=True)
    local_path = request.local_path or linux or mac or windows
    name = request.name or relative.rstrip("/").rsplit("/", 1)[-1]
    content_type = request.content_type or mimetypes.guess_type(name, strict=False)[0]
    return {
        "link_type": "local",
        "name": name,
        "content_type": content_type,
        "local_path": local_path,
        "local_path_linux": linux,
        "local_path_mac": mac,
        "local_path_windows": windows,
        "local_storage": {"type": "LocalStorage", "id": storage.id, "name": storage.code},
        "relative_path": relative,
        "url": f"file://{local_path}" if local_path else None,
    }


def shape(field: Field, value: object) -> dict[str, Any]:
    """A value that needs no storage lookup: a web link, an upload, or a local link given whole."""
    if isinstance(value, UploadedFile):
        return value.value()
    if isinstance(value, str):
        return {"url": value, "name": value, "link_type": "web"}
    if not isinstance(value, Mapping):
        raise _fault(field, value, "a link dict with url, local_path, or relative_path and local_storage")
    out = dict(value)
    link_type = out.get("link_type")
    if link_type is not None and link_type not in LINK_TYPES:
        raise _fault(field, out, f"link_type must be one of {', '.join(LINK_TYPES)}")
    if link_type is None:
        # a value given whole with its per-platform paths (as read from FPTR) stays local
        local = any(k.startswith("local_path") for k in out)
        link_type = out["link_type"] = "local" if local else "web"
    if link_type != "local":
        url = out.get("url")
        if not isinstance(url, str) or not url:
            raise _fault(field, out, f"a {link_type} link needs a url string")
        out.setdefault("name", url)
    return out
