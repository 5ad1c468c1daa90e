"""Jinja2 templates of the web UI and the filters they use to show values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from shotlog.web.meta import meta_summary, plain_value
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


def _value(value: Any) -> Markup:
    """Any field value: links as anchors, lists of links joined, dates in UTC, JSON for the rest."""
    if isinstance(value, list) and value and all(isinstance(v, dict) and "type" in v for v in value):
        return Markup(", ").join(_link(v) for v in value)
    if isinstance(value, dict) and "type" in value and "id" in value:
        return _link(value)
    if isinstance(value, dt.datetime):
        return Markup(escape(_when(value)))
    if isinstance(value, dict | list):
        return Markup("<code>{}</code>").format(json.dumps(value, default=str, ensure_ascii=False))
    if value is None:
        return Markup('<span class="muted">—</span>')
    return Markup(escape(plain_value(value)))


def _when(value: Any) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS`` (UTC), from a datetime or an ISO string ending in Z."""
    if isinstance(value, str) and value.endswith("Z"):
        text = value
        try:
            value = dt.datetime.fromisoformat(text[:-1] + "+00:00")
        except ValueError:
            return text
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    return "" if value is None else str(value)


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return str(value.astimezone(dt.UTC).isoformat()).replace("+00:00", "Z")
    return ""


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
    iso=_iso,
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
