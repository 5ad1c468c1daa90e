"""Jinja2 templates of the web UI and the filters they use to show values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from shotlog.web.meta import meta_summary, plain_value
from shotlog.web.timezones import TIME_TEXT, UTC, ReaderZone, shown
from shotlog.web.wording import counted, plural

__all__ = ["entity_url", "page", "templates"]


def entity_url(link: Any) -> str:
    if isinstance(link, dict) and "type" in link and "id" in link:
        return f"/entities/{quote(str(link['type']))}/{int(link['id'])}"
    return ""


def _link(value: Any) -> Markup:
    """A link dict as an anchor to its page; anything else as escaped text."""
    if isinstance(value, dict) and "type" in value and "id" in value:
        label = value.get("name") or f"{value['type']} #{value['id']}"
        return Markup('<a href="{}" title="{} #{}">{}</a>').format(
            entity_url(value), value["type"], value["id"], label
        )
    return Markup(escape(plain_value(value)))


@pass_context
def _value(context: Context, value: Any) -> Markup:
    """Any field value: links as anchors, lists of links joined, times in the reader's zone (as
    ``when``), JSON for the rest."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and "type" in v for v in value):
        return Markup(", ").join(_link(v) for v in value)
    if isinstance(value, dict) and "type" in value and "id" in value:
        return _link(value)
    if isinstance(value, dt.datetime) or (isinstance(value, str) and TIME_TEXT.fullmatch(value)):
        return _when(context, value)
    if isinstance(value, dict | list):
        return Markup("<code>{}</code>").format(json.dumps(value, default=str, ensure_ascii=False))
    if value is None:
        return Markup('<span class="muted">—</span>')
    return Markup(escape(plain_value(value)))


@pass_context
def _when(context: Context, value: Any) -> Markup:
    """The one way pages show a time: in the reader's zone, named, with the UTC time as its tooltip
    (``<time datetime="…Z" title="… UTC">2026-12-07 18:04:05 CET</time>``). The zone is the page's
    ``zone`` (``Web.context`` puts it there); without one, UTC. Empty for None, so ``(t | when) or
    "—"`` works; text that is not a time is shown as it is."""
    if value is None or value == "":
        return Markup("")
    reader = context.get("zone")
    moment = shown(value, reader.zone if isinstance(reader, ReaderZone) else UTC)
    if moment is None:
        return Markup(escape(str(value)))
    return Markup('<time datetime="{}" title="{}">{}</time>').format(moment.iso, moment.utc, moment.local)


templates = Environment(
    loader=PackageLoader("shotlog.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters.update(
    link=_link,
    value=_value,
    when=_when,
    meta_summary=meta_summary,
    plain=plain_value,
    entity_url=entity_url,
    unquote=unquote,
    number=lambda n: f"{n:,}" if isinstance(n, int) else n,
    counted=counted,
    plural=plural,
)


def page(name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    html = templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


# Pages are rendered per user: never cached by proxies; no framing (clickjacking); a strict CSP
# (all scripts and styles come from /static) stops injected markup from running code. Forms may
# post to other sites because Action Menu Items open their URL with a form post, as FPTR does.
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self' http: https:; base-uri 'none'"
    ),
}
