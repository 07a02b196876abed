"""The config file: `manage.py apply_config FILE [--prune] [--dry-run]` and `POST /api/v1/config/`."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probes.models import Probe
from statuspage.config.schema import Config, validate
from statuspage.models import AuditLog, Component, ComponentGroup, OfficialChannel, PageSettings

EXAMPLE = Path(django_settings.BASE_DIR) / "examples" / "reserve-plus.yaml"


def apply(path, *args) -> str:
    out = StringIO()
    call_command("apply_config", str(path), *args, stdout=out)
    return out.getvalue()


def write(tmp_path, doc, name="status.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def snapshot() -> dict:
    """Everything a config apply may touch, to show that nothing was."""
    page = PageSettings.load()
    return {
        "page": (page.name, page.url, page.notice, page.time_zone, page.languages),
        "channels": list(OfficialChannel.objects.values_list("name", "value", "url")),
        "groups": list(ComponentGroup.objects.values_list("key", "name", "position")),
        "components": list(Component.objects.values_list("key", "name", "description", "group__key", "position")),
        "probes": list(Probe.objects.values_list("key", "component__key", "definition")),
        "audit": AuditLog.objects.count(),
    }


def a_probe(key="data-check", component="reserve-data"):
    return {
        "key": key, "component": component, "interval": "30s", "timeout": "5s",
        "steps": [{"name": "health", "request": {"url": "https://example.org/health"}, "expect": {"status": 200}}],
    }


# ---------------------------------------------------------------- the command


@pytest.mark.django_db
def test_it_applies_the_example_file():
    output = apply(EXAMPLE)

    page = PageSettings.load()
    assert page.name == "Резерв+ · OneID status"
    assert page.time_zone == "Europe/Kyiv"
    assert page.languages == ["uk", "uz", "uz-latn", "ru", "en"]
    assert [c.name for c in page.channels.all()] == ["Reserve+ support line", "OneID help desk"]
    assert list(ComponentGroup.objects.values_list("name", flat=True)) == ["Reserve+", "OneID"]
    assert list(Component.objects.values_list("key", "group__name")) == [
        ("reserve-auth", "Reserve+"), ("reserve-data", "Reserve+"), ("reserve-deferral", "Reserve+"),
        ("reserve-notifications", "Reserve+"), ("oneid-signin", "OneID"), ("oneid-sms", "OneID"),
    ]
    assert sorted(Probe.objects.values_list("key", "component__key")) == [
        ("oneid-signin-and-owner", "oneid-signin"), ("oneid-sms", "oneid-sms"),
        ("reserve-login-and-profile", "reserve-data"), ("reserve-notifications", "reserve-notifications"),
        ("reserve-sign-in", "reserve-auth"),
    ]
    assert "component reserve-auth: created" in output
    assert "probe reserve-login-and-profile: created" in output


@pytest.mark.django_db
def test_it_changes_nothing_when_the_same_file_is_applied_again():
    apply(EXAMPLE)
    before = snapshot()

    output = apply(EXAMPLE)

    assert "0 change(s) applied" in output
    assert snapshot() == before


@pytest.mark.django_db
def test_it_updates_what_changed_and_says_so(tmp_path, page_config):
    apply(write(tmp_path, page_config))
    page_config["components"][0]["name"] = "Sign-in to Reserve+"

    output = apply(write(tmp_path, page_config))

    assert "component reserve-auth: name changed" in output
    assert "1 change(s) applied" in output
    assert Component.objects.get(key="reserve-auth").name == "Sign-in to Reserve+"


@pytest.mark.django_db
def test_it_records_an_apply_in_the_audit_trail(tmp_path, page_config):
    apply(write(tmp_path, page_config))

    entry = AuditLog.objects.get(action="apply_config")
    assert entry.via == "config"
    assert "component reserve-auth: created" in entry.summary


INVALID = """\
page:
  name: "Status"
  time_zone: Mars/Olympus_Mons
  languages: [uk, klingon]
  official_channels:
    - {name: "Support line"}
