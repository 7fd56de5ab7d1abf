"""The application built from the environment, for uvicorn's workers (each process builds its own)."""

from __future__ import annotations

import os

from fastapi import FastAPI

from workflow import clock, db


def from_env() -> FastAPI:
    from workflow.web.app import create_app

    fixed = os.environ.get("ZHENGGAI_NOW")
    moment = clock.parse_moment(fixed) if fixed else None
    return create_app(
        db.default_url(),
        os.environ.get("ZHENGGAI_CONFIG") or None,
        (lambda: moment) if moment is not None else None,
    )
