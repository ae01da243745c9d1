"""Alembic migrations: the only way wardlink's schema changes."""
