"""Validate one entry of the config's `probes:` list into the normalised dict the runner takes.

Every problem is reported with its path (`probes[2].steps[0].expect.json`); nothing raises,
whatever YAML produced. The result is JSON-serialisable (it is stored in a JSONField).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection
from urllib.parse import urlsplit

from probes import matchers
from probes.durations import parse_duration_ms
from probes.public_texts import KINDS, placeholder_problems
from probes.templating import NAME_RE, iter_strings, scan
from statuspage import translations

Errors = list[tuple[str, str]]
Report = Callable[[str, str], None]

PROBE_KEYS = (
    "key", "component", "interval", "timeout", "regions", "quorum", "trip_after",
    "recover_after", "degraded_over", "on_failure", "incident", "publish_after", "monitoring_for", "public", "steps",
)
STEP_KEYS = ("name", "request", "expect", "save")
REQUEST_KEYS = ("method", "url", "headers", "query", "json", "form", "body", "follow_redirects")
EXPECT_KEYS = ("status", "max_ms", "json", "body_contains", "body_not_contains", "body_matches", "header")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ON_FAILURE = ("degraded_performance", "partial_outage", "major_outage")
INCIDENT = ("auto", "review", "draft", "none")
PUBLIC_TEXT_KEYS = ("title", "body", "translations")
PUBLIC_TITLE_MAX, PUBLIC_BODY_MAX = 200, 5000

KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
REGION_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")
HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}\Z")
MAX_STEPS = 20
MAX_TEXT = 100_000  # request bodies and other strings
# Bounds that keep one probe from hogging a worker or the scheduler.
INTERVAL_MS = (1_000, 86_400_000)
TIMEOUT_MS = (1, 300_000)
LIFECYCLE_MS = (0, 7 * 86_400_000)  # publish_after, monitoring_for: up to a week
DEFAULT_LIFECYCLE_MS = 600_000  # 10m


def validate_probe(
    raw: object, path: str, component_keys: Collection[str], env_allowed: Collection[str] | None = None
) -> tuple[dict | None, Errors]:
    """Return (normalised probe, []) or (None, [(path, message), ...]). Never raises.

    `env_allowed`: the names `{{ env.NAME }}` may read (PROBE_ENV_ALLOW); None checks none.
    """
    errors: Errors = []

    def report(where: str, message: str) -> None:
        errors.append((where, message))

    try:
        probe = _probe(raw, path, component_keys, report)
        if probe is not None and env_allowed is not None:
            _env_allowed(probe, path, env_allowed, report)
    except Exception as exc:  # noqa: BLE001 - a validator bug must not take the whole config apply down
        report(path, f"could not be validated: {type(exc).__name__}: {str(exc)[:200]}")
        probe = None
    return (probe if not errors else None), errors


def _env_allowed(probe: dict, path: str, allowed: Collection[str], report: Report) -> None:
    """A probe reads only the worker's variables PROBE_ENV_ALLOW lists: never its secrets."""
    for index, step in enumerate(probe["steps"]):
        names = {p.name for text in iter_strings([step.get("request"), step.get("expect")])
                 for p in scan(text)[0] if p.env}
        for name in sorted(names - set(allowed)):
            report(f"{path}.steps[{index}]", f"{{{{ env.{name} }}}} names {name}, which PROBE_ENV_ALLOW does not "
                   f"list (allowed: {', '.join(sorted(allowed)) or 'none'})")


# ---------------------------------------------------------------- helpers


