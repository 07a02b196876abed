"""Real HTTP targets on 127.0.0.1 for the probe tests: no mocks of httpx."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from probes.runner import make_client

CANARY_PHONE = "+380501112233"
CANARY_CODE = "canary-secret-8c1f0e"  # must never appear in a verdict
TOKEN = "tok-5f2a9c0d7e"


def _profile() -> dict:
    return {
        "owner": {"name": "Canary Testovych", "phone": CANARY_PHONE},
        "deferment": {"status": "none"},
        "notifications": [{"type": "sms"}, {"type": "info"}],
    }


class FakeReserve(ThreadingHTTPServer):
    """A tiny stand-in for the monitored service; tests change `state` to make it misbehave."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state: dict = {"profile": _profile(), "delay": 0.0}
        self.seen_requests: list[dict] = []

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out hang up mid-answer; that's the point of those tests

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeReserve

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: object, headers: dict | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> tuple[str, dict, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        self.server.seen_requests.append(
            {"method": self.command, "path": parts.path, "headers": dict(self.headers), "body": body}
        )
        return parts.path, parse_qs(parts.query), body

    def do_POST(self) -> None:
        path, _, body = self._record()
        data = json.loads(body or b"{}")
        if path == "/api/login" and data == {"phone": CANARY_PHONE, "code": CANARY_CODE}:
            self._reply(200, {"token": TOKEN})
        elif path == "/api/cookie-login":
            self._reply(200, {"ok": True}, {"Set-Cookie": "session=s-77; Path=/; HttpOnly"})
        elif path == "/echo":
            self._reply(200, {"you_sent": body.decode()})
        else:
            self._reply(401, {"error": "wrong phone or code"})

    def do_GET(self) -> None:
        path, query, _ = self._record()
        if self.server.state["delay"] and path == "/slow":
            time.sleep(self.server.state["delay"])
        if path == "/api/profile":
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                self._reply(200, self.server.state["profile"])
            else:
                self._reply(401, {"error": "no session"})
        elif path == "/api/cookie-profile":
            ok = "session=s-77" in (self.headers.get("Cookie") or "")
            self._reply(200 if ok else 401, {"session": ok})
        elif path in ("/slow", "/api/health"):
            self._reply(200, {"ok": True})
        elif path.startswith("/status/"):
            self._reply(int(path.rsplit("/", 1)[1]), {"error": "as requested"})
        elif path == "/redirect":
            target = query.get("to", ["/api/health"])[0]
            self._reply(302, b"", {"Location": target})
        elif path == "/echo":
            self._reply(200, {"query": query, "authorization": self.headers.get("Authorization")})
        elif path == "/text":
            self._reply(200, b"Deferment until the end of martial law has been granted.")
        elif path == "/evil":  # feeds a backtracking-prone pattern its worst case
            self._reply(200, b"a" * 40 + b"!")
        else:
            self._reply(404, {"error": "not found"})


def _serve(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def target() -> Iterator[FakeReserve]:
    yield from _serve(FakeReserve())  # type: ignore[misc]


@pytest.fixture
def client() -> Iterator:
    with make_client() as probe_client:
        yield probe_client


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def self_signed_target(tmp_path: Path) -> Iterator[FakeReserve]:
    """An HTTPS target whose certificate no CA vouches for."""
    if not shutil.which("openssl"):
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    server = FakeReserve()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)  # type: ignore[misc]
