"""Contact groups for SPoC messages, and who a choice of groups reaches.

The directory has no group field of its own; a room already sorts its contacts by what they
are, so the groups are read from that (pure functions over the directory and the rota):

- ``all``: every contact;
- ``spoc``: the single point of contact mailboxes (``models.queries.records.spoc_mailboxes``);
- ``service:<service>``: everyone with that service ("Bed management", "Patient flow");
- ``org:<ODS code>``: everyone at that organisation;
- ``role:<role>``: everyone with that role ("Director of Operations");
- ``rota:<rota>``: whoever is on call on that rota now.

Keys match whatever their case, accents or spacing.  A person in two chosen groups gets one email;
a contact with no email address is listed (the sender sees who will not get it), never dropped quietly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.records.contacts import ContactView, OnCall
from models.records.contacts.directory import fold

KINDS = ("service", "org", "role", "rota")


@dataclass(frozen=True)
class Group:
    key: str          # "service:Bed management"
    label: str        # "Service: Bed management"
    members: tuple[ContactView, ...]

    @property
    def with_email(self) -> int:
        return sum(1 for c in self.members if c.email)


@dataclass(frozen=True)
class Recipient:
    contact_uuid: str
    name: str
    organisation: str
    address: str
    groups: tuple[str, ...]     # the chosen groups that reach this person


@dataclass(frozen=True)
class Resolved:
    groups: tuple[str, ...]                 # the keys chosen, as the directory spells them
    recipients: tuple[Recipient, ...]       # one per address, by name
    no_email: tuple[ContactView, ...]       # reached by a group but with no email address


class GroupError(ValueError):
    """The choice of groups cannot be sent to; the message names the group and why."""


def _norm(key: str) -> str:
    kind, _, value = key.partition(":")
    return f"{fold(kind.strip())}:{' '.join(fold(value).split())}" if value else fold(kind.strip())


def groups(contacts: Sequence[ContactView], on_call_now: dict[str, list[OnCall]],
           spoc: Sequence[ContactView] = ()) -> list[Group]:
    """Every group the directory makes, the broad ones first, then by kind and name."""
    found: dict[str, tuple[str, str, dict[str, ContactView]]] = {}

    def add(kind: str, value: str, label: str, contact: ContactView) -> None:
        key = f"{kind}:{value}"
        found.setdefault(_norm(key), (key, label, {}))[2].setdefault(contact.uuid, contact)

    for c in contacts:
        if c.service.strip():
            add("service", c.service.strip(), f"Service: {c.service.strip()}", c)
        if c.org_code:
            add("org", c.org_code, f"Organisation: {c.org_code} {c.organisation}", c)
        if c.role.strip():
            add("role", c.role.strip(), f"Role: {c.role.strip()}", c)
    for rota, people in on_call_now.items():
        found.setdefault(_norm(f"rota:{rota}"), (f"rota:{rota}", f"On call now: {rota}", {}))
        for o in people:
            add("rota", rota, f"On call now: {rota}", o.contact)
    out = [Group("all", "Everyone in the directory", tuple(contacts))]
    if spoc:
        out.append(Group("spoc", "SPOC mailboxes", tuple(spoc)))
    order = {k: n for n, k in enumerate(KINDS)}
    for key, label, members in sorted(found.values(), key=lambda e: (order[e[0].split(":")[0]], fold(e[1]))):
        out.append(Group(key, label, tuple(sorted(members.values(), key=lambda c: fold(c.name)))))
    return out


def resolve(chosen: Iterable[str], available: Sequence[Group]) -> Resolved:
    """The people ``chosen`` group keys reach.  :class:`GroupError` for no group, a group the directory
    does not make (naming it, and the nearest kinds), or a choice with no email address at all."""
    keys = [k for k in dict.fromkeys(k.strip() for k in chosen) if k]
    if not keys:
        raise GroupError("groups: choose at least one contact group")
    by_norm = {_norm(g.key): g for g in available}
    picked: list[Group] = []
    for key in keys:
        group = by_norm.get(_norm(key))
        if group is None:
            kind = key.partition(":")[0].strip().casefold()
            hint = ("; groups are all, spoc, or service:, org:, role:, rota: and a name"
                    if kind not in KINDS + ("all", "spoc") else "; list them with `scc-desktop message groups`")
            raise GroupError(f"groups: no group '{key}' in the contact directory{hint}")
        picked.append(group)
    reached: dict[str, tuple[ContactView, list[str]]] = {}
    for group in picked:
        for c in group.members:
            reached.setdefault(c.uuid, (c, []))[1].append(group.key)
    by_address: dict[str, Recipient] = {}
    no_email = []
    for c, via in reached.values():
        if not c.email:
            no_email.append(c)
            continue
        address = c.email.strip()
        if address.casefold() not in by_address:
            by_address[address.casefold()] = Recipient(c.uuid, c.name, c.organisation, address, tuple(via))
    if not by_address:
        names = ", ".join(g.key for g in picked)
        who = f"; none of its {len(no_email)} contact(s) has an email address" if no_email else " (nobody in it)"
        raise GroupError(f"groups: nobody to email in {names}{who}: add their addresses in the Contacts tab")
    recipients = tuple(sorted(by_address.values(), key=lambda r: (fold(r.name), r.address.casefold())))
    return Resolved(tuple(g.key for g in picked), recipients, tuple(sorted(no_email, key=lambda c: fold(c.name))))
