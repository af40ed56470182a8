"""PeerTube's REST JSON shapes for users, accounts, channels and videos.

Field names follow ../shared/fixtures/peertube-6.3/rest-*.json so PeerTube
clients work unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from app import originals, torrents
from app.channels import follow_counts, image_urls, links_of
from app.constants import CATEGORIES, LANGUAGES, LICENCES, PRIVACIES
from app.markdown import truncate
from app.settings import Settings
from app.videos import media_url, short_uuid, used_quota
from models.accounts import Account, Channel, User
from models.moderation import VideoBlock
from models.redundancy import live_mirrors
from models.videos import State, Video, VideoFile


def iso(value: dt.datetime | None) -> str | None:
    """2026-11-25T00:09:23.308Z, as PeerTube writes dates."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _host(settings: Settings, obj: Account | Channel) -> str:
    return obj.host or settings.host


def account_url(settings: Settings, account: Account) -> str:
    if not account.is_local and account.actor_id:
        return account.actor.ap_id
    return f"{settings.base_url}/accounts/{account.name}"


def channel_url(settings: Settings, channel: Channel) -> str:
    if not channel.is_local and channel.actor_id:
        return channel.actor.ap_id
    return f"{settings.base_url}/video-channels/{channel.name}"


def video_url(settings: Settings, video: Video) -> str:
    return video.ap_id or f"{settings.base_url}/videos/watch/{video.uuid}"


Counts = Mapping[int, tuple[int, int]]  # actor id -> (followers, following)


def account_json(
    settings: Settings, account: Account, counts: Counts | None = None
) -> dict[str, Any]:
    """An account; `counts` from follow_counts() when serializing a page of them."""
    if counts is None:
        counts = follow_counts([account.actor_id])
    followers, following = counts.get(account.actor_id, (0, 0))
    return {
        "url": account_url(settings, account),
        "name": account.name,
        "host": _host(settings, account),
        "avatars": [],
        "id": account.id,
        "hostRedundancyAllowed": False,
        "followingCount": following,
        "followersCount": followers,
        "createdAt": iso(account.created_at),
        "displayName": account.display_name,
        "description": account.description or None,
        "updatedAt": iso(account.updated_at),
        "userId": account.user_id,
    }


def channel_json(
    settings: Settings,
    channel: Channel,
    *,
    with_owner: bool = True,
    counts: Counts | None = None,
) -> dict[str, Any]:
    """A channel (with its owner account); `counts` as for account_json()."""
    if counts is None:
        owner = [channel.account.actor_id] if with_owner else []
        counts = follow_counts([channel.actor_id, *owner])
    followers, following = counts.get(channel.actor_id, (0, 0))
    data = {
        "url": channel_url(settings, channel),
        "name": channel.name,
        "host": _host(settings, channel),
        "avatars": image_urls(settings, channel, "avatar"),
        "id": channel.id,
        "hostRedundancyAllowed": False,
        "followingCount": following,
        "followersCount": followers,
        "createdAt": iso(channel.created_at),
        "banners": image_urls(settings, channel, "banner"),
        "displayName": channel.display_name,
        "description": channel.description or None,
        "support": channel.support or None,
        "isLocal": channel.is_local,
        "updatedAt": iso(channel.updated_at),
        "links": links_of(channel),
        "hideCatalogue": channel.hide_catalogue,
    }
    if with_owner:
        data["ownerAccount"] = account_json(settings, channel.account, counts)
    return data


def channels_json(settings: Settings, channels: Sequence[Channel]) -> list[dict[str, Any]]:
    """A page of channels with their owners, their counts read in one query."""
    counts = follow_counts([c.actor_id for c in channels] + [c.account.actor_id for c in channels])
    return [channel_json(settings, c, counts=counts) for c in channels]


def accounts_json(settings: Settings, accounts: Sequence[Account]) -> list[dict[str, Any]]:
    """A page of accounts, their counts read in one query."""
    counts = follow_counts([a.actor_id for a in accounts])
    return [account_json(settings, a, counts) for a in accounts]


def account_summary(settings: Settings, account: Account) -> dict[str, Any]:
    """The account as PeerTube embeds it in a list of videos."""
    return {
        "id": account.id,
        "displayName": account.display_name,
        "name": account.name,
        "url": account_url(settings, account),
        "host": _host(settings, account),
        "avatars": [],
    }


def channel_summary(settings: Settings, channel: Channel) -> dict[str, Any]:
    """The channel as PeerTube embeds it in a list of videos."""
    return {
        "id": channel.id,
        "name": channel.name,
        "displayName": channel.display_name,
        "url": channel_url(settings, channel),
        "host": _host(settings, channel),
        "avatars": image_urls(settings, channel, "avatar"),
    }


def _labelled(value: Any, table: dict) -> dict[str, Any]:
    return {"id": value, "label": table.get(value, "Unknown") if value is not None else "Unknown"}


