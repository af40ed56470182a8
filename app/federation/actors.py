"""Local actors (accounts, channels, the server) and their ActivityPub documents.

Each local account is a Person, each channel a Group, and the server itself
the Application named `peertube` (PeerTube's instance actor, found through
WebFinger as peertube@host). Actor rows are made on first use, and their RSA
keys too, so that creating users stays fast.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from app import channels
from app.federation.signatures import generate_keypair
from app.serialize import iso
from app.settings import Settings
from models import db, utcnow
from models.accounts import Account, Channel
from models.federation import Actor, ActorType

log = logging.getLogger(__name__)

SERVER_ACTOR = "peertube"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"},
]
ACTOR_CONTEXT: list[Any] = [
    *CONTEXT,
    {
        "pt": "https://joinpeertube.org/ns#",
        "sc": "http://schema.org/",
        "playlists": {"@id": "pt:playlists", "@type": "@id"},
        "support": {"@type": "sc:Text", "@id": "pt:support"},
        "lemmy": "https://join-lemmy.org/ns#",
        "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
        "icons": "as:icon",
    },
]


def _local(type_: ActorType, name: str) -> Actor:
    """A local actor row, made on first use. The lookup is a plain read: only the rare
    creation takes a transaction (on SQLite every transaction takes the write lock)."""
    where = (Actor.type == type_) & (Actor.name == name) & (Actor.host == "")
    actor = Actor.get_or_none(where)
    if actor is None:
        with db.atomic():
            actor = Actor.get_or_none(where) or Actor.create(type=type_, name=name, host="")
    return actor


def server_actor() -> Actor:
    """The server's own Application actor (signs fetches, follows other servers)."""
    return _local(ActorType.APPLICATION, SERVER_ACTOR)


def account_actor(account: Account) -> Actor:
    """The Person actor of an account (made on first use for local accounts)."""
    if account.actor_id:
        return account.actor
    actor = _local(ActorType.PERSON, account.name)
    Account.update(actor=actor).where(Account.id == account.id).execute()
    account.actor = actor
    return actor


def channel_actor(channel: Channel) -> Actor:
    """The Group actor of a channel (made on first use for local channels)."""
    if channel.actor_id:
        return channel.actor
    actor = _local(ActorType.GROUP, channel.name)
    Channel.update(actor=actor).where(Channel.id == channel.id).execute()
    channel.actor = actor
    return actor


def ensure_keys(actor: Actor) -> Actor:
    """Give a local actor its RSA key pair, once."""
    if actor.public_key or not actor.is_local:
        return actor
    private, public = generate_keypair()
    updated = (
        Actor.update(private_key=private, public_key=public, updated_at=utcnow())
        .where((Actor.id == actor.id) & (Actor.public_key == ""))
        .execute()
    )
    if not updated:  # another process made them first
        return Actor.get_by_id(actor.id)
    actor.private_key, actor.public_key = private, public
    return actor


def actor_url(settings: Settings, actor: Actor) -> str:
    """The actor's id: stored for remote actors, derived from the host for local ones."""
    if not actor.is_local:
        return actor.ap_id or ""
    prefix = "video-channels" if actor.type == ActorType.GROUP else "accounts"
    return f"{settings.base_url}/{prefix}/{actor.name}"


def key_id(settings: Settings, actor: Actor) -> str:
    """PeerTube signs with the bare actor URL as keyId."""
    return actor_url(settings, actor)


def inbox_of(actor: Actor, shared: bool = True) -> str:
    return (actor.shared_inbox if shared else "") or actor.inbox


def _link_html(url: str) -> str:
    safe = html.escape(url, quote=True)
    return f'<a href="{safe}" rel="me nofollow noopener">{safe}</a>'


def find_local(name: str, types: tuple[ActorType, ...] | None = None) -> Actor | None:
    """A local actor by name: the server, an account or a channel (made on first use)."""
    if name == SERVER_ACTOR and (types is None or ActorType.APPLICATION in types):
        return server_actor()
    if types is None or ActorType.PERSON in types:
        account = Account.get_or_none((Account.name == name) & (Account.host == ""))
        if account is not None and account.user_id is not None:
            return account_actor(account)
    if types is None or ActorType.GROUP in types:
        channel = Channel.get_or_none((Channel.name == name) & (Channel.host == ""))
        if channel is not None:
            return channel_actor(channel)
    return None


def actor_document(settings: Settings, actor: Actor) -> dict[str, Any]:
    """The Person, Group or Application document of a local actor, as PeerTube writes it."""
    ensure_keys(actor)
    url = actor_url(settings, actor)
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "type": actor.type,
        "id": url,
        "following": f"{url}/following",
        "followers": f"{url}/followers",
        "playlists": f"{url}/playlists",
        "inbox": f"{url}/inbox",
        "outbox": f"{url}/outbox",
        "preferredUsername": actor.name,
        "url": url,
        "name": actor.name,
        "endpoints": {"sharedInbox": f"{settings.base_url}/inbox"},
        "publicKey": {
            "id": f"{url}#main-key",
            "owner": url,
            "publicKeyPem": actor.public_key,
        },
        "published": iso(actor.created_at),
        "summary": None,
    }
    if actor.type == ActorType.PERSON:
        account = Account.get_or_none(Account.actor == actor)
        if account is not None:
            doc["name"] = account.display_name
            doc["summary"] = account.description or None
            doc["published"] = iso(account.created_at)
    elif actor.type == ActorType.GROUP:
        channel = (
            Channel.select(Channel, Account).join(Account).where(Channel.actor == actor).first()
        )
        if channel is not None:
            doc["name"] = channel.display_name
            doc["summary"] = channel.description or None
            doc["support"] = channel.support or None
            doc["published"] = iso(channel.created_at)
            doc["postingRestrictedToMods"] = True
            icons = channels.image_urls(settings, channel, "avatar")
            if icons:
                doc["icon"] = [
                    {
                        "type": "Image",
                        "mediaType": "image/jpeg",
                        "url": i["fileUrl"],
                        "width": i["width"],
                        "height": i["height"],
                    }
                    for i in icons
                ]
            banners = channels.image_urls(settings, channel, "banner")
            if banners:
                b = banners[-1]
                doc["image"] = {
                    "type": "Image",
                    "mediaType": "image/jpeg",
                    "url": b["fileUrl"],
                    "width": b["width"],
                    "height": b["height"],
                }
            links = channels.links_of(channel)
            if links:
                doc["attachment"] = [
                    {
                        "type": "PropertyValue",
                        "name": link["label"],
                        "value": _link_html(link["url"]),
                    }
                    for link in links
                ]
            doc["attributedTo"] = [
                {"type": "Person", "id": actor_url(settings, account_actor(channel.account))}
            ]
    return doc
