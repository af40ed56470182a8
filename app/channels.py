"""Accounts and channels by handle: `name`, `name@host` (local when host is ours)."""

from __future__ import annotations

from models.accounts import Account, Channel


def split_handle(handle: str, local_host: str) -> tuple[str, str]:
    """(name, host) with host '' for local; a leading @ is allowed."""
    handle = handle.lstrip("@")
    name, _, host = handle.partition("@")
    if host == local_host:
        host = ""
    return name, host


def find_channel(handle: str, local_host: str) -> Channel | None:
    name, host = split_handle(handle, local_host)
    return (
        Channel.select(Channel, Account)
        .join(Account)
        .where((Channel.name == name) & (Channel.host == host))
        .first()
    )


def find_account(handle: str, local_host: str) -> Account | None:
    name, host = split_handle(handle, local_host)
    return Account.get_or_none((Account.name == name) & (Account.host == host))