components:
  - {key: reserve-auth, name: "Authorization"}
  - {key: "Not A Key", name: "Data"}
probes:
  - key: data-check
    component: reserve-auth
    steps:
      - name: health
        request: {url: "https://example.org/health"}
        expect:
          json: {"$.status": {shorter_than: 3}}
widgets: []
"""
INVALID_PATHS = [
    "page.time_zone", "page.languages[1]", "page.official_channels[0]", "components[1].key",
    "probes[0].steps[0].expect.json", "widgets",
]


@pytest.mark.django_db
def test_it_refuses_an_invalid_file_whole_naming_every_error_and_its_path(tmp_path, page_config):
    apply(write(tmp_path, page_config, "good.yaml"))
    before = snapshot()

    with pytest.raises(CommandError) as error:
        apply(write(tmp_path, INVALID))

    message = str(error.value)
    assert "nothing changed" in message
    for path in INVALID_PATHS:
        assert f"\n{path}: " in message, path
    assert "Mars/Olympus_Mons" in message
    assert "klingon" in message
    assert snapshot() == before


@pytest.mark.django_db
def test_it_changes_nothing_when_the_valid_part_of_an_invalid_file_would_change_something(tmp_path, page_config):
    apply(write(tmp_path, page_config))
    before = snapshot()
    page_config["page"]["name"] = "A new name"
    page_config["components"].append({"key": "brand-new", "name": "New"})
    page_config["components"].append({"key": "reserve-auth", "name": "Duplicate"})

    with pytest.raises(CommandError, match=r"components\[4\]\.key: duplicate key 'reserve-auth'"):
        apply(write(tmp_path, page_config))

    assert snapshot() == before


@pytest.mark.django_db
def test_two_group_names_with_one_id_are_refused_naming_both_paths(tmp_path, page_config):
    apply(write(tmp_path, page_config))
    before = snapshot()
    page_config["components"].append({"key": "reserve-extra", "name": "Extra", "group": "Reserve"})

    with pytest.raises(CommandError) as error:  # "Reserve+" and "Reserve" would both be `reserve`
        apply(write(tmp_path, page_config))

    message = str(error.value)
    assert "\ncomponents[3].group: group 'Reserve' would get the id 'reserve' of group 'Reserve+' " \
           "(components[0].group); rename one" in message
    assert snapshot() == before


@pytest.mark.django_db
def test_groups_stand_where_their_first_component_is_and_applying_again_changes_nothing(tmp_path):
    doc = {"components": [
        {"key": "site", "name": "Website"},
        {"key": "reserve-auth", "name": "Authorization", "group": "Reserve+"},
        {"key": "sms", "name": "SMS"},
        {"key": "oneid-signin", "name": "Sign-in", "group": "OneID"},
        {"key": "reserve-data", "name": "Registration data", "group": "Reserve+"},
    ]}
    apply(write(tmp_path, doc))

    assert list(ComponentGroup.objects.values_list("key", "position")) == [("reserve", 1), ("oneid", 3)]
    assert list(Component.objects.filter(group=None).values_list("key", "position")) == [("site", 0), ("sms", 2)]
    assert "0 change(s) applied" in apply(write(tmp_path, doc))


@pytest.mark.parametrize("key", ["Reserve-Auth", "has space", "", "-leading-dash", "x" * 65, "reserve-auth\n"])
@pytest.mark.django_db
def test_it_refuses_a_component_key_that_is_not_a_slug(tmp_path, key):
    doc = {"components": [{"key": key, "name": "Authorization"}]}

    with pytest.raises(CommandError, match=r"components\[0\]\.key"):
        apply(write(tmp_path, doc))

    assert Component.objects.count() == 0


@pytest.mark.django_db
def test_it_names_the_line_of_a_yaml_syntax_error(tmp_path):
    path = write(tmp_path, 'page:\n  name: "Status"\ncomponents:\n  - {key: a, name: "unclosed\n  - [\n')

    with pytest.raises(CommandError, match=r"not valid YAML at line \d+, column \d+") as error:
        apply(path)

    assert str(path) in str(error.value)
    assert PageSettings.objects.count() == 0


@pytest.mark.django_db
def test_it_says_which_line_a_bad_indent_is_on(tmp_path):
    path = write(tmp_path, "page:\n  name: Status\n   url: https://example.org\n")

    with pytest.raises(CommandError, match="at line 3"):
        apply(path)


@pytest.mark.django_db
def test_it_gives_a_clear_error_for_a_missing_file(tmp_path):
    missing = tmp_path / "nope.yaml"

    with pytest.raises(CommandError, match="cannot read") as error:
        apply(missing)

    assert str(missing) in str(error.value)


@pytest.mark.django_db
def test_it_refuses_a_document_that_is_not_a_mapping(tmp_path):
    with pytest.raises(CommandError, match="must be a mapping"):
        apply(write(tmp_path, "- just\n- a list\n"))


@pytest.mark.django_db
def test_a_dry_run_prints_the_plan_and_changes_nothing(tmp_path, page_config):
    before = snapshot()

    output = apply(write(tmp_path, page_config), "--dry-run")

    assert "[dry run] component reserve-auth: created" in output
    assert "[dry run] group reserve: created" in output
    assert "planned (dry run)" in output
    assert snapshot() == before


@pytest.mark.django_db
def test_a_dry_run_shows_what_prune_would_delete_without_deleting(tmp_path, page):
    doc = {"components": [{"key": "reserve-auth", "name": "Authorization", "group": "Reserve+"}]}

    output = apply(write(tmp_path, doc), "--dry-run", "--prune")

    assert "[dry run] component reserve-data: deleted" in output
    assert Component.objects.count() == 3


@pytest.mark.django_db
def test_prune_deletes_components_and_probes_absent_from_the_file(tmp_path, page_config):
    page_config["probes"] = [a_probe("data-check"), a_probe("auth-check", "reserve-auth")]
    apply(write(tmp_path, page_config))
    page_config["components"] = [c for c in page_config["components"] if c["key"] != "oneid-signin"]
    page_config["probes"] = [a_probe("data-check")]

    output = apply(write(tmp_path, page_config), "--prune")

    assert list(Component.objects.values_list("key", flat=True)) == ["reserve-auth", "reserve-data"]
    assert list(ComponentGroup.objects.values_list("key", flat=True)) == ["reserve"]
    assert list(Probe.objects.values_list("key", flat=True)) == ["data-check"]
    assert "component oneid-signin: deleted" in output
    assert "probe auth-check: deleted" in output


@pytest.mark.django_db
def test_without_prune_nothing_is_deleted(tmp_path, page_config):
    page_config["probes"] = [a_probe("data-check"), a_probe("auth-check", "reserve-auth")]
    apply(write(tmp_path, page_config))
    page_config["components"] = page_config["components"][:1]
    page_config["probes"] = []

    output = apply(write(tmp_path, page_config))

    assert Component.objects.count() == 3
    assert Probe.objects.count() == 2
    assert "deleted" not in output


@pytest.mark.django_db
def test_a_file_with_only_a_page_section_leaves_components_and_probes_alone(tmp_path, page_config):
    page_config["probes"] = [a_probe()]
    apply(write(tmp_path, page_config))
    components = list(Component.objects.values_list("key", "name"))

    apply(write(tmp_path, {"page": {"name": "Renamed"}}), "--prune")

    assert PageSettings.load().name == "Renamed"
    assert list(Component.objects.values_list("key", "name")) == components
    assert Probe.objects.count() == 1


@pytest.mark.django_db
def test_a_probe_naming_an_unknown_component_is_an_error_with_its_path(tmp_path, page_config):
    page_config["probes"] = [a_probe(), a_probe("typo-check", "reserve-dta")]

    with pytest.raises(CommandError, match=r"probes\[1\]\.component: .*'reserve-dta'"):
        apply(write(tmp_path, page_config))

    assert Component.objects.count() == 0
    assert Probe.objects.count() == 0


@pytest.mark.django_db
def test_a_probes_only_file_may_name_components_already_in_the_database(tmp_path, page):
    apply(write(tmp_path, {"probes": [a_probe()]}))

    assert Probe.objects.get().component.key == "reserve-data"


@pytest.mark.django_db
def test_a_probe_whose_component_is_pruned_in_the_same_file_is_refused(tmp_path, page):
    doc = {"components": [{"key": "reserve-auth", "name": "Authorization"}], "probes": [a_probe()]}

    with pytest.raises(CommandError, match=r"probes\[0\]\.component"):
        apply(write(tmp_path, doc), "--prune")

    assert Component.objects.count() == 3


@pytest.mark.django_db
def test_a_groups_section_without_components_is_an_error_not_a_crash(tmp_path, page):
    doc = {"groups": [{"name": "Reserve+", "description": "The app"}], "probes": [a_probe()]}

    with pytest.raises(CommandError, match=r"\ngroups: "):
        apply(write(tmp_path, doc))

    assert Probe.objects.count() == 0


@pytest.mark.django_db
def test_the_same_document_as_json_is_accepted_by_the_command(tmp_path, page_config):
    apply(write(tmp_path, json.dumps(page_config), "status.json"))

    assert Component.objects.count() == 3


# ---------------------------------------------------------------- the API


def example_document() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_on_call_applies_the_document_as_json(api):
    response = api.post("/api/v1/config/", example_document(), format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is False
    assert "component reserve-auth: created" in body["changes"]
    assert Component.objects.count() == 6
    assert Probe.objects.count() == 5
    entry = AuditLog.objects.get(action="apply_config")
    assert (entry.actor_name, entry.via) == ("alice", "api")


@pytest.mark.django_db
def test_posting_the_same_document_again_changes_nothing(api):
    api.post("/api/v1/config/", example_document(), format="json")

    response = api.post("/api/v1/config/", example_document(), format="json")

    assert response.status_code == 200
    assert response.json()["changes"] == []


@pytest.mark.django_db
def test_a_dry_run_through_the_api_plans_and_changes_nothing(api):
    before = snapshot()

    response = api.post("/api/v1/config/?dry_run=1", example_document(), format="json")

    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert "component reserve-auth: created" in response.json()["changes"]
    assert snapshot() == before


@pytest.mark.django_db
def test_an_invalid_document_gets_400_with_messages_by_path_and_changes_nothing(api, page):
    before = snapshot()

    response = api.post("/api/v1/config/", yaml.safe_load(INVALID), format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(INVALID_PATHS) <= set(errors)
    assert all(isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
               for messages in errors.values())
    assert snapshot() == before


@pytest.mark.django_db
def test_a_list_where_a_language_code_belongs_is_an_error_not_a_crash(api):
    response = api.post("/api/v1/config/", {"page": {"name": "Status", "languages": [["uk"], {"en": 1}]}},
                        format="json")

    assert response.status_code == 400
    assert {"page.languages[0]", "page.languages[1]"} <= set(response.json()["errors"])


@pytest.mark.parametrize("body", [[1, 2, 3], "page", 42, None])
@pytest.mark.django_db
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = api.generic("POST", "/api/v1/config/", json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    assert "errors" in response.json()


@pytest.mark.django_db
def test_malformed_json_is_a_400(api):
    response = api.generic("POST", "/api/v1/config/", "{page:", content_type="application/json")

    assert response.status_code == 400


@pytest.mark.django_db
def test_an_outsider_may_not_apply_config(outsider_api, anon):
    assert outsider_api.post("/api/v1/config/", example_document(), format="json").status_code == 403
    assert anon.post("/api/v1/config/", example_document(), format="json").status_code in (401, 403)
    assert Component.objects.count() == 0


# ---------------------------------------------------------------- the validator never raises

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def either(*valid):
    """A plausible value most of the time, anything JSON-like otherwise."""
    return st.sampled_from(valid) | json_like


matchers = st.fixed_dictionaries({}, optional={
    name: json_like for name in ("equals", "not_contains", "matches", "exists", "lt", "length", "one_of")
})
steps = st.lists(st.fixed_dictionaries(
    {"request": st.fixed_dictionaries(
        {"url": either("https://example.org/x", "{{ env.BASE }}/y", "{{ token }}", "ftp://x", "http://")},
        optional={"method": either("GET", "post", "FETCH"), "headers": either({"A": "{{ token }}"}, {"B\n": "x"}),
                  "json": json_like})},
    optional={
        "name": either("login", ""),
        "expect": st.fixed_dictionaries({}, optional={
            "status": either(200, [200, 301], 99, True),
            "max_ms": either("3000ms", "3s", "1m", "fast", -1),
            "json": st.dictionaries(st.sampled_from(["$.a", "$.a[*].b", "$..x", "$[", "a"]) | st.text(max_size=10),
                                    json_like | matchers, max_size=3),
            "body_matches": either("ok", "(unclosed"),
        }),
        "save": st.dictionaries(st.sampled_from(["token", "env", "1x"]) | st.text(max_size=10), either("$.token", "$["),
                                max_size=2),
    }), max_size=3)
probes = st.fixed_dictionaries(
    {"key": either("p1", "p1", "Bad Key"), "component": either("a", "b", "missing"), "steps": steps | json_like},
    optional={"interval": either("30s", "1m", "10ms", "", 5), "timeout": either("5s", "2m"),
              "regions": either(["default"], ["eu", "eu"], []), "quorum": either(1, 2, 0, True),
              "trip_after": either(2, -1), "degraded_over": either("2000ms", "x"),
              "on_failure": either("major_outage", "operational"), "incident": either("auto", "draft", "sometimes")},
)
near_valid = st.fixed_dictionaries({}, optional={
    "page": st.fixed_dictionaries({"name": either("Status", "")}, optional={
        "url": either("https://status.example.org", "status.example.org"),
        "languages": either(["uk", "en"], ["xx"], [["uk"]], [{"en": 1}]),
        "time_zone": either("Europe/Kyiv", "UTC", "Nowhere/Special"),
        "official_channels": st.lists(st.fixed_dictionaries({}, optional={
            "name": either("Support"), "value": either("1545", ""), "url": either("https://example.org", "x")}),
            max_size=2) | json_like,
        "translations": either({"uk": {"name": "Статус"}}, {"xx": {}}, {"en": {"name": 1}}),
    }) | json_like,
    "components": st.lists(st.fixed_dictionaries({"key": either("a", "b", "a", "Bad Key"), "name": either("A")},
                                                 optional={"group": either("G", "a", ""),
                                                           "showcase": either(True, "yes"),
                                                           "translations": json_like}), max_size=4) | json_like,
    "groups": st.lists(st.fixed_dictionaries({}, optional={"name": either("G", "H"), "description": either("d"),
                                                             "translations": json_like}), max_size=2) | json_like,
    "probes": st.lists(probes, max_size=3) | json_like,
    "extra": json_like,
})


def assert_well_formed(result):
    config, errors = result
    if config is not None:
        assert isinstance(config, Config)
        assert errors == []
    else:
        assert isinstance(errors, list) and errors
        assert all(isinstance(e, tuple) and len(e) == 2 and all(isinstance(part, str) for part in e) for e in errors)


@pytest.mark.pure
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=json_like)
def test_validate_never_raises_on_any_json_like_document(doc):
    assert_well_formed(validate(doc))


@pytest.mark.pure
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=near_valid, existing=st.sets(st.sampled_from(["a", "b", "c"])))
def test_validate_never_raises_on_a_near_valid_document(doc, existing):
    assert_well_formed(validate(doc, existing))
