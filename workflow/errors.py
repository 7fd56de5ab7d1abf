"""The engine's exception family; the CLI maps each to a one-line message and exit code 1."""

from __future__ import annotations


class ZhenggaiError(Exception):
    """Base of every error the engine raises on purpose."""


class NotFound(ZhenggaiError):
    """An item, person, measure or round does not exist."""


class Refused(ZhenggaiError):
    """A guard or the lifecycle refuses the action; the message says why."""


class PermissionDenied(Refused):
    """The actor lacks the role for the action."""


class Conflict(ZhenggaiError):
    """Someone else changed the item first; reload and try again."""


class InvalidInput(ZhenggaiError):
    """Input (option, file, date) is malformed; the message names the place."""


class NotInitialised(ZhenggaiError):
    """The database has no zhenggai schema yet."""
