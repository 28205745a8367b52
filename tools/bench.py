"""All benchmarks in one run (`make bench`): runs each benchmark module's entry point and writes one JSON.

Each section is a separate module under tools/ with a `main(["--out", FILE])` entry point; a section that
fails is recorded with its error and the others still run. Figures are medians measured in this one run.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

SECTIONS = ("bench_validate", "bench_world", "bench_sensors", "bench_generate", "bench_batch", "bench_datagen",
            "bench_diffusion", "bench_editor", "bench_import")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("bench.json"))
    ap.add_argument("--only", nargs="*", default=None, help="run only these sections")
    args = ap.parse_args(argv)
    result = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                          "platform": platform.platform()}, "sections": {}}
    failed = False
    for name in SECTIONS:
        if args.only and name not in args.only:
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"{name}.json"
            try:
                mod = __import__(name)
                rc = mod.main(["--out", str(out)])
                section = json.loads(out.read_text()) if out.exists() else {"error": f"no output (exit {rc})"}
            except Exception:  # one failing benchmark must not hide the others
                section = {"error": traceback.format_exc()}
                failed = True
        section["wall_s"] = time.perf_counter() - t0
        result["sections"][name] = section
        args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
