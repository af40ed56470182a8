"""Likes and dislikes: one rating per account and video, counted on the video."""

from __future__ import annotations

from app import events
from app.db import dialect
from models import db
from models.accounts import Account
from models.social import Rating
from models.videos import Video

VALUES = {"like": 1, "dislike": -1, "none": 0}
NAMES = {value: name for name, value in VALUES.items()}


def rating_of(video: Video, account: Account) -> str:
    """'like', 'dislike' or 'none' (PeerTube's words)."""
    row = Rating.get_or_none((Rating.video == video) & (Rating.account == account))
    return NAMES[row.value] if row else "none"


def rate(
    video: Video, account: Account, rating: str, *, ap_id: str | None = None, remote: bool = False
) -> bool:
    """Set an account's rating of a video; False when it was already that.

    The video's likes and dislikes counts change in the same transaction, and
    ``rating.changed`` is announced there.
    """
    value = VALUES[rating]
    with db.atomic():
        if dialect() == "postgres":  # one change at a time per account (SQLite: always)
            Account.select(Account.id).where(Account.id == account.id).for_update().execute()
        row = Rating.get_or_none((Rating.video == video) & (Rating.account == account))
        before = row.value if row else 0
        if before == value:
            return False
        if row is not None and value == 0:
            row.delete_instance()
        elif row is not None:
            Rating.update(value=value, ap_id=ap_id).where(Rating.id == row.id).execute()
        else:
            Rating.create(video=video, account=account, value=value, ap_id=ap_id)
        likes = (value == 1) - (before == 1)
        dislikes = (value == -1) - (before == -1)
        Video.update(likes=Video.likes + likes, dislikes=Video.dislikes + dislikes).where(
            Video.id == video.id
        ).execute()
        events.emit(
            "rating.changed",
            video=video,
            account=account,
            before=NAMES[before],
            after=rating,
            remote=remote,
        )
    return True
