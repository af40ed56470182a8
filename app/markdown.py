"""User Markdown rendered to HTML, then sanitized (no script, no javascript: links)."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True}).enable(
    ["strikethrough", "table"]
)

_TAGS = {
    "a", "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render(text: str) -> str:
    """Safe HTML for a user's Markdown."""
    html = _md.render(text or "")
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
