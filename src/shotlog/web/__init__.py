"""The web UI served by ``shotlog serve``: event log browser, entities, webhooks, daemon, admin."""

from shotlog.web.routes import web_routes

__all__ = ["web_routes"]
