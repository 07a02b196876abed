import copy
import datetime
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probes.spec import validate_probe

pytestmark = pytest.mark.once

COMPONENTS = {"reserve-auth", "reserve-data"}

SPEC_EXAMPLE = yaml.safe_load(
    """
key: reserve-login-and-profile
component: reserve-data
interval: 30s
timeout: 10s
regions: [default]
quorum: 1
trip_after: 2
recover_after: 2
degraded_over: 2000ms
on_failure: major_outage
incident: auto
steps:
  - name: login
    request:
      method: POST
      url: "{{ env.RESERVE_BASE_URL }}/api/login"
      json: {phone: "{{ env.CANARY_PHONE }}", code: "{{ env.CANARY_CODE }}"}
    expect:
      status: 200
      json: {"$.token": {exists: true}}
    save: {token: "$.token"}
  - name: profile shows the canary's true data
    request:
      method: GET
      url: "{{ env.RESERVE_BASE_URL }}/api/profile"
      headers: {Authorization: "Bearer {{ token }}"}
    expect:
      status: 200
      max_ms: 3000
      json:
        "$.deferment.status": none
        "$.notifications[*].type": {not_contains: deferment_granted}
      body_not_contains: "deferment until the end of martial law"
"""
)


def minimal(**changes):
    raw = {"key": "health", "component": "reserve-auth",
           "steps": [{"name": "health", "request": {"url": "https://example.org/health"}}]}
    raw.update(changes)
    return raw


def test_it_accepts_the_contract_example_and_normalises_it():
    probe, errors = validate_probe(copy.deepcopy(SPEC_EXAMPLE), "probes[0]", COMPONENTS)
    assert errors == []
    assert probe["interval_ms"] == 30_000 and probe["timeout_ms"] == 10_000
    assert probe["degraded_over_ms"] == 2000
    first, second = probe["steps"]
    assert first["request"]["method"] == "POST" and first["save"] == {"token": "$.token"}
    assert second["expect"]["max_ms"] == 3000
    assert second["expect"]["json"]["$.deferment.status"] == {"equals": "none"}  # scalar means equals
    assert second["expect"]["body_not_contains"] == ["deferment until the end of martial law"]
    assert json.loads(json.dumps(probe, allow_nan=False)) == probe  # fit for a JSONField


def test_it_fills_in_the_defaults():
    probe, errors = validate_probe(minimal(), "probes[0]", COMPONENTS)
    assert errors == []
    assert {k: probe[k] for k in ("interval_ms", "timeout_ms", "regions", "quorum", "trip_after",
                                  "recover_after", "degraded_over_ms", "on_failure", "incident")} == {
        "interval_ms": 60_000, "timeout_ms": 10_000, "regions": ["default"], "quorum": 1,
        "trip_after": 2, "recover_after": 2, "degraded_over_ms": None,
        "on_failure": "major_outage", "incident": "auto",
    }
    request = probe["steps"][0]["request"]
    assert request == {"method": "GET", "url": "https://example.org/health", "headers": {},
                       "query": {}, "follow_redirects": False}


def test_it_reports_every_error_at_once_each_with_its_path():
    raw = minimal(
        key="Not A Slug",
        component="no-such-component",
        intervall="30s",
        timeout="2h",
        regions=["eu", "eu"],
        quorum=3,
        on_failure="under_maintenance",
        steps=[{
            "name": "login",
            "request": {"method": "FETCH", "url": "ftp://example.org",
                        "headers": {"Authorization": "Bearer {{ token }}"}},
            "expect": {"status": 999, "json": {"$.[": 1, "$.ok": {"equal": True}}, "body_matches": "("},
            "save": {"token": "$.token"},
        }],
    )
    probe, errors = validate_probe(raw, "probes[2]", COMPONENTS)
    assert probe is None
    by_path: dict[str, list[str]] = {}
    for path, message in errors:
        by_path.setdefault(path, []).append(message)

    def has(path, words):
        assert any(words in m for m in by_path.get(path, [])), (path, words, by_path.get(path))

    has("probes[2].key", "slug")
    has("probes[2].component", "no-such-component")
    has("probes[2]", "unknown key 'intervall' (did you mean 'interval'?)")
    has("probes[2].timeout", "2h")
    has("probes[2].regions[1]", "listed twice")
    has("probes[2].quorum", "at most the number of regions")
    has("probes[2].on_failure", "degraded_performance, partial_outage, major_outage")
    has("probes[2].steps[0].request.method", "FETCH")
    has("probes[2].steps[0].request.url", "http:// or https://")
    has("probes[2].steps[0].request.headers", "{{ token }} is not saved by an earlier step")
    has("probes[2].steps[0].expect.status", "HTTP status code")
    has("probes[2].steps[0].expect.json", "bad JSONPath '$.['")
    has("probes[2].steps[0].expect.json", "unknown matcher 'equal' (did you mean 'equals'?")
    has("probes[2].steps[0].expect.body_matches", "bad regex")
    assert len(errors) >= 14


def test_it_allows_a_saved_value_only_in_later_steps():
    steps = [
        {"name": "login", "request": {"method": "POST", "url": "https://e.org/login"}, "save": {"token": "$.token"}},
        {"name": "profile", "request": {"url": "https://e.org/p", "headers": {"Authorization": "Bearer {{ token }}"}}},
        {"name": "typo", "request": {"url": "https://e.org/p?t={{ tokn }}"}},
    ]
    probe, errors = validate_probe(minimal(steps=steps), "probes[0]", COMPONENTS)
    assert errors == [("probes[0].steps[2].request.url",
                       "{{ tokn }} is not saved by an earlier step (saved so far: token)")]


