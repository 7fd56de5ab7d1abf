"""Alembic migrations of the zhenggai schema (run through workflow.migrate, not an alembic.ini)."""
