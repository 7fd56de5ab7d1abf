"""A person's PostgreSQL login tried as an attacker would (issue 9 §4): what the database itself now
refuses, and what it lets through for the deep verify to catch. See the README, "tamper-evident"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from tests.backends import BACKEND, fresh_url
from tests.conftest import APPROVER, HANDLER, LEADER, OFFICE
from tests.pg_deployment import Deployment, deployment
from workflow import clock, db
from workflow.audit import chain, verify
from workflow.audit.payloads import PersonAdded
from workflow.db import migrate
from workflow.demo import example_path
from workflow.intake import round_yaml
from workflow.items import people

__all__ = ["deployment"]

NOT_THEIRS = r"不是数据库登录 \S+ 对应的人员"  # the refusal of an actor who is not the login's person
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="database logins are a PostgreSQL matter")

NOW = "'2024-10-22T02:00:00.000000Z'"


@pytest.fixture
def d(deployment: Deployment) -> Deployment:
    return deployment


def at() -> datetime:
    return clock.parse_moment("2024-10-22T10:00")


def last_entry(d: Deployment) -> chain.Entry:
    engine = db.make_engine(d.admin_url)
    with db.reading(engine) as conn:
        return chain.entries(conn)[-1]


# --- the audit trigger cannot be fooled --------------------------------------------------------------


def test_a_temporary_person_table_does_not_let_a_login_sign_off_as_the_approver(d: Deployment) -> None:
    # Even where TEMP is still granted (a database set up with older grants), the trigger reads the
    # schema's own person table: pg_temp.person, searched first by default, is never consulted.
    d.sql(
        d.admin_url,
        f'GRANT TEMPORARY ON DATABASE "{sa.make_url(d.admin_url).database}" TO {d.logins[HANDLER]}',
    )
    engine = sa.create_engine(d.of(HANDLER), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError, match=NOT_THEIRS), engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE person (name text, db_login text)")
        conn.exec_driver_sql(f"INSERT INTO person VALUES ('{APPROVER}', session_user)")
        chain.append(conn, at=at(), actor=APPROVER, action="approve", item_id=1)
    engine.dispose()
    assert last_entry(d).actor == OFFICE  # the set_login entries of the fixture; nothing was added


def test_a_persons_login_cannot_create_temporary_tables(d: Deployment) -> None:
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        d.sql(d.of(HANDLER), "CREATE TEMPORARY TABLE person (name text, db_login text)")


# --- a login mapped to nobody is nobody ----------------------------------------------------------------


def test_a_login_mapped_to_nobody_cannot_write_an_entry_in_anyones_name(d: Deployment) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="尚未对应任何人员"):
        d.append(d.url(d.unmapped), OFFICE)


def test_a_login_mapped_to_nobody_is_refused_by_the_cli_in_chinese(d: Deployment) -> None:
    code, out = d.cli(d.url(d.unmapped), "--as", OFFICE, "item", "assign", "1")
    assert code == 1
    assert f"数据库登录 {d.unmapped} 尚未对应任何人员" in out and "person login" in out


def test_the_owner_unmapped_still_acts_as_the_person_it_names(d: Deployment) -> None:
    code, out = d.cli(d.admin_url, "--as", OFFICE, "item", "assign", "1")
    assert code == 0, out
    assert (last_entry(d).action, last_entry(d).actor) == ("assign", OFFICE)


# --- people change only through audited use cases -----------------------------------------------------


@pytest.mark.parametrize("who", [HANDLER, OFFICE])
def test_a_login_cannot_add_a_shadow_approver_behind_the_trail(d: Deployment, who: str) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="person"):
        d.sql(d.of(who), "INSERT INTO person (name, roles) VALUES ('影子审核人', 'approver')")


def test_a_handler_cannot_add_a_person_even_with_an_entry_in_its_own_name(d: Deployment) -> None:
    engine = sa.create_engine(d.of(HANDLER), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError, match="office"), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO person (name, roles) VALUES ('影子审核人', 'approver')")
        chain.append(
            conn,
            at=at(),
            actor=HANDLER,
            action="person_add",
            payload=PersonAdded(
                name="影子审核人",
                roles="approver",
                department=None,
                title=None,
                email=None,
            ),
        )
    engine.dispose()


def test_a_login_cannot_map_the_owners_login_to_another_person(d: Deployment) -> None:
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        d.sql(
            d.of(OFFICE),
            f"INSERT INTO person (name, roles, db_login) VALUES ('替身', 'office', '{d.admin_login}')",
        )
    code, out = d.cli(d.admin_url, "--as", OFFICE, "item", "assign", "1")  # the owner is not locked out
    assert code == 0, out


def test_the_office_adds_a_person_with_its_own_login(d: Deployment) -> None:
    code, out = d.cli(d.of(OFFICE), "person", "add", "新审核人", "--role", "approver")
    assert code == 0, out
    assert (last_entry(d).action, last_entry(d).actor) == ("person_add", OFFICE)


# --- direct writes: refused, or left for the deep verify ----------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE item SET deadline = '2099-12-31' WHERE id = 1",
        "UPDATE item SET state = 'closed' WHERE id = 1",
        "UPDATE measure SET done_on = '2024-10-22', done_by = '{person}' WHERE item_id = 1",
        "INSERT INTO progress (item_id, \"on\", text, actor, created_at) VALUES (1, '2024-10-22', 'x', '{person}', {now})",
        "INSERT INTO evidence (item_id, kind, ref, actor, created_at, hash) VALUES (1, '批文', 'x', '{person}', {now}, '0')",
        "INSERT INTO measure (item_id, seq, text) VALUES (1, 99, '假措施')",
        "INSERT INTO rule (round_id, title, kind, issued_on, actor, created_at) VALUES (1, 'x', 'made', '2024-10-22', '{person}', {now})",
    ],
    ids=["deadline", "state", "measure done", "progress", "evidence", "measure", "rule"],
)
def test_a_persons_login_cannot_change_the_tables_without_an_audit_entry(
    d: Deployment, statement: str
) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="的改动没有同一事务中的审计条目"):
        d.sql(d.of(HANDLER), statement.format(person=HANDLER, now=NOW))


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO progress (item_id, \"on\", text, actor, created_at) VALUES (1, '2024-10-22', 'x', '{other}', {now})",
        "INSERT INTO evidence (item_id, kind, ref, actor, created_at, hash) VALUES (1, '批文', 'x', '{other}', {now}, '0')",
        "UPDATE measure SET done_on = '2024-10-22', done_by = '{other}' WHERE item_id = 1",
        "UPDATE item SET submitted_by = '{other}' WHERE id = 1",
    ],
    ids=["progress", "evidence", "measure done", "submitted_by"],
)
def test_a_persons_login_cannot_attribute_a_row_to_someone_else(d: Deployment, statement: str) -> None:
    engine = sa.create_engine(d.of(HANDLER), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError, match=NOT_THEIRS), engine.begin() as conn:
        chain.append(conn, at=at(), actor=HANDLER, action="progress", item_id=1)  # an entry is not enough
        conn.exec_driver_sql(statement.format(other=LEADER, now=NOW))
    engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE outbox SET status = 'sent'",
        "INSERT INTO reminder_firing (rule, recipient, scope, period, message_key, due_at, fired_at) "
        "VALUES ('overdue', 'x', 'x', 'x', 'x', {now}, {now})",
        "UPDATE item SET round_id = 1, created_at = {now} WHERE id = 1",
        "UPDATE measure SET item_id = 2 WHERE item_id = 1",
        "UPDATE meta SET value = '9'",
        "DELETE FROM progress",
        "UPDATE person SET name = '替身'",
        "UPDATE person SET db_login = NULL",
    ],
    ids=["outbox", "firing", "item identity", "measure owner item", "meta", "delete", "person name", "login"],
)
def test_what_no_command_of_a_person_needs_is_not_granted(d: Deployment, statement: str) -> None:
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        d.sql(d.of(OFFICE), statement.format(now=NOW))


def test_a_direct_change_with_an_entry_of_its_own_is_left_to_the_deep_verify_under_the_logins_name(
    d: Deployment,
) -> None:
    # What grants and triggers cannot refuse: a write that comes with an entry, which the trigger forces
    # into the login's own name. The chain is intact; the replay against the live rows catches it.
    engine = sa.create_engine(d.of(HANDLER), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE item SET deadline = '2099-12-31' WHERE id = 1")
        chain.append(conn, at=at(), actor=HANDLER, action="progress", item_id=1)
    engine.dispose()
    entry = last_entry(d)
    assert (entry.item_id, entry.actor) == (1, HANDLER)
    engine = db.make_engine(d.admin_url)
    with db.reading(engine) as conn:
        assert verify.verify(conn).ok  # the chain alone cannot tell


def test_every_table_a_persons_login_may_write_is_guarded_by_a_trigger(d: Deployment) -> None:
    # A table added later gets INSERT from the generated grants; this fails until 0004's list (or a
    # later migration) gives it the check that its writes come with their audit entry.
    engine = sa.create_engine(d.admin_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        writable = set(
            conn.execute(
                sa.text(
                    "SELECT DISTINCT table_name FROM information_schema.role_table_grants "
                    "WHERE grantee = :r AND privilege_type IN ('INSERT', 'UPDATE') UNION "
                    "SELECT DISTINCT table_name FROM information_schema.role_column_grants "
                    "WHERE grantee = :r AND privilege_type IN ('INSERT', 'UPDATE')"
                ),
                {"r": d.role},
            ).scalars()
        )
        guarded = set(
            conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relnamespace = CAST(:s AS regnamespace) "
                    "AND t.tgname IN ('zhenggai_audited', 'zhenggai_person_added', 'zhenggai_person_changed', "
                    "'audit_actor_is_login')"
                ),
                {"s": d.schema},
            ).scalars()
        )
    engine.dispose()
    assert "item" in writable and "outbox" not in writable
    assert writable - guarded == set()


# --- a deployment made by revision 0002 -------------------------------------------------------------

# `zhenggai db grants` as revision 0002 printed it (frozen here): INSERT everywhere, UPDATE on item,
# measure and outbox, TEMP left to PUBLIC (granted here: other tests of the session revoke it).
GRANTS_0002 = """
CREATE ROLE {role} NOLOGIN;
GRANT USAGE ON SCHEMA {schema} TO {role};
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT INSERT ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT UPDATE ON item, measure, outbox TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
GRANT TEMPORARY ON DATABASE "{database}" TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM {role};
REVOKE UPDATE, DELETE, TRUNCATE ON person FROM {role};
REVOKE INSERT ON alembic_version, meta FROM {role};
"""


@pytest.fixture
def old_deployment(tmp_path: Path) -> Iterator[Deployment]:
    """The seed round in a database at revision 0003 (before the hardening; written by today's code at
    the head, then migrated down), with 0002's grants and a handler's login; then upgraded to the head
    by `zhenggai db upgrade`, its grants not yet renewed (the login is mapped to the handler after the
    upgrade, by today's code)."""
    url = fresh_url(tmp_path)
    engine = db.make_engine(url)
    with engine.begin() as conn:
        migrate.upgrade(conn)  # today's code writes today's schema; taken back to 0003 below
    with db.unit_of_work(engine) as conn:
        round_yaml.import_round(
            conn, round_yaml.load_file(example_path("taishan.yaml")), OFFICE, at() - timedelta(days=8)
        )
    tag = uuid.uuid4().hex[:8]
    schema = str(sa.make_url(url).query["options"]).split("=", 1)[1]
    d = Deployment(url, schema, f"zg_old_{tag}", "", logins={HANDLER: f"zg_oldh_{tag}"})
    d.sql(
        url,
        GRANTS_0002.format(role=d.role, schema=schema, database=sa.make_url(url).database),
        f"CREATE ROLE {d.logins[HANDLER]} LOGIN IN ROLE {d.role}",
    )
    with engine.begin() as conn:
        command.downgrade(migrate.config(conn), "0003")  # the deployment as it stood before the hardening
    with db.unit_of_work(engine, write=False) as conn:
        before = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit ORDER BY seq"))]
    code, out = d.cli(url, "db", "upgrade")
    assert code == 0 and db.SCHEMA_HEAD in out, out
    with db.reading(engine) as conn:
        assert [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit ORDER BY seq"))] == before
        assert verify.verify(conn).ok
    # Mapped after the upgrade: today's code reads people as the head revision has them (0008: active).
    with db.unit_of_work(engine) as conn:
        people.set_login(conn, OFFICE, at() - timedelta(days=2), name=HANDLER, login=d.logins[HANDLER])
    engine.dispose()
    yield d
    d.sql(
        url,
        f"DROP OWNED BY {d.logins[HANDLER]}, {d.role}",
        f"DROP ROLE {d.logins[HANDLER]}",
        f"DROP ROLE {d.role}",
    )


def test_an_upgraded_deployment_is_protected_by_the_migration_before_its_grants_are_renewed(
    old_deployment: Deployment,
) -> None:
    d = old_deployment
    engine = sa.create_engine(d.of(HANDLER), poolclass=sa.pool.NullPool)
    with pytest.raises(sa.exc.DBAPIError, match=NOT_THEIRS), engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE person (name text, db_login text)")  # 0002 let it
        conn.exec_driver_sql(f"INSERT INTO person VALUES ('{APPROVER}', session_user)")
        chain.append(conn, at=at(), actor=APPROVER, action="approve", item_id=1)
    engine.dispose()
    for statement in (
        "UPDATE item SET deadline = '2099-12-31' WHERE id = 1",
        "INSERT INTO person (name, roles) VALUES ('影子审核人', 'approver')",
    ):
        with pytest.raises(sa.exc.DBAPIError, match=r"审计条目|整改办"):
            d.sql(d.of(HANDLER), statement)
    code, out = d.cli(d.of(HANDLER), "item", "progress", "1", "实地走访")  # and work goes on
    assert code == 0, out


def test_the_hardening_downgrades_to_the_revision_before_it_as_it_was_and_upgrades_again(
    tmp_path: Path,
) -> None:
    engine = db.make_engine(fresh_url(tmp_path))
    triggers = (
        "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname LIKE 'zhenggai\\_%%'"
    )
    actor = (
        "SELECT prosecdef, proconfig FROM pg_proc "
        "WHERE proname = 'zhenggai_audit_actor' AND pronamespace = current_schema()::regnamespace"
    )
    with engine.begin() as conn:
        migrate.upgrade(conn)
        assert (
            conn.exec_driver_sql(triggers).scalar() == 19 + 2 + 1
        )  # 0008: two (people), 0007: the unit table
        assert conn.exec_driver_sql(actor).one() == (True, ["search_path=pg_catalog, pg_temp"])
    with engine.begin() as conn:
        command.downgrade(migrate.config(conn), "0003")
    with engine.begin() as conn:
        assert (migrate.current(conn), conn.exec_driver_sql(triggers).scalar()) == ("0003", 0)
        assert conn.exec_driver_sql(actor).one() == (False, None)
        migrate.upgrade(conn)
        assert conn.exec_driver_sql(triggers).scalar() == 19 + 2 + 1
