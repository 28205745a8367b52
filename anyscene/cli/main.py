"""`anyscene` command line: one verb per stage, each a thin shell over library functions.

Each verb lives in its own module `anyscene.cli.<module>` exposing `add_parser(subparsers)` (which registers
the verb and sets `func`) ; `func(args) -> int` is the exit code. User errors (`AnySceneError`) print their
message and exit 2, without a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

# The stages run their own thread pools around small matrix products: BLAS runs single-threaded (set before
# numpy is first imported; anyscene.export.scene.single_threaded_blas does the same for library callers).
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from .. import __version__
from ..atomic import Terminated
from ..errors import AnySceneError

# verb -> (module, one-line help). Modules are imported only when their verb runs (or for --help).
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check layout files; report FILE:LINE:COL problems"),
    "occupancy": ("occupancy", "write ego-frame occupancy labels (labels.npz) for every frame of a layout"),
    "preview": ("preview", "draw a layout's occupancy over time as PNG, GIF or MP4"),
    "generate": ("generate", "generate a nuScenes-format dataset from layouts"),
    "train-renderer": ("train_renderer", "train the multi-view video diffusion renderer"),
    "sample": ("sample", "sample procedural layouts from road templates"),
    "batch": ("batch", "generate many scenes into one dataset, locally or on Ray"),
    "edit": ("edit", "edit a layout in the browser: BEV canvas, timeline, live validation, previews"),
    "import": ("import_", "import a recorded scene (nuScenes) as an editable layout and rig"),
    "compare": ("compare", "compare a replayed scene with the real recording, sensor by sensor, box by box"),
    "stats": ("stats", "annotation statistics of a nuScenes dataroot (class mix, distances, sizes, speeds)"),
    "detector": ("detector", "train and score the reference BEV LiDAR detector on nuScenes-format data"),
    "sim2real": ("sim2real", "benchmark: does AnyScene data train a detector that works on real nuScenes?"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anyscene", description="BEV layouts in YAML to exactly labelled "
                                     "multi-sensor driving datasets.")
    parser.add_argument("--version", action="version", version=f"anyscene {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for verb, (module, help_text) in COMMANDS.items():
        try:
            mod = importlib.import_module(f"anyscene.cli.{module}")
        except ModuleNotFoundError as e:
            if e.name != f"anyscene.cli.{module}":
                raise
            continue  # a verb whose module is not part of this installation
        mod.add_parser(sub, verb, help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AnySceneError as e:
        print(_message(e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:
        print("terminated" if isinstance(e, Terminated) else "interrupted", file=sys.stderr)
        return getattr(e, "exit_code", 130)


def _message(e: AnySceneError) -> str:
    """The error as printed: a located one as 'FILE:LINE:COL: error: ...' (the form of layout issues), any
    other as 'error: ...'; a multi-line message (a LayoutError's issues) as it is."""
    from ..errors import LayoutError
    from ..config import YamlFileError

    if isinstance(e, LayoutError):
        return str(e)
    if isinstance(e, YamlFileError):
        return f"{e.location}: error: {e.message}"
    text = str(e)
    if "\n" in text:
        return text
    m = re.match(r"(\S+:\d+:\d+): (.*)", text, re.S)
    return f"{m.group(1)}: error: {m.group(2)}" if m else f"error: {text}"


if __name__ == "__main__":
    sys.exit(main())
