"""Every table module, imported once so that SQLModel.metadata knows the whole schema."""

from __future__ import annotations

from workflow import (  # noqa: F401
    models,  # core: people, rounds, items, measures, progress, evidence, audit
    models_ledger,  # ledger batches, rules made or revised, accountability
    models_reminders,  # reminder firings, messages, outbox
)
