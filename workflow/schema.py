"""Every table module, imported once so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

from workflow import models  # noqa: F401  (core tables)
