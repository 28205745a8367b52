"""Shared handling of typed omegaconf configs: one-line error messages and command-line overrides."""
from __future__ import annotations

from .errors import ConfigError


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


def apply_overrides(cfg, overrides=(), options=None, *, option_merge: bool = False, example: str = "key=value",
                    reference: str = ""):
    """`cfg` with `options` (dotted key -> value; None values skipped) and then `key=value` `overrides`
    applied; ConfigError naming the option or override on any problem."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    for key, value in (options or {}).items():
        if value is None:
            continue
        try:
            OmegaConf.update(cfg, key, value, merge=option_merge)
        except OmegaConfBaseException as e:
            raise ConfigError(f"option {key}={value!r}: {omegaconf_message(e)}") from None
    for o in overrides:
        if "=" not in o or not o.split("=", 1)[0].strip():
            raise ConfigError(f"override {o!r}: expected key=value (e.g. {example})")
        try:
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist([o]))
        except OmegaConfBaseException as e:
            raise ConfigError(f"override {o!r}: {omegaconf_message(e, reference)}") from None
    return cfg
