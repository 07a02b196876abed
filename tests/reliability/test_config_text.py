"""Any YAML text in: a clear error naming the file (and line), a list of errors with their
paths, or a valid config that applies; never a crash.

tests/test_config.py and tests/probes/test_spec.py feed the validator documents; these
tests start one step earlier, from the text a user writes, and end one step later, in the
database (PostgreSQL refuses some strings SQLite takes).
"""

from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from statuspage.config.apply import apply_config
from statuspage.config.load import ConfigFileError, load_file
from statuspage.config.schema import Config, validate

pytestmark = [pytest.mark.once, pytest.mark.django_db]

EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "reserve-plus.yaml").read_text(encoding="utf-8")
TOKENS = st.sampled_from([
    "\n", "  ", "- ", ": ", "{", "}", "[", "]", ",", "&a ", "*a", "!!binary ", "!!set ", "!!python/object:os.system ",
    "? ", "|\n", ">\n", "'", '"', "#", "---\n", "...\n", "%YAML 1.1\n", "\t", "\\0", "\\ud800", "<<: ", "1e999",
    ".nan", "~", "2024-01-01", "0x1F", "page", "components", "probes", "groups", "key: ", "name: ", "steps: ",
    "interval: 1s", "url: https://e.org", "[" * 50, "{a: " * 30,
])
TEXT = st.lists(TOKENS | st.text(max_size=6), max_size=40).map("".join)


class Rollback(Exception):
    pass


def outcome(tmp_path: Path, text: str) -> str:
    """What a user sees for this file: 'file error', 'errors' or 'applied'."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        doc = load_file(str(path))
    except ConfigFileError as exc:
        assert str(exc).startswith(f"{path}: "), exc
        return "file error"
    config, errors = validate(doc)
    if config is None:
        assert errors and all(isinstance(p, str) and isinstance(m, str) and m for p, m in errors), errors
        return "errors"
    assert isinstance(config, Config) and errors == []
    try:
        with transaction.atomic():  # applied for real, then undone: the next example starts clean
            apply_config(config)
            raise Rollback
    except Rollback:
        pass
    return "applied"


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_any_yaml_text_gets_a_clear_error_or_a_config(tmp_path, text):
    event(outcome(tmp_path, text))


@st.composite
def edited_example(draw):
    """The example file after a few careless edits: a line dropped, doubled, re-indented or garbled."""
    lines = EXAMPLE.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["drop", "double", "indent", "dedent", "garble", "value"]))
        if edit == "drop":
            del lines[i]
        elif edit == "double":
            lines.insert(i, lines[i])
        elif edit == "indent":
            lines[i] = "  " + lines[i]
        elif edit == "dedent":
            lines[i] = lines[i][2:]
        elif edit == "garble":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))] + draw(TOKENS)
        elif ":" in lines[i]:
            lines[i] = lines[i].split(":", 1)[0] + ": " + draw(TOKENS | st.text(max_size=8))
        if not lines:
            break
    return "\n".join(lines)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=edited_example())
def test_a_carelessly_edited_example_gets_a_clear_error_or_applies(tmp_path, text):
    event(outcome(tmp_path, text))


@pytest.mark.parametrize("text, message", [
    pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="nested 100,000 deep"),
    pytest.param("{a: " * 50_000 + "1" + "}" * 50_000, "nested too deeply", id="a flow mapping nested 50,000 deep"),
    pytest.param("!!python/object/apply:os.system ['echo pwned']", "could not determine a constructor",
                 id="a Python object tag"),
    pytest.param("page:\n\tname: x", "line 2, column 1", id="a tab for indentation"),
])
def test_the_command_refuses_hostile_files_with_one_clear_line(tmp_path, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text)

    with pytest.raises(CommandError) as refused:
        call_command("apply_config", str(path))

    assert message in str(refused.value)


def test_bytes_that_are_not_utf8_are_refused_by_name(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"page: {name: \xff\xfe}")

    with pytest.raises(CommandError, match="cannot read: 'utf-8' codec can't decode"):
        call_command("apply_config", str(path))


@pytest.mark.parametrize("text, path", [
    pytest.param('page: {name: "Status\\0"}', "page.name", id="NUL"),
    pytest.param('page: {name: "\\ud800"}', "page.name", id="lone surrogate"),
    pytest.param('components: [{key: a, name: A}]\nprobes: [{key: p, component: a, steps: [{name: s, request: '
                 '{url: "https://e.org", json: {"x\\0": 1}}}]}]', "probes[0].steps[0].request.json.x\x00",
                 id="NUL in a JSON key of a probe"),
])
def test_text_no_database_stores_is_an_error_with_its_path(text, path):
    """PostgreSQL refuses a NUL or a lone surrogate in text and JSON: that is a 400, not a 500 at apply."""
    config, errors = validate(yaml.safe_load(text))

    assert config is None
    assert (path, "contains a NUL character or an unpaired surrogate") in errors


def test_the_api_refuses_a_nul_with_400_and_its_path(api):
    response = api.post("/api/v1/config/", {"page": {"name": "a\u0000b"}}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["page.name"] == ["contains a NUL character or an unpaired surrogate"]
