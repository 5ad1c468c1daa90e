"""The web UI served by ``shotlog serve``: event log browser, entities, webhooks, daemon, admin.

``pages`` is what every page shares; each ``*_pages`` module holds the pages of one subject. The
URL map that routes to them is ``shotlog.server.app``.
"""
