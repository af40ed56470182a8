"""Search: local and known remote videos and channels, and lookups of remote handles/URLs.

A query that is a handle (`name@host`) or a URL names one remote object;
fetching it needs the network, so pages queue a `lookup` job and update when
it has run, while the API (PeerTube clients expect an answer) runs the same
lookup off the IOLoop.
"""

from __future__ import annotations

import json
import logging
import re

from peewee import SQL, NodeList, Value, fn

from app import jobs
from app.federation import fetch, remote
from app.federation.objects import first_id
from app.settings import Settings
from app.videos import back_catalogue, find_video
from models.accounts import Account, Channel
from models.federation import Actor
from models.moderation import shown
from models.videos import Privacy, State, Video

log = logging.getLogger(__name__)

LOOKUP_JOB = "lookup"
_HANDLE = re.compile(r"^@?[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d+)?$")


def is_remote_reference(q: str, local_host: str | None = None) -> bool:
    """Whether `q` names something on another server (a handle or a URL not of `local_host`)."""
    q = q.strip()
    if local_host and (q.lstrip("@").endswith(f"@{local_host}") or _is_ours(q, local_host)):
        return False
    return q.startswith(("http://", "https://")) or bool(_HANDLE.match(q))


def _is_ours(url: str, local_host: str) -> bool:
    return url.startswith((f"http://{local_host}/", f"https://{local_host}/"))


def contains(column, text: str) -> NodeList:
    """`column` contains `text`, any case, with % and _ taken literally (on SQLite and
    PostgreSQL alike: LIKE has no escape character on SQLite unless one is named)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = Value(f"%{escaped}%", converter=False)  # never the column's own conversion
    return NodeList((fn.LOWER(column), SQL("LIKE"), pattern, SQL("ESCAPE '\\'")))


def videos_query(settings: Settings, q: str, viewer_id: int | None = None):
    """Listed videos matching `q` by name or tag, or the one video a URL names; never a
    blocked one, nor one muted by the server or the viewer."""
    base = (
        Video.select(Video, Channel, Account)
        .join(Channel)
        .join(Account)
        .where((Video.state == State.PUBLISHED) & (Video.privacy != Privacy.PRIVATE))
        .where(shown(viewer_id))
    )
    q = q.strip()
    if q.startswith(("http://", "https://")):
        local = re.search(r"/(?:videos/watch|w)/([A-Za-z0-9-]{16,36})$", q)
        if local and q.startswith(settings.base_url):
            video = find_video(local.group(1))
            return base.where(Video.id == (video.id if video else 0))
        return base.where(Video.ap_id == q)
    listed = base.where((Video.privacy == Privacy.PUBLIC) & ~back_catalogue())
    if q.startswith("#"):  # a tag, and only a tag
        return listed.where(has_tag(q[1:]))
    return listed.where(contains(Video.name, q) | contains(Video.description, q) | has_tag(q))


def has_tag(tag: str) -> NodeList:
    """Videos tagged `tag`, any case (tags are a JSON list of strings in one column)."""
    return contains(Video.tags, json.dumps(tag.strip(), ensure_ascii=False))


def tags_filter(query, one_of: list[str], all_of: list[str]):
    """PeerTube's tagsOneOf (any of these tags) and tagsAllOf (every one of them)."""
    if one_of:
        any_tag = has_tag(one_of[0])
        for tag in one_of[1:]:
            any_tag |= has_tag(tag)
        query = query.where(any_tag)
    for tag in all_of:
        query = query.where(has_tag(tag))
    return query


def channels_query(settings: Settings, q: str):
    q = q.strip().lstrip("@")
    base = Channel.select(Channel, Account).join(Account)
    if _HANDLE.match(q):  # a channel's handle, or an account's (its channels, then)
        name, _, host = q.partition("@")
        host = "" if host == settings.host else host
        return base.where(
            ((Channel.name == name) & (Channel.host == host))
            | ((Account.name == name) & (Account.host == host))
        )
    if q.startswith(("http://", "https://")):
        return base.where(Channel.actor.in_(Actor.select(Actor.id).where(Actor.ap_id == q)))
    return base.where(contains(Channel.name, q) | contains(Channel.display_name, q))


def lookup(settings: Settings, q: str) -> str:
    """Fetch and store the remote object `q` names; returns what it was ('video', 'channel'...)."""
    q = q.strip()
    if not is_remote_reference(q, settings.host):
        return "local"
    if not q.startswith(("http://", "https://")):
        actor = remote.resolve_handle(settings, q)
        return "channel" if actor.type == "Group" else "account"
    doc = remote.fetch_object(settings, q)  # the document must be the one at that URL
    kinds = doc.get("type") if isinstance(doc.get("type"), list) else [doc.get("type")]
    if "Video" in kinds:
        remote.upsert_video(settings, doc)
        return "video"
    actor_kind = next((k for k in kinds if isinstance(k, str) and k in remote.ACTOR_TYPES), None)
    if actor_kind and first_id(doc):
        remote.upsert_actor(settings, doc)
        return "channel" if actor_kind == "Group" else "account"
    raise remote.RemoteError("that URL is neither a video nor a channel")


def queue_lookup(q: str) -> int:
    return jobs.enqueue(LOOKUP_JOB, {"q": q.strip()}, max_attempts=1).id


def run_job(settings: Settings, payload: dict) -> None:
    try:
        lookup(settings, payload["q"])
    except (fetch.FetchError, remote.RemoteError) as err:
        raise jobs.PermanentError(f"nothing found at {payload['q']}: {err}") from None
