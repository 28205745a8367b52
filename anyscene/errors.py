"""Errors a user can cause. Each says where (file:line:col) and what to do; the CLI prints it and exits 2."""
from __future__ import annotations

from dataclasses import dataclass


class AnySceneError(Exception):
    """Base class of every error caused by user input (bad files, options or layouts)."""

    exit_code = 2


@dataclass(frozen=True)
class Location:
    """A place in a user's file: 1-based line and column; `field` is the dotted path of the value."""

    file: str
    line: int = 0
    col: int = 0
    field: str = ""

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


@dataclass(frozen=True)
class Issue:
    """One finding about a layout: an error or a warning, with where it is."""

    location: Location
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


MAX_MESSAGES = 100  # issues printed one by one; the rest are counted in one line


def format_issues(issues: list[Issue], limit: int = MAX_MESSAGES) -> list[str]:
    """One line per issue, the first `limit` of them, then '... and N more' when there are more."""
    lines = [str(i) for i in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"... and {len(issues) - limit} more")
    return lines


class LayoutError(AnySceneError):
    """A layout that cannot be used; carries every issue found, errors first (the message lists at most
    MAX_MESSAGES of them)."""

    def __init__(self, issues: list[Issue]):
        self.issues = sorted(issues, key=lambda i: i.severity != "error")
        super().__init__("\n".join(format_issues(self.issues)))


class ConfigError(AnySceneError):
    """A bad option, override or config file."""


class OutputError(AnySceneError):
    """An output folder that cannot be written or would be overwritten."""


class DatasetError(AnySceneError):
    """An external dataset that cannot be imported: a missing or broken table, file or record."""
