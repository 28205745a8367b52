"""`anyscene validate FILE... [--strict] [--quiet]`: check layout files and print FILE:LINE:COL problems.

Exit status 0 when every file passes, 2 when any fails (warnings fail only with --strict). Writes nothing.
"""
from __future__ import annotations

import argparse
from pathlib import Path

LAYOUT_SUFFIXES = (".yaml", ".yml")


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(
        verb, help=help_text,
        description="Check layout files: YAML syntax, keys, types and ranges, then the scene itself (references, "
                    "drivable surface, collisions, speeds and accelerations). Prints one FILE:LINE:COL line per "
                    "problem (at most 100 per file, then '... and N more') and 'FILE: ok' per good file. A folder "
                    "stands for the layout files in it. Files of at most 1 MiB of UTF-8 YAML; the limits of every "
                    "field are listed in docs/layout.md.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="layout YAML files or folders of them")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print nothing for passing files (neither 'ok' nor their warnings)")
    p.set_defaults(func=run)


def layout_files(paths: list[Path]) -> list[Path]:
    """Each path as given, except folders, which stand for their *.yaml / *.yml files in name order."""
    from ..errors import ConfigError

    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            try:
                found = sorted(q for q in p.iterdir() if q.suffix in LAYOUT_SUFFIXES and q.is_file())
            except OSError as e:
                raise ConfigError(f"{p}: cannot read the folder: {e.strerror or e}") from None
            out.extend(found or [p])
        else:
            out.append(p)
    return out


def check_file(path: Path, strict: bool):
    """(issues, failed) of one layout file; unreadable and invalid files are issues, not exceptions."""
    from ..errors import Issue, LayoutError, Location
    from ..layout.validate import failed
    from ..layout.yamlio import load_layout
    from ..validation import validate

    if path.is_dir():
        return [Issue(Location(str(path)), "no layout files (*.yaml, *.yml) in this folder")], True
    try:
        layout, source = load_layout(path)
    except LayoutError as e:
        return e.issues, True
    issues = validate(layout, source, str(path))
    return issues, failed(issues, strict)


def run(args: argparse.Namespace) -> int:
    from ..errors import format_issues

    any_failed = False
    for path in layout_files(args.files):
        issues, bad = check_file(path, args.strict)
        any_failed |= bad
        if args.quiet and not bad:
            continue
        for line in format_issues(issues):
            print(line)
        if not bad:
            n = len(issues)
            print(f"{path}: ok" + (f" ({n} warning{'s' if n != 1 else ''})" if n else ""))
    return 2 if any_failed else 0
