"""Typed configs checked strictly against their dataclass, at the line of each key: unknown keys (with a
suggestion), wrong types (no conversion between strings and numbers), non-finite numbers, missing values and
omegaconf interpolations, which AnyScene configs do not support."""
from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from typing import Any

from .yaml import YamlDoc


def _unwrap(tp):
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return (args[0] if len(args) == 1 else Any), True
    return tp, False


def describe(value) -> str:
    """How a wrong value reads in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def check_typed(doc: YamlDoc, data, tp, path: str = "", reference: str = "") -> None:
    """Raise YamlFileError (at the line of the key) where `data` does not fit the config type `tp`: unknown
    keys, a string where a number is expected (and any other wrong type), non-finite numbers, missing values,
    and omegaconf interpolations (`${...}`), which configs do not support."""
    tp, optional = _unwrap(tp)
    if data is None:
        if optional or tp is Any:
            return
        raise doc.error(path, "a value is required here")
    if tp is Any:
        _check_any(doc, data, path)
        return
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise doc.error(path, f"expected a mapping of {tp.__name__} keys, got {describe(data)}")
        hints = typing.get_type_hints(tp)
        names = [f.name for f in dataclasses.fields(tp)]
        for k, v in data.items():
            kp = f"{path}.{k}" if path else str(k)
            if k not in names:
                hint = difflib.get_close_matches(str(k), names, n=1, cutoff=0.6)
                more = f"; did you mean '{hint[0]}'?" if hint else f"; known keys: {', '.join(names)}"
                ref = f" (see {reference})" if reference else ""
                raise doc.error(kp, f"unknown key '{k}'{more}{ref}")
            check_typed(doc, v, hints[k], kp, reference)
        return
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        if not isinstance(data, list):
            raise doc.error(path, f"expected a list, got {describe(data)}")
        (inner, *_) = typing.get_args(tp) or (Any,)
        for i, v in enumerate(data):
            check_typed(doc, v, inner, f"{path}[{i}]", reference)
        return
    if origin is dict:
        if not isinstance(data, dict):
            raise doc.error(path, f"expected a mapping, got {describe(data)}")
        _, inner = typing.get_args(tp) or (str, Any)
        for k, v in data.items():
            kp = f"{path}.{k}" if path else str(k)
            if not isinstance(k, str):
                raise doc.error(kp, f"keys must be names, got {describe(k)}")
            check_typed(doc, v, inner, kp, reference)
        return
    check_scalar(doc, data, tp, path)


def check_scalar(doc: YamlDoc, value, tp, path: str) -> None:
    """A scalar value of type int, float, str or bool, strictly (no conversion between strings and numbers)."""
    if tp is bool:
        ok = isinstance(value, bool)
        want = "true or false"
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        want = "a number"
        if ok and not math.isfinite(value):
            raise doc.error(path, f"must be a finite number, got {value}")
    elif tp is str:
        ok = isinstance(value, str)
        want = "a string"
        if not ok and isinstance(value, (int, float)) and not isinstance(value, bool):
            raise doc.error(path, f"expected a string, got {describe(value)}; write it in quotes if you mean "
                                  "the text")
    else:
        raise TypeError(f"unsupported config type {tp!r} at {path}")  # a bug in a config dataclass
    if not ok:
        raise doc.error(path, f"expected {want}, got {describe(value)}")
    if isinstance(value, str):
        _check_string(doc, value, path)


def _check_string(doc: YamlDoc, value: str, path: str) -> None:
    if "${" in value:
        raise doc.error(path, "interpolations ${...} are not supported in AnyScene configs; write the value")
    if len(value) > 4096:
        raise doc.error(path, "a string longer than 4096 characters")


def _check_any(doc: YamlDoc, data, path: str) -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            _check_any(doc, v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_any(doc, v, f"{path}[{i}]")
    elif isinstance(data, float) and not math.isfinite(data):
        raise doc.error(path, f"must be a finite number, got {data}")
    elif isinstance(data, str):
        _check_string(doc, data, path)


def field_type(tp, dotted: str):
    """The type of the field at dotted path `dotted` inside config dataclass `tp`, or None when there is no
    such field (dict fields accept any key)."""
    for part in dotted.split("."):
        tp, _ = _unwrap(tp)
        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp)
            if part not in hints:
                return None
            tp = hints[part]
        elif typing.get_origin(tp) is dict:
            tp = (typing.get_args(tp) or (str, Any))[1]
        elif tp is Any:
            return Any
        else:
            return None
    return tp
