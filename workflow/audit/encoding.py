"""How a typed audit payload (see `payloads`) becomes the canonical JSON the chain stores and hashes,
and is read back.

`to_dict` keeps field order, None values and the stored key names; field metadata says what differs:
"key" stores a field under another name (`from` is a Python keyword), "omit_none" leaves a None value
out (reassign records only what changed), "read" converts the JSON form back (ISO dates, nested
payloads, tuples)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Self

# A field added after entries without it were written: absent when None, so those entries' payloads
# (and hashes) stay what they were. The unit fields (issue 10): an entry naming no unit was written
# before units existed and means the round's own unit, whose id is the round's (migration 0007).
LATER: dict[str, Any] = {"omit_none": True}


def canonical_json(payload: dict[str, Any]) -> str:
    """The text the chain stores and hashes: sorted keys, no ASCII escapes, no spaces, dates as ISO."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _day(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def list_of(kind: type[Payload]) -> dict[str, Any]:
    return {"read": lambda values: [kind.from_dict(v) for v in values]}


DAY: dict[str, Any] = {"read": _day}
PAIR: dict[str, Any] = {"read": tuple, "omit_none": True}  # reassign records only what changed


def _plain(value: Any) -> Any:
    if isinstance(value, Payload):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# Per class: (attribute, stored key, omitted when None) of each field, worked out once; every action
# writes a payload, so to_dict is on the hot path.
_LAYOUT: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _layout(cls: type) -> tuple[tuple[str, str, bool], ...]:
    layout = _LAYOUT.get(cls)
    if layout is None:
        layout = _LAYOUT[cls] = tuple(
            (f.name, f.metadata.get("key", f.name), bool(f.metadata.get("omit_none"))) for f in fields(cls)
        )
    return layout


_MISSING = object()
# Per class: (attribute, stored key, converter or None) of each field; `verify` reads every payload of
# a log through from_dict, so this is worked out once.
_READERS: dict[type, tuple[tuple[str, str, Any], ...]] = {}


def _readers(cls: type) -> tuple[tuple[str, str, Any], ...]:
    readers = _READERS.get(cls)
    if readers is None:
        readers = _READERS[cls] = tuple(
            (f.name, f.metadata.get("key", f.name), f.metadata.get("read")) for f in fields(cls)
        )
    return readers


@dataclass(frozen=True, kw_only=True)
class Payload:
    """The base of every payload."""

    def to_dict(self) -> dict[str, Any]:
        """The dict the chain hashes, keys in field order (canonical JSON sorts them)."""
        out: dict[str, Any] = {}
        for name, key, omit_none in _layout(type(self)):
            value = getattr(self, name)
            if value is None:
                if omit_none:
                    continue
            elif isinstance(value, _NESTED):
                value = _plain(value)
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read a stored payload; keys it lacks take the field's default, unknown keys are ignored."""
        kwargs: dict[str, Any] = {}
        for name, key, read in _readers(cls):
            value = data.get(key, _MISSING)
            if value is not _MISSING:
                kwargs[name] = value if read is None or value is None else read(value)
        return cls(**kwargs)


_NESTED = (Payload, list, tuple, dict)  # values `_plain` rewrites; the rest are stored as they are


@dataclass(frozen=True, kw_only=True)
class FieldChanges(Payload):
    """A payload that records item fields changed as [old, new] (the snapshot rolls them back)."""

    def field_changes(self) -> dict[str, Any]:
        raise NotImplementedError  # pragma: no cover
