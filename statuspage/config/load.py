"""Read a config file (YAML or JSON) into a document, with a clear error on bad syntax."""

from pathlib import Path

import yaml


class ConfigFileError(ValueError):
    pass


def load_file(path: str) -> object:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from None
    try:
        return yaml.safe_load(text)  # JSON is YAML too
    except RecursionError:
        raise ConfigFileError(f"{path}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigFileError(f"{path}: not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
