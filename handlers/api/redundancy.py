"""PeerTube's redundancy API for administrators: mirror a remote video, list the mirrors
(this server's copies, or other servers' copies of local videos), stop one."""

from __future__ import annotations

from typing import Any

from app.federation import actors, mirroring, redundancy
from app.serialize import iso
from app.validation import Field
from handlers.api.server import AdminOnly
from handlers.api.videos import video_or_problem
from handlers.base import Problem, bad_query
from models.federation import Actor
from models.redundancy import Mirror
from models.videos import Video

TARGETS = ("my-videos", "remote-videos")
MIRROR = {"videoId": Field((int, str), required=True)}
ALLOW = {
    "redundancyAllowed": Field(bool, "Should have a valid redundancyAllowed boolean", required=True)
}


def _json(video: Video, rows: list[Mirror]) -> dict[str, Any]:
    # A received mirror's size is not told: it is the video's files' (read once, if needed).
    size = mirroring.files_size(video) if any(not m.size for m in rows) else 0
    return {
        "id": video.id, "name": video.name, "url": video.ap_id, "uuid": str(video.uuid),
        "redundancies": {"streamingPlaylists": [
            {"id": m.id, "fileUrl": m.file_url, "strategy": m.strategy,
             "createdAt": iso(m.created_at), "updatedAt": iso(m.updated_at),
             "expiresOn": iso(m.expires_at), "size": m.size or size,
             "state": m.state, "error": m.error or None}
            for m in rows
        ]},
    }  # fmt: skip


class RedundancyVideosHandler(AdminOnly):
    """GET /api/v1/server/redundancy/videos?target=..., POST {videoId} to mirror one."""

    def get(self) -> None:
        self.require_admin()
        target = self.get_argument("target", "")
        if target not in TARGETS:
            raise bad_query(
                "target", target, "Should have a valid target (my-videos, remote-videos)"
            )
        rows = mirroring.copies() if target == "remote-videos" else mirroring.of_remote_servers()
        by_video: dict[int, list[Mirror]] = {}
        for row in rows:
            by_video.setdefault(row.video_id, []).append(row)
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        ids = list(by_video)[start : start + count]
        videos = {v.id: v for v in Video.select().where(Video.id.in_(ids))}
        data = [_json(videos[i], by_video[i]) for i in ids if i in videos]
        self.send({"total": len(by_video), "data": data})

    def post(self) -> None:
        self.require_admin()
        video = video_or_problem(self, str(self.body_fields(MIRROR)["videoId"]))
        try:
            mirroring.request(self.shoal, video)
        except mirroring.MirrorError as err:
            raise Problem(409 if "already" in str(err) else 400, str(err)) from None
        self.no_content()


class RedundancyVideoHandler(AdminOnly):
    """DELETE /api/v1/server/redundancy/videos/{id}: stop mirroring (Undo, then files)."""

    def delete(self, mirror_id: str) -> None:
        self.require_admin()
        mirror = Mirror.get_or_none(Mirror.id == int(mirror_id))
        if mirror is None or mirror.actor_id != actors.server_actor().id:
            raise Problem(404, "Video redundancy not found")
        mirroring.remove(self.shoal, mirror)
        self.no_content()


class RedundancyHostHandler(AdminOnly):
    """PUT /api/v1/server/redundancy/{host} {redundancyAllowed}: let this server mirror
    the videos of a server it follows, or stop (its copies are then removed)."""

    def put(self, host: str) -> None:
        self.require_admin()
        allowed = self.body_fields(ALLOW)["redundancyAllowed"]
        host = host.lower()
        if host == self.shoal.host or not Actor.select().where(Actor.host == host).exists():
            raise Problem(404, f"Server {host} not found")
        redundancy.allow_host(self.shoal, host, allowed)
        self.no_content()


ROUTES = [
    (r"/api/v1/server/redundancy/videos", RedundancyVideosHandler),
    (r"/api/v1/server/redundancy/videos/(?P<mirror_id>\d{1,9})", RedundancyVideoHandler),
    (r"/api/v1/server/redundancy/(?P<host>[A-Za-z0-9.:-]{1,260})", RedundancyHostHandler),
]
