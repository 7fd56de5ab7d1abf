"""Property-based: any sequence of actions by anyone keeps the lifecycle's invariants."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from states.lifecycle import State
from tests import backends
from tests.backends import fresh_url
from tests.conftest import APPROVER, AUDITOR, HANDLER, LEADER, OFFICE
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.db.tables.core import ITEM
from workflow.demo import example_path
from workflow.errors import ZhenggaiError
from workflow.intake import round_yaml
from workflow.items import actions, people
from workflow.items.actions import reassign
from workflow.read import facts

# People who hold several roles, so that four eyes can be broken if the code let it: 双重角色 is the
# handler of items 1 and 2 (reassigned to them first) and an approver; 兼职审核 is office and approver,
# so may submit any item and then try to sign it off.
DUAL, OFFICE_APPROVER = "双重角色", "兼职审核"
PEOPLE = [OFFICE, LEADER, HANDLER, APPROVER, AUDITOR, DUAL, OFFICE_APPROVER]
HANDLER_OF = {1: DUAL, 2: DUAL, 3: HANDLER}
TRIGGERS = ["assign", "start", "submit", "approve", "reject", "revisit", "confirm", "reopen"]
OTHER = ["measure_done", "evidence", "progress", "extend"]

# The happy path from each state, so that sequences reach sign-off, revisit and reopening; mixed with
# arbitrary actions by arbitrary people, which must be refused or applied cleanly.
NEXT = {
    "reported": [("assign", OFFICE)],
    "assigned": [("start", HANDLER), ("start", DUAL), ("start", OFFICE), ("extend", HANDLER)],
    "in_progress": [("submit", HANDLER), ("submit", DUAL), ("submit", OFFICE_APPROVER)],  # see below
    "submitted": [
        ("approve", APPROVER),
        ("approve", DUAL),
        ("approve", OFFICE_APPROVER),
        ("reject", APPROVER),
        ("reject", DUAL),
        ("reject", OFFICE_APPROVER),
    ],
    "closed": [("revisit", OFFICE)],
    "revisited": [("confirm", OFFICE), ("reopen", APPROVER)],
}
_next = st.tuples(st.just("next"), st.integers(1, 3), st.integers(0, 5), st.just("理由"))
action = st.one_of(
    _next,  # three in four steps follow the path, so that sign-offs (and attempts at them) happen
    _next,
    _next,
    st.tuples(
        st.sampled_from(TRIGGERS + OTHER),
        st.integers(1, 3),
        st.sampled_from(PEOPLE),
        st.sampled_from([None, "", "理由"]),  # reason / summary / finding
    ),
)


def apply(
    conn: sa.Connection, name: str, item: int, who: str, text: str | None, step: int, seq: int = 1
) -> None:
    now = clock.parse_moment("2024-10-21T09:00") + timedelta(hours=step)
    if name in TRIGGERS:
        actions.fire(conn, item, name, who, now, reason=text, summary=text, finding=text)
    elif name == "measure_done":
        actions.complete_measure(conn, item, seq, who, now)
    elif name == "evidence":
        actions.attach_evidence(conn, item, who, now, kind="文件", ref=text or "文号")
    elif name == "progress":
        actions.add_progress(conn, item, who, now, on=date(2024, 11, 1), text=text or "进展")
    else:
        actions.extend(
            conn,
            item,
            who,
            now,
            new_deadline=date(2025, 6, 30) + timedelta(days=step),
            reason=text,
            approved_by=LEADER,
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=5, max_size=60))
def test_any_sequence_keeps_the_invariants(actions: list[tuple[str, int, str | int, str | None]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(fresh_url(Path(tmp), "p.db"), synchronous="OFF")
        backends.create_schema(engine)
        with db.unit_of_work(engine) as conn:
            round_yaml.import_round(
                conn,
                round_yaml.load_file(example_path("taishan.yaml")),
                OFFICE,
                clock.parse_moment("2024-10-14T16:00"),
            )
            actor = clock.parse_moment("2024-10-21T08:00")
            people.add_person(conn, OFFICE, actor, name=DUAL, roles="handler,approver")
            people.add_person(conn, OFFICE, actor, name=OFFICE_APPROVER, roles="office,approver")
            for item_id in (1, 2):
                reassign(conn, item_id, OFFICE, actor, reason="换人", handler=DUAL)
        succeeded = {1: 1, 2: 1, 3: 0}
        for step, (name, item, choice, text) in enumerate(actions):
            who, seq = str(choice), 1
            if name == "next":
                with db.reading(engine) as conn:
                    row = facts.item_row(conn, item)
                options = NEXT[row.state]
                name, who = options[int(choice) % len(options)]
                if row.state == "in_progress" and row.measures_done < row.measures_total:
                    name, seq = "measure_done", row.measures_done + 1
                elif row.state == "in_progress" and not row.evidence_count:
                    name = "evidence"
            try:
                with db.unit_of_work(engine) as conn:
                    apply(conn, name, item, who, text, step, seq)
                succeeded[item] += 1
            except ZhenggaiError:
                pass  # refused: must have changed nothing, checked below through version and chain
        with db.reading(engine) as conn:
            rows = {r.id: r for r in conn.execute(sa.select(ITEM))}
            verdict = verify.verify(conn)
            for item_id, row in rows.items():
                entries = chain.entries(conn, item_id)
                assert row.version == 1 + succeeded[item_id] == len(entries)
                # The current state is exactly what the trail says it is.
                assert row.state == entries[-1].to_state
                assert row.state in {s.value for s in State}
                for e in entries:
                    if e.action == "approve":
                        assert e.actor not in (e.data["submitted_by"], HANDLER_OF[item_id])
                        event(f"signed off by {e.actor}")
                    if e.action == "reject":
                        assert e.actor != HANDLER_OF[item_id]
                    if e.action != "import":
                        assert e.actor != AUDITOR
            for row in rows.values():
                event(f"item ended {row.state}")
        assert verdict.ok
        engine.dispose()
