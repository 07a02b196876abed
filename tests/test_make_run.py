"""`make run` end to end: every process starts on embedded defaults and Ctrl-C stops them all."""

import os
import re
import signal
import socket
import subprocess

import feedparser
import httpx
import pytest

from tests.processes import ROOT, stop, wait_for

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def running(tmp_path):
    port, demo_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(PORT=str(port), DEMO_TARGET_PORT=str(demo_port), STATUSPAGE_VAR_DIR=str(tmp_path / "var"))
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
                                                                     "demo-target.log"}

    os.killpg(running["proc"].pid, signal.SIGINT)
    running["proc"].wait(30)
    wait_for(lambda: not listening(running["port"]) and not listening(running["demo_port"]), timeout=15,
             what="every process to stop")
    for pattern in (str(running["var"]), f"worker-{running['port']}@"):  # beat, worker
        assert subprocess.run(["pgrep", "-f", pattern], capture_output=True).stdout == b""
