"""Matchers: what a probe expects of the values a JSONPath (or a header name) found.

A path may find several values (`$.items[*].type`). Positive matchers (equals, matches,
lt, length, one_of, ...) need at least one value and hold for every value found;
`contains` holds if any value contains the argument; `not_equals` and `not_contains`
hold if no value does, so they also pass when nothing is found (pair them with
`exists: true` when the field must be there).
"""

from __future__ import annotations

import difflib
import json
import math
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

import regex
from jsonpath_ng.ext.parser import ExtendedJsonPathParser

MATCHERS = (
    "equals", "not_equals", "contains", "not_contains", "matches", "exists",
    "lt", "lte", "gt", "gte", "length", "one_of",
)
MAX_PATTERN_CHARS = 500
MAX_JSONPATH_CHARS = 500
REGEX_WINDOW_CHARS = 64 * 1024  # regexes see at most this much text, to bound their cost
_MAX_JSON_DEPTH = 32
_MAX_JSON_NODES = 10_000
_COMPARE = {
    "lt": (lambda a, b: a < b, "less than"),
    "lte": (lambda a, b: a <= b, "at most"),
    "gt": (lambda a, b: a > b, "more than"),
    "gte": (lambda a, b: a >= b, "at least"),
}


class Check(NamedTuple):
    ok: bool
    expectation: str  # reads after "expected ...": "none", "not to contain granted"
    seen: str  # names its subject: "$.deferment.status = granted"


# ---------------------------------------------------------------- JSONPath

# A fresh jsonpath_ng parser rebuilds its PLY tables (~20 ms); one reused parser takes
# ~0.7 ms per path but is not thread-safe, hence the lock. Compiled paths are cached.
_parser_lock = threading.Lock()
_parser: ExtendedJsonPathParser | None = None


@lru_cache(maxsize=4096)
def compile_jsonpath(path: str) -> Any:
    """Parse a JSONPath (filters allowed); raises on a bad one. Cached: specs hold strings."""
    global _parser
    if len(path) > MAX_JSONPATH_CHARS:
        raise ValueError(f"longer than {MAX_JSONPATH_CHARS} characters")
    with _parser_lock:
        if _parser is None:
            _parser = ExtendedJsonPathParser()
        return _parser.parse(path)


def jsonpath_problem(path: object) -> str | None:
    if not isinstance(path, str):
        return f"a JSONPath must be a string, got {type(path).__name__}"
    try:
        compile_jsonpath(path)
    except Exception as exc:  # noqa: BLE001 - jsonpath_ng raises JSONPathError, but odd input can raise others
        return f"bad JSONPath {path[:80]!r}: {exc}"
    return None


def find_values(path: str, document: object) -> list:
    """Every value `path` finds in `document` (empty list: nothing found)."""
    return [match.value for match in compile_jsonpath(path).find(document)]


# ---------------------------------------------------------------- validation


def brief(value: object, limit: int = 40) -> str:
    """A short, safe rendering of any YAML value for an error message.

    Never repr() a container: a YAML alias bomb expands to gigabytes of text."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("..." if len(value) > limit else "")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "a very large number"  # str() of a 5000-digit int raises ValueError
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return f"a {type(value).__name__}"


def json_value_problem(value: object) -> str | None:
    """Why `value` can't be stored as JSON (YAML dates, NaN, odd keys, cycles), or None."""
    stack: list[tuple[object, int]] = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if depth > _MAX_JSON_DEPTH or nodes > _MAX_JSON_NODES:
            return "value is nested too deeply or too large"
        if item is None or isinstance(item, (str, bool)):
            continue
        if isinstance(item, int):
            if item.bit_length() > 63:
                return "numbers must fit in 64 bits"
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return f"{item} is not a valid JSON number"
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return f"object keys must be strings, got {brief(key)}"
                stack.append((child, depth + 1))
        else:
            return f"{type(item).__name__} values are not allowed (quote it to make it a string)"
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def regex_problem(pattern: object) -> str | None:
    if not isinstance(pattern, str):
        return f"a regex must be a string, got {type(pattern).__name__}"
    if len(pattern) > MAX_PATTERN_CHARS:
        return f"regex is longer than {MAX_PATTERN_CHARS} characters"
    try:
        regex.compile(pattern)
    except Exception as exc:  # noqa: BLE001 - regex.error, but also OverflowError/RecursionError on odd input
        return f"bad regex /{pattern[:60]}/: {exc}"
    return None


def _arg_problem(op: str, arg: object) -> str | None:
    if op == "exists":
        return None if isinstance(arg, bool) else "exists takes true or false"
    if op == "matches":
        return regex_problem(arg)
    if op in _COMPARE:
        return None if _is_number(arg) else f"{op} takes a number"
    if op == "length":
        if isinstance(arg, int) and not isinstance(arg, bool) and arg >= 0:
            return None
        if isinstance(arg, dict) and arg and all(
            k in ("equals", *_COMPARE) and _is_number(v) for k, v in arg.items()
        ):
            return None
        return "length takes a whole number or e.g. {gte: 1}"
    if op == "one_of":
        if not isinstance(arg, list) or not arg:
            return "one_of takes a non-empty list"
    return json_value_problem(arg)


