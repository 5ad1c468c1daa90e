"""``POST /api3/json``: authenticate (``server.principals``), dispatch, answer in the api3 envelope.

Whatever happens, the reply is HTTP 200 with either results or the error envelope: a traceback never
reaches the client (it goes to the server log), and no 5xx status ever makes shotgun_api3 retry a
create.

The endpoint is a bare ASGI application, reached before the application's middleware (see
``server.app``): every api3 call is one small JSON request, and Starlette's request and response
objects, routing and gzip middleware cost more per call than the rest of the server's own work.
The request is read and decoded on the event loop; the call, the encoding of the reply and its
compression run in one hop to a worker thread (the store is synchronous; zlib releases the GIL).
A body larger than ``INLINE_PARSE_BYTES`` is decoded in a worker thread instead, by a parser that
lets the event loop run meanwhile (``wire.decode(yielding=True)``): a large body of small values
would otherwise stall every other request for as long as it takes to parse.

Parsing 60 MB still takes that thread 20 s, and every other request shares the interpreter with
it. So the caller of a body larger than ``SHOTLOG_API3_UNAUTHENTICATED_BODY`` is known first: its
credentials are read from the body's head (``api3.head``) and checked before the rest is read, and
a refused caller's rest is read and dropped unparsed. Accepted large bodies are parsed
``SHOTLOG_API3_LARGE_PARSES`` at a time; the others wait their turn.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from shotlog import settings, telemetry
from shotlog.access.passwords import PasswordsBusy
from shotlog.accounts.credentials import Principal
from shotlog.accounts.signins import PASSWORD, SESSION_TOKEN
from shotlog.errors import ShotlogError, StorageError, incident_ref
from shotlog.files.service import Files
from shotlog.server import large_json
from shotlog.server.api3.head import leading_auth
from shotlog.server.api3.methods import INFO, METHODS, Context, crud_message, dispatch
from shotlog.server.api3.wire import AUTH_FAILED, Call, ProtocolError, decode, error_body, result_body
from shotlog.server.principals import PasswordChecked, Principals
from shotlog.server.request_log import note_api3
from shotlog.server.uploads import site_base

__all__ = ["GZIP_MINIMUM", "INLINE_PARSE_BYTES", "MAX_BODY", "Api3Endpoint"]

#: the methods whose results are records, whose file values read as URLs
_RECORD_METHODS = frozenset({"read", "create", "update", "batch", "revive"})

log = logging.getLogger("shotlog.api3")

#: the default of ``SHOTLOG_API3_MAX_BODY``
MAX_BODY = settings.API3_MAX_BODY.default
#: bodies up to this size are decoded on the event loop by orjson, holding the GIL a few ms at most
INLINE_PARSE_BYTES = large_json.YIELDING_BYTES
#: replies from this size on are gzip-compressed for clients that accept it (the client always does)
GZIP_MINIMUM = 1024
#: zlib's default level: 9 costs three times the CPU for pages about 10% smaller
GZIP_LEVEL = 6
#: worker threads for api3 calls; the same bound as Starlette's default thread pool
WORKERS = 40


class _Workers:
    """The process's api3 worker threads, made on first use (threads start as calls need them).

    A plain executor rather than ``anyio.to_thread``: the hop to a thread is a large part of what a
    short call costs the server, and this one is cheaper (no capacity limiter or run-variable
    lookups; measured about 35 µs of CPU less per update).
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def get(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="api3")
        return self._pool


_WORKERS = _Workers()
#: the api3 metrics' children, each made once (``telemetry.Children``)
_CALLS = telemetry.Children(telemetry.API3_CALLS)
_DURATIONS = telemetry.Children(telemetry.API3_DURATION)

T = TypeVar("T")


