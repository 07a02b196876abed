"""The runner against real HTTP servers on 127.0.0.1: each failure class, with step and reason."""

import json

import pytest

from probes.runner import Verdict, run_batch, run_probe
from probes.spec import validate_probe

from .conftest import CANARY_CODE, CANARY_PHONE, TOKEN

pytestmark = pytest.mark.once


def make_probe(*steps, **top):
    raw = {"key": "canary", "component": "reserve-data", "steps": list(steps), **top}
    spec, errors = validate_probe(raw, "probes[0]", {"reserve-data"})
    assert errors == []
    return spec


def env_for(target, **extra):
    return {"RESERVE_BASE_URL": target.base, "CANARY_PHONE": CANARY_PHONE, "CANARY_CODE": CANARY_CODE, **extra}


LOGIN = {
    "name": "login",
    "request": {"method": "POST", "url": "{{ env.RESERVE_BASE_URL }}/api/login",
                "json": {"phone": "{{ env.CANARY_PHONE }}", "code": "{{ env.CANARY_CODE }}"}},
    "expect": {"status": 200, "json": {"$.token": {"exists": True}}},
    "save": {"token": "$.token"},
}
PROFILE = {
    "name": "profile shows the canary's true data",
    "request": {"url": "{{ env.RESERVE_BASE_URL }}/api/profile", "headers": {"Authorization": "Bearer {{ token }}"}},
    "expect": {
        "status": 200,
        "json": {
            "$.deferment.status": "none",
            "$.notifications[*].type": {"not_contains": "deferment_granted"},
            "$.owner.name": "Canary Testovych",
        },
    },
}


def assert_failed(verdict: Verdict, failure_class: str, step_index: int) -> None:
    assert not verdict.ok
    assert verdict.failure_class == failure_class, verdict
    assert verdict.step_index == step_index, verdict
    assert verdict.message.startswith(f"Step '{verdict.step}' failed: "), verdict.message
    json.dumps(verdict.to_dict())  # storable as is


def test_it_passes_a_login_and_profile_probe_using_the_token_saved_in_step_one(target, client):
    verdict = run_probe(make_probe(LOGIN, PROFILE), env_for(target), client)
    assert verdict.ok, verdict.message
    assert verdict.failure_class is None
    assert [(s["name"], s["status_code"]) for s in verdict.steps] == [
        ("login", 200), ("profile shows the canary's true data", 200)]
    profile_request = target.requests[-1]
    assert profile_request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(target.requests[0].body) == {"phone": CANARY_PHONE, "code": CANARY_CODE}


def test_it_reports_wrong_deferral_as_assertion(target, client):
    target.state["profile"]["deferment"]["status"] = "granted"
    verdict = run_probe(make_probe(LOGIN, PROFILE), env_for(target), client)
    assert_failed(verdict, "assertion", 1)
    assert verdict.step == "profile shows the canary's true data"
    # A value read from the answer shows only its first and last character and its length.
    assert verdict.seen == "$.deferment.status = g…d (7 characters)"
    assert verdict.expectation == "none"
    assert verdict.message == (
        "Step 'profile shows the canary's true data' failed: $.deferment.status = g…d (7 characters), expected none")


def test_it_reports_a_granted_deferment_notification_as_assertion(target, client):
    target.state["profile"]["notifications"].append({"type": "deferment_granted"})
    verdict = run_probe(make_probe(LOGIN, PROFILE), env_for(target), client)
    assert_failed(verdict, "assertion", 1)
    assert verdict.seen == "$.notifications[*].type = [… (3 characters), i…o (4 characters), d…d (17 characters)]"
    assert verdict.expectation == "not to contain deferment_granted"


def test_it_reports_the_wrong_account_owner_as_assertion(target, client):
    target.state["profile"]["owner"]["name"] = "Somebody Else"
    verdict = run_probe(make_probe(LOGIN, PROFILE), env_for(target), client)
    assert_failed(verdict, "assertion", 1)
    assert "$.owner.name = S…e (13 characters)" in verdict.message
    assert "Somebody Else" not in json.dumps(verdict.to_dict())  # a stranger's data, masked even for on-call
    assert "expected Canary Testovych" in verdict.message


def test_it_reports_an_unexpected_status_as_http_status(target, client):
    verdict = run_probe(make_probe(LOGIN, PROFILE), env_for(target, CANARY_CODE="wrong-code-123"), client)
    assert_failed(verdict, "http_status", 0)
    assert verdict.step == "login"
    assert verdict.seen.startswith("HTTP 401 Unauthorized")
    assert verdict.expectation == "HTTP 200"
    assert verdict.steps == [{"name": "login", "status_code": 401, "ms": verdict.steps[0]["ms"]}]


