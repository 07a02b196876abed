"""`python -m demo_target [--host H] [--port P] [--mode M] [--quiet]`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType

from demo_target.server import MODES, DemoConfigError, check_mode, make_server


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m demo_target",
        description="A stand-in for Reserve+ and OneID, for rehearsing outages.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: $DEMO_TARGET_PORT or 8001")
    parser.add_argument(
        "--mode",
        default=os.environ.get("DEMO_TARGET_MODE") or "ok",
        help=f"initial mode, default $DEMO_TARGET_MODE or ok; one of: {', '.join(MODES)}",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    try:
        # Checked here rather than with `choices`, which argparse skips for env defaults.
        check_mode(args.mode)
        args.port = args.port if args.port is not None else int(os.environ.get("DEMO_TARGET_PORT") or 8001)
    except (DemoConfigError, ValueError) as error:
        parser.error(str(error))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        server = make_server(args.host, args.port, args.mode, quiet=args.quiet)
    except DemoConfigError as error:
        print(f"demo_target: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"demo_target: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever(), which runs in this very thread: hand it off.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"demo_target: listening on {server.base_url} (mode {args.mode})", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    print("demo_target: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
