"""User Markdown renders to safe HTML."""

from html.parser import HTMLParser

from app.markdown import render, truncate


class Elements(HTMLParser):
    """Collects (tag, attrs) of every element: what a browser would build."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def test_markdown_formats_text():
    html = render("# Title\n\nSome **bold** and a [link](https://example.org).\n\n- a\n- b")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>' in html
    assert "<li>a</li>" in html


def test_markdown_drops_scripts_handlers_and_dangerous_links():
    for evil in (
        "<script>alert(1)</script>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<img src=x onerror="alert(1)">',
        "[x](vbscript:msgbox)",
    ):
        for tag, attrs in elements(render(evil)):
            assert tag not in ("script", "img", "iframe", "object")
            assert not any(name.startswith("on") for name in attrs)
            href = attrs.get("href", "https:")
            assert href.split(":", 1)[0] in ("http", "https", "mailto"), evil


def test_truncated_description_keeps_short_text_whole():
    assert truncate("short") == "short"
    long = "word " * 100
    assert len(truncate(long)) <= 250 and truncate(long).endswith("...")
