"""What every command module shares: the App context (database, actor, clock), error mapping and output.

Imports only click at module level: command modules load the engine inside their command bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from workflow.errors import InvalidInput, PermissionDenied, ZhenggaiError
from workflow.inputs import MAX_INT, os_reason

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from states.categories import Category, Rate
    from states.colours import Scheme

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
        then that person, whatever `--as` says — and except a login mapped to nobody, which may act
        only if it owns the tables (the triggers of the database enforce the same)."""
        if self._actor is None:
            name = self._as
            if self.engine.dialect.name == "postgresql":
                from workflow.read.people import session_login

                with self.engine.connect() as conn:
                    login = session_login(conn.execution_options(zhenggai_write=False))
                if login is not None and login.person is not None:
                    if name not in (None, login.person):
                        raise PermissionDenied(
                            f"以数据库用户登录的是 {login.person}，不能以 {name} 的身份操作（去掉 --as，或用自己的登录）"
                        )
                    name = login.person
                elif login is not None and not login.owner:
                    raise PermissionDenied(
                        f"数据库登录 {login.name} 尚未对应任何人员，不能操作：请数据库所有者运行 "
                        f"zhenggai person login 姓名 {login.name}"
                    )
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
    def yellow_days(self) -> int:
        """The one yellow threshold ([lights] yellow_days), for every colour a command shows."""
        from workflow import config

        return config.yellow_days(self.config)

    @property
    def light_scheme(self) -> Scheme:
        """Which colour each meaning of a light shows ([lights.colours]), for every colour a command shows."""
        from workflow import config

        return config.light_scheme(self.config)

    @property
    def rate(self) -> Rate:
        """The completion rate: which categories count as done, and its decimals ([report])."""
        from workflow import config

        return config.rate(self.config)

    @property
    def labels(self) -> dict[Category, str]:
        """The wording of the completion categories ([categories])."""
        from workflow import config

        return config.category_labels(self.config)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            import sqlalchemy as sa

            from workflow import db

            url = self.url or db.default_url()
            try:
                backend = sa.make_url(url).get_backend_name()
            except sa.exc.ArgumentError:
                backend = None
            if backend not in ("sqlite", "postgresql"):  # the two the schema and the tests cover
                raise InvalidInput(
                    "--db（ZHENGGAI_DB）不是可用的数据库地址：应为 sqlite:///文件路径 "
                    "或 postgresql+psycopg://用户@主机/数据库"
                )
            self._engine = db.make_engine(url)
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


# NUL and lone surrogates (what Python makes of bytes that were not UTF-8: GBK typed in a UTF-8
# terminal, a file name from a Windows zip) can be neither looked up nor stored in either database.
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


def _check_argument(value: str) -> None:
    bad = _UNUSABLE.search(value)
    if bad is None:
        return
    shown = repr(value[:40]) + ("…" if len(value) > 40 else "")
    if bad.group() == "\x00":
        raise click.ClickException(f"命令行参数 {shown} 含有 NUL 字符")
    raise click.ClickException(
        f"命令行参数 {shown} 不是有效的 UTF-8 文本：请把终端（或文件名）的编码改为 UTF-8 后重试"
    )


class Group(click.Group):
    """Maps engine errors to one line on stderr and exit code 1 (click keeps 2 for usage errors)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse what no command can use, whichever command it is for (see `_UNUSABLE`)."""
        for arg in args:
            _check_argument(arg)
        rest = super().parse_args(ctx, args)
        for value in ctx.params.values():  # also those that came from environment variables
            if isinstance(value, str):
                _check_argument(value)
        return rest

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as exc:  # a usage error in the top-level options
            raise _shown(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:  # click's own (usage errors, bad values) and ours
            raise _shown(exc) from None
        except ZhenggaiError as exc:
            raise _shown(click.ClickException(str(exc))) from exc
        except ValueError as exc:  # bad dates and the like, raised while parsing input
            raise _shown(click.ClickException(str(exc))) from exc
        except OSError as exc:  # a file the user named (--out, --html, export): no such folder, no room …
            if exc.filename is None:  # not about a file: a network error, say
                raise
            raise _shown(click.ClickException(f"无法使用文件 {exc.filename}：{os_reason(exc)}")) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("sqlalchemy"):
                message = f"数据库错误：{getattr(exc, 'orig', None) or exc}"
                raise _shown(click.ClickException(message)) from exc
            raise


def _shown(exc: click.ClickException) -> click.ClickException:
    """The error as a terminal may show it: an error message often repeats what a person typed (a
    round's name, an option), and an ESC or C1 character in it must be shown, not obeyed."""
    from workflow.escape import terminal

    exc.message = terminal(exc.message)  # type: ignore[misc]  # Final in click; the same error, shown safely
    return exc


pass_app = click.make_pass_decorator(App)


class DbInt(click.ParamType):
    """An id, sequence number or count: an integer that a database column can hold. Text that is not
    an integer stays a usage error (exit 2); an integer out of range is refused like other bad input."""

    name = "integer"

    def __init__(self, minimum: int = -MAX_INT) -> None:
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        text = str(value).strip()
        if re.fullmatch(r"[+-]?[0-9]{100,}", text):  # Python reads at most 4300 digits; out of range anyway
            number = -MAX_INT - 2 if text.startswith("-") else MAX_INT + 1
        else:
            number = click.INT.convert(value, param, ctx)  # not an integer: a usage error, exit 2
        if not self.minimum <= number <= MAX_INT:
            name = param.get_error_hint(ctx) if param is not None and ctx is not None else "数值"
            shown = text if len(text) <= 30 else text[:30] + "…"
            bound = f"最大 {MAX_INT}" if number > MAX_INT else f"最小 {self.minimum}"
            raise click.ClickException(f"{name} 超出范围：{shown}（{bound}）")
        return number


ID = DbInt()
COUNT = DbInt(minimum=1)
COUNT_OR_ZERO = DbInt(minimum=0)


class LifecycleName(click.ParamType):
    """A state or a role as a person types it: the value (in_progress, handler) or the Chinese
    (整改中, 责任人), converted to the value by the one table (states.lifecycle.STATE_NAMES /
    ROLE_NAMES); anything else is a usage error naming the choices."""

    def __init__(self, kind: str) -> None:
        self.name = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from states.lifecycle import parse_role, parse_state

        try:
            return (parse_state if self.name == "state" else parse_role)(str(value)).value
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


STATE = LifecycleName("state")
ROLE = LifecycleName("role")


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Output JSON for scripts.")(f)


def emit(data: Any, as_json: bool, text: Callable[[], str]) -> None:
    from workflow.cli import render

    click.echo(render.to_json(data) if as_json else text())


def date_arg(value: str | None) -> date | None:
    if value is None:
        return None
    from workflow.dates import parse_date

    return parse_date(value)


def round_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--round", "round_name", metavar="NAME", help="The inspection round (default: the only one)."
    )(f)


def as_of_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--as-of",
        "as_of",
        metavar="DATE",
        help="As the records stood at the end of this day (default: today).",
    )(f)
