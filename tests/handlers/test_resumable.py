"""PeerTube's resumable upload: chunks, 308 with Range, resume after a restart."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from app import auth
from models import utcnow
from models.uploads import Upload
from tests.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]


def start(client, clip: Path, **meta) -> str:
    body = {"name": "Resumed video", "filename": clip.name, **meta}
    response = client.post(
        "/api/v1/videos/upload-resumable",
        json=body,
        headers={
            "X-Upload-Content-Length": str(clip.stat().st_size),
            "X-Upload-Content-Type": "video/mp4",
        },
    )
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    assert location.startswith("//") and "upload_id=" in location
    return location.split("upload_id=", 1)[1]


def put(client, upload_id: str, data: bytes, start: int, total: int):
    end = start + len(data) - 1
    return client.put(
        f"/api/v1/videos/upload-resumable?upload_id={upload_id}",
        content=data,
        headers={
            "Content-Range": f"bytes {start}-{end}/{total}",
            "Content-Type": "application/octet-stream",
        },
    )


def test_chunked_upload_answers_308_until_complete_then_the_video(alice_api, clip, run_jobs):
    data = clip.read_bytes()
    total = len(data)
    upload_id = start(alice_api, clip)
    step = total // 3 + 1
    for offset in range(0, total, step):
        response = put(alice_api, upload_id, data[offset : offset + step], offset, total)
        if offset + step < total:
            assert response.status_code == 308
            assert response.headers["Range"] == f"bytes=0-{offset + step - 1}"
    assert response.status_code == 200, response.text
    video = response.json()["video"]
    # the client retrying its last chunk gets the same answer, not a second video
    again = put(alice_api, upload_id, data[-10:], total - 10, total)
    assert again.status_code == 200 and again.json()["video"]["id"] == video["id"]
    run_jobs()
    got = alice_api.get(f"/api/v1/videos/{video['uuid']}").json()
    assert got["state"]["id"] == 1 and got["name"] == "Resumed video"


def test_upload_resumes_after_a_server_restart(server, local_user, clip, run_jobs, live_settings):
    data = clip.read_bytes()
    total = len(data)
    client = server.client()
    client.token("alice", "correct horse battery")
    upload_id = start(client, clip)
    half = total // 2
    assert put(client, upload_id, data[:half], 0, total).status_code == 308
    token = client.headers["Authorization"]
    server.stop()

    restarted = LiveServer(live_settings)  # same data folder and database
    try:
        client2 = restarted.client(headers={"Authorization": token})
        status = client2.put(
            f"/api/v1/videos/upload-resumable?upload_id={upload_id}",
            headers={"Content-Range": f"bytes */{total}"},
        )
        assert status.status_code == 308
        assert status.headers["Range"] == f"bytes=0-{half - 1}"
        # a chunk that does not start where the server is gets told where to resume
        wrong = put(client2, upload_id, data[half + 5 :], half + 5, total)
        assert wrong.status_code == 308 and wrong.headers["Range"] == f"bytes=0-{half - 1}"
        done = put(client2, upload_id, data[half:], half, total)
        assert done.status_code == 200, done.text
    finally:
        restarted.stop()


def test_resumable_upload_can_be_cancelled(alice_api, clip, live_settings):
    upload_id = start(alice_api, clip)
    path = live_settings.upload_dir / f"resumable-{upload_id}"
    assert path.exists()
    assert (
        alice_api.delete(f"/api/v1/videos/upload-resumable?upload_id={upload_id}").status_code
        == 204
    )
    assert not path.exists()
    assert put(alice_api, upload_id, b"abc", 0, 3).status_code == 404


def test_resumable_upload_refuses_bad_requests(server, alice_api, other_user, clip, local_user):
    none = alice_api.post("/api/v1/videos/upload-resumable", json={"name": "x video"})
    assert none.status_code == 400
    local_user.video_quota = 10
    local_user.save()
    over = alice_api.post(
        "/api/v1/videos/upload-resumable",
        json={"name": "Big", "filename": "big.mp4"},
        headers={"X-Upload-Content-Length": "1000", "X-Upload-Content-Type": "video/mp4"},
    )
    assert over.status_code == 413
    local_user.video_quota = -1
    local_user.save()
    upload_id = start(alice_api, clip)
    bob = server.client()
    bob.token("bob", "correct horse battery")
    assert put(bob, upload_id, b"abc", 0, clip.stat().st_size).status_code == 404  # not his
    no_range = alice_api.put(
        f"/api/v1/videos/upload-resumable?upload_id={upload_id}", content=b"abc"
    )
    assert no_range.status_code == 400
    mismatch = alice_api.put(
        f"/api/v1/videos/upload-resumable?upload_id={upload_id}",
        content=b"abc",
        headers={"Content-Range": "bytes 0-9/99"},
    )
    assert mismatch.status_code == 400


def test_a_complete_upload_that_is_not_a_video_type_is_refused(alice_api, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"just some text")
    response = alice_api.post(
        "/api/v1/videos/upload-resumable",
        json={"name": "Notes", "filename": "notes.txt"},
        headers={
            "X-Upload-Content-Length": str(notes.stat().st_size),
            "X-Upload-Content-Type": "text/plain",
        },
    )
    upload_id = response.headers["Location"].split("upload_id=")[1]
    done = put(alice_api, upload_id, notes.read_bytes(), 0, notes.stat().st_size)
    assert done.status_code == 415


def session_files(settings) -> set[str]:
    return {p.name for p in settings.upload_dir.glob("resumable-*")}


def test_open_sessions_count_against_the_quota(alice_api, local_user, clip, live_settings):
    """A user with room for one file opened session after session, never finishing any,
    to keep more on disk than their quota: the second session is already refused."""
    size = clip.stat().st_size
    local_user.video_quota = size + size // 2
    local_user.save()
    first = start(alice_api, clip)
    for n in range(5):
        more = alice_api.post(
            "/api/v1/videos/upload-resumable",
            json={"name": f"Copy {n}", "filename": f"copy-{n}.mp4"},
            headers={"X-Upload-Content-Length": str(size), "X-Upload-Content-Type": "video/mp4"},
        )
        assert more.status_code == 413, more.text
        assert more.json()["detail"] == "The user video quota is exceeded with this video."
    assert Upload.select().count() == 1 and session_files(live_settings) == {f"resumable-{first}"}
    # the same file again (a client restarting) is the same session, not a second one
    assert start(alice_api, clip) == first
    # finishing it counts the file once: the session's reservation becomes the video
    data = clip.read_bytes()
    done = put(alice_api, first, data, 0, len(data))
    assert done.status_code == 200, done.text
    assert alice_api.get("/api/v1/users/me").json()["videoQuotaUsed"] == size
    again = alice_api.post(
        "/api/v1/videos/upload-resumable",
        json={"name": "Another", "filename": "another.mp4"},
        headers={"X-Upload-Content-Length": str(size), "X-Upload-Content-Type": "video/mp4"},
    )
    assert again.status_code == 413


def test_idle_sessions_expire_after_a_day_and_give_their_quota_back(
    alice_api, local_user, clip, live_settings, run_jobs
):
    size = clip.stat().st_size
    data = clip.read_bytes()
    local_user.video_quota = size + size // 2
    local_user.save()
    abandoned = start(alice_api, clip)
    assert put(alice_api, abandoned, data[: size // 2], 0, size).status_code == 308
    Upload.update(updated_at=utcnow() - dt.timedelta(hours=23)).execute()
    run_jobs()  # a worker sweeps: a day has not passed yet
    assert Upload.get_or_none(Upload.upload_id == abandoned) is not None
    Upload.update(updated_at=utcnow() - dt.timedelta(hours=25)).execute()
    run_jobs()
    run_jobs()  # sweeping twice (or from two workers) is harmless
    assert Upload.select().count() == 0 and session_files(live_settings) == set()
    gone = put(alice_api, abandoned, data[size // 2 :], size // 2, size)
    assert gone.status_code == 404 and gone.json()["detail"] == "Upload session not found."
    # the quota it held is free again; a fresh session survives the sweep
    fresh = start(alice_api, clip, filename="fresh.mp4")
    run_jobs()
    assert session_files(live_settings) == {f"resumable-{fresh}"}
    assert put(alice_api, fresh, data, 0, size).status_code == 200


def test_start_up_removes_upload_files_that_no_live_upload_owns(settings, tmp_path):
    """A web process killed mid-upload leaves a multipart `form-*.part` behind. The next
    start removes it, but not what still belongs to someone: a half-done resumable
    session (it resumes), or a part another web process is writing right now."""
    user = auth.create_user(settings, "alice", "correct horse battery")
    live = Upload.create(upload_id="a" * 32, user=user, filename="v.mp4", size=100)
    folder = settings.upload_dir
    folder.mkdir(parents=True)
    hour_ago = time.time() - 3700
    files = {
        "form-killed.part": hour_ago,  # its writer died an hour ago
        "form-in-flight.part": time.time(),  # another web process is receiving it
        f"resumable-{live.upload_id}": hour_ago,  # a session that will resume
        f"resumable-{'b' * 32}": hour_ago,  # its session is gone
    }
    for name, mtime in files.items():
        (folder / name).write_bytes(b"x" * 50)
        os.utime(folder / name, (mtime, mtime))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SHOAL_DATA": str(settings.data_dir),
        "SHOAL_SECRET": settings.secret,
        "SHOAL_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    log = tmp_path / "web.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"], cwd=ROOT, env=env, stderr=log.open("w")
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "listening" not in log.read_text():
            time.sleep(0.1)
        assert "listening" in log.read_text(), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert {p.name for p in folder.iterdir()} == {
        "form-in-flight.part",
        f"resumable-{live.upload_id}",
    }
    assert "removed 2 upload files" in log.read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_resumable_start_with_an_unreadable_multipart_body_is_a_400(alice_api):
    """Multipart without a boundary (the fuzz sent it): a clear 400, not a server error."""
    response = alice_api.post(
        "/api/v1/videos/upload-resumable",
        content=b'{"name": "x", "channelId": 1}',
        headers={
            "Content-Type": "multipart/form-data",
            "X-Upload-Content-Length": "2469036",
            "X-Upload-Content-Type": "video/mp4",
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The request body cannot be read")
