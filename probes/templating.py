"""`{{ env.NAME }}` and `{{ name }}` placeholders in probe requests.

`{{ env.NAME }}` reads the worker's environment (secrets never enter the database);
`{{ name }}` reads a value saved by an earlier step. The renderer remembers every value
it substituted so the runner can redact them from anything it reports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PLACEHOLDER = re.compile(r"\{\{\s*(?:(env)\.)?(" + NAME + r")\s*\}\}")
NAME_RE = re.compile(NAME + r"\Z")


class TemplateError(Exception):
    """A placeholder could not be filled (missing env var or saved value)."""


@dataclass(frozen=True)
class Placeholder:
    env: bool
    name: str

    def __str__(self) -> str:
        return "{{ env." + self.name + " }}" if self.env else "{{ " + self.name + " }}"


def scan(text: str) -> tuple[list[Placeholder], list[str]]:
    """The placeholders in `text`, and a problem for every `{{` that starts none."""
    found: list[Placeholder] = []
    problems: list[str] = []
    start = text.find("{{")
    while start != -1:
        match = _PLACEHOLDER.match(text, start)
        if match:
            found.append(Placeholder(env=bool(match.group(1)), name=match.group(2)))
            start = text.find("{{", match.end())
        else:
            snippet = text[start : start + 30]
            problems.append(
                f"malformed placeholder near '{snippet}': use {{{{ env.NAME }}}} or {{{{ name }}}}"
            )
            start = text.find("{{", start + 2)
    return found, problems


def iter_strings(value: object) -> Iterator[str]:
    """Every string value (not key) inside nested dicts and lists."""
    stack, visited = [value], set()
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, (dict, list)) and id(item) not in visited:
            visited.add(id(item))  # YAML anchors can make a list contain itself
            stack.extend(item.values() if isinstance(item, dict) else item)


def _as_text(value: object) -> str:
    # Saved values may be numbers or objects: JSON text is the least surprising form.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass
class Renderer:
    env: Mapping[str, str]
    saved: Mapping[str, object]
    used_env_values: set[str] = field(default_factory=set)
    used_saved_values: set[str] = field(default_factory=set)

    def render(self, value: object) -> object:
        """Fill placeholders in every string inside `value`; raise TemplateError if one can't be."""
        if isinstance(value, str):
            return _PLACEHOLDER.sub(self._fill, value) if "{{" in value else value
        if isinstance(value, dict):
            return {key: self.render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.render(item) for item in value]
        return value

    def _fill(self, match: re.Match[str]) -> str:
        is_env, name = bool(match.group(1)), match.group(2)
        if is_env:
            if name not in self.env:
                raise TemplateError(f"environment variable {name} is not set on this worker")
            text = str(self.env[name])
            self.used_env_values.add(text)
            return text
        if name not in self.saved:
            raise TemplateError(f"no value named '{name}' was saved by an earlier step")
        text = _as_text(self.saved[name])
        self.used_saved_values.add(text)
        return text
