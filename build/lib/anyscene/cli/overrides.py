"""Trailing `key=value` config overrides on the command line, shared by the verbs that take them."""
from __future__ import annotations

import argparse
import re

OVERRIDE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*=")


class TrailingOverrides(argparse.ArgumentParser):
    """A parser that collects key=value arguments left after the options into `overrides` (argparse alone
    cannot take positionals both before and after options). Verbs switch their sub-parser to it with
    `parser.__class__ = TrailingOverrides`."""

    def parse_known_args(self, args=None, namespace=None):
        ns, extras = super().parse_known_args(args, namespace)
        ns.overrides = list(getattr(ns, "overrides", None) or []) + [a for a in extras if OVERRIDE.match(a)]
        return ns, [a for a in extras if not OVERRIDE.match(a)]
