"""The demo target answers as Reserve+ and OneID do, and misbehaves on command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from demo_target.server import MODES, Canary, DemoConfigError, DemoServer, start_in_thread

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
CANARY = Canary(phone="+380500000042", code="424242", passport="AA0000042")
SLOW_MS = 300  # instead of 2.5 s, to keep the suite quick

TRUE_PROFILE = {
    "owner": {"phone": CANARY.phone, "name": "Canary Tester"},
    "deferment": {"status": "none"},
    "notifications": [{"type": "info", "text": "Your data is up to date"}],
}
FALSE_PROFILE = {
    "owner": {"phone": CANARY.phone, "name": "Canary Tester"},
    "deferment": {"status": "granted", "until": "end of martial law"},
    "notifications": [
        {"type": "info", "text": "Your data is up to date"},
        {"type": "deferment_granted", "text": "Your deferment until the end of martial law has been granted"},
    ],
}
TRUE_ME = {"owner": {"passport": CANARY.passport, "phone": CANARY.phone}, "registrations": []}
STRANGER_ME = {
    "owner": {"passport": "ZZ9999999", "phone": CANARY.phone},
    "registrations": [{"service": "unknown", "passport": "ZZ9999999"}],
}


def serve(mode: str = "ok") -> tuple[DemoServer, httpx.Client]:
    server, base_url = start_in_thread("127.0.0.1", 0, mode, slow_ms=SLOW_MS, canary=CANARY)
    return server, httpx.Client(base_url=base_url, trust_env=False, timeout=10)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    server, client = serve()
    with client:
        yield client
    server.stop()


def reserve_flow(client: httpx.Client) -> tuple[int, object]:
    """Log in and read the profile as the probe does; the first failing status, or the profile."""
    login = client.post("/reserve/api/login", json={"phone": CANARY.phone, "code": CANARY.code})
    if login.status_code != 200:
        return login.status_code, login.json()
    profile = client.get("/reserve/api/profile", headers={"Authorization": f"Bearer {login.json()['token']}"})
    return profile.status_code, profile.json()


def oneid_flow(client: httpx.Client) -> tuple[int, object]:
    """Ask for an SMS, sign in with the code, read /me; the first failing status, or /me."""
    sms = client.post("/oneid/api/sms", json={"phone": CANARY.phone})
    if sms.status_code != 200:
        return sms.status_code, sms.json()
    signin = client.post("/oneid/api/signin", json={"request_id": sms.json()["request_id"], "code": CANARY.code})
    if signin.status_code != 200:
        return signin.status_code, signin.json()
    me = client.get("/oneid/api/me", headers={"Authorization": f"Bearer {signin.json()['token']}"})
    return me.status_code, me.json()


def reserve_token(client: httpx.Client) -> str:
    response = client.post("/reserve/api/login", json={"phone": CANARY.phone, "code": CANARY.code})
    token: str = response.json()["token"]
    return token


def oneid_token(client: httpx.Client) -> str:
    request_id = client.post("/oneid/api/sms", json={"phone": CANARY.phone}).json()["request_id"]
    token: str = client.post("/oneid/api/signin", json={"request_id": request_id, "code": CANARY.code}).json()["token"]
    return token


# Each mode, end to end

RESERVE_IN_MODE = {
    "ok": (200, TRUE_PROFILE),
    "login_down": (503, {"error": "Reserve+ is temporarily unavailable"}),
    "wrong_deferral": (200, FALSE_PROFILE),
    "slow": (200, TRUE_PROFILE),
    "wrong_owner": (200, TRUE_PROFILE),
    "sms_down": (200, TRUE_PROFILE),
}
ONEID_IN_MODE = {
    "ok": (200, TRUE_ME),
    "login_down": (503, {"error": "OneID is temporarily unavailable"}),
    "wrong_deferral": (200, TRUE_ME),
    "slow": (200, TRUE_ME),
    "wrong_owner": (200, STRANGER_ME),
    "sms_down": (500, {"error": "SMS gateway error"}),
}


def test_every_mode_has_an_expected_outcome_below() -> None:
    assert set(RESERVE_IN_MODE) == set(ONEID_IN_MODE) == set(MODES)


@pytest.mark.parametrize("mode", list(MODES))
def test_the_reserve_login_and_profile_flow_answers_as_the_mode_says(mode: str) -> None:
    server, client = serve(mode)
    with client:
        assert reserve_flow(client) == RESERVE_IN_MODE[mode]
    server.stop()


@pytest.mark.parametrize("mode", list(MODES))
def test_the_oneid_sms_signin_and_me_flow_answers_as_the_mode_says(mode: str) -> None:
    server, client = serve(mode)
    with client:
        assert oneid_flow(client) == ONEID_IN_MODE[mode]
    server.stop()


def test_the_false_deferral_is_what_the_example_probe_looks_for(client: httpx.Client) -> None:
    client.post("/_drill", json={"mode": "wrong_deferral"})
    status, profile = reserve_flow(client)
    assert "deferment until the end of martial law" in str(profile)
    assert "deferment_granted" in [n["type"] for n in profile["notifications"]]  # type: ignore[index]


def test_a_mode_switched_at_runtime_applies_to_the_next_request(client: httpx.Client) -> None:
    assert reserve_flow(client) == RESERVE_IN_MODE["ok"]
    client.post("/_drill", json={"mode": "login_down"})
    assert reserve_flow(client) == RESERVE_IN_MODE["login_down"]
    client.post("/_drill", json={"mode": "ok"})
    assert reserve_flow(client) == RESERVE_IN_MODE["ok"]


def test_a_session_opened_before_login_went_down_still_reads_the_profile(client: httpx.Client) -> None:
    token = reserve_token(client)
    client.post("/_drill", json={"mode": "login_down"})
    profile = client.get("/reserve/api/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200


# Slow

def test_slow_mode_delays_every_api_answer_but_not_health_or_drill() -> None:
    server, client = serve("slow")
    with client:
        for method, path in [("POST", "/reserve/api/login"), ("GET", "/oneid/api/me")]:
            started = time.monotonic()
            client.request(method, path, json={} if method == "POST" else None)
            assert time.monotonic() - started >= SLOW_MS / 1000
        for path in ["/healthz", "/_drill"]:
            started = time.monotonic()
            client.get(path)
            assert time.monotonic() - started < SLOW_MS / 1000
    server.stop()


def test_slow_answers_are_served_side_by_side_not_one_after_another() -> None:
    server, client = serve("slow")
    client.close()

    def login(_: int) -> int:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=10) as own:
            return own.post("/reserve/api/login", json={"phone": CANARY.phone, "code": CANARY.code}).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(login, range(20)))
    elapsed = time.monotonic() - started
    server.stop()
    assert statuses == [200] * 20
    assert elapsed < 10 * SLOW_MS / 1000  # 20 in sequence would take 20 × SLOW_MS


def test_answers_on_a_kept_alive_connection_come_back_without_a_nagle_delay(client: httpx.Client) -> None:
    started = time.monotonic()
    for _ in range(50):
        client.get("/healthz")
    assert time.monotonic() - started < 1  # with Nagle's delay, 50 × ~40 ms


def test_demo_slow_ms_sets_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SLOW_MS", "1234")
    server, _ = start_in_thread("127.0.0.1", 0, "slow")
    assert server.slow_ms == 1234
    server.stop()


def test_a_demo_slow_ms_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_SLOW_MS", "2.5s")
    with pytest.raises(DemoConfigError, match="DEMO_SLOW_MS"):
        start_in_thread("127.0.0.1", 0)


# Reserve+ login and profile

def test_reserve_login_refuses_a_wrong_code_with_401(client: httpx.Client) -> None:
    response = client.post("/reserve/api/login", json={"phone": CANARY.phone, "code": "111111"})
    assert response.status_code == 401
    assert "error" in response.json()


def test_reserve_login_refuses_another_phone_with_401(client: httpx.Client) -> None:
    response = client.post("/reserve/api/login", json={"phone": "+380509999999", "code": CANARY.code})
    assert response.status_code == 401


def test_reserve_login_asks_for_both_phone_and_code(client: httpx.Client) -> None:
    response = client.post("/reserve/api/login", json={"phone": CANARY.phone})
    assert response.status_code == 400
    assert response.json() == {"error": "phone and code are required"}


def test_reserve_profile_without_a_token_is_401(client: httpx.Client) -> None:
    assert client.get("/reserve/api/profile").status_code == 401


@pytest.mark.parametrize("authorization", ["Bearer nonsense", "Bearer a.1.b.c", "Basic abc", "Bearer ключ"])
def test_reserve_profile_with_a_bad_token_is_401(client: httpx.Client, authorization: str) -> None:
    response = client.get("/reserve/api/profile", headers={"Authorization": authorization.encode()})
    assert response.status_code == 401


def test_reserve_profile_refuses_a_oneid_token(client: httpx.Client) -> None:
    token = oneid_token(client)
    assert client.get("/reserve/api/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_from_another_server_run_is_refused(client: httpx.Client) -> None:
    other, other_client = serve()
    with other_client:
        token = reserve_token(other_client)
    other.stop()
    assert client.get("/reserve/api/profile", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# OneID

def test_oneid_signin_refuses_a_wrong_code_with_401(client: httpx.Client) -> None:
    request_id = client.post("/oneid/api/sms", json={"phone": CANARY.phone}).json()["request_id"]
    response = client.post("/oneid/api/signin", json={"request_id": request_id, "code": "111111"})
    assert response.status_code == 401


def test_oneid_sends_an_sms_to_any_phone_but_only_the_canary_can_sign_in(client: httpx.Client) -> None:
    sms = client.post("/oneid/api/sms", json={"phone": "+380509999999"})
    assert sms.status_code == 200
    response = client.post("/oneid/api/signin", json={"request_id": sms.json()["request_id"], "code": CANARY.code})
    assert response.status_code == 401


def test_oneid_signin_refuses_a_made_up_request_id(client: httpx.Client) -> None:
    response = client.post("/oneid/api/signin", json={"request_id": "sms.1.2.3", "code": CANARY.code})
    assert response.status_code == 401


def test_oneid_sms_asks_for_a_phone(client: httpx.Client) -> None:
    assert client.post("/oneid/api/sms", json={}).status_code == 400


def test_oneid_me_without_a_token_is_401(client: httpx.Client) -> None:
    assert client.get("/oneid/api/me").status_code == 401


def test_oneid_me_refuses_a_reserve_token(client: httpx.Client) -> None:
    token = reserve_token(client)
    assert client.get("/oneid/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# Drill control and health

def test_healthz_answers_ok_with_the_mode(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"ok": True, "mode": "ok"}
    client.post("/_drill", json={"mode": "sms_down"})
    assert client.get("/healthz").json() == {"ok": True, "mode": "sms_down"}


def test_the_server_starts_in_the_mode_it_was_given() -> None:
    server, client = serve("wrong_owner")
    with client:
        assert client.get("/_drill").json()["mode"] == "wrong_owner"
    server.stop()


def test_drill_switches_the_mode_and_says_what_it_was(client: httpx.Client) -> None:
    response = client.post("/_drill", json={"mode": "slow"})
    assert response.status_code == 200
    assert response.json()["mode"] == "slow"
    assert response.json()["previous"] == "ok"
    assert response.json()["slow_ms"] == SLOW_MS
    assert client.get("/_drill").json()["mode"] == "slow"


@pytest.mark.parametrize("body", [{"mode": "meltdown"}, {}, {"mode": 3}])
def test_drill_refuses_an_unknown_mode_with_400_listing_the_modes(client: httpx.Client, body: dict) -> None:
    response = client.post("/_drill", json=body)
    assert response.status_code == 400
    assert response.json()["modes"] == list(MODES)
    assert client.get("/_drill").json()["mode"] == "ok"


def test_a_body_that_is_not_a_json_object_is_400(client: httpx.Client) -> None:
    for content in [b"mode=ok", b"[1, 2]"]:
        response = client.post("/_drill", content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 400


def test_an_unknown_path_is_404_in_json(client: httpx.Client) -> None:
    response = client.get("/reserve/api/nothing")
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_wrong_method_is_405_naming_the_allowed_one(client: httpx.Client) -> None:
    response = client.get("/reserve/api/login")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_start_in_thread_refuses_an_unknown_mode() -> None:
    with pytest.raises(DemoConfigError, match="meltdown"):
        start_in_thread("127.0.0.1", 0, "meltdown")


def test_the_canary_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANARY_PHONE", "+380501112233")
    monkeypatch.setenv("CANARY_CODE", "987654")
    monkeypatch.setenv("CANARY_PASSPORT", "BB1234567")
    assert Canary.from_env() == Canary(phone="+380501112233", code="987654", passport="BB1234567")


def test_an_empty_canary_code_falls_back_to_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANARY_CODE", "")
    assert Canary.from_env().code == "000000"


# The process

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_module(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "demo_target", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_healthy(base_url: str) -> dict:
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.get(f"{base_url}/healthz", trust_env=False).json()  # type: ignore[no-any-return]
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_python_m_demo_target_serves_and_stops_cleanly_on_a_signal(sig: signal.Signals) -> None:
    port = free_port()
    process = run_module("--port", str(port), DEMO_TARGET_MODE="wrong_deferral")
    try:
        assert wait_until_healthy(f"http://127.0.0.1:{port}") == {"ok": True, "mode": "wrong_deferral"}
        process.send_signal(sig)
        assert process.wait(timeout=5) == 0
    finally:
        process.kill()
    stderr = process.stderr.read() if process.stderr else ""
    assert "listening on" in stderr
    assert "GET /healthz" in stderr
    assert "Traceback" not in stderr


def test_python_m_demo_target_says_so_when_the_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = run_module("--port", str(taken.getsockname()[1]))
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 1
    assert "cannot listen on 127.0.0.1" in stderr


def test_python_m_demo_target_refuses_an_unknown_mode() -> None:
    process = run_module("--port", str(free_port()), "--mode", "meltdown")
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 2
    assert "meltdown" in stderr
