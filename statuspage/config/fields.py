"""The checks every section of the config document shares: each appends (path, message) to
`errors` and returns what may be kept, so one pass reports every mistake."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from statuspage import translations

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")  # \Z: "$" would let a trailing newline in
Errors = list[tuple[str, str]]


def refuse_unknown(raw: dict, allowed: set[str], path: str, errors: Errors) -> None:
    for key in raw:
        if key not in allowed:
            errors.append((f"{path}.{key}", f"unknown field; expected one of {', '.join(sorted(allowed))}"))


def text_field(raw: dict, key: str, path: str, errors: Errors, required: bool = False, max_len: int = 2000) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            errors.append((f"{path}.{key}", "is required"))
        return ""
    if not isinstance(value, str):
        errors.append((f"{path}.{key}", f"must be a string, not {type(value).__name__}"))
        return ""
    if len(value) > max_len:
        errors.append((f"{path}.{key}", f"is longer than {max_len} characters"))
    return value


def url_field(raw: dict, key: str, path: str, errors: Errors) -> str:
    """An absolute http(s) URL, with no space or control character anywhere: it goes into
    every email's List-Unsubscribe header, where a newline would start a header of its own."""
    value = text_field(raw, key, path, errors)
    if value and (problem := url_problem(value)):
        errors.append((f"{path}.{key}", f"{value[:100]!r} is not an absolute http(s) URL: {problem}"))
        return ""
    return value


def url_problem(value: str) -> str | None:
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "it contains a space or control character"
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it has no host name"
    return None


def bool_field(raw: dict, key: str, path: str, errors: Errors, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        errors.append((f"{path}.{key}", "must be true or false"))
        return default
    return value


def translations_field(raw: dict, path: str, errors: Errors, fields: set[str]) -> dict:
    value = raw.get("translations", {})
    found = translations.problems(value, fields)
    errors.extend((f"{path}.translations" + (f".{lang}" if lang else ""), message) for lang, message in found)
    if not isinstance(value, dict):
        return {}
    wrong = {lang for lang, _ in found}
    return {lang: texts for lang, texts in value.items() if lang not in wrong}


def unique_key(value: str, where: str, seen: set[str], errors: Errors) -> None:
    """An item's `key` in a keyed section (templates, notices): well formed, and once only."""
    if value and not KEY_RE.match(value):
        errors.append((f"{where}.key", "use lower-case letters, digits, - and _ (at most 64)"))
    elif value in seen:
        errors.append((f"{where}.key", f"'{value}' is used twice"))
    seen.add(value)