def _at(path: str, key: object) -> str:
    if isinstance(key, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
        return f"{path}.{key}"
    return f"{path}[{matchers.brief(key)}]"


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _mapping(value: object, path: str, what: str, report: Report) -> dict | None:
    if isinstance(value, dict):
        return value
    report(path, f"{what} must be a mapping, got {_kind(value)}")
    return None


def _unknown_keys(raw: dict, known: tuple[str, ...], path: str, report: Report) -> None:
    for key in raw:
        if key in known:
            continue
        hint = ""
        if isinstance(key, str):
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
        report(path, f"unknown key {matchers.brief(key)}{hint}; known keys: {', '.join(known)}")


def _duration(raw: dict, name: str, path: str, default: int | None, bounds: tuple[int, int],
              report: Report) -> int | None:
    if name not in raw:
        return default
    try:
        value = parse_duration_ms(raw[name])
    except ValueError as exc:
        report(_at(path, name), str(exc))
        return None
    low, high = bounds
    if not low <= value <= high:
        report(_at(path, name), f"must be between {low} ms and {high} ms, got {value} ms")
        return None
    return value


def _count(raw: dict, name: str, path: str, default: int, high: int, report: Report) -> int | None:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        report(_at(path, name), f"must be a whole number from 1 to {high}, got {matchers.brief(value)}")
        return None
    return value


def _choice(raw: dict, name: str, path: str, default: str, choices: tuple[str, ...], report: Report) -> str | None:
    value = raw.get(name, default)
    if value not in choices or not isinstance(value, str):
        report(_at(path, name), f"must be one of {', '.join(choices)}, got {matchers.brief(value)}")
        return None
    return value


def _templates(value: object, path: str, saved: set[str], report: Report) -> None:
    """Placeholders must be well formed and `{{ name }}` must be saved by an earlier step."""
    for text in iter_strings(value):
        placeholders, problems = scan(text)
        for problem in problems:
            report(path, problem)
        for placeholder in placeholders:
            if not placeholder.env and placeholder.name not in saved:
                known = ", ".join(sorted(saved)) or "none yet"
                report(path, f"{placeholder} is not saved by an earlier step (saved so far: {known})")


def _no_templates_in_keys(value: object, path: str, report: Report) -> None:
    stack, visited = [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, (dict, list)):
            if id(item) in visited:  # YAML aliases share (or even nest) containers
                continue
            visited.add(id(item))
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and "{{" in key:
                    report(path, f"placeholders are filled in values only, not in the key {key[:60]!r}")
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)


# ---------------------------------------------------------------- probe


def _probe(raw: object, path: str, component_keys: Collection[str], report: Report) -> dict | None:
    raw = _mapping(raw, path, "a probe", report)
    if raw is None:
        return None
    _unknown_keys(raw, PROBE_KEYS, path, report)

    key = raw.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        report(_at(path, "key"), f"must be a slug of a-z, 0-9, '-' and '_' (at most 64), got {matchers.brief(key)}")
    component = raw.get("component")
    if not isinstance(component, str) or component not in component_keys:
        report(_at(path, "component"), f"must be the key of a component in this file, got {matchers.brief(component)}")

    interval_ms = _duration(raw, "interval", path, 60_000, INTERVAL_MS, report)
    timeout_ms = _duration(raw, "timeout", path, 10_000, TIMEOUT_MS, report)
    if interval_ms is not None and timeout_ms is not None and timeout_ms > interval_ms:
        report(_at(path, "timeout"), f"must not be longer than the interval ({interval_ms} ms), or runs would overlap")
    degraded_over_ms = None
    if raw.get("degraded_over") is not None:
        degraded_over_ms = _duration(raw, "degraded_over", path, None, (1, TIMEOUT_MS[1]), report)

    regions = _regions(raw.get("regions", ["default"]), _at(path, "regions"), report)
    quorum = _count(raw, "quorum", path, 1, 100, report)
    if regions and quorum and quorum > len(regions):
        report(_at(path, "quorum"), f"must be at most the number of regions ({len(regions)}), got {quorum}")

    steps = _steps(raw.get("steps"), _at(path, "steps"), report)
    return {
        "key": key,
        "component": component,
        "interval_ms": interval_ms,
        "timeout_ms": timeout_ms,
        "regions": regions,
        "quorum": quorum,
        "trip_after": _count(raw, "trip_after", path, 2, 1000, report),
        "recover_after": _count(raw, "recover_after", path, 2, 1000, report),
        "degraded_over_ms": degraded_over_ms,
        "on_failure": _choice(raw, "on_failure", path, "major_outage", ON_FAILURE, report),
        "incident": _choice(raw, "incident", path, "auto", INCIDENT, report),
        "publish_after_ms": _duration(raw, "publish_after", path, DEFAULT_LIFECYCLE_MS, LIFECYCLE_MS, report),
        "monitoring_for_ms": _duration(raw, "monitoring_for", path, DEFAULT_LIFECYCLE_MS, LIFECYCLE_MS, report),
        "public": _public(raw.get("public", {}), _at(path, "public"), report),
        "steps": steps,
    }


