"""Abuse reports ("reports"): a video, a comment or an account reported to moderators,
with the moderators' thread with the reporter. PeerTube's states and reason numbers."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow
from models.accounts import Account
from models.social import Comment
from models.videos import Video

MIN_TEXT, MAX_TEXT = 2, 3000  # reason, moderation comment and messages, as PeerTube


class AbuseState(enum.IntEnum):
    PENDING = 1
    REJECTED = 2
    ACCEPTED = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


# PeerTube's predefined reasons: name -> number (the number is what PeerTube stores).
PREDEFINED_REASONS = {
    "violentOrRepulsive": 1,
    "hatefulOrAbusive": 2,
    "spamOrMisleading": 3,
    "privacy": 4,
    "rights": 5,
    "serverRules": 6,
    "thumbnails": 7,
    "captions": 8,
}
REASON_NAMES = {number: name for name, number in PREDEFINED_REASONS.items()}


class Abuse(BaseModel):
    """One report. `kind` says what was reported (video, comment or account); the
    reported video or comment may be gone since (then its field is NULL).

    `flagged_account` is the account answerable for what was reported (the video's
    channel owner, the comment's author, or the account itself), as PeerTube keeps it.
    A report received as a Flag from another server keeps the Flag's id in `ap_id`.
    """

    kind = peewee.CharField(max_length=10)  # video | comment | account
    reporter = peewee.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    flagged_account = peewee.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    video = peewee.ForeignKeyField(Video, null=True, on_delete="SET NULL")
    comment = peewee.ForeignKeyField(Comment, null=True, on_delete="SET NULL")
    start_at = peewee.IntegerField(null=True)  # seconds into the video
    end_at = peewee.IntegerField(null=True)
    reason = peewee.TextField()
    predefined_reasons = peewee.CharField(max_length=64, default="")  # "1,3": PeerTube numbers
    state = peewee.SmallIntegerField(default=AbuseState.PENDING)
    moderation_comment = peewee.TextField(null=True)
    ap_id = peewee.CharField(max_length=2000, null=True, unique=True)
    processed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "id"), False),)

    @property
    def reason_names(self) -> list[str]:
        numbers = [int(n) for n in self.predefined_reasons.split(",") if n.isdigit()]
        return [REASON_NAMES[n] for n in numbers if n in REASON_NAMES]

    @property
    def state_enum(self) -> AbuseState:
        return AbuseState(self.state)


class AbuseMessage(BaseModel):
    """A message of the thread between the moderators and the reporter of a report."""

    abuse = peewee.ForeignKeyField(Abuse, backref="messages", on_delete="CASCADE")
    account = peewee.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    message = peewee.TextField()
    by_moderator = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
