"""An admin following another server sees a form error for a bad host, and follow
requests that could not be sent yet, with their last error, on /admin/federation."""

from __future__ import annotations

import html
import re

import pytest

from app import jobs
from models.jobs import Job
from tests.conftest import PASSWORD


@pytest.fixture
def root(server, admin_user):
    client = server.client()
    client.login("root", PASSWORD)
    yield client
    client.close()


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.text))


@pytest.mark.parametrize(
    "host", ["not a host!", "-bad.example", "video.example.org:99999", "http://x.example"]
)
def test_a_bad_host_gets_a_form_error_on_the_same_page(root, host):
    response = root.form("/admin/federation", {"action": "follow", "host": host})
    assert response.status_code == 400
    page = text_of(response)
    assert "Give the other server's host, such as video.example.org" in page
    assert "<h1>Federation</h1>" in page  # the page itself, not an error page
    assert f'value="{host.lower()}"' in page  # what was typed is kept
    assert Job.select().count() == 0


def test_following_this_server_itself_is_refused(root, live_settings):
    response = root.form("/admin/federation", {"action": "follow", "host": live_settings.host})
    assert response.status_code == 400 and "That is this server." in text_of(response)


def test_an_unreachable_server_shows_as_failed_with_its_error_and_can_be_forgotten(root, run_jobs):
    response = root.form("/admin/federation", {"action": "follow", "host": "127.0.0.1:9"})
    assert response.status_code == 303
    waiting = text_of(root.get("/admin/federation"))
    assert "Asked, not sent yet" in waiting and "127.0.0.1:9" in waiting
    assert "waiting after 0 tries" in waiting
    with pytest.raises(jobs.PermanentError):  # a loopback address is not another server
        run_jobs()
    failed = text_of(root.get("/admin/federation"))
    assert "failed after 1 try" in failed
    last_error = re.search(r"UTC</td> <td>([^<]*)</td>", failed).group(1)
    assert last_error.startswith("peertube@127.0.0.1:9: ") and "loopback" in last_error
    job = re.search(r'name="job" value="(\d+)"', failed).group(1)
    assert root.form("/admin/federation", {"action": "forget", "job": job}).status_code == 303
    assert "Asked, not sent yet" not in root.get("/admin/federation").text
    gone = root.form("/admin/federation", {"action": "forget", "job": job})
    assert gone.status_code == 404 and "No such follow request." in text_of(gone)
