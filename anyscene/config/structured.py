"""Typed omegaconf configs loaded from YAML at the edges: `load_structured` reads a config file (or plain data),
checks it against its dataclass at the line of each key, merges it into the typed defaults, applies options
and `key=value` overrides (read as strictly as files) and returns the typed object with its `Provenance`
(where each setting came from), so range errors name the file line, the option or the override."""
from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any, Sequence, TypeVar

from ..errors import ConfigError
from . import yaml as config_yaml
from .typed import check_typed, field_type
from .yaml import YamlDoc, YamlFileError

T = TypeVar("T")

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def omegaconf_message(e: Exception, reference: str = "") -> str:
    """A one-line message for an omegaconf error, naming the key (and `reference`, the file listing the known
    keys, for unknown ones)."""
    key = getattr(e, "full_key", None)
    msg = str(e).splitlines()[0]
    if "not in struct" in msg or ("Key '" in msg and "not" in msg):
        more = f"; see {reference} for the known keys" if reference else ""
        return f"unknown key {key or msg!r}{more}"
    if "missing mandatory value" in msg.lower():
        return f"{key}: missing value (set it in the file or as an override {key}=...)"
    return f"{key}: {msg}" if key else msg


class Provenance:
    """Where each dotted key of a config was set: 'FILE:LINE:COL', "option KEY=VALUE" or "override 'K=V'"."""

    def __init__(self, doc: YamlDoc | None = None):
        self.doc = doc
        self.places: dict[str, str] = {}
        if doc is not None:
            for key in doc.lines:
                self.places[key] = doc.where(key)

    def set(self, key: str, place: str) -> None:
        for k in [k for k in self.places if k == key or k.startswith(key + ".") or k.startswith(key + "[")]:
            del self.places[k]
        self.places[key] = place

    def where(self, key: str) -> str:
        """The place of `key` (or of the nearest enclosing key that was set), '' when it has its default."""
        p = key
        while p:
            if p in self.places:
                return self.places[p]
            p = p[: p.rindex("[")] if p.endswith("]") else (p.rsplit(".", 1)[0] if "." in p else "")
        return ""

    def error(self, key: str, message: str) -> ConfigError:
        """ConfigError 'PLACE: message' (just the message for a default value)."""
        place = self.where(key)
        return ConfigError(f"{place}: {message}" if place else message)


def parse_override(text: str, schema=None, reference: str = "", example: str = "key=value"):
    """(dotted key, value) of a `key=value` override. The value is read as YAML with the rules of config files
    (no tags, no aliases' expansion beyond a small bound, no interpolations); with `schema`, the key must be a
    field of it and the value of the field's type."""
    if "=" not in text or not text.split("=", 1)[0].strip():
        raise ConfigError(f"override {text!r}: expected key=value (e.g. {example})")
    key, raw = (p.strip() for p in text.split("=", 1))
    if not _KEY.fullmatch(key):
        raise ConfigError(f"override {text!r}: the key must be dotted names (letters, digits, _), e.g. {example}")
    where = f"override {text!r}" if len(text) <= 200 else f"override {text[:197]!r}..."
    try:
        value = config_yaml.parse_value(raw, where)
    except YamlFileError as e:
        raise ConfigError(f"{where}: {e.message}") from None
    if schema is not None:
        check_value(schema, key, value, where, reference)
    else:
        try:
            check_typed(YamlDoc(where, value), value, typing.Any, key)
        except YamlFileError as e:
            raise ConfigError(f"{where}: {e.message}") from None
    return key, value


def check_value(schema, key: str, value, where: str, reference: str = "") -> None:
    """ConfigError naming `where` unless `value` fits the field `key` of config dataclass `schema`."""
    tp = field_type(schema, key)
    if tp is None:
        more = f"; see {reference} for the known keys" if reference else ""
        raise ConfigError(f"{where}: unknown key '{key}'{more}")
    doc = YamlDoc(where, value)
    try:
        check_typed(doc, value, tp, key, reference)
    except YamlFileError as e:
        raise ConfigError(f"{where}: {e.message}") from None


def _nested(key: str, value) -> dict:
    out: dict = {}
    d = out
    parts = key.split(".")
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = value
    return out


def apply_overrides(cfg, overrides=(), options=None, *, option_merge: bool = False, example: str = "key=value",
                    reference: str = "", schema=None, provenance: Provenance | None = None):
    """`cfg` with `options` (dotted key -> value; None values skipped) and then `key=value` `overrides`
    applied; ConfigError naming the option or override on any problem. With `schema` (the config dataclass)
    keys and value types are checked strictly first; `provenance` records where each key was set."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    for key, value in (options or {}).items():
        if value is None:
            continue
        where = f"option {key}={value!r}"
        if schema is not None:
            check_value(schema, key, value, where, reference)
        try:
            OmegaConf.update(cfg, key, value, merge=option_merge)
        except OmegaConfBaseException as e:
            raise ConfigError(f"{where}: {omegaconf_message(e)}") from None
        if provenance is not None:
            provenance.set(key, where)
    for o in overrides:
        key, value = parse_override(o, schema, reference, example)
        try:
            cfg = OmegaConf.merge(cfg, OmegaConf.create(_nested(key, value)))
        except OmegaConfBaseException as e:
            raise ConfigError(f"override {o!r}: {omegaconf_message(e, reference)}") from None
        if provenance is not None:
            provenance.set(key, f"override {o!r}")
    return cfg


def _merged(doc: YamlDoc, schema, reference: str = ""):
    """The doc checked against `schema` and merged into its typed defaults (an omegaconf DictConfig)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    check_typed(doc, doc.data, schema, "", reference)
    try:
        return OmegaConf.merge(OmegaConf.structured(schema), OmegaConf.create(doc.data))
    except OmegaConfBaseException as e:  # left after check_typed: e.g. a missing value of a nested section
        key = str(getattr(e, "full_key", "") or "")
        raise doc.error(key, omegaconf_message(e, reference).removeprefix(f"{key}: ")) from None


def load_structured(source: str | Path | YamlDoc, schema: type[T], *, what: str = "config file",
                    reference: str = "", overrides: Sequence[str] = (), options: dict[str, Any] | None = None,
                    option_merge: bool = False, example: str = "key=value") -> tuple[T, Provenance]:
    """The config `source` (a YAML file, or a YamlDoc of plain data) as a `schema` object, and where each of
    its settings came from.

    The file is read within bounds (`anyscene.config.yaml`), checked against `schema` (unknown keys, types:
    FILE:LINE:COL errors naming the key), merged into the schema's defaults, then `options` (dotted keys,
    None values skipped) and `key=value` `overrides` are applied (errors name the option or override).
    `what` names the file in messages ("rig file"); `reference` is the shipped file listing the known keys.
    Range checks are the caller's, with the returned Provenance."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    doc = source if isinstance(source, YamlDoc) else config_yaml.load_config(source, what)
    cfg = _merged(doc, schema, reference)
    provenance = Provenance(doc)
    if overrides or options:
        cfg = apply_overrides(cfg, overrides, options, option_merge=option_merge, example=example,
                              reference=reference, schema=schema, provenance=provenance)
    try:
        obj = OmegaConf.to_object(cfg)
    except OmegaConfBaseException as e:  # a missing required value
        key = str(getattr(e, "full_key", "") or "")
        place = provenance.where(key) or doc.file
        raise ConfigError(f"{place}: {omegaconf_message(e, reference)}") from None
    return obj, provenance
