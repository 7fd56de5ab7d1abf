"""A PostgreSQL deployment as the README sets one up, for the login tests: the owner makes the schema
and imports the seed round, applies `zhenggai db grants`, and gives each person a login in the
application role; one more login in that role is mapped to nobody, and one is the scheduler's."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import cli
from tests.backends import fresh_url
from tests.conftest import APPROVER, HANDLER, LEADER, OFFICE
from workflow import clock, db
from workflow.audit import chain
from workflow.db import grants
from workflow.demo import example_path
from workflow.intake import round_yaml
from workflow.items import people

PEOPLE = (OFFICE, LEADER, HANDLER, APPROVER)


@dataclass
class Deployment:
    admin_url: str
    schema: str
    role: str
    scheduler_role: str
    logins: dict[str, str] = field(default_factory=dict)  # person → their login
    unmapped: str = ""  # a login in the application role that no person has yet
    scheduler: str = ""  # the scheduler's login (remind run, outbox deliver)

    def url(self, login: str) -> str:
        return sa.make_url(self.admin_url).set(username=login).render_as_string(hide_password=False)

    def of(self, person: str) -> str:
        """The URL a person connects with."""
        return self.url(self.logins[person])

    @property
    def admin_login(self) -> str:
        return str(sa.make_url(self.admin_url).username)

    def sql(self, url: str, *statements: str) -> None:
        """Statements in one transaction on a bare connection (no engine set-up, no chain lock)."""
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def append(self, url: str, actor: str, action: str = "forged", item_id: int | None = 1) -> None:
        """An audit entry written straight into the chain over `url`, as anyone with a login could."""
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                chain.append(
                    conn,
                    at=clock.parse_moment("2024-10-22T10:00"),
                    actor=actor,
                    action=action,
                    item_id=item_id,
                )
        finally:
            engine.dispose()

    def cli(self, url: str, *args: str, now: str = "2024-10-22T10:00") -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["--db", url, "--now", now, *args], catch_exceptions=False)
        return result.exit_code, result.output


def _autocommit(url: str) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


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
    schema = str(sa.make_url(admin_url).query["options"]).split("=", 1)[1]
    d = Deployment(admin_url, schema, f"zg_app_{tag}", f"zg_sched_{tag}")
    d.logins = {name: f"zg_{n}_{tag}" for n, name in enumerate(PEOPLE)}
    d.unmapped, d.scheduler = f"zg_nobody_{tag}", f"zg_cron_{tag}"
    with _autocommit(admin_url).connect() as conn:
        conn.exec_driver_sql(grants.sql(d.role, schema, scheduler=d.scheduler_role))
        for login in (*d.logins.values(), d.unmapped):
            conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN IN ROLE {d.role}")
        conn.exec_driver_sql(f"CREATE ROLE {d.scheduler} LOGIN IN ROLE {d.scheduler_role}")
    with db.unit_of_work(admin) as conn:
        for name, login in d.logins.items():
            people.set_login(conn, OFFICE, clock.parse_moment("2024-10-20T09:00"), name=name, login=login)
    admin.dispose()
    yield d
    with _autocommit(admin_url).connect() as conn:
        mine = [*d.logins.values(), d.unmapped, d.scheduler, d.role, d.scheduler_role]
        conn.exec_driver_sql(f"DROP OWNED BY {', '.join(mine)}")
        for role in mine:
            conn.exec_driver_sql(f"DROP ROLE {role}")
