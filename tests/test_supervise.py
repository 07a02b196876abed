"""scripts/supervise.py, the supervisor of every process of `make run`, with throwaway commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import ROOT, wait_for

pytestmark = pytest.mark.pure


def supervise(tmp_path: Path, script: str, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "scripts/supervise.py", "job", "--run-dir", str(tmp_path), *options,
                             "--", "sh", "-c", script], cwd=ROOT, stdout=open(tmp_path / "log", "ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def pid(tmp_path: Path) -> int:
    return int((tmp_path / "job.pid").read_text())


def alive(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_process_that_exits_is_started_again(tmp_path):
    supervisor = supervise(tmp_path, f"echo ran >> {tmp_path}/runs; exit 3")
    try:
        wait_for(lambda: (tmp_path / "runs").exists() and len((tmp_path / "runs").read_text().split()) >= 2,
                 timeout=20, what="a second start")
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(20)
    assert "exited with 3; starting it again" in (tmp_path / "log").read_text()


def test_a_process_whose_heartbeat_stops_is_killed_and_started_again(tmp_path):
    supervisor = supervise(tmp_path, 'touch "$STATUSPAGE_HEARTBEAT_FILE"; exec sleep 600', "--hang-after", "1")
    try:
        wait_for(lambda: (tmp_path / "job.pid").exists(), timeout=10, what="the start")
        first = pid(tmp_path)
        wait_for(lambda: pid(tmp_path) != first, timeout=20, what="the hung process started again")
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(20)
    assert not alive(first)
    assert "it hangs; killing it" in (tmp_path / "log").read_text()


def test_a_process_that_has_not_yet_sent_its_first_heartbeat_is_given_the_start_timeout(tmp_path):
    supervisor = supervise(tmp_path, "exec sleep 600", "--hang-after", "0.5", "--start-timeout", "30")
    try:
        wait_for(lambda: (tmp_path / "job.pid").exists(), timeout=10, what="the start")
        first = pid(tmp_path)
        assert supervisor.poll() is None
        wait_for(lambda: "started pid" in (tmp_path / "log").read_text(), timeout=10, what="the log")
        time.sleep(2)  # four times --hang-after
        assert pid(tmp_path) == first and alive(first)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(20)


def test_a_stop_ends_a_process_that_ignores_sigterm_or_is_stopped(tmp_path):
    supervisor = supervise(tmp_path, "trap '' TERM; while true; do sleep 0.1; done", "--stop-timeout", "1")
    wait_for(lambda: (tmp_path / "job.pid").exists(), timeout=10, what="the start")
    child = pid(tmp_path)
    os.killpg(child, signal.SIGSTOP)
    supervisor.send_signal(signal.SIGINT)  # Ctrl-C
    assert supervisor.wait(15) == 0
    wait_for(lambda: not alive(child), timeout=5, what="the child gone")
