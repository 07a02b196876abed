"""Keep one process of `make run` alive: restart it when it exits, kill and restart it when it hangs.

    supervise.py NAME [--hang-after S] [--run-dir DIR] -- COMMAND…

The command runs in its own process group; SIGTERM or SIGINT to the supervisor stops
the whole group (TERM, then KILL after --stop-timeout), so Ctrl-C on `make run` cannot
hang on a stuck child. With --hang-after, the command is given STATUSPAGE_HEARTBEAT_FILE
(probes.heartbeats touches it); a file older than S seconds means the process hangs
(SIGSTOP, a deadlocked pool): the group is killed and started again. The child's pid is
written to DIR/NAME.pid. Plain Python, no Django: it must work when the app does not.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

POLL_S = 0.5
STEADY_S = 60  # a run this long resets the restart backoff


def log(name: str, message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervise {name}: {message}", flush=True)


def kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def stop(proc: subprocess.Popen, timeout: float) -> None:
    kill_group(proc, signal.SIGCONT)  # a stopped process cannot act on TERM
    kill_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc, signal.SIGKILL)
        proc.wait()


def hangs(alive_file: Path, started_at: float, hang_after: float, start_timeout: float) -> bool:
    """Silent for hang_after since its last heartbeat; before its first one, the start may
    take start_timeout (Django and Celery load slowly on a busy machine)."""
    last = alive_file.stat().st_mtime
    allowed = hang_after if last > started_at else max(hang_after, start_timeout)
    return time.time() - last > allowed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--hang-after", type=float, help="seconds without a heartbeat that mean it hangs")
    parser.add_argument("--run-dir", default=os.path.join(os.environ.get("STATUSPAGE_VAR_DIR", "var"), "run"))
    parser.add_argument("--start-timeout", type=float, default=120.0,
                        help="seconds a start may take before its first heartbeat")
    parser.add_argument("--stop-timeout", type=float, default=10.0)
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("no command: NAME [options] -- COMMAND…")
    split = argv.index("--")
    args, command = parser.parse_args(argv[:split]), argv[split + 1:]
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    alive_file = run_dir / f"{args.name}.alive"
    env = dict(os.environ)
    if args.hang_after:
        env["STATUSPAGE_HEARTBEAT_FILE"] = str(alive_file)

    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    backoff = 1.0
    while not stopping:
        alive_file.touch()
        started, started_at = time.monotonic(), alive_file.stat().st_mtime
        proc = subprocess.Popen(command, env=env, start_new_session=True)
        (run_dir / f"{args.name}.pid").write_text(str(proc.pid))
        log(args.name, f"started pid {proc.pid}")
        while not stopping and proc.poll() is None:
            time.sleep(POLL_S)
            if args.hang_after and hangs(alive_file, started_at, args.hang_after, args.start_timeout):
                log(args.name, f"no heartbeat for {args.hang_after:g} s: it hangs; killing it")
                kill_group(proc, signal.SIGKILL)
                proc.wait()
        if stopping:
            stop(proc, args.stop_timeout)
            break
        kill_group(proc, signal.SIGKILL)  # what it left behind (a pool child) goes with it
        backoff = 1.0 if time.monotonic() - started > STEADY_S else min(backoff * 2, 30.0)
        log(args.name, f"exited with {proc.returncode}; starting it again in {backoff:g} s")
        deadline = time.monotonic() + backoff
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.1)
    log(args.name, "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