def normalise_matcher(spec: object) -> tuple[dict | None, list[str]]:
    """A matcher as {name: argument}; a scalar or list means equals. Returns (matcher, problems)."""
    if not isinstance(spec, dict):
        problem = json_value_problem(spec)
        return (None, [problem]) if problem else ({"equals": spec}, [])
    if not spec:
        return None, ["no matcher given (known: " + ", ".join(MATCHERS) + ")"]
    problems = []
    for op, arg in spec.items():
        if op not in MATCHERS:
            close = difflib.get_close_matches(op, MATCHERS, n=1) if isinstance(op, str) else []
            hint = f"did you mean '{close[0]}'? " if close else ""
            problems.append(f"unknown matcher {brief(op)} ({hint}known: " + ", ".join(MATCHERS) + ")")
        else:
            problem = _arg_problem(op, arg)
            if problem:
                problems.append(f"{op}: {problem}")
    return (None, problems) if problems else (dict(spec), [])


# ---------------------------------------------------------------- evaluation


def json_equal(a: object, b: object) -> bool:
    """Equality as JSON sees it: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _contains(value: object, wanted: object) -> bool:
    if json_equal(value, wanted):
        return True
    if isinstance(value, list):
        return any(json_equal(item, wanted) for item in value)
    return isinstance(value, str) and isinstance(wanted, str) and wanted in value


def show(value: object, limit: int = 120) -> str:
    """A value in plain words: strings bare, everything else as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show_values(subject: str, values: list) -> str:
    if not values:
        return f"{subject}: nothing found"
    if len(values) == 1:
        return f"{subject} = {show(values[0])}"
    return f"{subject} = [" + ", ".join(show(v, 60) for v in values[:10]) + (", ...]" if len(values) > 10 else "]")


REGEX_TIMEOUT_S = 0.1


@lru_cache(maxsize=1024)
def compiled_regex(pattern: str) -> regex.Pattern[str]:
    # The `regex` engine, not `re`: it takes a timeout, so a pattern with catastrophic
    # backtracking fails its check instead of pinning a worker's CPU.
    return regex.compile(pattern)


def regex_search(pattern: str, text: str) -> bool:
    """True if the pattern matches; raises TimeoutError after REGEX_TIMEOUT_S."""
    return compiled_regex(pattern).search(text, timeout=REGEX_TIMEOUT_S) is not None


def _regex_text(value: object) -> str:
    return (value if isinstance(value, str) else show(value, REGEX_WINDOW_CHARS))[:REGEX_WINDOW_CHARS]


def _length_ok(length: int, arg: int | dict) -> bool:
    if isinstance(arg, int):
        return length == arg
    return all(
        length == bound if op == "equals" else _COMPARE[op][0](length, bound)
        for op, bound in arg.items()
    )


def _length_words(arg: int | dict) -> str:
    if isinstance(arg, int):
        return f"length {arg}"
    return "length " + " and ".join(
        str(bound) if op == "equals" else f"{_COMPARE[op][1]} {bound}" for op, bound in arg.items()
    )


def _check_one(subject: str, op: str, arg: object, values: list) -> Check:
    seen = _show_values(subject, values)

    def every(test: Callable[[object], bool]) -> bool:
        return bool(values) and all(map(test, values))

    if op == "exists":
        return Check(bool(values) == arg, "a value" if arg else "nothing there", seen)
    if op == "equals":
        return Check(every(lambda v: json_equal(v, arg)), show(arg), seen)
    if op == "not_equals":
        return Check(not any(json_equal(v, arg) for v in values), f"anything but {show(arg)}", seen)
    if op == "contains":
        return Check(any(_contains(v, arg) for v in values), f"to contain {show(arg)}", seen)
    if op == "not_contains":
        return Check(not any(_contains(v, arg) for v in values), f"not to contain {show(arg)}", seen)
    if op == "matches":
        try:
            return Check(every(lambda v: regex_search(arg, _regex_text(v))), f"to match /{arg}/", seen)
        except TimeoutError:
            return Check(False, f"to match /{arg}/", f"the pattern took over {REGEX_TIMEOUT_S * 1000:.0f} ms "
                                                     "(catastrophic backtracking?)")
    if op in _COMPARE:
        test, words = _COMPARE[op]
        return Check(every(lambda v: _is_number(v) and test(v, arg)), f"{words} {show(arg)}", seen)
    if op == "length":
        sized = [v for v in values if isinstance(v, (str, list, dict))]
        lengths = [len(v) for v in sized]
        ok = bool(values) and len(sized) == len(values) and all(_length_ok(n, arg) for n in lengths)
        if values and len(sized) == len(values):
            seen = f"{subject} has length " + ", ".join(map(str, lengths[:10]))
        return Check(ok, _length_words(arg), seen)
    if op == "one_of":
        return Check(
            every(lambda v: any(json_equal(v, option) for option in arg)),
            "one of " + ", ".join(show(o, 40) for o in arg[:10]),
            seen,
        )
    raise ValueError(f"unknown matcher {op!r}")  # validated specs never get here


def check(subject: str, matcher: dict, values: list) -> list[Check]:
    """One Check per matcher in `matcher` (a normalised {name: argument} dict)."""
    return [_check_one(subject, op, arg, values) for op, arg in matcher.items()]
