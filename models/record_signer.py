"""Who a record that came through the hub is shown as done by (models: the desktop's views and exports
and the hub both use it, so it sits below both): the name it is signed with, checked
against the account the hub vouches for.

A desktop signs what it writes with a person's name inside the record's ``data`` (``models.author``:
a rota slot's ``author``, a contact edit's ``author``, a transfer step's ``author``, an action's
``done_by``, an acknowledgement's ``acknowledged_by``).  The hub vouches for one thing only: the user of
the token that pushed the record, which it stamps on the envelope (``FeedRecord.author``).  Anyone
holding a desktop token can write any name in ``data``, so a name that is not the token's user is
shown after the account that sent it, never alone as the doer::

    Room lead (signed "Sam Checker")

A name that is the token's user (a room with a token per person) is shown as it is.  The hub does not
refuse the difference: the rooms this is deployed to share one token per room ("Room lead",
docs/deployment.md) and sign with each person's name, so every record would be refused.  A record with
no hub stamp (None: a hub that did not stamp one) is shown as signed, as before; so is the hub's own
record (``device_id`` and ``author`` "hub": a re-raise acknowledged under a snooze), whose name the hub
wrote itself, from the snoozing acknowledgement passed through this rule (``sync.hub.alerts``).  Rows
applied before this rule keep what they hold.
"""

from __future__ import annotations

from typing import Any

from models.author import MAX_CHARS

# The ``device_id`` and ``author`` of a record the hub writes itself (an ``alert_ack`` of a re-raise under a
# snooze, sync.hub.alerts), shown under the name written in it; the protocol's (``sync.protocol.HUB_DEVICE``).
HUB_DEVICE = "hub"


def same_person(a: str, b: str) -> bool:
    """Whether two names are the same, ignoring case, spaces and punctuation ("sam.patel" is "Sam Patel");
    names with no letter or digit at all are compared as written."""
    key_a, key_b = _key(a), _key(b)
    return key_a == key_b if key_a and key_b else a.strip() == b.strip()


def _key(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def _plain(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def shown(claimed: Any, account: Any, device_id: str | None = None, limit: int = MAX_CHARS) -> str | None:
    """The doer a desktop keeps for a record from the feed: ``claimed`` (the name in ``data``) when it is
    the pushing token's user (``account``, the hub's stamp) or there is no stamp; the account alone when
    the record names nobody; else the account with the name it was signed with, at most
    ``limit`` characters (``models.author.MAX_CHARS`` unless told: the name is cut first; an account is cut
    only past ``limit`` less 16, leaving 16 for the name).  None: neither names anyone."""
    name, by = _plain(claimed), _plain(account)
    if not by or (by == HUB_DEVICE and device_id == HUB_DEVICE):
        return name[:limit] or None
    if not name or same_person(name, by):
        return (name or by)[:limit]
    head = by[:limit - 16]
    room = limit - len(head) - len(' (signed "")')
    signed = name if len(name) <= room else name[:room - 1] + "…"
    return f'{head} (signed "{signed}")'
