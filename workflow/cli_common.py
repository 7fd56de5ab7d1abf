"""What every command module shares: the App context (database, actor, clock), error mapping and output.

Imports only click at module level: command modules load the engine inside their command bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from workflow.errors import PermissionDenied, ZhenggaiError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

F = TypeVar("F", bound=Callable[..., Any])


class App:
    """What every command shares: the database URL, the actor and the clock."""

    def __init__(
        self, url: str | None, actor: str | None, now: str | None, config: str | None = None
    ) -> None:
        self.url, self._as, self._now, self._config_path = url, actor, now, config
        self._actor: tuple[str | None] | None = None
        self._engine: Engine | None = None
        self._config: dict[str, Any] | None = None

    @property
    def actor(self) -> str | None:
        """Who is acting: `--as`, except on PostgreSQL when the database login belongs to a person —
        then that person, whatever `--as` says (the audit table's trigger enforces the same)."""
        if self._actor is None:
            name = self._as
            if self.engine.dialect.name == "postgresql":
                from workflow import services

                with self.engine.connect() as conn:
                    mapped = services.login_person(conn.execution_options(zhenggai_write=False))
                if mapped is not None:
                    if name not in (None, mapped):
                        raise PermissionDenied(
                            f"以数据库用户登录的是 {mapped}，不能以 {name} 的身份操作（去掉 --as，或用自己的登录）"
                        )
                    name = mapped
            self._actor = (name,)
        return self._actor[0]

    def close(self) -> None:
        """Return the connections (a PostgreSQL connection left to the garbage collector warns)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def config(self) -> dict[str, Any]:
        """The parsed TOML configuration (see workflow.config), loaded on first use."""
        if self._config is None:
            from workflow import config

            self._config = config.load(self._config_path)
        return self._config

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from workflow import db

            self._engine = db.make_engine(self.url or db.default_url())
        return self._engine

    def now(self) -> datetime:
        from workflow import clock

        return clock.parse_moment(self._now) if self._now else clock.now()

    def today(self) -> date:
        from workflow import clock

        return clock.local_today(self.now())

    @contextmanager
    def write(self) -> Iterator[Connection]:
        from workflow import db

        db.require_file(self.engine)
        with db.unit_of_work(self.engine) as conn:
            db.check_schema(conn)
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        from workflow import db

        with db.reading(self.engine) as conn:
            yield conn


class Group(click.Group):
    """Maps engine errors to one line on stderr and exit code 1 (click keeps 2 for usage errors)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZhenggaiError as exc:
            raise click.ClickException(str(exc)) from exc
        except ValueError as exc:  # bad dates and the like, raised while parsing input
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("sqlalchemy"):
                raise click.ClickException(f"数据库错误：{getattr(exc, 'orig', None) or exc}") from exc
            raise


pass_app = click.make_pass_decorator(App)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Output JSON for scripts.")(f)


def emit(data: Any, as_json: bool, text: Callable[[], str]) -> None:
    from workflow import render

    click.echo(render.to_json(data) if as_json else text())


def date_arg(value: str | None) -> date | None:
    if value is None:
        return None
    from workflow.dates import parse_date

    return parse_date(value)
