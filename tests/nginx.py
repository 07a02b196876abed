"""The machine's nginx (/usr/sbin/nginx), run by a test with a configuration from docs/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.processes import wait_for
from tests.reliability.faults import free_port

__all__ = ["free_port", "listening", "nginx"]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def nginx(conf: str, port: int, tmp_path: Path, modules: str = ""):
    """nginx serving `conf` (a docs/ file's text, already pointed at the test's ports)
    inside an http block of its own, in the foreground; stopped on exit."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed: `apt-get install -y nginx` (.ci/run does it)", pytrace=False)
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers read the test's private tmp folder
    (tmp_path / "nginx.conf").write_text(
        f"{modules}{user}daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; access_log off;\n"
        f"client_body_temp_path {tmp_path}; proxy_temp_path {tmp_path}; fastcgi_temp_path {tmp_path};\n"
        f"uwsgi_temp_path {tmp_path}; scgi_temp_path {tmp_path};\n{conf}\n}}\n")
    proc = subprocess.Popen(["nginx", "-c", str(tmp_path / "nginx.conf")], stderr=subprocess.PIPE)
    try:
        wait_for(lambda: proc.poll() is not None or listening(port), timeout=10, what="nginx")
        assert proc.poll() is None, proc.stderr.read().decode()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
