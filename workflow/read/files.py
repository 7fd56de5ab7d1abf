"""An evidence file as stored (by its SHA-256, inside the database), for the web to show or download."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from workflow.db.tables.core import BLOB, EVIDENCE
from workflow.errors import NotFound
from workflow.read.facts import item_row
from workflow.read.scope import EVERYTHING, Scope


def evidence_file(
    conn: Connection, item_id: int, evidence_id: int, scope: Scope = EVERYTHING
) -> tuple[str, bytes]:
    """(file name, content) of evidence `evidence_id` of item `item_id` (NotFound otherwise)."""
    item_row(conn, item_id, scope)  # the item must exist and be the reader's
    row = conn.execute(
        sa.select(EVIDENCE.c.file_name, BLOB.c.data)
        .join(BLOB, BLOB.c.sha256 == EVIDENCE.c.file_sha256)
        .where(EVIDENCE.c.id == evidence_id, EVIDENCE.c.item_id == item_id)
    ).first()
    if row is None:
        raise NotFound(f"事项 {item_id} 没有编号为 {evidence_id} 的佐证文件")
    return row.file_name or f"evidence-{evidence_id}", bytes(row.data)
