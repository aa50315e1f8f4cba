"""JSON encoding of the domain types, for the platform cache.

JSON rather than pickle: a cache entry is data, never code, even if the store were tampered with.
Decoding is driven by the dataclasses' type hints, so every domain type round-trips unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache, lru_cache
from typing import Any


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """Serialise a domain object (or a list of them) to JSON."""
    return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


Decoder = Callable[[Any], Any]


def _identity(data: Any) -> Any:
    return data


@cache
def _decoder(tp: Any) -> Decoder:
    """A function turning the JSON form of ``tp`` back into a ``tp``, built once per type.

    Working out what to do from the type hints on every value was most of the cost of reading a
    cached entry (hundreds of values per fragment); the answer is the same for every value of a
    type, so it is worked out here once and kept as a chain of small closures.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner_tp,) = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _decoder(inner_tp)
        return lambda data: None if data is None else inner(data)
    if origin in (list, tuple):
        item = _decoder(typing.get_args(tp)[0])
        if origin is list:
            return lambda data: [item(v) for v in data]
        return lambda data: tuple(item(v) for v in data)
    if origin is dict:
        return dict
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if tp is Decimal:
        return Decimal
    if tp is datetime:
        return datetime.fromisoformat
    if tp is date:
        return date.fromisoformat
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    return _identity


def _dataclass_decoder(cls: type) -> Decoder:
    hints = _hints(cls)
    fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls) if f.init]
    # Fields that need no conversion (str, int, bool) are copied as they are, without a call.
    plain = [name for name, decode in fields if decode is _identity]
    converted = [(name, decode) for name, decode in fields if decode is not _identity]

    def decode(data: dict[str, Any]) -> Any:
        kwargs = {name: data[name] for name in plain}
        for name, convert in converted:
            kwargs[name] = convert(data[name])
        return cls(**kwargs)

    return decode


@cache
def _immutable(tp: Any) -> bool:
    """Whether a decoded ``tp`` can be shared between callers: frozen dataclasses, tuples and
    scalars all the way down (a list at the top is copied for each caller, see :func:`loads`)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType, tuple):
        return all(_immutable(a) for a in typing.get_args(tp) if a is not Ellipsis)
    if origin in (list, dict):
        return False
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        params = getattr(tp, "__dataclass_params__", None)
        hints = _hints(tp)
        return bool(params and params.frozen) and all(
            _immutable(hints[f.name]) for f in dataclasses.fields(tp)
        )
    return True


@lru_cache(maxsize=256)
def _decoded(tp: Any, text: str) -> Any:
    return _decoder(tp)(json.loads(text))


def loads(tp: Any, text: str) -> Any:
    """Rebuild a value of type ``tp`` (e.g. ``list[Sim]``) from :func:`dumps` output.

    A warm cache hands out the same few entries over and over, so values built from the same text
    are kept (bounded LRU) and shared when nothing in them can change: frozen dataclasses, tuples
    and scalars; a list of them is copied per call so a caller sorting it harms no one. Anything
    else is built afresh each time.
    """
    if typing.get_origin(tp) is list and _immutable(typing.get_args(tp)[0]):
        return list(_decoded(tp, text))
    if _immutable(tp):
        return _decoded(tp, text)
    return _decoder(tp)(json.loads(text))