def _public(value: object, path: str, report: Report) -> dict:
    """`public: {kind: {title, body, translations: {lang: {title, body}}}}`: the citizens' words."""
    value = _mapping(value, path, "public", report)
    if not value:
        return {}
    _unknown_keys(value, KINDS, path, report)
    public = {}
    for kind in KINDS:
        if kind not in value:
            continue
        where = _at(path, kind)
        texts = _mapping(value[kind], where, f"public.{kind}", report)
        if texts is None:
            continue
        _unknown_keys(texts, PUBLIC_TEXT_KEYS, where, report)
        entry: dict = {"translations": {}}
        for field, limit in (("title", PUBLIC_TITLE_MAX), ("body", PUBLIC_BODY_MAX)):
            if field in texts:
                entry[field] = _public_text(texts[field], _at(where, field), limit, report)
        found = translations.problems(texts.get("translations", {}), {"title", "body"})
        for lang, message in found:
            report(_at(where, "translations") + (f".{lang}" if lang else ""), message)
        if not found:
            for lang, given in texts.get("translations", {}).items():
                for field, limit in (("title", PUBLIC_TITLE_MAX), ("body", PUBLIC_BODY_MAX)):
                    if field in given:
                        _public_text(given[field], _at(_at(_at(where, "translations"), lang), field), limit, report)
                entry["translations"][lang] = dict(given)
        public[kind] = entry
    for problem_path, text in _public_strings(public, path):
        for problem in placeholder_problems(text):
            report(problem_path, problem)
    return public


def _public_text(value: object, path: str, limit: int, report: Report) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        report(path, f"must be a non-empty text of at most {limit} characters, got {_kind(value)}")
        return None
    return value


def _public_strings(public: dict, path: str):
    for kind, entry in public.items():
        for field in ("title", "body"):
            if isinstance(entry.get(field), str):
                yield f"{path}.{kind}.{field}", entry[field]
        for lang, given in entry["translations"].items():
            for field, value in given.items():
                if isinstance(value, str):
                    yield f"{path}.{kind}.translations.{lang}.{field}", value


def _regions(value: object, path: str, report: Report) -> list[str] | None:
    if not isinstance(value, list) or not value:
        report(path, f"must be a non-empty list of region names, got {_kind(value)}")
        return None
    regions: list[str] = []
    for index, region in enumerate(value):
        if not isinstance(region, str) or not REGION_RE.match(region):
            report(f"{path}[{index}]", f"a region name is a-z, 0-9, '-' and '_', got {matchers.brief(region)}")
        elif region in regions:
            report(f"{path}[{index}]", f"region {matchers.brief(region)} is listed twice")
        else:
            regions.append(region)
    return regions


def _steps(value: object, path: str, report: Report) -> list[dict] | None:
    if not isinstance(value, list) or not value:
        report(path, f"must be a non-empty list of steps, got {_kind(value)}")
        return None
    if len(value) > MAX_STEPS:
        report(path, f"at most {MAX_STEPS} steps, got {len(value)}")
        return None
    saved: set[str] = set()
    steps = []
    for index, raw_step in enumerate(value):
        step = _step(raw_step, f"{path}[{index}]", index, saved, report)
        steps.append(step)
        if step:
            saved.update(step["save"])
    return steps


# ---------------------------------------------------------------- step


