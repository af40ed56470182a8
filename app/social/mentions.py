"""Mentions in comments: `@name` or `@name@host`, found in the text and linked in its HTML.

A mention of a local account (`@alice`, or `@alice@<this host>`) notifies its
user; on the page a mention of any account this server knows links to that
account's page here, and an unknown one stays plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from app.channels import split_handle
from models.accounts import Account
from models.federation import Actor

# A mention starts a word: not after a letter, a digit or another @ (an e-mail address).
MENTION = re.compile(
    r"(?<![\w@/.])@(?P<name>[A-Za-z0-9_.-]{1,50}[A-Za-z0-9_])"
    r"(?:@(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?))?"
)
_TAG = re.compile(r"(<[^>]*>)")
_SKIP = {"a", "code", "pre"}  # no link inside a link or code


def handles(text: str, local_host: str) -> list[tuple[str, str]]:
    """The (name, host) of each mention, in order and once each; host '' for local."""
    seen: dict[tuple[str, str], None] = {}
    for m in MENTION.finditer(text or ""):
        seen[split_handle(m["name"] + (f"@{m['host']}" if m["host"] else ""), local_host)] = None
    return list(seen)


def local_accounts(text: str, local_host: str) -> list[Account]:
    """The local accounts mentioned in a text (only those with a user)."""
    names = [name for name, host in handles(text, local_host) if not host]
    if not names:
        return []
    return list(
        Account.select().where(
            (Account.name.in_(names)) & (Account.host == "") & Account.user.is_null(False)
        )
    )


def known_accounts(texts: Iterable[str], local_host: str) -> dict[tuple[str, str], str]:
    """(name, host) -> the account's page here, for every known account the texts mention."""
    wanted = {h for text in texts for h in handles(text, local_host)}
    if not wanted:
        return {}
    condition = None
    for name, host in wanted:
        one = (Account.name == name) & (Account.host == host)
        condition = one if condition is None else condition | one
    found = Account.select(Account.name, Account.host).where(condition)
    return {(a.name, a.host): "/a/" + (f"{a.name}@{a.host}" if a.host else a.name) for a in found}


def link(rendered: str, known: dict[tuple[str, str], str], local_host: str) -> str:
    """Sanitized HTML with each known mention made a link to the account's page here."""
    if not known:
        return rendered
    out, skipping = [], 0
    for part in _TAG.split(rendered):
        if part.startswith("<"):
            tag = part.strip("</>").split()[0].lower() if part.strip("</>") else ""
            if tag in _SKIP:
                skipping += -1 if part.startswith("</") else 1
            out.append(part)
        elif skipping > 0:
            out.append(part)
        else:
            out.append(MENTION.sub(lambda m: _anchor(m, known, local_host), part))
    return "".join(out)


def _anchor(m: re.Match, known: dict[tuple[str, str], str], local_host: str) -> str:
    handle = m["name"] + (f"@{m['host']}" if m["host"] else "")
    url = known.get(split_handle(html.unescape(handle), local_host))
    if url is None:
        return m[0]
    return f'<a class="mention" href="{html.escape(url)}">{m[0]}</a>'


def local_accounts_anywhere(text: str) -> list[Account]:
    """The local accounts with a user that a text mentions, as `@name` or as
    `@name@host` where host is this server's (read from the account's own actor URL,
    for callers without settings: event listeners)."""
    found: dict[int, Account] = {}
    for name, host in handles(text, ""):
        account = Account.get_or_none(
            (Account.name == name) & (Account.host == "") & Account.user.is_null(False)
        )
        if account is None or (host and _own_host(account) != host):
            continue
        found[account.id] = account
    return list(found.values())


def _own_host(account: Account) -> str | None:
    actor = Actor.get_or_none(Actor.id == account.actor_id) if account.actor_id else None
    return urlsplit(actor.ap_id).netloc if actor is not None else None
