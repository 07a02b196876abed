"""Settings from the environment: a malformed value stops the process, naming the variable."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from statuspage.env import envbool, envfloat, envint, envlist, envnetworks, envsecret
from tests.processes import ROOT

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("read, raw, message", [
    (lambda: envint("X_TEST", 1), "ten", "X_TEST='ten' is not an integer"),
    (lambda: envfloat("X_TEST", 1.0), "1,5", "X_TEST='1,5' is not a number"),
    (lambda: envbool("X_TEST", False), "maybe", "X_TEST='maybe' is not a boolean"),
    (lambda: envnetworks("X_TEST", ""), "10.0.0.0/8,not-a-net", "X_TEST: 'not-a-net' is not a CIDR network"),
])
def test_a_malformed_value_is_refused_by_name(monkeypatch, read, raw, message):
    monkeypatch.setenv("X_TEST", raw)

    with pytest.raises(ImproperlyConfigured, match=message):
        read()


def test_well_formed_values_are_read_and_missing_ones_take_the_default(monkeypatch):
    monkeypatch.setenv("X_INT", " 42 ")
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    monkeypatch.delenv("X_MISSING", raising=False)

    assert envint("X_INT", 1) == 42
    assert envbool("X_BOOL", False) is True
    assert envlist("X_LIST") == ["a", "b", "c"]
    assert envint("X_MISSING", 7) == 7 and envfloat("X_MISSING", 0.5) == 0.5


def test_a_secret_is_read_from_the_file_its_name_file_points_at(monkeypatch, tmp_path):
    (tmp_path / "key").write_text("s3cret\n")
    monkeypatch.setenv("X_KEY_FILE", str(tmp_path / "key"))

    assert envsecret("X_KEY") == "s3cret"

    monkeypatch.setenv("X_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match="X_KEY_FILE="):
        envsecret("X_KEY")


def test_the_process_stops_at_start_on_a_malformed_setting(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "STATUSPAGE_VAR_DIR": str(tmp_path), "PROBE_CONCURRENCY": "lots"}

    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert done.returncode != 0
    assert "PROBE_CONCURRENCY='lots' is not an integer" in done.stderr