def _step(raw: object, path: str, index: int, saved: set[str], report: Report) -> dict | None:
    raw = _mapping(raw, path, "a step", report)
    if raw is None:
        return None
    _unknown_keys(raw, STEP_KEYS, path, report)
    name = raw.get("name", f"step {index + 1}")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        report(_at(path, "name"), f"must be a non-empty text of at most 200 characters, got {matchers.brief(name)}")
    if "request" not in raw:
        report(_at(path, "request"), "is required")
        request = None
    else:
        request = _request(raw["request"], _at(path, "request"), saved, report)
    expect = _expect(raw.get("expect", {}), _at(path, "expect"), report)
    save = _save(raw.get("save", {}), _at(path, "save"), report)
    return {"name": name, "request": request, "expect": expect, "save": save}


def _save(value: object, path: str, report: Report) -> dict:
    value = _mapping(value, path, "save", report)
    if not value:
        return {}
    saved = {}
    for name, jsonpath in value.items():
        if not isinstance(name, str) or not NAME_RE.match(name) or name == "env":
            report(path, f"a saved name is letters, digits and '_' (not 'env'), got {matchers.brief(name)}")
            continue
        problem = matchers.jsonpath_problem(jsonpath)
        if problem:
            report(path, problem)
        saved[name] = jsonpath
    return saved


# ---------------------------------------------------------------- request


