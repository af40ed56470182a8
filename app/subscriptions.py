"""Users subscribing to channels, here or on other servers.

A subscription is a Follow from the user's account actor to the channel's
actor. Local channels are followed at once; a known remote channel gets a
Follow activity now; an unknown one is looked up (WebFinger) in a job.
"""

from __future__ import annotations

from app import channels as channel_lookup
from app.federation import actors, follows, publish
from app.settings import Settings
from app.videos import back_catalogue
from models.accounts import Account, Channel, User
from models.federation import Actor, Follow, FollowState
from models.moderation import shown
from models.videos import Privacy, State, Video


class SubscriptionError(ValueError):
    """A subscription that cannot be made; the message says why."""


def _me(user: User) -> Actor:
    return actors.account_actor(Account.get(Account.user == user))


def subscribe(settings: Settings, user: User, uri: str) -> Follow | None:
    """Subscribe to `name@host` (or a local `name`); None when it waits for a lookup job."""
    uri = uri.strip().lstrip("@")
    name, _, host = uri.partition("@")
    if not name:
        raise SubscriptionError("A channel is named like name@host.")
    channel = channel_lookup.find_channel(uri, settings.host)
    me = _me(user)
    if channel is not None and channel.is_local:
        return follows.follow_local(me, actors.channel_actor(channel))
    if channel is not None and channel.actor_id:
        return publish.follow(settings, me, channel.actor)
    if not host or host == settings.host:
        raise SubscriptionError("There is no channel by that name here.")
    follows.queue_follow(me, uri)
    return None


def unsubscribe(settings: Settings, user: User, uri: str) -> bool:
    channel = channel_lookup.find_channel(uri.lstrip("@"), settings.host)
    if channel is None or not channel.actor_id:
        return False
    row = Follow.get_or_none((Follow.follower == _me(user)) & (Follow.target == channel.actor))
    if row is None:
        return False
    if channel.is_local:
        row.delete_instance()
    else:
        publish.unfollow(settings, row)
    return True


def subscribed_channels(user: User) -> list[Channel]:
    me = _me(user)
    return list(
        Channel.select(Channel, Account)
        .join(Account)
        .switch(Channel)
        .join(Follow, on=Follow.target == Channel.actor)
        .where((Follow.follower == me) & (Follow.state != FollowState.REJECTED))
        .order_by(Channel.display_name)
    )


def is_subscribed(settings: Settings, user: User, uri: str) -> bool:
    channel = channel_lookup.find_channel(uri.lstrip("@"), settings.host)
    if channel is None or not channel.actor_id:
        return False
    return (
        Follow.select()
        .where((Follow.follower == _me(user)) & (Follow.target == channel.actor))
        .exists()
    )


def subscription_videos_query(user: User):
    """Published, listed videos of the user's subscribed channels (and followed accounts)."""
    me = _me(user)
    targets = Follow.select(Follow.target).where(
        (Follow.follower == me) & (Follow.state == FollowState.ACCEPTED)
    )
    return (
        Video.select(Video, Channel, Account)
        .join(Channel)
        .join(Account)
        .where(
            (Channel.actor.in_(targets) | Account.actor.in_(targets))  # channels or accounts
            & (Video.privacy == Privacy.PUBLIC)
            & (Video.state == State.PUBLISHED)
            & ~back_catalogue()
            & shown(user.id)
        )
    )
