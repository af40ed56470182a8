"""The server's about page, edited by the admin, shown to people and to other servers."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_admin_edits_the_about_page_seen_everywhere(server, admin_user, anon, alice):
    assert anon.get("/admin/about").status_code == 302
    assert alice.get("/admin/about").status_code == 403
    root = server.client()
    root.login("root", PASSWORD)
    saved = root.form(
        "/admin/about",
        {
            "name": "Fish Tube",
            "shortDescription": "Videos about fish",
            "description": "We **love** fish.",
            "terms": "Be kind.",
            "codeOfConduct": "No spam.",
            "moderationInformation": "",
            "administrator": "Ann",
            "contact": "ann@example.org",
        },
    )
    assert saved.status_code == 303
    page = anon.get("/about").text
    assert "Fish Tube" in page and "<strong>love</strong>" in page and "No spam." in page
    assert 'href="mailto:ann@example.org"' in page
    api = anon.get("/api/v1/config/about").json()["instance"]
    assert api["name"] == "Fish Tube" and api["terms"] == "Be kind."
    info = anon.get("/nodeinfo/2.0.json").json()["metadata"]
    assert info["nodeName"] == "Fish Tube" and info["nodeDescription"] == "Videos about fish"
    bad = root.form("/admin/about", {"name": "", "shortDescription": "x"})
    assert bad.status_code == 400 and "needs a name" in bad.text