async def _in_worker(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in an api3 worker thread, in a copy of this context: what it logs carries the
    request's id (``server.request_log``), as ``asyncio.to_thread`` would do."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_WORKERS.get(), context.run, fn, *args)


def _method_label(method: str) -> str:
    """The method as the metrics name it: a client may send any name, the labels stay bounded."""
    return method if method in METHODS or method == "info" else "unknown"


def _password_auth(auth: Mapping[str, Any] | None) -> bool:
    """Whether ``authenticate`` will check a password (its order: session token, script, login)."""
    if not auth:
        return False
    return "user_login" in auth and "session_token" not in auth and "script_name" not in auth


@dataclass(frozen=True, slots=True)
class _Admitted:
    """The credentials at the head of a large body, accepted before the rest of it was read."""

    auth: dict[str, Any]
    checked: PasswordChecked | None


class Api3Endpoint:
    """The api3 RPC endpoint, an ASGI application that compresses its own large replies.

    ``routed`` is the same endpoint for a route inside the application's middleware, whose gzip
    middleware compresses for it (so nothing is compressed twice).
    """

    def __init__(
        self, principals: Principals, files: Files | None = None, public_url: str | None = None
    ) -> None:
        self.principals = principals
        self.credentials = principals.credentials
        self.routed = _Routed(self)
        #: thumbnails and uploaded files read as URLs of this site (``shotlog.files.links``)
        self.files = files
        self.public_url = public_url
        self.max_body = settings.API3_MAX_BODY.read()
        self.unauthenticated_body = settings.API3_UNAUTHENTICATED_BODY.read()
        self._large_parses = asyncio.Semaphore(settings.API3_LARGE_PARSES.read())
        self.info = dict(INFO)
        if files is not None and files.rules.direct_uploads:
            # the client then PUTs every upload to a URL it is given, in 20 MB parts above that
            self.info["s3_direct_uploads_enabled"] = True
            self.info["s3_enabled_upload_types"] = {"*": ["*"]}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.serve(scope, receive, send, compress=True)

    async def serve(self, scope: Scope, receive: Receive, send: Send, *, compress: bool) -> None:
        body = _Body(receive, self.max_body)
        if not await body.read(self.unauthenticated_body):
            return  # the client went away before its request was complete: nobody to answer
        started = time.perf_counter()
        gzip = _accepts_gzip(scope) if compress else None
        client = scope.get("client")
        address = client[0] if client else ""
        decoded: Call | None = None
        method, outcome = "unknown", "fault"  # a body that is too large, or not a call
        reply: tuple[Message, Message] | None = None
        admitted: _Admitted | None = None
        if body.size > self.unauthenticated_body:
            # larger than anyone may send unsigned: its caller first, before the rest is read
            refusal, admitted = await self._admit(body.head(), gzip, address)
            if refusal is not None:
                reply, outcome = refusal  # the rest is read and dropped, so that the client reads this
            if not await body.read(None, keep=refusal is None, yielding=True):
                return
        if reply is None and body.size > self.max_body:
            reply = _reply(error_body(f"Request body larger than {self.max_body} bytes"), gzip)
        elif reply is None:
            whole = body.take()
            large = len(whole) > INLINE_PARSE_BYTES
            if large:
                # one large body parsed at a time: each holds the interpreter for seconds, and two
                # at once leave every other request less of it (``SHOTLOG_API3_LARGE_PARSES``)
                async with self._large_parses:
                    parsed = await _in_worker(_decode, whole, gzip, True)
            else:
                parsed = _decode(whole, gzip)
            del whole
            if not isinstance(parsed, Call):
                reply = parsed
            else:
                decoded = parsed
                method = _method_label(decoded.method)
                if decoded.method == "info":
                    reply, outcome = _reply(result_body(self.info), gzip), "ok"
                else:
                    # the password checked at the head stands only for the very same credentials
                    checked = admitted.checked if admitted and admitted.auth == decoded.auth else None
                    reply, outcome = await self._answer(decoded, gzip, scope, address, checked)
        _CALLS(method, outcome).inc()
        _DURATIONS(method).observe(time.perf_counter() - started)
        note_api3(method, outcome)
        assert reply is not None
        await send(reply[0])
        await send(reply[1])
        if decoded is not None and body.size > INLINE_PARSE_BYTES:
            # freed here in one go, a large value would hold the GIL (``server.large_json``)
            args, decoded = decoded.args, None
            await _in_worker(large_json.dismantle, args)

    async def _admit(
        self, head: bytes, gzip: bool | None, address: str
    ) -> tuple[tuple[tuple[Message, Message], str] | None, _Admitted | None]:
        """Whether the caller of a body larger than ``SHOTLOG_API3_UNAUTHENTICATED_BODY`` may have
        it read and parsed, by the credentials at its ``head`` (``api3.head``): the refusal's reply
        and outcome, or what was accepted."""
        auth = leading_auth(head)
        if auth is None:
            limit = self.unauthenticated_body
            message = (
                f"Authentication failed: a request body over {limit:,} bytes "
                "(SHOTLOG_API3_UNAUTHENTICATED_BODY) is read only once its credentials, params[0], "
                f"are accepted, and they must end within its first {limit:,} bytes"
            )
            return (_reply(error_body(message, AUTH_FAILED), gzip), "auth_failed"), None
        checked: PasswordChecked | None = None
        if _password_auth(auth):
            verdict = await self._check_password(auth, gzip, address)
            if not isinstance(verdict, PasswordChecked):
                return verdict, None
            checked = verdict
        try:
            # the same checks as the call's own (a wrong password written as a failed sign-in)
            await _in_worker(self.principals.api3_caller, auth, checked)
        except ProtocolError as exc:
            outcome = "auth_failed" if exc.code == AUTH_FAILED else "fault"
            return (_reply(error_body(exc.message, exc.code), gzip), outcome), None
        except Exception:
            ref = incident_ref()
            log.exception("ref %s: api3: could not check the credentials of a large request", ref)
            message = f"The credentials could not be checked (ref {ref}); the server log has the details"
            return (_reply(error_body(message), gzip), "internal_error"), None
        return None, _Admitted(auth, checked)

    async def _check_password(
        self, auth: Mapping[str, Any], gzip: bool | None, address: str
    ) -> PasswordChecked | tuple[tuple[Message, Message], str]:
        """The password check of a call by login and password, on the event loop: its outcome, or
        the reply and outcome of a refusal (the throttle's, or no free password check)."""
        login = auth.get("user_login")
        if isinstance(login, str) and login:
            # refused before the password is checked: a throttled flood costs no hashing
            signins = self.credentials.signins
            refused = await asyncio.to_thread(signins.throttled, login[:255], address, "api3")
            if refused is not None:
                return _reply(error_body(refused.message(login[:255]), AUTH_FAILED), gzip), "auth_failed"
        # The password is checked here, on the event loop: while a flood of sign-ins waits for
        # a free password check (``shotlog.access.passwords``), it holds none of the worker threads
        # that every other api3 call needs.
        try:
            # a personal access token stands in for the password (shotlog.accounts.access_tokens)
            principal = await self.credentials.user_async(
                login, auth.get("user_password"), tokens=True, address=address
            )
        except PasswordsBusy as exc:
            return _reply(error_body(exc.message), gzip), "fault"
        return PasswordChecked(principal, address)

    async def _answer(
        self,
        call: Call,
        gzip: bool | None,
        site: Scope | None = None,
        address: str = "",
        checked: PasswordChecked | None = None,
    ) -> tuple[tuple[Message, Message], str]:
        """The reply to ``call`` and its outcome (ok, fault, auth_failed, internal_error);
        ``checked``: its password, already checked."""
        if checked is None and _password_auth(call.auth):
            assert call.auth is not None
            verdict = await self._check_password(call.auth, gzip, address)
            if not isinstance(verdict, PasswordChecked):
                return verdict
            checked = verdict
        return await _in_worker(self.answer, call, gzip, checked, site)

    def answer(
        self,
        call: Call,
        gzip: bool | None,
        checked: PasswordChecked | None = None,
        site: Scope | None = None,
    ) -> tuple[tuple[Message, Message], str]:
        """The reply to ``call``, ready to send, and its outcome (runs in a worker thread,
        compression included)."""
        body, outcome = self.handle(call.method, call.auth, call.args, checked, site)
        return _reply(body, gzip), outcome

    def _present(self, method: str, result: Any, site: Scope | None) -> None:
        """Turn the stored thumbnails and uploaded files of ``result``'s records into URLs of the
        address the request ``site`` reached the server by (worked out only when there are records)."""
        if self.files is None or site is None or method not in _RECORD_METHODS:
            return
        if method == "read" and isinstance(result, dict):
            records = result.get("entities")
        else:
            records = result if isinstance(result, list) else [result]
        if not isinstance(records, list) or not records:
            return
        links = self.files.links(site_base(Request(site), self.public_url))
        schema = self.principals.store.catalog.schema
        first = records[0]
        if method == "read" and isinstance(first, dict) and isinstance(first.get("type"), str):
            links.present(schema, first["type"], records)
            return
        for record in records:
            if isinstance(record, dict) and isinstance(record.get("type"), str):
                links.present(schema, record["type"], [record])

    def handle(
        self,
        method: str,
        auth: dict[str, Any] | None,
        args: Any,
        checked: PasswordChecked | None = None,
        site: Scope | None = None,
    ) -> tuple[bytes, str]:
        """The reply's body and the call's outcome: ok, fault (an error of the call's own),
        auth_failed or internal_error."""
        try:
            principal = self.principals.api3_caller(auth, checked)
            view = self.principals.api3_view(principal, auth or {})
            ctx = Context(view, principal, self.credentials)
            result = dispatch(ctx, method, args)
            self._present(method, result, site)
            self._signed_in(method, principal, auth)
            return result_body(result), "ok"
        except ProtocolError as exc:
            outcome = "auth_failed" if exc.code == AUTH_FAILED else "fault"
            return error_body(exc.message, exc.code), outcome
        except PasswordsBusy as exc:  # not a CRUD error: nothing was attempted
            return error_body(exc.message), "fault"
        except ShotlogError as exc:
            # a database failure is the server's, not the call's
            outcome = "internal_error" if isinstance(exc, StorageError) else "fault"
            return error_body(crud_message(method, exc), exc.error_code), outcome
        except RecursionError:
            return error_body(f"API {method}() arguments are nested too deeply"), "fault"
        except Exception:
            # the client learns a reference to the log entry, never the exception's text
            ref = incident_ref()
            log.exception("ref %s: api3 %s() failed", ref, method)
            message = f"API {method}() failed with an internal error (ref {ref})"
            return error_body(f"{message}; the server log has the details"), "internal_error"

    def _signed_in(self, method: str, principal: Principal, auth: Mapping[str, Any] | None) -> None:
        """Sign-in events of a successful call (when a call counts as a login: ``shotlog.accounts.signins``).

        A token minted by ``get_session_token`` starts a session, whatever authenticated the call;
        otherwise a password call may start one. Tokens continue a session and write nothing. The
        event names the credential given: a password, a personal access token in its place, or
        the session token ``get_session_token`` was called with.
        """
        if method == "get_session_token":
            # named by what the client gave (a personal access token by ``SignIns`` itself)
            given = SESSION_TOKEN if auth and "session_token" in auth else PASSWORD
            self.credentials.signins.logged_in(principal, "api3", given, issued=SESSION_TOKEN)
        elif auth and "user_login" in auth and "session_token" not in auth and "script_name" not in auth:
            self.credentials.signins.password_used(principal, "api3")


def _decode(body: bytes, gzip: bool | None, yielding: bool = False) -> Call | tuple[Message, Message]:
    """The call in ``body``, or the reply of a body that is not one (``yielding``: see
    ``wire.decode``; in a worker thread)."""
    try:
        return decode(body, yielding=yielding)
    except ProtocolError as exc:
        return _reply(error_body(exc.message, exc.code), gzip)
    except Exception:
        ref = incident_ref()
        log.exception("ref %s: api3: could not decode a request", ref)
        message = f"The request could not be decoded (ref {ref}); the server log has the details"
        return _reply(error_body(message), gzip)


class _Body:
    """A request body as it is read: past ``max_body`` the rest is still read, so the reply (an
    error) goes out after the whole request, but only the first ``max_body + 1`` bytes are kept:
    enough to know it is too large. ``server.body_limits`` limits the time the whole body may take."""

    __slots__ = ("chunks", "complete", "max_body", "receive", "size")

    def __init__(self, receive: Receive, max_body: int) -> None:
        self.receive = receive
        self.max_body = max_body
        self.chunks: list[bytes] = []
        self.size = 0  # bytes kept
        self.complete = False

    async def read(self, upto: int | None, *, keep: bool = True, yielding: bool = False) -> bool:
        """Read until more than ``upto`` bytes are kept (None: to the end), or the body ends;
        ``keep=False``: read the rest and drop it. False if the client disconnected first.

        ``yielding``: offer the GIL to other threads after each piece. A large body arriving at
        full speed keeps the event loop busy without a pause, and a request's worker thread would
        wait for the interpreter's switch interval (5 ms) each time it needs the GIL back."""
        while not self.complete and (upto is None or self.size <= upto):
            message = await self.receive()
            if message["type"] == "http.disconnect":
                return False
            chunk = message.get("body", b"")
            if keep and self.size <= self.max_body and chunk:
                chunk = chunk[: self.max_body + 1 - self.size]
                self.chunks.append(chunk)
                self.size += len(chunk)
            if not message.get("more_body", False):
                self.complete = True
            elif yielding:
                time.sleep(0)  # releases the GIL: a waiting thread takes it
        return True

    def head(self) -> bytes:
        """What has been kept so far, as one piece."""
        if len(self.chunks) > 1:
            self.chunks = [b"".join(self.chunks)]
        return self.chunks[0] if self.chunks else b""

    def take(self) -> bytes:
        """The whole body, no longer kept here."""
        body = self.head()
        self.chunks = []
        return body


def _accepts_gzip(scope: Scope) -> bool:
    """Whether the first Accept-Encoding header names gzip (as Starlette's middleware decides)."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False


class _Routed:
    """``Api3Endpoint.routed``: an ASGI application (a plain method would be taken by Starlette's
    ``Route`` for a request/response function)."""

    def __init__(self, endpoint: Api3Endpoint) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.endpoint.serve(scope, receive, send, compress=False)


def _reply(body: bytes, gzip: bool | None) -> tuple[Message, Message]:
    """The ASGI messages of HTTP 200 with ``body``: gzip-compressed from ``GZIP_MINIMUM`` bytes on
    when ``gzip`` is true; left to the application's middleware when it is None.

    The headers are those Starlette's ``Response`` and ``GZipMiddleware`` wrote before: a large
    reply carries ``Vary: Accept-Encoding`` whether compressed or not.
    """
    headers = [(b"content-type", b"application/json")]
    if gzip is not None and len(body) >= GZIP_MINIMUM:
        headers.append((b"vary", b"Accept-Encoding"))
        if gzip:
            compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            body = compressor.compress(body) + compressor.flush()
            headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    return (
        {"type": "http.response.start", "status": 200, "headers": headers},
        {"type": "http.response.body", "body": body},
    )
