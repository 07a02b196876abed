"""Slow and large requests against the real web server of `make run` (scripts/web.sh, granian).

Issue 12: two connections trickling a form body at a byte a second made every public GET
time out, and a 300 MB multipart upload was read whole before the form refused it.
"""

import socket
import time
from contextlib import closing

import httpx
import pytest

from tests.reliability.faults import granian_web

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def open_request(port: int, head: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(head)
    return sock


def form_head(length: int, content_type: str = "application/x-www-form-urlencoded") -> bytes:
    return (f"POST /subscribe/email HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_clients_trickling_form_bodies_do_not_starve_public_readers(page, tmp_path):
    with granian_web(tmp_path) as (port, base):
        slow = [open_request(port, form_head(2000) + b"email=") for _ in range(16)]
        try:
            time.sleep(0.5)  # every slow body has a thread waiting on it
            answers = [httpx.get(base + "/api/v2/status.json", timeout=5).status_code for _ in range(20)]
        finally:
            for sock in slow:
                sock.close()
    assert answers == [200] * 20


def test_a_300_mb_multipart_upload_is_refused_before_its_body_is_read(page, tmp_path):
    with granian_web(tmp_path) as (port, _):
        with closing(open_request(port, form_head(300 * 1024 * 1024, "multipart/form-data; boundary=x")
                                  + b"--x\r\n")) as sock:
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


def test_a_file_in_a_small_form_is_refused(page, client):
    body = (b"--x\r\nContent-Disposition: form-data; name=\"email\"; filename=\"a.txt\"\r\n"
            b"Content-Type: text/plain\r\n\r\nhello\r\n--x--\r\n")
    response = client.post("/subscribe/email", body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 400


def test_a_client_that_never_finishes_its_headers_is_cut_off(page, tmp_path):
    with granian_web(tmp_path) as (port, _):
        with closing(open_request(port, b"GET /api/v2/status.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")) as sock:
            sock.settimeout(15)  # granian's own default waits 30 s
            try:
                answer = sock.recv(4096)
            except ConnectionResetError:
                answer = b""
    assert not answer.startswith(b"HTTP/1.1 200")