def media_base(settings: Settings, video: Video) -> str:
    """Folder URL of a local video's HLS files."""
    return f"{settings.base_url}/static/streaming-playlists/hls/{video.uuid}"


def file_json(settings: Settings, video: Video, f: VideoFile) -> dict[str, Any]:
    label = f"{f.resolution}p" if f.resolution else "Audio"
    return {
        "id": f.id,
        "resolution": {"id": f.resolution, "label": label},
        "width": f.width,
        "height": f.height,
        "size": f.size,
        "fps": round(f.fps) if f.fps else -1,
        "fileUrl": media_url(settings, video, f.filename),
        "fileDownloadUrl": f"{settings.base_url}/download/streaming-playlists/hls/videos/"
        f"{video.uuid}-{f.resolution}-fragmented.mp4",
        "playlistUrl": media_url(settings, video, f.playlist) if f.playlist else None,
        "metadataUrl": f"{settings.base_url}/api/v1/videos/{video.uuid}/metadata/{f.id}",
        **torrent_fields(settings, video, f),
        "hasAudio": f.has_audio,
        "hasVideo": f.has_video,
        "storage": 0,
    }


def web_files(settings: Settings, video: Video, files: list[VideoFile]) -> list[dict[str, Any]]:
    """The `files` list: the original until the renditions are published, then the renditions.

    PeerTube clients read `files[0]` from the moment of upload (see app/originals.py).
    """
    if video.state == State.PUBLISHED:
        return [
            {k: v for k, v in file_json(settings, video, f).items() if k != "playlistUrl"}
            for f in files
        ]
    if originals.is_listed(video):
        return [original_file_json(settings, video)]
    return []


def original_file_json(settings: Settings, video: Video) -> dict[str, Any]:
    """The uploaded file, as PeerTube lists a web video file (torrent once hashed)."""
    info = originals.load(settings, video)
    resolution = info.resolution if info else 0
    torrent = {"torrentUrl": None, "torrentDownloadUrl": None, "magnetUri": None}
    if info is not None:
        torrent_url = originals.torrent_url(settings, video, resolution)
        torrent = {
            "torrentUrl": torrent_url,
            "torrentDownloadUrl": originals.torrent_url(settings, video, resolution, download=True),
            "magnetUri": torrents.magnet(
                settings,
                info.torrent.infohash,
                video.name,
                torrent_url,
                originals.file_url(settings, video, resolution),
            ),
        }
    return {
        "id": 0,
        "resolution": {"id": resolution, "label": f"{resolution}p" if resolution else "Audio"},
        "width": info.width if info else 0,
        "height": info.height if info else 0,
        "size": video.original_size,
        "fps": round(info.fps) if info and info.fps else -1,
        "fileUrl": originals.file_url(settings, video, resolution),
        "fileDownloadUrl": originals.file_url(settings, video, resolution, download=True),
        "metadataUrl": f"{settings.base_url}/api/v1/videos/{video.uuid}/metadata/0",
        **torrent,
        "hasAudio": info.has_audio if info else False,
        "hasVideo": info.has_video if info else False,
        "storage": 0,
    }


def torrent_fields(settings: Settings, video: Video, f: VideoFile) -> dict[str, Any]:
    """torrentUrl, torrentDownloadUrl and magnetUri of a local rendition (none for remote)."""
    if not video.is_local or not f.infohash:
        return {"torrentUrl": None, "torrentDownloadUrl": None, "magnetUri": None}
    torrent_url = torrents.torrent_url(settings, video, f)
    return {
        "torrentUrl": torrent_url,
        "torrentDownloadUrl": torrents.torrent_url(settings, video, f, download=True),
        "magnetUri": torrents.magnet(
            settings, f.infohash, video.name, torrent_url, media_url(settings, video, f.filename)
        ),
    }


EMBED_WIDTH, EMBED_HEIGHT = 560, 315


def embed_html(
    base_url: str, uuid: str, title: str, width: int, height: int, start: str = ""
) -> str:
    """The iframe snippet other sites paste (also the oEmbed `html`); `start` like 1m30s."""
    query = f"?start={start}" if start else ""
    return (
        f'<iframe width="{width}" height="{height}" sandbox="allow-same-origin allow-scripts '
        f'allow-popups allow-forms" title="{escape(title)}" '
        f'src="{base_url}/videos/embed/{uuid}{query}" '
        'frameborder="0" allowfullscreen></iframe>'
    )


