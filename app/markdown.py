"""User Markdown rendered to HTML, then sanitized (no script, no javascript: links)."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# linkify: bare URLs in descriptions and support texts become links, as on PeerTube.
_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True}).enable(
    ["strikethrough", "table", "linkify"]
)
_HEADING = re.compile(r"<(/?)h([1-6])>")

_TAGS = {
    "a", "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render(text: str, heading_below: int = 0) -> str:
    """Safe HTML for a user's Markdown. `heading_below`: its headings start one level
    under this one (a description's `# Title` under the page's own h1 becomes an h2)."""
    html = _md.render(text or "")
    if heading_below:
        html = _HEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + heading_below)}>", html)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def truncate(text: str, length: int = 250) -> str:
    """PeerTube's truncatedDescription: the first `length` characters, with an ellipsis."""
    if text is None or len(text) <= length:
        return text
    return text[: length - 3].rstrip() + "..."
