"""PeerTube's resumable upload: chunks, 308 with Range, resume after a restart."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LiveServer


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
