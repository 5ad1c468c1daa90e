"""The HTTP server: one ASGI application (``app.py`` holds the whole URL map)."""
