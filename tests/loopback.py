"""One real HTTP server on 127.0.0.1 for tests: probe targets, webhook and alert receivers,
the app behind nginx. The code under test talks real HTTP to it, over a real socket.

    def answer(request: Request) -> Reply:
        return Reply(200, {"ok": True})            # a dict or list is sent as JSON

    with Loopback(answer) as server:               # or Loopback({"GET /health": Reply(204)})
        httpx.get(server.url + "/health")
    server.requests                                # every Request it got, in arrival order

The handler is a function of the request, or a routes table: keys "METHOD /path" or "/path"
(the path without its query), values a Reply or a function; anything else gets 404. It runs
in the request's own thread, so it may sleep to play a slow service. As a pytest fixture:
`with Loopback(answer) as server: yield server`.
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

Body = bytes | str | dict | list
Headers = Mapping[str, str] | Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent, query included
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = field(default_factory=time.monotonic)  # time.monotonic() once the body was all in

    @property
    def route(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)


@dataclass(frozen=True)
class Reply:
    """`body`: bytes as they are, str as UTF-8 text/plain, a dict or list as JSON; a
    content-type in `headers` wins. Headers may be a list of pairs, to repeat a name."""

    status: int = 200
    body: Body = b""
    headers: Headers = ()

    def encoded(self) -> tuple[list[tuple[str, str]], bytes]:
        headers = list(self.headers.items() if isinstance(self.headers, Mapping) else self.headers)
        named = {name.lower() for name, _ in headers}
        body, kind = self.body, None
        if isinstance(body, str):
            body, kind = body.encode(), "text/plain; charset=utf-8"
        elif not isinstance(body, bytes):
            body, kind = json.dumps(body).encode(), "application/json"
        if kind and "content-type" not in named:
            headers.append(("Content-Type", kind))
        return headers, body


Answer = Callable[[Request], Reply]
Routes = Mapping[str, Reply | Answer]


def routed(routes: Routes) -> Answer:
    """The answer of a routes table: "METHOD /path" first, then "/path", else 404."""

    def answer(request: Request) -> Reply:
        found = routes.get(f"{request.method} {request.route}") or routes.get(request.route)
        if found is None:
            return Reply(404, {"error": "not found"})
        return found if isinstance(found, Reply) else found(request)

    return answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a keep-alive client left open must not hang the test's teardown

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that hung up is no error
            super().handle_error(request, client_address)


class Loopback:
    """A threaded HTTP/1.1 server on `host`:0 (any free port), started by `with` (or `start()`)."""

    def __init__(self, answer: Answer | Routes, *, host: str = "127.0.0.1",
                 tls: ssl.SSLContext | None = None) -> None:
        self.answer = routed(answer) if isinstance(answer, Mapping) else answer
        self.requests: list[Request] = []
        self.in_flight = 0  # requests being answered now
        self._lock = threading.Lock()
        self.server_names: list[str | None] = []  # the TLS SNI of each handshake
        self.server = _Server((host, 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = self.base = f"{'https' if tls else 'http'}://{host}:{self.port}"
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real services do
            disable_nagle_algorithm = True  # else headers and body in two writes wait for an ACK

            def do_GET(self) -> None:  # http.server's name; every method answers alike
                loopback._serve(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(handler.command, handler.path,
                          {name.lower(): value for name, value in handler.headers.items()}, body)
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
        try:
            reply = self.answer(request)
            headers, data = reply.encoded()
            handler.send_response(reply.status)
            for name, value in headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        finally:
            with self._lock:
                self.in_flight -= 1

    def start(self) -> Loopback:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Loopback:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
