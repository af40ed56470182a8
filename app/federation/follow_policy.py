"""Whether other servers may follow this one: automatically, after an administrator's
approval, or not at all (PeerTube's followers.instance.enabled and manualApproval).

The administrator chooses on /admin/federation (stored in server_setting);
SHOAL_FOLLOWERS_MANUAL_APPROVAL gives the default. A refused follow is stored
as rejected (the administrator may still accept it by hand) and answered with
Reject. Follows of local channels and accounts are not concerned: a person's
subscription is always accepted.
"""

from __future__ import annotations

from app.settings import Settings
from models.federation import Actor
from models.server import get_setting, put_setting

AUTO, MANUAL, REFUSE = "auto", "manual", "refuse"
POLICIES = {
    AUTO: "accepted automatically",
    MANUAL: "approved by an administrator",
    REFUSE: "refused: no other server may follow this one",
}
KEY = "followers.policy"


class FollowPolicyError(ValueError):
    """A policy this server does not know."""


def get(settings: Settings) -> str:
    """The stored policy; without one, SHOAL_FOLLOWERS_MANUAL_APPROVAL's."""
    stored = get_setting(KEY)
    if stored in POLICIES:
        return stored
    return MANUAL if settings.followers_manual_approval else AUTO


def update(policy: str) -> None:
    if policy not in POLICIES:
        raise FollowPolicyError("Choose how follows of this server are answered.")
    put_setting(KEY, policy)


def refuses(settings: Settings, follower: Actor) -> bool:
    """Whether a server's follow of this server is refused outright.

    The hook for every reason to refuse: today the administrator's policy
    (a muted server is another reason, checked here too once mutes exist).
    """
    return get(settings) == REFUSE


def decision(settings: Settings, follower: Actor) -> str:
    """AUTO, MANUAL or REFUSE for this follower of the server actor."""
    return REFUSE if refuses(settings, follower) else get(settings)