def _text(value: object) -> str | None:
    """Header/query/form values: YAML may give numbers; true/false are too ambiguous."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 63:
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(value)
    return None


def _text_map(value: object, path: str, what: str, report: Report, lists: bool) -> dict | None:
    value = _mapping(value, path, what, report)
    if value is None:
        return None
    result: dict = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            report(path, f"names must be non-empty text, got {matchers.brief(key)}")
            continue
        if lists and isinstance(item, list):
            texts = [_text(part) for part in item]
            if None in texts:
                report(_at(path, key), "list items must be text or numbers")
            result[key] = texts
            continue
        text = _text(item)
        if text is None:
            report(_at(path, key), f"must be text or a number, got {_kind(item)}")
        elif len(text) > MAX_TEXT:
            report(_at(path, key), f"longer than {MAX_TEXT} characters")
        result[key] = text
    return result


def _request(raw: object, path: str, saved: set[str], report: Report) -> dict | None:
    raw = _mapping(raw, path, "request", report)
    if raw is None:
        return None
    _unknown_keys(raw, REQUEST_KEYS, path, report)

    method = raw.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        report(_at(path, "method"), f"must be one of {', '.join(HTTP_METHODS)}, got {matchers.brief(method)}")
    else:
        method = method.upper()

    url = raw.get("url")
    if not isinstance(url, str) or not url.strip():
        report(_at(path, "url"), f"must be text such as https://example.org/health, got {_kind(url)}")
    elif len(url) > 2048:
        report(_at(path, "url"), "longer than 2048 characters")
    else:
        _url(url, _at(path, "url"), report)
        _templates(url, _at(path, "url"), saved, report)

    request: dict = {"method": method, "url": url}
    headers = _text_map(raw.get("headers", {}), _at(path, "headers"), "headers", report, lists=False)
    for name, header_value in (headers or {}).items():
        if not HEADER_NAME_RE.match(name):
            report(_at(path, "headers"), f"{name[:60]!r} is not a valid header name")
        if isinstance(header_value, str) and ("\r" in header_value or "\n" in header_value):
            report(_at(_at(path, "headers"), name), "a header value cannot contain line breaks")
    request["headers"] = headers
    request["query"] = _text_map(raw.get("query", {}), _at(path, "query"), "query", report, lists=True)

    bodies = [name for name in ("json", "form", "body") if name in raw]
    if len(bodies) > 1:
        report(path, f"use only one of json, form and body, got {', '.join(bodies)}")
    json_ok = True
    if "json" in raw:
        problem = matchers.json_value_problem(raw["json"])
        if problem:
            report(_at(path, "json"), problem)
            json_ok = False  # may be cyclic (YAML anchors): don't walk it again
        request["json"] = raw["json"]
    if "form" in raw:
        request["form"] = _text_map(raw["form"], _at(path, "form"), "form", report, lists=True)
    if "body" in raw:
        body = raw["body"]
        if not isinstance(body, str) or len(body) > MAX_TEXT:
            report(_at(path, "body"), f"must be text of at most {MAX_TEXT} characters, got {_kind(body)}")
        request["body"] = body

    follow = raw.get("follow_redirects", False)
    if not isinstance(follow, bool):
        report(_at(path, "follow_redirects"), f"must be true or false, got {matchers.brief(follow)}")
    request["follow_redirects"] = follow

    for part in ("headers", "query", "json", "form", "body"):
        if request.get(part) is not None and (part != "json" or json_ok):
            _no_templates_in_keys(request[part], _at(path, part), report)
            _templates(request[part], _at(path, part), saved, report)
    return request


def _url(url: str, path: str, report: Report) -> None:
    """A literal URL start must be http(s); one built from a placeholder is checked when run."""
    if url.lstrip().startswith("{{"):
        return
    literal = url.split("{{", 1)[0]
    scheme = literal.split(":", 1)[0].lower() if ":" in literal else ""
    if scheme not in ("http", "https"):
        report(path, f"must start with http:// or https://, got {url[:60]!r}")
        return
    if "{{" not in url:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            _ = parts.port  # raises ValueError on a bad port
        except ValueError as exc:
            report(path, f"is not a valid URL: {exc}")
            return
        if not host:
            report(path, f"has no host name: {url[:60]!r}")


# ---------------------------------------------------------------- expect


def _expect(raw: object, path: str, report: Report) -> dict:
    raw = _mapping(raw, path, "expect", report)
    if raw is None:
        return {}
    _unknown_keys(raw, EXPECT_KEYS, path, report)
    expect: dict = {"status": None, "max_ms": None, "json": {}, "header": {},
                    "body_contains": [], "body_not_contains": [], "body_matches": []}

    if "status" in raw:
        status = raw["status"]
        codes = status if isinstance(status, list) else [status]
        if not codes or not all(
            isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 599 for c in codes
        ):
            report(_at(path, "status"), f"must be an HTTP status code or a list of them, got {matchers.brief(status)}")
        expect["status"] = codes
    if "max_ms" in raw:
        expect["max_ms"] = _duration(raw, "max_ms", path, None, (1, TIMEOUT_MS[1]), report)

    json_rules = _mapping(raw.get("json", {}), _at(path, "json"), "json", report) or {}
    for jsonpath, spec in json_rules.items():
        problem = matchers.jsonpath_problem(jsonpath)
        if problem:
            report(_at(path, "json"), problem)
            continue
        matcher, problems = matchers.normalise_matcher(spec)
        for problem in problems:
            report(_at(path, "json"), f"{jsonpath[:80]!r}: {problem}")
        expect["json"][jsonpath] = matcher

    header_rules = _mapping(raw.get("header", {}), _at(path, "header"), "header", report) or {}
    for name, spec in header_rules.items():
        if not isinstance(name, str) or not HEADER_NAME_RE.match(name):
            report(_at(path, "header"), f"{matchers.brief(name)} is not a valid header name")
            continue
        matcher, problems = matchers.normalise_matcher(spec)
        for problem in problems:
            report(_at(_at(path, "header"), name), problem)
        expect["header"][name] = matcher

    for name in ("body_contains", "body_not_contains", "body_matches"):
        if name not in raw:
            continue
        is_list = isinstance(raw[name], list)
        items = raw[name] if is_list else [raw[name]]
        for index, item in enumerate(items):
            where = f"{_at(path, name)}[{index}]" if is_list else _at(path, name)
            if name == "body_matches":
                problem = matchers.regex_problem(item)
            elif not isinstance(item, str) or not item:
                problem = f"must be non-empty text (or a list of texts), got {_kind(item)}"
            else:
                problem = None
            if problem:
                report(where, problem)
        expect[name] = items
    return expect
