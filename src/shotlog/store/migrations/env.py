"""Alembic environment: runs on the connection that ``shotlog.store.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from shotlog.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
