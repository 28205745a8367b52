"""Deterministic record tokens: the same scene, kind and key always give the same 32-hex-digit token.

Tokens of shared records (categories, attributes, sensors) do not depend on the scene, so scenes generated
separately merge into one dataset without clashes; every other token is unique through the scene name.
"""
from __future__ import annotations

import hashlib

NAMESPACE = "anyscene"


def token(*parts: object) -> str:
    """md5 hex digest of the parts joined by '/', e.g. token(scene, "sample", 3)."""
    text = "/".join(str(p) for p in (NAMESPACE, *parts))
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def shared_token(kind: str, name: str) -> str:
    """Token of a record shared by all scenes (category, attribute, sensor)."""
    return token("shared", kind, name)
