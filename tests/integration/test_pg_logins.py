"""A PostgreSQL deployment: each person connects with their own login, the actor is derived from
it, and the application role may append to the audit table but never change it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import cli
from tests.backends import BACKEND, fresh_url
from tests.conftest import HANDLER, OFFICE
from workflow import clock, db
from workflow.audit import chain
from workflow.db import grants
from workflow.demo import example_path
from workflow.intake import round_yaml
from workflow.items import people

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="database logins are a PostgreSQL matter")


@dataclass
class Deployment:
    admin_url: str
    user_url: str  # 规划办经办人's own login


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    admin_url = fresh_url(tmp_path)
    admin = db.make_engine(admin_url)
    db.create_schema(admin)
    with db.unit_of_work(admin) as conn:
        round_yaml.import_round(
            conn,
            round_yaml.load_file(example_path("taishan.yaml")),
            OFFICE,
            clock.parse_moment("2024-10-14T16:00"),
        )
    tag = uuid.uuid4().hex[:8]
    role, login = f"zg_app_{tag}", f"zg_user_{tag}"
    url = sa.make_url(admin_url)
    schema = str(url.query["options"]).split("=", 1)[1]
    with admin.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql(grants.sql(role, schema))
        conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN IN ROLE {role}")
    with db.unit_of_work(admin) as conn:
        people.set_login(conn, OFFICE, clock.parse_moment("2024-10-20T09:00"), name=HANDLER, login=login)
    user_url = url.set(username=login).render_as_string(hide_password=False)
    yield Deployment(admin_url, user_url)
    admin.dispose()
    with sa.create_engine(
        admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    ).connect() as conn:
        conn.exec_driver_sql(f"DROP OWNED BY {login}, {role}")
        conn.exec_driver_sql(f"DROP ROLE {login}")
        conn.exec_driver_sql(f"DROP ROLE {role}")


def zhenggai(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--db", url, "--now", "2024-10-22T10:00", *args], catch_exceptions=False
    )
    return result.exit_code, result.output


def test_the_actor_is_the_person_of_the_login(deployment: Deployment) -> None:
    code, out = zhenggai(deployment.user_url, "item", "progress", "1", "实地走访")
    assert code == 0, out
    engine = db.make_engine(deployment.admin_url)
    with db.reading(engine) as conn:
        last = chain.entries(conn, 1)[-1]
    assert (last.action, last.actor) == ("progress", HANDLER)


def test_nobody_acts_as_someone_else_by_passing_as(deployment: Deployment) -> None:
    code, out = zhenggai(deployment.user_url, "--as", OFFICE, "item", "assign", "1")
    assert code == 1
    assert f"以数据库用户登录的是 {HANDLER}，不能以 {OFFICE} 的身份操作" in out


def test_the_database_refuses_an_entry_in_someone_elses_name(deployment: Deployment) -> None:
    engine = sa.create_engine(deployment.user_url, poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError, match="is not the person of login"), engine.begin() as conn:
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
    engine = sa.create_engine(deployment.user_url, poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_the_owner_is_refused_by_the_triggers_too(deployment: Deployment) -> None:
    engine = sa.create_engine(deployment.admin_url, poolclass=sa.pool.NullPool)
    for statement in ("UPDATE audit SET reason = 'x' WHERE seq = 1", "DELETE FROM audit", "TRUNCATE audit"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
