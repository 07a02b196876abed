"""The soak test (scripts/soak.py, `make soak` runs it for 10 minutes), short, in CI."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.processes import ROOT
from tests.reliability.faults import on_servers

pytestmark = [pytest.mark.soak, pytest.mark.worker, pytest.mark.django_db]


@pytest.mark.skipif(on_servers(), reason="the soak starts the embedded stack as `make run` does: the SQLite run has it")
def test_a_short_soak_has_no_error_no_late_probe_and_flat_memory():
    if not shutil.which("wrk"):
        pytest.fail("wrk is not installed: `apt-get install -y wrk` (`make test` does this as root)", pytrace=False)
    env = {**os.environ, "SOAK_SECONDS": os.environ.get("CI_SOAK_SECONDS", "12"), "SOAK_INCIDENT_EVERY": "4",
           "SOAK_WARMUP_S": "3", "SOAK_CONNECTIONS": "4"}
    env.pop("STATUSPAGE_VAR_DIR", None)  # a fresh var dir of its own

    done = subprocess.run([sys.executable, "scripts/soak.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)

    print("\n" + done.stdout[-4000:] + done.stderr[-2000:])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"SOAK \{.*\"errors\": 0", done.stdout)