def test_it_expects_a_2xx_status_when_none_is_given(target, client):
    step = {"name": "health", "request": {"url": "{{ env.RESERVE_BASE_URL }}/status/503"}}
    verdict = run_probe(make_probe(step), env_for(target), client)
    assert_failed(verdict, "http_status", 0)
    assert verdict.expectation == "a 2xx status"


def test_it_reports_a_server_that_answers_too_late_as_timeout(target, client):
    target.state["delay"] = 2.0
    step = {"name": "slow page", "request": {"url": "{{ env.RESERVE_BASE_URL }}/slow"}}
    verdict = run_probe(make_probe(step, timeout="300ms"), env_for(target), client)
    assert_failed(verdict, "timeout", 0)
    assert "no answer after" in verdict.seen
    assert verdict.expectation == "an answer within the probe's 300 ms limit"


def test_it_reports_a_closed_port_as_connect(client, closed_port):
    step = {"name": "health", "request": {"url": f"http://127.0.0.1:{closed_port}/health"}}
    verdict = run_probe(make_probe(step), {}, client)
    assert_failed(verdict, "connect", 0)
    assert "could not connect" in verdict.seen
    assert verdict.steps == [{"name": "health", "status_code": None, "ms": verdict.steps[0]["ms"]}]


def test_it_reports_https_to_a_plain_http_port_as_tls(target, client):
    step = {"name": "health", "request": {"url": target.base.replace("http://", "https://") + "/api/health"}}
    verdict = run_probe(make_probe(step), {}, client)
    assert_failed(verdict, "tls", 0)
    assert verdict.seen.startswith("TLS failed")


def test_it_reports_an_untrusted_certificate_as_tls(self_signed_target, client):
    step = {"name": "health", "request": {"url": f"https://127.0.0.1:{self_signed_target.port}/api/health"}}
    verdict = run_probe(make_probe(step), {}, client)
    assert_failed(verdict, "tls", 0)
    assert "CERTIFICATE_VERIFY_FAILED" in verdict.seen


def test_it_reports_a_slow_step_over_max_ms_as_latency(target, client):
    target.state["delay"] = 0.3
    step = {"name": "slow page", "request": {"url": "{{ env.RESERVE_BASE_URL }}/slow"}, "expect": {"max_ms": 20}}
    verdict = run_probe(make_probe(step), env_for(target), client)
    assert_failed(verdict, "latency", 0)
    assert verdict.expectation == "an answer within 20 ms"
    assert verdict.seen.startswith("the answer took ")


def test_it_checks_the_body_text(target, client):
    step = {"name": "notice", "request": {"url": "{{ env.RESERVE_BASE_URL }}/text"},
            "expect": {"body_not_contains": "end of martial law"}}
    verdict = run_probe(make_probe(step), env_for(target), client)
    assert_failed(verdict, "assertion", 0)
    assert verdict.seen.startswith("body contains it at character ")  # where, not the answer's words
    assert verdict.expectation == "the body not to contain 'end of martial law'"


def test_it_does_not_follow_redirects_unless_the_step_says_so(target, client):
    step = {"name": "moved", "request": {"url": "{{ env.RESERVE_BASE_URL }}/redirect"}}
    verdict = run_probe(make_probe(step), env_for(target), client)
    assert_failed(verdict, "http_status", 0)
    assert "redirect to /api/health" in verdict.seen

    step["request"]["follow_redirects"] = True
    assert run_probe(make_probe(step), env_for(target), client).ok


def test_it_keeps_each_probe_runs_cookies_to_itself(target, client):
    login = {"name": "cookie login",
             "request": {"method": "POST", "url": "{{ env.RESERVE_BASE_URL }}/api/cookie-login"}}
    profile = {"name": "cookie profile", "request": {"url": "{{ env.RESERVE_BASE_URL }}/api/cookie-profile"}}
    assert run_probe(make_probe(login, profile), env_for(target), client).ok
    # The same client, a probe without the login step: no session may leak into it.
    verdict = run_probe(make_probe(profile), env_for(target), client)
    assert_failed(verdict, "http_status", 0)


def test_it_fails_clearly_when_an_env_var_is_missing(target, client):
    env = env_for(target)
    del env["CANARY_CODE"]
    verdict = run_probe(make_probe(LOGIN, PROFILE), env, client)
    assert_failed(verdict, "connect", 0)
    assert "environment variable CANARY_CODE is not set" in verdict.message
    assert target.requests == []  # nothing half-filled was sent


