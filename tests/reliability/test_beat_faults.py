"""Beat faults: two beat processes at once by mistake, and a beat killed and restarted.

Probes run every 2 s against a target that counts its requests. Whatever beat does, each
scheduled run is dispatched once (the dispatcher's compare-and-set on next_run_at), runs
stay 2 s apart, the target sees exactly the runs that were recorded, and the stored state
is what the recorded runs make it. On the laptop stack (SQLite, filesystem broker) in the
SQLite run, on PostgreSQL and Redis in the servers run.
"""

import signal
import time

import pytest

from probes.models import ProbeRun
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from tests.processes import celery_process, stop, worker_args
from tests.reliability.faults import (
    INTERVAL_S,
    Target,
    check_probe_state,
    count,
    expected_runs,
    probe_config,
    spacing_ok,
    stack_broker,
    wait_runs,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def target(page_config):
    target = Target()
    config, errors = validate(probe_config(page_config, target))
    assert errors == []
    apply_config(config)
    yield target
    target.stop()


def settle(worker):
    """With dispatching stopped, let the worker finish what it holds, then stop it: the
    counts are final. (SIGQUIT: nothing is left to finish; a warm stop takes ~7 s.)"""
    time.sleep(INTERVAL_S)
    stop(worker, signal.SIGQUIT)


def beat(broker, tmp_path, name):
    return celery_process("beat", broker, tmp_path, "--schedule", str(tmp_path / f"{name}-schedule"),
                          log_name=name)


def dispatch_ticks(tmp_path, name) -> int:
    return (tmp_path / f"{name}.log").read_text().count("Sending due task dispatch-probes")


def test_two_beats_at_once_dispatch_each_run_once(target, tmp_path):
    broker = stack_broker()
    with celery_process("worker", broker, tmp_path, *worker_args("celery", "probes.default", name="w")) as worker:
        with beat(broker, tmp_path, "beat-a"), beat(broker, tmp_path, "beat-b"):
            wait_runs(2)  # the first run is as late as the worker was slow to start
            started = time.monotonic()
            time.sleep(10)
            elapsed = time.monotonic() - started
            assert dispatch_ticks(tmp_path, "beat-a") > 5 and dispatch_ticks(tmp_path, "beat-b") > 5
        settle(worker)
    ledger = count(target=target)
    steady = ledger.gaps[1:]
    print(f"\ntwo beats: ticks a={dispatch_ticks(tmp_path, 'beat-a')} b={dispatch_ticks(tmp_path, 'beat-b')}; "
          f"{ledger}")

    assert ledger.duplicates == 0
    assert ledger.target_hits == ledger.runs  # no run executed twice, none lost
    assert spacing_ok(steady) and max(steady) < INTERVAL_S + 0.001, steady  # each run once, none skipped
    assert abs((ledger.runs - 2) - expected_runs(elapsed)) <= 1.5
    check_probe_state()


def test_a_beat_killed_and_restarted_resumes_without_a_burst_or_a_duplicate(target, tmp_path):
    broker = stack_broker()
    with celery_process("worker", broker, tmp_path, *worker_args("celery", "probes.default", name="w")) as worker:
        with beat(broker, tmp_path, "beat") as first:
            wait_runs(2)
            stop(first, signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(4)  # no beat: nothing dispatched, the schedule falls behind
        before = ProbeRun.objects.count()
        with beat(broker, tmp_path, "beat"):  # the same schedule file, as a restarted service
            down = time.monotonic() - killed
            wait_runs(before + 2)
        settle(worker)
    ledger = count(target=target)
    steady = ledger.gaps[1:]
    print(f"\nbeat SIGKILLed, restarted after {down:.1f}s; longest gap {max(steady):.1f}s; {ledger}")

    assert ledger.duplicates == 0 and ledger.target_hits == ledger.runs
    assert spacing_ok(steady), steady  # the missed runs are skipped, not run in a burst on restart
    assert down <= max(steady) < down + 3 * INTERVAL_S
    check_probe_state()
