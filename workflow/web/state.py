"""What every request of one server shares: the database engine, the configuration, the clock and the
templates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from importlib import resources
from typing import Any

import sqlalchemy as sa
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection

from workflow import clock, config, db
from workflow.accounts import settings as web_settings
from workflow.items.actions import MAX_EVIDENCE_BYTES


class Web:
    def __init__(
        self,
        url: str,
        config_path: str | None = None,
        now: Callable[[], datetime] | None = None,
        max_upload: int | None = None,
    ) -> None:
        self.url = url
        self.engine: sa.Engine = db.make_engine(url)
        self.config: dict[str, Any] = config.load(config_path)
        self.settings = web_settings.load(self.config)
        self.yellow_days = config.yellow_days(self.config)
        self.scheme = config.light_scheme(self.config)
        self._now = now or clock.now  # the server's clock, never the client's
        self.max_upload = max_upload or MAX_EVIDENCE_BYTES  # as the command line's --file
        self._checked = False

    def now(self) -> datetime:
        return self._now()

    def today(self) -> date:
        return clock.local_today(self.now())

    @cached_property
    def templates(self) -> Jinja2Templates:
        folder = str(resources.files("workflow.web").joinpath("templates"))
        t = Jinja2Templates(directory=folder)  # autoescape is on for .html
        t.env.globals["clock_show"] = clock.show
        return t

    def _check_once(self) -> None:
        """The schema is checked at the first request, not at every one: a running server's database
        is upgraded only with the server stopped (`zhenggai db upgrade`, then start it again)."""
        if not self._checked:
            with db.reading(self.engine):
                pass
            self._checked = True

    @contextmanager
    def write(self) -> Iterator[Connection]:
        self._check_once()
        with db.unit_of_work(self.engine) as conn:
            yield conn

    @contextmanager
    def bookkeeping(self) -> Iterator[Connection]:
        """A write to the server's own tables (a session's last_seen): on PostgreSQL without the
        chain's lock that every audited write takes first, so page views never queue behind actions."""
        if self.engine.dialect.name != "postgresql":
            with self.write() as conn:
                yield conn
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(zhenggai_write=False)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        self._check_once()
        with db.unit_of_work(self.engine, write=False) as conn:
            yield conn
