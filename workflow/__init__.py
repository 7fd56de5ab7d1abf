"""The engine around the lifecycle: tables, database, use cases, audit chain, reports.

Kept import-free so that `zhenggai --help` does not pay for SQLAlchemy.
"""
