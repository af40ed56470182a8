"""Documents about the server itself: NodeInfo 2.0."""

from __future__ import annotations

from typing import Any

from app import about, registrations
from app.settings import Settings
from models.accounts import User
from models.videos import Privacy, State, Video

SOFTWARE_VERSION = "0.1.0"


def nodeinfo(settings: Settings) -> dict[str, Any]:
    """NodeInfo 2.0, software name `shoal`, with PeerTube's metadata keys."""
    info = about.get(settings)
    signup = registrations.policy(settings)
    users = User.select().where(~User.blocked).count()
    local_videos = (
        Video.select()
        .where(
            Video.ap_id.is_null()
            & (Video.privacy == Privacy.PUBLIC)
            & (Video.state == State.PUBLISHED)
        )
        .count()
    )
    return {
        "version": "2.0",
        "software": {"name": "shoal", "version": SOFTWARE_VERSION},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
        "openRegistrations": signup.allowed,
        "usage": {
            # Sign-ins are not tracked, so every unblocked user counts as active.
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_videos,
            "localComments": 0,
        },
        "metadata": {
            "taxonomy": {"postsName": "Videos"},
            "nodeName": info["name"],
            "nodeDescription": info["shortDescription"],
            "nodeAdmins": [{"name": info["administrator"], "email": info["contact"]}]
            if info["contact"]
            else [],
            "nodeConfig": {
                "search": {"remoteUri": {"users": True, "anonymous": False}},
                "transcoding": {
                    "hls": {"enabled": True},
                    "web_videos": {"enabled": False},
                    "enabledResolutions": sorted(settings.ladder),
                },
                "signup": {
                    "allowed": signup.allowed,
                    "requiresApproval": signup.requires_approval,
                },
            },
        },
    }
