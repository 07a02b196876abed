import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser


class SafeJSONParser(JSONParser):
    """JSONParser that answers 400, not 500, to JSON nested deeper than Python recurses."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class BracketFormParser(FormParser):
    """`application/x-www-form-urlencoded` with Rails-style brackets, as Statuspage's own curl
    examples post (`-d "incident[name]=…" -d "incident[component_ids][]=…"`): read into the
    same nested document as the JSON body. Only for the Statuspage-compatible API."""

    max_depth = 4

    def parse(self, stream, media_type=None, parser_context=None):
        form = super().parse(stream, media_type, parser_context)
        document: dict = {}
        for key, values in form.lists():
            parts = _bracket_parts(key, self.max_depth)
            node = document
            for part, following in zip(parts, parts[1:], strict=False):
                node = node.setdefault(part, [] if following == "" else {})
                if not isinstance(node, list if following == "" else dict) or part == "":
                    raise ParseError(f"form field {key!r} mixes a list and an object")
            if parts[-1] == "":
                node.extend(values)
            elif isinstance(node, dict) and not isinstance(node.get(parts[-1]), (dict, list)):
                node[parts[-1]] = values[-1]
            else:
                raise ParseError(f"form field {key!r} is given twice in different shapes")
        return document


_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _bracket_parts(key: str, max_depth: int) -> list[str]:
    """`incident[components][abc]` → ["incident", "components", "abc"]; `a[]` ends in ""."""
    head, _, rest = key.partition("[")
    parts = [head, *_BRACKETS.findall("[" + rest)] if rest else [head]
    if not head or (rest and "[" + rest != "".join(f"[{p}]" for p in parts[1:])) or len(parts) > max_depth:
        raise ParseError(f"cannot read the form field name {key!r}")
    if "" in parts[:-1]:
        raise ParseError(f"form field {key!r}: [] may only come last")
    return parts
