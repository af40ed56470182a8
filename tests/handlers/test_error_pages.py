"""Error pages say what went wrong, in their title and heading, and the home page's tabs
show which one is selected."""

from __future__ import annotations

import html
import re

import pytest


def heading_and_title(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()
    return heading, title


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/no/such/page", 404, "Not Found"),
        ("/videos/watch/00000000-0000-4000-8000-000000000000", 404, "Not Found"),
        ("/c/nobody", 404, "Not Found"),
        ("/a/nobody", 404, "Not Found"),
        ("/?page=x", 400, "Bad Request"),
    ],
)
def test_every_error_page_names_its_error(anon, path, status, words, live_settings):
    response = anon.get(path)
    assert response.status_code == status
    heading, title = heading_and_title(response.text)
    assert heading == f"{status} · {words}"
    assert title == f"{words} · {live_settings.instance_name}"
    assert "function" not in response.text and "0x" not in title


def test_a_forbidden_page_names_its_error(server, local_user, other_user):
    bob = server.client()
    bob.login("bob", "correct horse battery")
    response = bob.get("/c/alice_channel/edit")
    assert response.status_code == 403
    heading, title = heading_and_title(response.text)
    assert heading == "403 · Forbidden" and title.startswith("Forbidden · ")
    assert "Only the channel's owner can change it." in html.unescape(response.text)


def test_home_tabs_show_which_scope_is_selected(anon):
    everything = anon.get("/").text
    assert '<a href="/" aria-current="page">All</a>' in everything
    assert '<a href="/?scope=local">Only this server</a>' in everything
    local = anon.get("/?scope=local").text
    assert '<a href="/">All</a>' in local
    assert '<a href="/?scope=local" aria-current="page">Only this server</a>' in local
    assert "&#34;page&#34;" not in everything + local