def video_json(
    settings: Settings, video: Video, *, details: bool = False, files: list[VideoFile] | None = None
) -> dict[str, Any]:
    """The video as in GET /api/v1/videos (list) or /videos/{id} (details=True)."""
    channel = video.channel
    base = settings.base_url
    data: dict[str, Any] = {
        "id": video.id,
        "uuid": str(video.uuid),
        "shortUUID": short_uuid(video.uuid),
        "url": video_url(settings, video),
        "name": video.name,
        "category": _labelled(video.category, CATEGORIES),
        "licence": _labelled(video.licence, LICENCES),
        "language": _labelled(video.language, LANGUAGES),
        "privacy": _labelled(video.privacy, PRIVACIES),
        "nsfw": video.nsfw,
        "truncatedDescription": truncate(video.description) or None,
        "description": truncate(video.description) or None,
        "isLocal": video.is_local,
        "duration": video.duration,
        "aspectRatio": video.aspect_ratio,
        "views": video.views,
        "viewers": 0,
        "likes": video.likes,
        "dislikes": video.dislikes,
        "thumbnailPath": f"/lazy-static/thumbnails/{video.uuid}.jpg" if video.thumbnail else None,
        "previewPath": f"/lazy-static/previews/{video.uuid}.jpg" if video.preview else None,
        "embedPath": f"/videos/embed/{video.uuid}",
        "createdAt": iso(video.created_at),
        "updatedAt": iso(video.updated_at),
        "publishedAt": iso(video.published_at or video.created_at),
        "originallyPublishedAt": None,
        "isLive": False,
        "account": account_summary(settings, channel.account),
        "channel": channel_summary(settings, channel),
        "state": State(video.state).api,
    }
    if video.state == State.FAILED:
        data["stateError"] = video.state_error
    if video.state in (State.UPLOADED, State.TRANSCODING):
        data["transcodingProgress"] = video.progress
    if not details:
        return data
    files = files if files is not None else list(video.files.order_by(VideoFile.resolution.desc()))
    playlists = []
    if video.state == State.PUBLISHED and video.hls_master:
        playlists.append(
            {
                "id": video.id,
                "type": 1,
                "playlistUrl": media_url(settings, video, video.hls_master),
                "segmentsSha256Url": media_url(settings, video, video.hls_sha256),
                "redundancies": [{"baseUrl": m.file_url} for m in live_mirrors(video)],
                "files": [file_json(settings, video, f) for f in files],
            }
        )
    counts = follow_counts([channel.actor_id, channel.account.actor_id])
    block = VideoBlock.get_or_none(VideoBlock.video == video.id)
    data.update(
        {
            "description": video.description or None,
            "account": account_json(settings, channel.account, counts),
            "channel": channel_json(settings, channel, counts=counts),
            "blacklisted": block is not None,
            "blacklistedReason": (block.reason or None) if block is not None else None,
            "streamingPlaylists": playlists,
            "files": web_files(settings, video, files),
            "support": video.support or None,
            "descriptionPath": f"/api/v1/videos/{video.uuid}/description",
            "tags": list(video.tags),
            "commentsEnabled": video.comments_enabled,
            "commentsPolicy": {"id": 1, "label": "Enabled"}
            if video.comments_enabled
            else {"id": 2, "label": "Disabled"},
            "downloadEnabled": video.download_enabled,
            "waitTranscoding": True,
            "inputFileUpdatedAt": None,
            "trackerUrls": [
                f"{base}/tracker/announce",
                f"{settings.ws_scheme}://{settings.host}/tracker/socket",
            ],
        }
    )
    return data


def user_json(settings: Settings, user: User, account: Account, channels: list[Channel]) -> dict:
    """GET /api/v1/users/me."""
    counts = follow_counts([account.actor_id, *(c.actor_id for c in channels)])
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "theme": "instance-default",
        "pendingEmail": None,
        "emailPublic": False,
        "emailVerified": None,
        "nsfwPolicy": user.nsfw_policy,
        "p2pEnabled": bool(user.p2p_enabled),
        "videosHistoryEnabled": True,
        "autoPlayVideo": True,
        "autoPlayNextVideo": False,
        "autoPlayNextVideoPlaylist": True,
        "videoLanguages": None,
        "role": {"id": user.role, "label": user.role_enum.label},
        "videoQuota": user.video_quota,
        "videoQuotaDaily": user.video_quota_daily,
        "videoQuotaUsed": used_quota(user),
        "blocked": user.blocked,
        "blockedReason": None,
        "account": account_json(settings, account, counts),
        "videoChannels": [
            channel_json(settings, c, with_owner=False, counts=counts) for c in channels
        ],
        "createdAt": iso(user.created_at),
        "pluginAuth": None,
        "twoFactorEnabled": False,
        "adminFlags": user.admin_flags,
        "specialPlaylists": [],
    }


def video_info_json(settings: Settings, video: Video) -> dict[str, Any]:
    """A video as PeerTube names it inside notifications and reports (VideoInfo)."""
    channel = video.channel
    return {
        "id": video.id,
        "uuid": str(video.uuid),
        "shortUUID": short_uuid(video.uuid),
        "name": video.name,
        "channel": {
            "id": channel.id,
            "name": channel.name,
            "displayName": channel.display_name,
            "host": channel.host or settings.host,
            "avatars": [],
        },
    }
