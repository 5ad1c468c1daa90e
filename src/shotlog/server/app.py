"""The ASGI application and its whole URL map: every route of ``shotlog serve`` is in ``create_app``.

The handlers live with their subject (``api3/``, ``rest/``, ``stream``, ``actions_routes``,
``uploads``, ``shotlog.web``); who is calling is decided in ``principals`` and errors are answered
by ``responses``. ``tests/server/test_url_map.py`` checks that the map in docs/architecture.md is
this one and that every route is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

import shotlog
from shotlog import settings
from shotlog.accounts.credentials import Credentials
from shotlog.connection import Shotlog
from shotlog.files.service import Files, open_site_files
from shotlog.files.sweep import FileSweep
from shotlog.server.actions_routes import ActionsApi
from shotlog.server.api3.endpoint import Api3Endpoint
from shotlog.server.body_limits import BodyGuard, BodyLimits
from shotlog.server.file_routes import PREFIXES as FILE_PREFIXES
from shotlog.server.file_routes import FileRoutes
from shotlog.server.metrics import Metrics
from shotlog.server.mirror_routes import MirrorApi
from shotlog.server.principals import Principals
from shotlog.server.readiness import Readiness
from shotlog.server.request_log import RequestLog
from shotlog.server.responses import not_routed
from shotlog.server.rest.credentials import CredentialRoutes
from shotlog.server.rest.endpoint import EVERY_METHOD, Handler, rest_endpoint
from shotlog.server.rest.entities import Entities
from shotlog.server.rest.files import RestFiles
from shotlog.server.rest.rule_sets import RuleSetRoutes
from shotlog.server.rest.tokens import Tokens
from shotlog.server.rest.webhooks import WebhookRoutes
from shotlog.server.services import Service, lifespan
from shotlog.server.stream import DaemonApi, Stream
from shotlog.server.uploads import Uploads
from shotlog.web.account_pages import AccountPages
from shotlog.web.archive_pages import ArchivePages
from shotlog.web.daemon_pages import DaemonPage
from shotlog.web.entity_pages import EntityPages
from shotlog.web.event_pages import EventPages
from shotlog.web.pages import Handler as PageHandler
from shotlog.web.pages import Refusal, Web, signed_in
from shotlog.web.rule_set_pages import RuleSetPages
from shotlog.web.script_pages import ScriptPages
from shotlog.web.site_pages import SitePages
from shotlog.web.token_pages import TokenPages
from shotlog.web.webhook_pages import WebhookPages, managers_only

__all__ = ["API3_PATH", "ShotlogApp", "create_app"]

#: the api3 RPC path; shotgun_api3 posts every call of a script here
API3_PATH = "/api3/json"


class _UiPath(Convertor[str]):
    """Any path outside the APIs: the UI's catch-all must leave /api and /api3 to their own 404s."""

    regex = r"(?!api3?(?:/|$)|healthz$|readyz$|metrics$).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("shotlog_ui_path", _UiPath())


