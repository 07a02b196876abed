"""Real HTTP targets on 127.0.0.1 for the probe tests: no mocks of httpx."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from probes.runner import make_client
from tests.loopback import Loopback, Reply, Request

CANARY_PHONE = "+380501112233"
CANARY_CODE = "canary-secret-8c1f0e"  # must never appear in a verdict
TOKEN = "tok-5f2a9c0d7e"


def _profile() -> dict:
    return {
        "owner": {"name": "Canary Testovych", "phone": CANARY_PHONE},
        "deferment": {"status": "none"},
        "notifications": [{"type": "sms"}, {"type": "info"}],
    }


class FakeReserve(Loopback):
    """A tiny stand-in for the monitored service; tests change `state` to make it misbehave."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.state: dict = {"profile": _profile(), "delay": 0.0}
        super().__init__(self._answer, tls=tls)

    def _answer(self, request: Request) -> Reply:
        return self._post(request) if request.method == "POST" else self._get(request)

    def _post(self, request: Request) -> Reply:
        path, body = request.route, request.body
        if path == "/api/login" and json.loads(body or b"{}") == {"phone": CANARY_PHONE, "code": CANARY_CODE}:
            return Reply(200, {"token": TOKEN})
        if path == "/api/cookie-login":
            return Reply(200, {"ok": True}, {"Set-Cookie": "session=s-77; Path=/; HttpOnly"})
        if path == "/echo":
            return Reply(200, {"you_sent": body.decode()})
        return Reply(401, {"error": "wrong phone or code"})

    def _get(self, request: Request) -> Reply:
        path, query, headers = request.route, request.query, request.headers
        if self.state["delay"] and path == "/slow":
            time.sleep(self.state["delay"])
        if path == "/api/profile":
            if headers.get("authorization") == f"Bearer {TOKEN}":
                return Reply(200, self.state["profile"])
            return Reply(401, {"error": "no session"})
        if path == "/api/cookie-profile":
            ok = "session=s-77" in (headers.get("cookie") or "")
            return Reply(200 if ok else 401, {"session": ok})
        if path in ("/slow", "/api/health"):
            return Reply(200, {"ok": True})
        if path.startswith("/status/"):
            return Reply(int(path.rsplit("/", 1)[1]), {"error": "as requested"})
        if path == "/redirect":
            return Reply(302, "", {"Location": query.get("to", ["/api/health"])[0]})
        if path == "/echo":
            return Reply(200, {"query": query, "authorization": headers.get("authorization")})
        if path == "/text":
            return Reply(200, "Deferment until the end of martial law has been granted.")
        if path == "/evil":  # feeds a backtracking-prone pattern its worst case
            return Reply(200, "a" * 40 + "!")
        return Reply(404, {"error": "not found"})


@pytest.fixture
def target() -> Iterator[FakeReserve]:
    with FakeReserve() as server:
        yield server


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
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FakeReserve(tls=context) as server:
        yield server