def test_a_known_canary_secret_never_appears_in_the_verdict(target, client):
    secret = "canary/secret+8c1f&x=1"  # survives only if redaction misses an encoded form
    env = env_for(target, CANARY_CODE=secret, API_KEY="k-6b2d91e4f0")
    steps = [
        {"name": "echo json", "request": {"method": "POST", "url": "{{ env.RESERVE_BASE_URL }}/echo",
                                          "json": {"code": "{{ env.CANARY_CODE }}"}},
         "expect": {"body_contains": "something else"}},
    ]
    verdicts = [run_probe(make_probe(*steps), env, client)]
    steps = [{"name": "echo query", "request": {
        "url": "{{ env.RESERVE_BASE_URL }}/echo?key={{ env.API_KEY }}", "query": {"code": "{{ env.CANARY_CODE }}"},
        "headers": {"Authorization": "Key {{ env.API_KEY }}"}}, "expect": {"json": {"$.query.code[0]": "x"}}}]
    verdicts.append(run_probe(make_probe(*steps), env, client))
    steps = [{"name": "redirect", "request": {"url": "{{ env.RESERVE_BASE_URL }}/redirect",
                                              "query": {"to": "/next?c={{ env.CANARY_CODE }}"}}}]
    verdicts.append(run_probe(make_probe(*steps), env, client))
    for verdict in verdicts:
        assert not verdict.ok
        text = json.dumps(verdict.to_dict())
        for value in (secret, "8c1f", "k-6b2d91e4f0", target.base):
            assert value not in text, (value, text)


def test_it_turns_a_broken_spec_into_a_verdict_instead_of_raising(client):
    verdict = run_probe({"steps": "not a list", "timeout_ms": 1000}, {}, client)
    assert not verdict.ok and verdict.failure_class == "connect"
    assert "could not run" in verdict.message


def test_it_runs_a_batch_concurrently_keeping_the_order(target):
    good = make_probe(LOGIN, PROFILE)
    bad = make_probe({"name": "down", "request": {"url": "{{ env.RESERVE_BASE_URL }}/status/500"}})
    verdicts = run_batch([good, bad] * 10, env_for(target), concurrency=4)
    assert [v.ok for v in verdicts] == [True, False] * 10
    assert {v.failure_class for v in verdicts[1::2]} == {"http_status"}


@pytest.mark.parametrize("specs", [[], [{"steps": []}]])
def test_it_runs_a_batch_of_nothing_or_nonsense_without_raising(specs):
    verdicts = run_batch(specs, {}, concurrency=2)
    assert len(verdicts) == len(specs)


def test_it_keeps_the_query_written_in_the_url_and_adds_the_query_map(target, client):
    step = {"name": "echo", "request": {"url": "{{ env.RESERVE_BASE_URL }}/echo?a=1", "query": {"b": ["2", "3"]}},
            "expect": {"json": {"$.query.a[0]": "1", "$.query.b": ["2", "3"]}}}
    verdict = run_probe(make_probe(step), env_for(target), client)
    assert verdict.ok, verdict.message


def test_it_bounds_a_catastrophic_regex_and_fails_the_check(target):
    """A pattern with catastrophic backtracking fails after its time limit; the worker is not pinned."""
    from probes.runner import make_client, run_probe
    from probes.spec import validate_probe

    spec, errors = validate_probe({
        "key": "evil", "component": "c",
        "steps": [{"name": "page", "request": {"method": "GET", "url": f"{target.base}/evil"},
                   "expect": {"status": 200, "body_matches": "(a|aa)+$"}}],
    }, "probes[0]", {"c"})
    assert errors == []
    with make_client() as http:
        verdict = run_probe(spec, {}, http)

    assert not verdict.ok and verdict.failure_class == "assertion"
    assert "took too long" in verdict.seen


def test_it_fills_placeholders_in_expectations_and_redacts_them(target):
    """`"$.owner.phone": "{{ env.CANARY_PHONE }}"` compares with the canary's phone, and a
    mismatch never prints it."""
    from probes.runner import make_client, run_probe
    from probes.spec import validate_probe

    def probe(phone_var):
        spec, errors = validate_probe({
            "key": "owner", "component": "c",
            "steps": [
                {"name": "login", "request": {"method": "POST", "url": f"{target.base}/api/login",
                                              "json": {"phone": "{{ env.CANARY_PHONE }}",
                                                       "code": "{{ env.CANARY_CODE }}"}},
                 "save": {"token": "$.token"}},
                {"name": "profile", "request": {"method": "GET", "url": f"{target.base}/api/profile",
                                                "headers": {"Authorization": "Bearer {{ token }}"}},
                 "expect": {"json": {"$.owner.phone": "{{ env." + phone_var + " }}"}}},
            ],
        }, "probes[0]", {"c"})
        assert errors == []
        return spec

    env = {"CANARY_PHONE": CANARY_PHONE, "CANARY_CODE": CANARY_CODE, "OTHER_PHONE": "+380999999999"}
    with make_client() as http:
        assert run_probe(probe("CANARY_PHONE"), env, http).ok
        failed = run_probe(probe("OTHER_PHONE"), env, http)

    assert not failed.ok and failed.failure_class == "assertion"
    assert "+380999999999" not in json.dumps(failed.to_dict()) and CANARY_PHONE not in json.dumps(failed.to_dict())
