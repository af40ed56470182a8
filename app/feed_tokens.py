"""Feed tokens: the secret in a user's private subscriptions feed URL.

PeerTube's `/feeds/subscriptions.xml?accountId=<id>&token=<feedToken>`: a feed
reader has no session, so the URL itself carries a per-user token. It is made
on first use, can be reset (the old URL stops working), and grants nothing but
that one feed.
"""

from __future__ import annotations

import hmac
import secrets

from models.accounts import Account, User


def _new() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def token_for(user: User) -> str:
    """The user's feed token, made now if they have none yet."""
    if user.feed_token:
        return user.feed_token
    # Only fills an empty token, so two first requests at once agree on one.
    User.update(feed_token=_new()).where((User.id == user.id) & (User.feed_token == "")).execute()
    user.feed_token = User.select(User.feed_token).where(User.id == user.id).scalar()
    return user.feed_token


def reset(user: User) -> str:
    """Give the user a new feed token; feed URLs with the old one stop working."""
    token = _new()
    User.update(feed_token=token).where(User.id == user.id).execute()
    user.feed_token = token
    return token


def check(account_id: int, token: str) -> User | None:
    """The user owning account `account_id` if `token` is their feed token, else None."""
    if not token:
        return None
    user = (
        User.select()
        .join(Account, on=Account.user == User.id)
        .where(Account.id == account_id)
        .first()
    )
    if user is None or user.blocked or not user.feed_token:
        return None
    if not hmac.compare_digest(user.feed_token.encode(), token.encode()):
        return None
    return user
