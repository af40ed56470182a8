"""Search: local and known remote videos and channels, and lookups of remote handles/URLs.

A query that is a handle (`name@host`) or a URL names one remote object;
fetching it needs the network, so pages queue a `lookup` job and update when
it has run, while the API (PeerTube clients expect an answer) runs the same
lookup off the IOLoop.
"""

from __future__ import annotations

import logging
import re

from app import jobs
from app.federation import fetch, remote
from app.federation.objects import first_id
from app.settings import Settings
from app.videos import back_catalogue
from models.accounts import Account, Channel
from models.videos import Privacy, State, Video

log = logging.getLogger(__name__)

LOOKUP_JOB = "lookup"
_HANDLE = re.compile(r"^@?[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?$")


def is_remote_reference(q: str) -> bool:
    q = q.strip()
    return q.startswith(("http://", "https://")) or bool(_HANDLE.match(q))


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def videos_query(settings: Settings, q: str):
    """Listed videos matching `q` by name or tag, or the one video a URL names."""
    base = (
        Video.select(Video, Channel, Account)
        .join(Channel)
        .join(Account)
        .where((Video.state == State.PUBLISHED) & (Video.privacy != Privacy.PRIVATE))
    )
    q = q.strip()
    if q.startswith(("http://", "https://")):
        local = re.search(r"/(?:videos/watch|w)/([A-Za-z0-9-]{16,36})$", q)
        if local and q.startswith(settings.base_url):
            from app.videos import find_video

            video = find_video(local.group(1))
            return base.where(Video.id == (video.id if video else 0))
        return base.where(Video.ap_id == q)
    tag = q.lstrip("#").lower()
    return base.where(
        (Video.privacy == Privacy.PUBLIC)
        & ~back_catalogue()
        & (Video.name.ilike(_like(q)) | Video.tags.contains(f'"{tag}"'))
    )


def channels_query(settings: Settings, q: str):
    q = q.strip().lstrip("@")
    base = Channel.select(Channel, Account).join(Account)
    if _HANDLE.match(q):
        name, _, host = q.partition("@")
        return base.where(
            (Channel.name == name) & (Channel.host == ("" if host == settings.host else host))
        )
    if q.startswith(("http://", "https://")):
        from models.federation import Actor

        return base.where(Channel.actor.in_(Actor.select(Actor.id).where(Actor.ap_id == q)))
    return base.where(Channel.name.ilike(_like(q)) | Channel.display_name.ilike(_like(q)))


def lookup(settings: Settings, q: str) -> str:
    """Fetch and store the remote object `q` names; returns what it was ('video', 'channel'...)."""
    q = q.strip()
    if q.startswith(settings.base_url) or not is_remote_reference(q):
        return "local"
    if not q.startswith(("http://", "https://")):
        actor = remote.resolve_handle(settings, q)
        return "channel" if actor.type == "Group" else "account"
    doc = fetch.fetch_json(settings, q)
    if doc.get("type") == "Video":
        remote.upsert_video(settings, doc)
        return "video"
    if doc.get("type") in remote.ACTOR_TYPES and first_id(doc):
        remote.upsert_actor(settings, doc)
        return "channel" if doc.get("type") == "Group" else "account"
    raise remote.RemoteError("that URL is neither a video nor a channel")


def queue_lookup(q: str) -> int:
    return jobs.enqueue(LOOKUP_JOB, {"q": q.strip()}, max_attempts=1).id


def run_job(settings: Settings, payload: dict) -> None:
    try:
        lookup(settings, payload["q"])
    except (fetch.FetchError, remote.RemoteError) as err:
        raise jobs.PermanentError(f"nothing found at {payload['q']}: {err}") from None
