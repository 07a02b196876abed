"""`make run` end to end: every process starts on embedded defaults and Ctrl-C stops them all."""

import base64
import os
import re
import signal
import socket
import subprocess
import time

import feedparser
import httpx
import pytest

from tests.processes import ROOT, stop, wait_for

pytestmark = [pytest.mark.once, pytest.mark.worker]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def start(tmp_path, config=None):
    port, demo_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(PORT=str(port), DEMO_TARGET_PORT=str(demo_port), STATUSPAGE_VAR_DIR=str(tmp_path / "var"))
    if config:
        env["STATUSPAGE_CONFIG"] = config
    out = open(tmp_path / "run.out", "w+")
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for(lambda: "Ctrl-C stops everything" in (tmp_path / "run.out").read_text() or proc.poll() is not None,
                 timeout=120, what="make run to start")
        assert proc.poll() is None, (tmp_path / "run.out").read_text()
        yield {"proc": proc, "port": port, "demo_port": demo_port, "base": f"http://127.0.0.1:{port}",
               "output": (tmp_path / "run.out").read_text(), "var": tmp_path / "var"}
    finally:
        stop(proc, signal.SIGINT, timeout=30)
        out.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """The first `make run`, on the demo config: the drill test runs a second one beside it,
    then the last test stops it with Ctrl-C."""
    yield from start(tmp_path_factory.mktemp("first"))


@pytest.fixture
def running_fast(tmp_path):
    """A second make run, with the demo's probes every 2 s, on its own port and var dir."""
    yield from start(tmp_path, config=str(ROOT / "tests/fixtures/fast-probes.yaml"))


def auth(run) -> dict:
    token = re.search(r"API token: (\S+)", run["output"]).group(1)
    return {"Authorization": f"Token {token}"}


def test_a_second_make_run_beside_the_first_rehearses_an_outage_on_its_own(running, running_fast):
    base = running_fast["base"]
    with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
        def passing():
            probes = client.get("/api/v1/probes/", headers=auth(running_fast)).json()["probes"]
            return all(p["last_runs"] and p["last_runs"][0]["ok"] for p in probes)

        wait_for(passing, timeout=60, what="every probe to pass against the healthy demo target")
        probes = client.get("/api/v1/probes/", headers=auth(running_fast)).json()["probes"]
        assert {p["state"] for p in probes} == {"up"}
        assert client.get("/api/v2/summary.json").json()["status"]["indicator"] == "none"
        drill = subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "drill", "wrong_deferral"], cwd=ROOT,
                               env={**os.environ, "DEMO_TARGET_PORT": str(running_fast["demo_port"]),
                                    "STATUSPAGE_VAR_DIR": str(running_fast["var"])},
                               capture_output=True, text=True)
        assert drill.returncode == 0, drill.stderr
        started = time.monotonic()

        def tripped():
            summary = client.get("/api/v2/summary.json").json()
            return summary["status"]["indicator"] == "critical" and summary["incidents"]

        incident = wait_for(tripped, timeout=30, interval=0.1, what="the trip on summary.json")[0]
        on_summary = time.monotonic() - started
        wait_for(lambda: incident["name"] in client.get("/").text, timeout=10, interval=0.1, what="the page")
        on_page = time.monotonic() - started
        print(f"\nwrong deferral drilled: on summary.json after {on_summary:.1f}s, on the page after {on_page:.1f}s "
              f"(interval 2s × trip_after 2 + 2s = 6s)")
        assert incident["name"] == "Registration data: some people may be shown wrong information"
        # make run's on-call user is alerted: the console email backend prints it in the log.
        assert "emailed to oncall@localhost by the console backend" in running_fast["output"]
        log = running_fast["var"] / "logs" / "render-worker.log"
        wait_for(lambda: "To: oncall@localhost" in (text := log.read_text(errors="replace"))
                 and "Component: Registration data" in text, timeout=30, interval=0.2,
                 what="the on-call alert in render-worker.log")

    # The first instance, on its own port, database and demo target, saw none of it; each
    # one's feeds link to itself.
    first = httpx.get(f"{running['base']}/api/v2/summary.json", trust_env=False, timeout=10).json()
    assert first["status"]["indicator"] == "none" and first["incidents"] == []
    for run in (running, running_fast):
        feed = feedparser.parse(httpx.get(f"{run['base']}/history.atom", trust_env=False, timeout=10).content)
        assert feed.feed.link.startswith(run["base"] + "/"), feed.feed.link


def test_make_run_keeps_a_laptop_signing_key_in_the_var_dir_and_signs_with_it(running):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from statuspage.verification.keys import kid_of
    from statuspage.verification.signing import canonical

    pem = running["var"] / "signing_key.pem"
    assert oct(pem.stat().st_mode & 0o777) == "0o600"
    public = load_pem_private_key(pem.read_bytes(), password=None).public_key()
    with httpx.Client(base_url=running["base"], trust_env=False, timeout=10) as client:
        (key,) = client.get("/.well-known/statuspage-keys.json").json()["keys"]
        channels = client.get("/.well-known/statuspage.json").json()

    assert key["kid"] == kid_of(public) == channels["kid"]  # the web process signs with the var dir's key
    public.verify(base64.urlsafe_b64decode(channels["signature"] + "=="), canonical(channels))


def test_make_run_serves_the_page_feeds_and_api_then_stops_on_ctrl_c(running):
    base = running["base"]
    with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
        home = client.get("/")
        assert home.status_code == 200 and "Registration data" in home.text
        assert home.headers["server"].startswith(("granian", "gunicorn"))  # scripts/web.sh, not runserver
        assert client.get("/", headers={"If-None-Match": home.headers["etag"]}).status_code == 304
        assert client.get("/healthz").json()["database"] == "ok"
        for feed in ("/history.rss", "/history.atom"):
            assert not feedparser.parse(client.get(feed).content).bozo
        assert client.get("/api/v2/summary.json").json()["status"]["indicator"] == "none"
        assert client.get("/static/statuspage/style.css").status_code == 200

        token = re.search(r"API token: (\S+)", running["output"]).group(1)
        created = client.post("/api/v1/incidents/", headers={"Authorization": f"Token {token}"}, json={
            "name": "Login fails", "components": {"reserve-auth": "major_outage"}})
        assert created.status_code == 201
        assert client.get("/api/v2/summary.json").json()["status"]["indicator"] == "critical"
        assert "Login fails" in client.get("/").text

    assert (running["var"] / "statuspage.sqlite3").exists()
    assert {p.name for p in (running["var"] / "logs").iterdir()} >= {"web.log", "worker.log", "beat.log",
                                                                     "render-worker.log", "demo-target.log"}

    os.killpg(running["proc"].pid, signal.SIGINT)
    running["proc"].wait(30)
    wait_for(lambda: not listening(running["port"]) and not listening(running["demo_port"]), timeout=15,
             what="every process to stop")
    for pattern in (str(running["var"]), f"worker-{running['port']}@", f"render-{running['port']}@"):  # beat, workers
        assert subprocess.run(["pgrep", "-f", pattern], capture_output=True).stdout == b""
