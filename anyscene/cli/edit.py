"""`anyscene edit [LAYOUT.yaml | DIR] [--port N] [--host 127.0.0.1]`: the layout editor in the browser."""
from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from ..errors import ConfigError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def add_parser(subparsers, verb: str, help_text: str) -> None:
    p = subparsers.add_parser(verb, help=help_text, description=(
        "Serve a bird's-eye-view layout editor and print its URL, which carries the session token. The editor "
        "reads and writes only the given layout file, or the layout files of the given folder (default: the "
        "current folder). Edits are validated as you make them; saves keep comments and formatting."))
    p.add_argument("target", nargs="?", type=Path, default=Path("."), help="layout YAML file or folder (.)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; anything else exposes the editor to the network)")
    p.add_argument("--rig", default="nuscenes", help="rig of the camera previews (nuscenes)")
    p.add_argument("--grid", default="occ3d", help="occupancy grid drawn around the ego (occ3d)")
    p.add_argument("--generate-out", type=Path, default=None,
                   help="folder for datasets made by the generate action (default: a new temporary folder)")
    p.set_defaults(func=run)


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def allowed_hosts(host: str) -> set[str]:
    """Host header values accepted: this machine's loopback names, plus the bound address."""
    return LOCAL_HOSTS | ({host.lower()} if host not in ("0.0.0.0", "::") else {socket.gethostname().lower()})


def run(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401 - checked here so that a missing install is a user error
        import uvicorn
    except ImportError as e:
        raise ConfigError(f"the editor needs FastAPI and uvicorn ({e.name} is missing): "
                          "pip install 'anyscene[editor]'") from None

    from ..editor.server import create_app
    from ..sensors.rig import load_rig
    from ..world import load_grid

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: between 0 and 65535")
    load_rig(args.rig)
    grid = load_grid(args.grid)
    port = args.port or free_port(args.host)
    app = create_app(args.target, grid=grid, rig=args.rig, generate_root=args.generate_out,
                     hosts=allowed_hosts(args.host) if args.host not in ("0.0.0.0", "::") else None)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"anyscene edit: {app.session.workspace.root}", file=sys.stderr)
    print(f"open http://{shown}:{port}/?token={app.token}", flush=True)
    if args.host not in LOCAL_HOSTS:
        print("warning: the editor is reachable from the network; anyone with the URL can edit these files",
              file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=port, log_level="warning")
    finally:
        app.jobs.stop_all()
    return 0
