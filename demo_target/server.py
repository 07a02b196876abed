"""A stand-in for Reserve+ and OneID that can be told to misbehave.

`make run` starts it next to the status page so that a newcomer can rehearse an
outage with `python manage.py drill MODE`. Stdlib only, so it runs anywhere the
status page does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# Every mode the drill can switch to, with what the target then does.
MODES: dict[str, str] = {
    "ok": "every answer is correct",
    "login_down": "Reserve+ login and OneID sign-in answer 503",
    "wrong_deferral": "the Reserve+ profile shows a deferment granted until the end of martial law",
    "slow": "every Reserve+ and OneID API answer is delayed",
    "wrong_owner": "OneID shows a stranger's passport and a registration by a stranger",
    "sms_down": "OneID SMS sending answers 500",
}
DEFAULT_MODE = "ok"
DEFAULT_SLOW_MS = 2500
TOKEN_TTL_S = 3600
SMS_TTL_S = 300
MAX_BODY_BYTES = 64 * 1024
STRANGER_PASSPORT = "ZZ9999999"

Json = dict[str, Any]
Reply = tuple[int, Json]


class DemoConfigError(ValueError):
    """A bad mode or environment value, reported before the server starts."""


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise DemoConfigError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    return mode


def slow_ms_from_env() -> int:
    raw = os.environ.get("DEMO_SLOW_MS") or str(DEFAULT_SLOW_MS)
    try:
        value = int(raw)
    except ValueError:
        raise DemoConfigError(f"DEMO_SLOW_MS must be a whole number of ms, got {raw!r}") from None
    if value < 0:
        raise DemoConfigError(f"DEMO_SLOW_MS must not be negative, got {value}")
    return value


@dataclass(frozen=True)
class Canary:
    """The test account the probes log in with; the probes read the same env vars."""

    phone: str = "+380500000001"
    code: str = "000000"
    passport: str = "AA0000001"
    name: str = "Canary Tester"

    @classmethod
    def from_env(cls) -> Canary:
        # `or`: an empty variable must not turn into an empty, guessable code.
        return cls(
            phone=os.environ.get("CANARY_PHONE") or cls.phone,
            code=os.environ.get("CANARY_CODE") or cls.code,
            passport=os.environ.get("CANARY_PASSPORT") or cls.passport,
        )


class Drill:
    """The current mode, shared by every request thread."""

    def __init__(self, mode: str = DEFAULT_MODE) -> None:
        self._lock = threading.Lock()
        self._mode = check_mode(mode)

    @property
    def mode(self) -> str:
        with self._lock:
            return self._mode

    def switch(self, mode: str) -> str:
        """Set the mode and return the previous one."""
        check_mode(mode)
        with self._lock:
            previous, self._mode = self._mode, mode
        return previous


class Signer:
    """Stateless signed tokens: a benchmark's many logins cost no memory or locks."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)  # per process: a restart logs everyone out

    def issue(self, audience: str) -> str:
        body = f"{audience}.{int(time.time())}.{secrets.token_hex(8)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, token: str, audience: str, ttl_s: int) -> bool:
        body, _, signature = token.rpartition(".")
        # Bytes: compare_digest refuses non-ASCII str, and the token is client input.
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return False
        token_audience, issued, _nonce = body.split(".", 2)
        return token_audience == audience and 0 <= time.time() - int(issued) < ttl_s

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True  # a client stuck in a slow answer must not block shutdown
    request_queue_size = 128  # the default 5 drops connections under a benchmark burst

    def __init__(
        self,
        address: tuple[str, int],
        *,
        mode: str = DEFAULT_MODE,
        slow_ms: int = DEFAULT_SLOW_MS,
        canary: Canary | None = None,
        quiet: bool = False,
    ) -> None:
        self.drill = Drill(mode)
        self.slow_ms = slow_ms
        self.canary = canary or Canary()
        self.quiet = quiet
        self.signer = Signer()
        super().__init__(address, Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if host == "0.0.0.0":
            host = "127.0.0.1"
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (a probe timing out during `slow`) are normal here;
        # anything else is a bug in this file and keeps its traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Handler(BaseHTTPRequestHandler):
    server: DemoServer
    protocol_version = "HTTP/1.1"  # keep-alive: probes and benchmarks reuse connections
    server_version = "demo-target"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body are two writes: Nagle would add ~40 ms each
    timeout = 60  # drop idle keep-alive connections, longer than httpx's 5 s expiry

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        try:
            raw = self._read_body()  # always, so a keep-alive stream stays in step
            path = urlsplit(self.path).path
            views = ROUTES.get(path)
            if views is None:
                raise BadRequest(404, f"no such endpoint: {path}")
            view = views.get(method)
            if view is None:
                self._reply(405, {"error": f"{method} not allowed"}, {"Allow": ", ".join(views)})
                return
            data = self._parse_json(raw) if method == "POST" else {}
        except BadRequest as error:
            self._reply(error.status, {"error": error.message})
            return
        if path.startswith(("/reserve/api/", "/oneid/api/")) and self.server.drill.mode == "slow":
            time.sleep(self.server.slow_ms / 1000)
        self._reply(*view(self, data))

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise BadRequest(411, "send a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise BadRequest(400, "bad Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            raise BadRequest(413, f"body larger than {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _parse_json(raw: bytes) -> Json:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise BadRequest(400, "body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest(400, "body must be a JSON object")
        return data

    def _reply(self, status: int, payload: Json, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            stamp = time.strftime("%H:%M:%S")
            sys.stderr.write(f"demo_target {stamp} {self.client_address[0]} {format % args}\n")

    def _bearer_valid(self, audience: str) -> bool:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.server.signer.valid(token.strip(), audience, TOKEN_TTL_S)

    # Reserve+

    def reserve_login(self, data: Json) -> Reply:
        if self.server.drill.mode == "login_down":
            return 503, {"error": "Reserve+ is temporarily unavailable"}
        phone, code = data.get("phone"), data.get("code")
        if not isinstance(phone, str) or not isinstance(code, str):
            return 400, {"error": "phone and code are required"}
        canary = self.server.canary
        if (phone, code) != (canary.phone, canary.code):
            return 401, {"error": "wrong phone or code"}
        return 200, {"token": self.server.signer.issue("reserve")}

    def reserve_profile(self, data: Json) -> Reply:
        if not self._bearer_valid("reserve"):
            return 401, {"error": "missing or invalid token"}
        canary = self.server.canary
        profile: Json = {
            "owner": {"phone": canary.phone, "name": canary.name},
            "deferment": {"status": "none"},
            "notifications": [{"type": "info", "text": "Your data is up to date"}],
        }
        if self.server.drill.mode == "wrong_deferral":
            # The false mass notification users actually received.
            profile["deferment"] = {"status": "granted", "until": "end of martial law"}
            profile["notifications"].append(
                {
                    "type": "deferment_granted",
                    "text": "Your deferment until the end of martial law has been granted",
                }
            )
        return 200, profile

    # OneID

    def oneid_sms(self, data: Json) -> Reply:
        if self.server.drill.mode == "sms_down":
            return 500, {"error": "SMS gateway error"}
        phone = data.get("phone")
        if not isinstance(phone, str) or not phone:
            return 400, {"error": "phone is required"}
        if phone == self.server.canary.phone:
            return 200, {"request_id": self.server.signer.issue("sms")}
        # Another phone gets an id too (no account enumeration), but never a code that works.
        return 200, {"request_id": secrets.token_hex(24)}

    def oneid_signin(self, data: Json) -> Reply:
        if self.server.drill.mode == "login_down":
            return 503, {"error": "OneID is temporarily unavailable"}
        request_id, code = data.get("request_id"), data.get("code")
        if not isinstance(request_id, str) or not isinstance(code, str):
            return 400, {"error": "request_id and code are required"}
        sent = self.server.signer.valid(request_id, "sms", SMS_TTL_S)
        if not (sent and code == self.server.canary.code):
            return 401, {"error": "wrong or expired code"}
        return 200, {"token": self.server.signer.issue("oneid")}

    def oneid_me(self, data: Json) -> Reply:
        if not self._bearer_valid("oneid"):
            return 401, {"error": "missing or invalid token"}
        canary = self.server.canary
        if self.server.drill.mode == "wrong_owner":
            # Users believed strangers had registered with their passport.
            return 200, {
                "owner": {"passport": STRANGER_PASSPORT, "phone": canary.phone},
                "registrations": [{"service": "unknown", "passport": STRANGER_PASSPORT}],
            }
        return 200, {"owner": {"passport": canary.passport, "phone": canary.phone}, "registrations": []}

    # Operator endpoints, never delayed

    def healthz(self, data: Json) -> Reply:
        return 200, {"ok": True, "mode": self.server.drill.mode}

    def drill_status(self, data: Json) -> Reply:
        return 200, self._drill_state(self.server.drill.mode)

    def drill_switch(self, data: Json) -> Reply:
        mode = data.get("mode")
        if not isinstance(mode, str) or mode not in MODES:
            return 400, {"error": f"unknown mode {mode!r}", "modes": list(MODES)}
        previous = self.server.drill.switch(mode)
        return 200, {**self._drill_state(mode), "previous": previous}

    def _drill_state(self, mode: str) -> Json:
        return {"mode": mode, "description": MODES[mode], "modes": list(MODES), "slow_ms": self.server.slow_ms}


View = Callable[[Handler, Json], Reply]
ROUTES: dict[str, dict[str, View]] = {
    "/reserve/api/login": {"POST": Handler.reserve_login},
    "/reserve/api/profile": {"GET": Handler.reserve_profile},
    "/oneid/api/sms": {"POST": Handler.oneid_sms},
    "/oneid/api/signin": {"POST": Handler.oneid_signin},
    "/oneid/api/me": {"GET": Handler.oneid_me},
    "/healthz": {"GET": Handler.healthz},
    "/_drill": {"GET": Handler.drill_status, "POST": Handler.drill_switch},
}


def make_server(
    host: str = "127.0.0.1",
    port: int = 8001,
    mode: str = DEFAULT_MODE,
    *,
    slow_ms: int | None = None,
    canary: Canary | None = None,
    quiet: bool = False,
) -> DemoServer:
    """Bind (raising OSError if the port is taken) but do not serve yet."""
    return DemoServer(
        (host, port),
        mode=mode,
        slow_ms=slow_ms_from_env() if slow_ms is None else slow_ms,
        canary=canary or Canary.from_env(),
        quiet=quiet,
    )


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    mode: str = DEFAULT_MODE,
    *,
    slow_ms: int | None = None,
    canary: Canary | None = None,
    quiet: bool = True,
) -> tuple[DemoServer, str]:
    """Serve in a daemon thread, for tests; stop with `server.stop()`."""
    server = make_server(host, port, mode, slow_ms=slow_ms, canary=canary, quiet=quiet)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # so that stop() returns quickly
        name=f"demo_target:{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return server, server.base_url
