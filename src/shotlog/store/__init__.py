"""Persistence: SQLAlchemy Core tables, the SQLite and PostgreSQL specifics, migrations."""
