"""Safe Markdown for incident updates and postmortems.

Raw HTML is switched off in the parser and the output is sanitised again by nh3, so an
on-call account that is phished still cannot deface the page with script.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# `breaks`: a line break typed by on-call is one on the page (a frightened reader reads lines, not Markdown).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable("table")
_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
    "hr", "table", "thead", "tbody", "tr", "th", "td",
}


def render_markdown(text: str) -> SafeString:
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # nh3 output is sanitised HTML


def render_plain(text: str) -> str:
    """Markdown to plain text (feeds' titles, email text parts)."""
    return nh3.clean(_md.render(text or ""), tags=set()).strip()