def test_it_reports_a_malformed_placeholder():
    steps = [{"request": {"url": "https://e.org/{{ env.BASE"}}]
    _, errors = validate_probe(minimal(steps=steps), "probes[0]", COMPONENTS)
    assert errors and errors[0][0] == "probes[0].steps[0].request.url"
    assert "malformed placeholder" in errors[0][1]


def test_it_rejects_a_quorum_larger_than_the_regions():
    _, errors = validate_probe(minimal(regions=["eu", "us"], quorum=3), "probes[0]", COMPONENTS)
    assert errors == [("probes[0].quorum", "must be at most the number of regions (2), got 3")]


def test_it_rejects_overlong_regexes_to_bound_their_cost():
    steps = [{"request": {"url": "https://e.org"}, "expect": {"body_matches": "a" * 501}}]
    _, errors = validate_probe(minimal(steps=steps), "probes[0]", COMPONENTS)
    assert errors == [("probes[0].steps[0].expect.body_matches", "regex is longer than 500 characters")]


def test_it_refuses_values_that_cannot_be_stored_as_json():
    steps = [{"request": {"method": "POST", "url": "https://e.org", "json": {"when": datetime.date(2025, 1, 1)}}}]
    _, errors = validate_probe(minimal(steps=steps), "probes[0]", COMPONENTS)
    assert errors[0][0] == "probes[0].steps[0].request.json" and "date" in errors[0][1]


def test_it_refuses_two_kinds_of_body_in_one_request():
    steps = [{"request": {"method": "POST", "url": "https://e.org", "json": {}, "body": "x"}}]
    _, errors = validate_probe(minimal(steps=steps), "probes[0]", COMPONENTS)
    assert errors == [("probes[0].steps[0].request", "use only one of json, form and body, got json, body")]


def test_it_refuses_a_probe_that_is_not_a_mapping():
    assert validate_probe(None, "probes[1]", COMPONENTS) == (
        None, [("probes[1]", "a probe must be a mapping, got null")])
    assert validate_probe(["key"], "probes[1]", COMPONENTS)[1] == [("probes[1]", "a probe must be a mapping, got list")]


def test_it_refuses_a_timeout_longer_than_the_interval():
    _, errors = validate_probe(minimal(interval="5s", timeout="10s"), "probes[0]", COMPONENTS)
    assert [path for path, _ in errors] == ["probes[0].timeout"]


# ---------------------------------------------------------------- fuzzing

KNOWN_KEYS = st.sampled_from([
    "key", "component", "interval", "timeout", "regions", "quorum", "trip_after", "recover_after",
    "degraded_over", "on_failure", "incident", "steps", "name", "request", "expect", "save", "method",
    "url", "headers", "query", "json", "form", "body", "follow_redirects", "status", "max_ms",
    "body_contains", "body_not_contains", "body_matches", "header", "equals", "not_contains",
    "matches", "exists", "length", "one_of", "lt", "$.token", "$.[", "{{ token }}",
])
LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["30s", "1.5s", "{{ env.X }}", "{{ token }}", "{{ bad", "$.a[*].b", "$.[", "(", "GET",
                       "https://e.org", "reserve-data", "default", "none", "-1s"])
    | st.dates() | st.binary(max_size=5)
)
JUNK = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(KNOWN_KEYS | st.text(max_size=8) | st.integers() | st.none() | st.booleans(), children,
                      max_size=5),
    max_leaves=30,
)


def _check_result(result):
    probe, errors = result
    assert isinstance(errors, list)
    for path, message in errors:
        assert isinstance(path, str) and path.startswith("probes[0]")
        assert isinstance(message, str) and message
        assert "could not be validated" not in message, message  # the safety net never fired
    if probe is None:
        assert errors
    else:
        assert errors == []
        json.dumps(probe, allow_nan=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JUNK)
def test_it_never_raises_on_any_yaml_value(raw):
    _check_result(validate_probe(raw, "probes[0]", COMPONENTS))


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


ALL_PATHS = list(_paths(SPEC_EXAMPLE))[1:]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), JUNK), min_size=1, max_size=3))
def test_it_never_raises_when_parts_of_a_valid_probe_are_replaced_by_junk(replacements):
    raw = copy.deepcopy(SPEC_EXAMPLE)
    for path, junk in replacements:
        node = raw
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this part
    _check_result(validate_probe(raw, "probes[0]", COMPONENTS))


def test_it_survives_self_referencing_yaml():
    raw = yaml.safe_load("key: a\ncomponent: reserve-data\nsteps: &s [{request: {url: 'https://e.org', json: *s}}]")
    probe, errors = validate_probe(raw, "probes[0]", COMPONENTS)
    assert probe is None and any("nested too deeply" in message for _, message in errors)


def test_it_survives_a_yaml_alias_bomb():
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in "bcdefghi":
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{chr(ord(level) - 1)}"] * 9) + "]")
    lines.append("probe: {key: k, component: reserve-data, regions: *i, steps: [{request: "
                 "{url: 'https://e.org', json: *i, body: *i}, expect: {json: {'$.a': *i}, body_contains: *i}}]}")
    raw = yaml.safe_load("\n".join(lines))["probe"]  # 9**9 strings if walked naively
    probe, errors = validate_probe(raw, "probes[0]", COMPONENTS)
    assert probe is None
    assert ("probes[0].steps[0].request.json", "value is nested too deeply or too large") in errors
