"""A PostgreSQL deployment: each person connects with their own login, the actor is derived from
it, and the application role may append to the audit table but never change it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import cli
from tests.backends import BACKEND
from tests.conftest import HANDLER, OFFICE
from tests.pg_deployment import Deployment, deployment
from workflow import clock, db
from workflow.audit import chain

__all__ = ["deployment"]

NOT_THEIRS = r"不是数据库登录 \S+ 对应的人员"  # the refusal of an actor who is not the login's person
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="database logins are a PostgreSQL matter")


def zhenggai(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--db", url, "--now", "2024-10-22T10:00", *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_the_actor_is_the_person_of_the_login(deployment: Deployment) -> None:
    code, out = zhenggai(deployment.of(HANDLER), "item", "progress", "1", "实地走访")
    assert code == 0, out
    engine = db.make_engine(deployment.admin_url)
    with db.reading(engine) as conn:
        last = chain.entries(conn, 1)[-1]
    assert (last.action, last.actor) == ("progress", HANDLER)


def test_nobody_acts_as_someone_else_by_passing_as(deployment: Deployment) -> None:
    code, out = zhenggai(deployment.of(HANDLER), "--as", OFFICE, "item", "assign", "1")
    assert code == 1
    assert f"以数据库用户登录的是 {HANDLER}，不能以 {OFFICE} 的身份操作" in out


def test_the_database_refuses_an_entry_in_someone_elses_name(deployment: Deployment) -> None:
    engine = sa.create_engine(deployment.of(HANDLER), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError, match=NOT_THEIRS), engine.begin() as conn:
        chain.append(conn, at=clock.parse_moment("2024-10-22T10:00"), actor=OFFICE, action="forged")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET reason = 'x' WHERE seq = 1",
        "DELETE FROM audit WHERE seq = 1",
        "TRUNCATE audit",
        "UPDATE person SET db_login = NULL",
        "DELETE FROM item",
    ],
)
def test_the_application_role_cannot_change_history(deployment: Deployment, statement: str) -> None:
    engine = sa.create_engine(deployment.of(HANDLER), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_the_owner_is_refused_by_the_triggers_too(deployment: Deployment) -> None:
    engine = sa.create_engine(deployment.admin_url, poolclass=sa.pool.NullPool)
    for statement in ("UPDATE audit SET reason = 'x' WHERE seq = 1", "DELETE FROM audit", "TRUNCATE audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
