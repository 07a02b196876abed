"""The production front (docs/nginx-front.conf) with the machine's nginx: slow and large
requests end at nginx, and the app gets each request whole, at once."""

from __future__ import annotations

import socket
import time
from contextlib import closing

import httpx
import pytest

from tests.loopback import Loopback, Reply
from tests.nginx import free_port, nginx
from tests.processes import ROOT

pytestmark = pytest.mark.pure
TIMEOUT_S = 2  # the conf's 10 s header and body timeouts, shortened for the test


@pytest.fixture
def front(tmp_path):
    """nginx with the production front conf before a stand-in app that answers "ok" and notes
    each request it gets, with when its body was all in; yields (port, base URL, the app)."""
    with Loopback(lambda request: Reply(200, b"ok")) as app:
        port = free_port()
        conf = (ROOT / "docs" / "nginx-front.conf").read_text()
        conf = (conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
                .replace("127.0.0.1:8000", f"127.0.0.1:{app.port}")
                .replace("client_header_timeout 10s;", f"client_header_timeout {TIMEOUT_S}s;")
                .replace("client_body_timeout 10s;", f"client_body_timeout {TIMEOUT_S}s;"))
        with nginx(conf, port, tmp_path) as base:
            yield port, base, app


def send(port: int, head: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=4 * TIMEOUT_S + 5)
    sock.sendall(head.encode() + body)
    return sock


def status_of(sock: socket.socket) -> int:
    try:
        answer = sock.recv(4096)
    except ConnectionResetError:
        return 0
    return int(answer.split()[1]) if answer else 0


def post_head(path: str, length: int, content_type: str = "application/x-www-form-urlencoded") -> str:
    return (f"POST {path} HTTP/1.1\r\nHost: status.example.org\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n")


def test_a_body_that_stops_arriving_gets_408_from_nginx_and_never_reaches_the_app(front):
    port, _, app = front
    with closing(send(port, post_head("/subscribe/email", 100), b"email=")) as sock:
        assert status_of(sock) in (408, 0)  # nginx answers 408, or just closes
    assert app.requests == []


def test_headers_that_stop_arriving_are_cut_off_by_nginx(front):
    port, _, app = front
    with closing(send(port, "GET / HTTP/1.1\r\nHost: status.example.org\r\n")) as sock:
        assert status_of(sock) in (408, 0)
    assert app.requests == []


def test_a_trickled_body_reaches_the_app_only_once_it_is_all_in(front):
    port, _, app = front
    body = b"email=olena%40example.org"
    with closing(send(port, post_head("/subscribe/email", len(body)))) as sock:
        for i in range(0, len(body), 5):
            time.sleep(TIMEOUT_S / 8)
            last_sending = time.monotonic()
            sock.sendall(body[i:i + 5])
        assert status_of(sock) == 200
    [request] = app.requests
    assert (request.method, request.path, request.body) == ("POST", "/subscribe/email", body)
    assert request.at >= last_sending  # the app got nothing before the last bytes: no app thread waited


@pytest.mark.parametrize("path, length, content_type, status", [
    ("/api/v1/config/", 2 * 1024 * 1024, "application/json", 413),
    ("/subscribe/email", 9 * 1024, "application/x-www-form-urlencoded", 413),
    ("/subscribe/email", 300 * 1024 * 1024, "multipart/form-data; boundary=x", 413),
    ("/subscribe/email", 100, "multipart/form-data; boundary=x", 415),
])
def test_an_oversized_or_file_body_is_refused_by_nginx(front, path, length, content_type, status):
    port, _, app = front
    with closing(send(port, post_head(path, length, content_type), b"x" * min(length, 100))) as sock:
        assert status_of(sock) == status
    assert app.requests == []


def test_an_ordinary_read_passes_through(front):
    _, base, app = front
    assert httpx.get(base + "/api/v2/status.json").text == "ok"
    assert (app.requests[0].method, app.requests[0].path) == ("GET", "/api/v2/status.json")
