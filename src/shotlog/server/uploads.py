"""The upload endpoints shotgun_api3 posts files to, answered until shotlog stores files.

The client posts a multipart form to ``/upload/<kind>`` and treats any answer that does not start
with ``1`` as a failure, raising ``ShotgunError`` with the answer's text. HTTP errors would not
reach the caller: the client retries them and reports only "Max attempts limit reached". So each
endpoint answers 200 with ``0`` and a sentence naming the client method, and nothing is stored.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse

__all__ = ["METHODS", "not_stored"]

#: upload path → the shotgun_api3 method that posts there
METHODS = {
    "upload_file": "upload",
    # upload_filmstrip_thumbnail posts here too, with a "filmstrip" form field
    "publish_thumbnail": "upload_thumbnail() / upload_filmstrip_thumbnail",
    "publish_filmstrip_thumbnail": "upload_filmstrip_thumbnail",
    "share_thumbnail": "share_thumbnail",
}


async def not_stored(request: Request) -> PlainTextResponse:
    """``POST /upload/{kind}``: nothing is stored, and the client is told so in its own terms."""
    kind = request.path_params["kind"]
    method = METHODS.get(kind, kind)
    return PlainTextResponse(
        f"0\nshotgun_api3 {method}() is not available: shotlog does not store files yet "
        "(issue 14); nothing was uploaded"
    )