class ShotlogApp(Starlette):
    """The application, with the api3 RPC endpoint answered before the middleware stack.

    Every api3 call is a small POST, and the generic layers (error and exception middleware,
    gzip, routing, Request/Response objects) cost it more than the rest of the server's own
    work; the endpoint never raises and compresses its own replies, so it needs none of them. A
    request with a ``root_path`` (served under a prefix) takes the ordinary route instead.

    Every request with a body passes ``BodyGuard`` first, api3's included: each endpoint's size
    and time limits hold before any route reads a byte (``server.body_limits``). Before that,
    ``RequestLog`` gives every request its id, its log line and its count in the metrics.
    """

    def __init__(self, api3: Api3Endpoint, files: ASGIApp, limits: BodyLimits, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api3 = api3
        self.files = files
        self.guard = RequestLog(BodyGuard(self._dispatch, limits))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.guard(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == API3_PATH
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            await self.api3(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"].startswith(FILE_PREFIXES) and not scope.get("root_path"):
            # file bodies stream to and from the store as they are; gzip would only cost CPU
            await self.files(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(
    store: Shotlog,
    credentials: Credentials | None = None,
    services: Sequence[Service] = (),
    files: Files | None = None,
) -> Starlette:
    """The application; ``services`` start with it and stop with it (see ``serve_services``);
    ``files``: where uploads are kept (by default as the ``SHOTLOG_FILES_*`` settings say)."""
    credentials = credentials or Credentials(store)
    principals = Principals(store, credentials)
    files = files or open_site_files(store)
    public_url = settings.PUBLIC_URL.read()
    api3 = Api3Endpoint(principals, files, public_url)
    uploads, file_routes = Uploads(principals, files, public_url), FileRoutes(principals, files)
    entities, tokens, hooks = Entities(store, files, public_url), Tokens(credentials), WebhookRoutes(store)
    rest_files = RestFiles(entities, uploads)
    keys = CredentialRoutes(store, credentials)
    rule_set_routes = RuleSetRoutes()
    stream, daemon, actions = Stream(principals), DaemonApi(principals), ActionsApi(principals)
    web = Web(store, credentials, principals.view, files)
    site, events, entity_pages = SitePages(web), EventPages(web), EntityPages(web)
    accounts, hook_pages, daemon_page = AccountPages(web), WebhookPages(web), DaemonPage(web)
    archive_pages, script_pages = ArchivePages(web), ScriptPages(web)
    rule_set_pages, token_pages = RuleSetPages(web), TokenPages(web)

    readiness = Readiness(store)
    # here only with a token; with SHOTLOG_METRICS_ADDRESS they are on a listener of their own
    metrics = Metrics(store, settings.METRICS_TOKEN.read(), settings.METRICS_ADDRESS.read())

    async def health(request: Request) -> JSONResponse:
        """Liveness and the head of the event log, for load balancers and monitoring."""
        head = await run_in_threadpool(store.head_event_id)
        return JSONResponse(
            {
                "status": "ok",
                "version": shotlog.__version__,
                "backend": store.db.backend,
                "head_event_id": head,
            }
        )

    def rest(path: str, handlers: dict[str, Handler], methods: list[str] | None = None) -> Route:
        """An ``/api/v1`` path for access tokens: one endpoint dispatching on the method."""
        return Route(path, rest_endpoint(principals, handlers), methods=methods or list(handlers))

    def hook(path: str, handlers: dict[str, Any]) -> Route:
        """A webhook path: a REST path whose handlers only webhook managers may use."""
        return rest(path, {method: hooks.guarded(fn) for method, fn in handlers.items()})

    def page(
        path: str,
        handler: PageHandler,
        methods: tuple[str, ...] = ("GET",),
        capability: str | None = None,
        refusal: Refusal | None = None,
    ) -> Route:
        """A web UI page for signed-in users (with ``capability``: whose permission set has it)."""
        return Route(
            path, signed_in(web, handler, capability=capability, refusal=refusal), methods=list(methods)
        )

    def hook_page(path: str, handler: PageHandler, methods: tuple[str, ...] = ("GET",)) -> Route:
        # the webhook pages ask shotlog.access.authority, as the webhooks REST API does
        return page(path, handler, methods, refusal=managers_only)

    byte_routes = [
        Route("/files/upload/{upload_id}", file_routes.put, methods=["PUT"]),
        Route("/files/thumbnail/{attachment_id:int}/{rendition}", file_routes.thumbnail, methods=["GET"]),
        Route("/file_serve/attachment/{attachment_id:int}", file_routes.download, methods=["GET"]),
        Route("/images/status/transient/thumbnail_pending.png", file_routes.placeholder, methods=["GET"]),
    ]
    # the pages ask the rule sets' capabilities, as the REST API and api3 do
    user_admins = "administer_users"
    routes: list[BaseRoute] = [
        Route("/healthz", health, methods=["GET"]),
        Route("/readyz", readiness.readyz, methods=["GET"]),
        Route("/metrics", metrics.endpoint, methods=["GET"]),
        # -- api3: shotgun_api3 lower-cases the whole base URL and posts here (or <prefix>/api3/json);
        # ShotlogApp answers it before the middleware, this route only under a root_path
        Route(API3_PATH, api3.routed, methods=["POST"]),
        # -- REST (FPTR's /api/v1)
        Route("/api/v1/auth/access_token", tokens.access_token, methods=["POST"]),
        Route("/api/v1/spec.json", entities.openapi, methods=["GET"]),
        rest("/api/v1/entity/{entity}", {"GET": entities.list_entities, "POST": entities.create}),
        # before /entity/{entity}/{id}, and for every method: GET .../_search is a 405, not a bad id
        rest("/api/v1/entity/{entity}/_search", {"POST": entities.search}, EVERY_METHOD),
        rest(
            "/api/v1/entity/{entity}/{id}",
            {
                "GET": entities.read,
                "PUT": entities.update,
                "DELETE": entities.delete,
                "POST": entities.revive,
            },
        ),
        # -- files (FPTR's _upload paths and file field reads): before .../{id}/{field} claims them
        rest(
            "/api/v1/entity/{entity}/{id}/_upload",
            {"GET": rest_files.upload_info, "POST": rest_files.complete},
        ),
        rest("/api/v1/entity/{entity}/{id}/_upload/multipart", {"GET": rest_files.next_part}),
        rest("/api/v1/entity/{entity}/{id}/_upload/multipart_abort", {"POST": rest_files.abort}),
        rest(
            "/api/v1/entity/{entity}/{id}/{field}/_upload",
            {"GET": rest_files.upload_info, "POST": rest_files.complete},
        ),
        rest("/api/v1/entity/{entity}/{id}/{field}/_upload/multipart", {"GET": rest_files.next_part}),
        rest("/api/v1/entity/{entity}/{id}/{field}/_upload/multipart_abort", {"POST": rest_files.abort}),
        rest("/api/v1/entity/{entity}/{id}/{field}", {"GET": rest_files.read_field}),
        rest("/api/v1/schema/{entity}", {"GET": entities.schema_entity}),
        rest("/api/v1/schema/{entity}/fields", {"GET": entities.schema_fields}),
        rest("/api/v1/schema/{entity}/fields/{field}", {"GET": entities.schema_field}),
        # -- webhooks (FPTR's /api/v1/webhook)
        hook("/api/v1/webhook/hooks", {"GET": hooks.list_hooks, "POST": hooks.create_hook}),
        hook(
            "/api/v1/webhook/hooks/{hook}",
            {"GET": hooks.read_hook, "PUT": hooks.update_hook, "DELETE": hooks.delete_hook},
        ),
        hook("/api/v1/webhook/hooks/{hook}/test_connection", {"POST": hooks.test_connection}),
        hook("/api/v1/webhook/hooks/{hook}/deliveries", {"GET": hooks.list_deliveries}),
        hook("/api/v1/webhook/deliveries/{delivery}", {"GET": hooks.read_delivery, "PUT": hooks.acknowledge}),
        hook("/api/v1/webhook/deliveries/{delivery}/redeliver", {"POST": hooks.redeliver}),
        # -- credentials managed at run time: scripts' keys, people's personal access tokens
        rest("/api/v1/scripts", {"GET": keys.list_scripts, "POST": keys.create_script}),
        rest("/api/v1/scripts/{script}/key", {"POST": keys.rotate_key, "DELETE": keys.revoke_key}),
        rest("/api/v1/access_tokens", {"GET": keys.list_tokens, "POST": keys.create_token}),
        rest("/api/v1/access_tokens/{token}", {"DELETE": keys.revoke_token}),
        # -- permission rule sets: read them, change one rule
        rest("/api/v1/permission_rule_sets", {"GET": rule_set_routes.list_sets}),
        rest("/api/v1/permission_rule_sets/{rule_set}", {"GET": rule_set_routes.read_set}),
        rest("/api/v1/permission_rule_sets/{rule_set}/rules", {"PATCH": rule_set_routes.change}),
        # -- the event stream and the daemon
        Route("/api/v1/events/stream", stream.events, methods=["GET"]),
        Route("/api/v1/daemon/plugins", daemon.plugins, methods=["GET"]),
        Route("/api/v1/mirror", MirrorApi(principals).status, methods=["GET"]),
        Route("/api/v1/daemon/plugins/{daemon}/{plugin}/pause", daemon.action("pause"), methods=["POST"]),
        Route("/api/v1/daemon/plugins/{daemon}/{plugin}/resume", daemon.action("resume"), methods=["POST"]),
        Route("/api/v1/daemon/plugins/{daemon}/{plugin}/replay", daemon.action("replay"), methods=["POST"]),
        # -- Action Menu Items, the export and the archive
        Route("/api/v1/action_menu_items", actions.endpoint(actions.list_items), methods=["GET"]),
        Route(
            "/api/v1/action_menu_items/{id}/trigger", actions.endpoint(actions.trigger_item), methods=["POST"]
        ),
        Route("/export/events.csv", actions.endpoint(actions.export_events), methods=["GET", "POST"]),
        Route("/export/events.jsonl", actions.endpoint(actions.export_events), methods=["GET", "POST"]),
        Route("/api/v1/archive/segments", actions.endpoint(actions.archive_segments), methods=["GET"]),
        Route("/api/v1/archive/download", actions.endpoint(actions.archive_download), methods=["GET"]),
        # -- the client's uploads (form posts); the bytes' own routes are FileRoutes, before the middleware
        Route("/upload/upload_file", uploads.endpoint(uploads.upload_file), methods=["POST"]),
        Route("/upload/publish_thumbnail", uploads.endpoint(uploads.publish_thumbnail), methods=["POST"]),
        Route("/upload/share_thumbnail", uploads.endpoint(uploads.share_thumbnail), methods=["POST"]),
        Route(
            "/upload/api_get_upload_link_info",
            uploads.endpoint(uploads.get_upload_link_info),
            methods=["POST"],
        ),
        Route(
            "/upload/api_get_upload_link_for_part",
            uploads.endpoint(uploads.get_upload_link_for_part),
            methods=["POST"],
        ),
        Route(
            "/upload/api_complete_multipart_upload",
            uploads.endpoint(uploads.complete_multipart_upload),
            methods=["POST"],
        ),
        Route("/upload/api_link_file", uploads.endpoint(uploads.link_file), methods=["POST"]),
        Route("/upload/get_thumbnail_url", uploads.thumbnail_url, methods=["GET"]),
        # -- file bytes (ShotlogApp answers these before the middleware, the same routes)
        *byte_routes,
        # -- the web UI
        Mount("/static", app=StaticFiles(packages=[("shotlog.web", "static")]), name="static"),
        Route("/", site.home, methods=["GET"]),
        Route("/login", site.login_form, methods=["GET"]),
        Route("/login", site.login, methods=["POST"]),
        page("/logout", site.logout, ("POST",)),
        page("/events", events.events),
        page("/events/live.json", events.live),
        page("/events/{id:int}", events.event),
        page("/projects", entity_pages.projects),
        page("/entities", entity_pages.entity_types),
        page("/entities/{type}", entity_pages.entity_list),
        page("/entities/{type}/{id:int}", entity_pages.entity),
        page("/admin", site.admin),
        # the log's default view is for those who manage what it feeds (Admin, Manager by default)
        page("/admin/event-log", site.event_log_setting, ("POST",), "manage_webhooks"),
        page("/account", accounts.account),
        page("/account/time-zone", accounts.set_time_zone, ("POST",)),
        page("/account/password", accounts.own_form),
        page("/account/password", accounts.change_own, ("POST",)),
        page("/account/tokens", accounts.create_token, ("POST",)),
        page("/account/tokens/{id:int}/revoke", accounts.revoke_token, ("POST",)),
        # setting other people's passwords is for user admins; the daemon for managers too
        page("/admin/users", accounts.users, capability=user_admins),
        page("/admin/users/{id:int}/password", accounts.user_form, capability=user_admins),
        page("/admin/users/{id:int}/password", accounts.set_for_user, ("POST",), user_admins),
        # FPTR's Admin > Scripts: scripts and their keys, for user admins
        page("/admin/scripts", script_pages.index, capability=user_admins),
        page("/admin/scripts", script_pages.create, ("POST",), user_admins),
        page("/admin/scripts/{id:int}/rotate", script_pages.rotate, ("POST",), user_admins),
        page("/admin/scripts/{id:int}/revoke", script_pages.revoke, ("POST",), user_admins),
        # everyone's personal access tokens, to review and revoke, for user admins
        page("/admin/tokens", token_pages.index, capability=user_admins),
        page("/admin/tokens/{id:int}/revoke", token_pages.revoke, ("POST",), user_admins),
        # FPTR's Admin > Permissions: the rule sets and their rules, for user admins
        page("/admin/permissions", rule_set_pages.index, capability=user_admins),
        page("/admin/permissions/{id:int}", rule_set_pages.show, capability=user_admins),
        page("/admin/permissions/{id:int}", rule_set_pages.change, ("POST",), user_admins),
        # FPTR's "Archived Data" in the admin menu
        page("/admin/archive", archive_pages.index, capability="read_archive"),
        page("/admin/archive/download", archive_pages.download, capability="read_archive"),
        hook_page("/webhooks", hook_pages.index),
        hook_page("/webhooks/new", hook_pages.new),
        hook_page("/webhooks/new", hook_pages.create, ("POST",)),
        hook_page("/webhooks/deliveries/{id}", hook_pages.delivery),
        hook_page("/webhooks/deliveries/{id}/redeliver", hook_pages.redeliver, ("POST",)),
        hook_page("/webhooks/{id}", hook_pages.show),
        hook_page("/webhooks/{id}/edit", hook_pages.edit),
        hook_page("/webhooks/{id}/edit", hook_pages.update, ("POST",)),
        hook_page("/webhooks/{id}/enable", hook_pages.enable, ("POST",)),
        hook_page("/webhooks/{id}/disable", hook_pages.disable, ("POST",)),
        hook_page("/webhooks/{id}/delete", hook_pages.delete, ("POST",)),
        hook_page("/webhooks/{id}/test", hook_pages.test, ("POST",)),
        hook_page("/webhooks/{id}/release", hook_pages.release, ("POST",)),
        hook_page("/webhooks/{id}/discard", hook_pages.discard, ("POST",)),
        hook_page("/webhooks/{id}/replay", hook_pages.replay, ("POST",)),
        page("/daemon", daemon_page.index, capability="manage_daemon"),
        page("/daemon/{daemon}/{plugin}/{action}", daemon_page.action, ("POST",), "manage_daemon"),
        # last: any other path outside the APIs is the UI's 404 page
        Route("/{path:shotlog_ui_path}", site.unknown),
    ]
    app = ShotlogApp(
        api3,
        Router(byte_routes),
        BodyLimits.from_settings(),
        routes=routes,
        # zlib's default level: 9 costs three times the CPU for pages about 10% smaller
        middleware=[Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
        exception_handlers={HTTPException: not_routed},
        lifespan=lifespan([*services, FileSweep(files)]),
    )
    app.state.store = store
    app.state.files = files
    app.state.credentials = credentials
    return app
