"""People managed on a PostgreSQL deployment (issue 10 §4, migration 0008): the office's own login
edits and deactivates people through the commands; the database itself refuses a change to a person
without the office's matching entry, and any entry by a deactivated person's login."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.backends import BACKEND
from tests.conftest import HANDLER, LEADER, OFFICE
from tests.pg_deployment import Deployment, deployment
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.audit.payloads import PersonEdited

__all__ = ["deployment"]

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="database logins are a PostgreSQL matter")
AT = clock.parse_moment("2024-10-22T10:00")


def deep_ok(d: Deployment) -> None:
    engine = db.make_engine(d.admin_url)
    with db.reading(engine) as conn:
        verdict = verify.verify(conn, deep=True)
    engine.dispose()
    assert verdict.ok, verdict.problem


def test_the_office_edits_and_deactivates_with_its_own_login_and_the_deactivated_login_writes_nothing(
    deployment: Deployment,
) -> None:
    d = deployment
    code, out = d.cli(
        d.of(OFFICE), "person", "edit", LEADER, "--add-role", "销号审核人", "--email", "x@example.cn"
    )
    assert code == 0, out
    code, out = d.cli(d.of(OFFICE), "person", "deactivate", HANDLER, "--reason", "工作调动")
    assert code == 0, out
    code, out = d.cli(d.of(HANDLER), "item", "progress", "1", "继续排查")
    assert code == 1 and "人员 规划办经办人 已停用" in out
    with pytest.raises(sa.exc.DBAPIError, match="人员 规划办经办人 已停用，不能再写入审计日志"):
        d.append(d.of(HANDLER), HANDLER, action="progress")
    deep_ok(d)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE person SET roles = 'approver,office' WHERE name = '{who}'",
        "UPDATE person SET active = false WHERE name = '{who}'",
    ],
    ids=["roles", "deactivate"],
)
def test_a_change_to_a_person_without_its_entry_is_refused(deployment: Deployment, statement: str) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="没有同一事务中与之相符的审计条目"):
        deployment.sql(deployment.of(OFFICE), statement.format(who=HANDLER))


def _edit_with_entry(d: Deployment, login_of: str, statement: str, changes: dict[str, list[object]]) -> None:
    engine = sa.create_engine(d.of(login_of), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
            chain.append(
                conn,
                at=AT,
                actor=login_of,
                action="person_edit",
                payload=PersonEdited(name=HANDLER, changes=changes),
            )
    finally:
        engine.dispose()


def test_an_entry_that_says_another_change_does_not_cover_it(deployment: Deployment) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="没有同一事务中与之相符的审计条目"):
        _edit_with_entry(
            deployment,
            OFFICE,
            f"UPDATE person SET roles = 'approver,handler', title = '主任' WHERE name = '{HANDLER}'",
            {"title": ["经办人", "主任"]},  # the roles are not in it
        )
    _edit_with_entry(  # the same change with an entry that says all of it goes through
        deployment,
        OFFICE,
        f"UPDATE person SET title = '主任' WHERE name = '{HANDLER}'",
        {"title": ["经办人", "主任"]},
    )
    deep_ok(deployment)


def test_only_the_offices_login_changes_people_even_with_an_entry(deployment: Deployment) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="不是整改办人员（office），不能修改人员"):
        _edit_with_entry(
            deployment,
            HANDLER,
            f"UPDATE person SET roles = 'approver,handler' WHERE name = '{HANDLER}'",
            {"roles": ["handler", "approver,handler"]},
        )
