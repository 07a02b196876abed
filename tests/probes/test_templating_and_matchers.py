import pytest

from probes import matchers
from probes.templating import Placeholder, Renderer, TemplateError, scan

pytestmark = pytest.mark.once

# ---------------------------------------------------------------- templating


def test_it_fills_env_and_saved_values_inside_nested_dicts_and_lists():
    renderer = Renderer(env={"BASE": "https://e.org", "CODE": "s3cret"}, saved={"token": "tok-1", "n": 7})
    rendered = renderer.render(
        {"url": "{{ env.BASE }}/p?x={{n}}", "json": {"code": "{{ env.CODE }}", "list": ["Bearer {{ token }}", 3]}}
    )
    assert rendered == {"url": "https://e.org/p?x=7", "json": {"code": "s3cret", "list": ["Bearer tok-1", 3]}}
    assert renderer.used_env_values == {"https://e.org", "s3cret"}
    assert renderer.used_saved_values == {"tok-1", "7"}


def test_it_fails_clearly_when_an_env_var_is_missing():
    with pytest.raises(TemplateError, match="environment variable CANARY_CODE is not set"):
        Renderer(env={}, saved={}).render("{{ env.CANARY_CODE }}")


def test_it_finds_placeholders_and_malformed_braces():
    found, problems = scan("{{ env.A }}-{{b}}-{{ c d }}")
    assert found == [Placeholder(env=True, name="A"), Placeholder(env=False, name="b")]
    assert len(problems) == 1 and "malformed placeholder near '{{ c d }}'" in problems[0]


# ---------------------------------------------------------------- matchers


def check(matcher, values, subject="$.x"):
    return matchers.check(subject, matcher, values)


def test_not_contains_checks_that_no_found_value_is_the_forbidden_one():
    ok, = check({"not_contains": "deferment_granted"}, ["sms", "info"])
    assert ok.ok
    bad, = check({"not_contains": "deferment_granted"}, ["sms", "deferment_granted"], "$.notifications[*].type")
    assert not bad.ok
    assert bad.seen == "$.notifications[*].type = [sms, deferment_granted]"
    assert bad.expectation == "not to contain deferment_granted"


def test_equals_names_what_was_expected_and_what_was_seen():
    result, = check({"equals": "none"}, ["granted"], "$.deferment.status")
    assert result == (False, "none", "$.deferment.status = granted")


def test_exists_false_means_the_path_matches_nothing():
    assert check({"exists": False}, [])[0].ok
    assert not check({"exists": False}, [None])[0].ok  # a null is still there
    assert not check({"exists": True}, [])[0].ok


def test_positive_matchers_need_a_value_and_negative_ones_pass_on_nothing():
    assert not check({"equals": 1}, [])[0].ok
    assert check({"not_equals": 1}, [])[0].ok


def test_json_equality_keeps_true_and_1_apart():
    assert not check({"equals": 1}, [True])[0].ok
    assert check({"equals": 1}, [1.0])[0].ok


@pytest.mark.parametrize(
    ("matcher", "values", "ok"),
    [
        ({"contains": "ok"}, ["all ok"], True),
        ({"contains": 3}, [[1, 2, 3]], True),
        ({"matches": r"^\d{3}$"}, ["123"], True),
        ({"matches": r"^\d{3}$"}, ["123", "12"], False),
        ({"lt": 10, "gte": 2}, [5], True),
        ({"gt": 1}, ["5"], False),
        ({"length": 2}, [[1, 2]], True),
        ({"length": {"gte": 1}}, [[]], False),
        ({"one_of": ["none", "pending"]}, ["pending"], True),
        ({"one_of": ["none", "pending"]}, ["granted"], False),
    ],
)
def test_each_matcher_decides_as_documented(matcher, values, ok):
    assert all(result.ok for result in check(matcher, values)) is ok


def test_a_scalar_means_equals_and_unknown_matchers_are_refused():
    assert matchers.normalise_matcher("none") == ({"equals": "none"}, [])
    matcher, problems = matchers.normalise_matcher({"equal": 1})
    assert matcher is None and "did you mean 'equals'?" in problems[0]


def test_regexes_see_only_the_first_64_kb():
    huge = "a" * (matchers.REGEX_WINDOW_CHARS + 10) + "needle"
    assert not check({"matches": "needle"}, [huge])[0].ok
