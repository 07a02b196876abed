"""Real processes for tests: Celery workers and beat started as `make run` starts them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from celery import Celery
from django.conf import settings
from django.db import connection

import demo_target

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def brokers() -> list[str]:
    """The broker that goes with the pass: the embedded one in the SQLite pass, as `make run`
    has it; Redis in the PostgreSQL pass, as production has it."""
    on_servers = os.environ.get("DATABASE_URL", "").startswith("postgres")
    return ["redis"] if on_servers else ["filesystem"]


def broker_url(name: str) -> str:
    return "filesystem://" if name == "filesystem" else os.environ["TEST_REDIS_URL"]


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(broker: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="statuspage.settings", STATUSPAGE_VAR_DIR=str(var_dir),
               DATABASE_URL=test_database_url(), PYTHONUNBUFFERED="1",
               # The variables this test's config may name, and its targets on loopback.
               PROBE_ENV_ALLOW=",".join(settings.PROBE_ENV_ALLOW), PROBE_ALLOWED_NETWORKS=demo_target.LOOPBACK)
    if broker != "filesystem":
        env["CELERY_BROKER_URL"] = broker_url(broker)
        env["REDIS_URL"] = broker_url(broker)
    env.update(extra)
    return env


def sender(broker: str, var_dir: Path) -> Celery:
    """A Celery client on the same broker as the processes, whatever this process's settings say."""
    # Celery lets this variable override any broker URL given in code.
    os.environ.pop("CELERY_BROKER_URL", None)
    app = Celery("test-sender", broker=broker_url(broker), set_as_current=False)  # not the app .delay() uses
    if broker == "filesystem":
        queue = var_dir / "broker" / "queue"
        control = var_dir / "broker" / "control"
        queue.mkdir(parents=True, exist_ok=True)
        control.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {"data_folder_in": str(queue), "data_folder_out": str(queue),
                                             "control_folder": str(control)}
    return app


@contextmanager
def celery_process(kind: str, broker: str, var_dir: Path, *args: str, log_name: str | None = None, **env):
    """Start `celery -A statuspage <kind> …` and stop it on exit (SIGTERM, then SIGKILL)."""
    log = open(var_dir / f"{log_name or kind}.log", "ab")
    cmd = [str(VENV_BIN / "celery"), "-A", "statuspage", kind, "--loglevel", "INFO", *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=process_env(broker, var_dir, **env), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def worker_args(*queues: str, concurrency: int = 2, name: str = "w") -> list[str]:
    return ["-Q", ",".join(queues), "--concurrency", str(concurrency), "--hostname", f"{name}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle"]


__all__ = ["brokers", "celery_process", "sender", "settings", "stop", "wait_for", "worker_args"]
