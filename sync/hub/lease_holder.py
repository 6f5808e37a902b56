"""Who holds a mailer's lease, and whether that process is dead: a hub killed mid-send is taken over at
once by a process that can tell, not after the lease runs out.  Both mailers use it (alert escalation:
``escalation_holder``; SPoC messages: ``spoc_holder``), through :func:`hold` and :func:`orphaned`.

A process is named by what tells it apart on its machine for as long as the machine runs: the kernel's boot
id (``/proc/sys/kernel/random/boot_id``), its PID namespace (a container has its own: the same number is
another process there), its pid and its start time in clock ticks since boot (``/proc/<pid>/stat``, field
22: a pid used again is another process).  A holder is dead only when it is on this boot and in this PID
namespace and no process with its pid and start time exists.  Anything else (another machine or container,
an unreadable ``/proc``, a system without one, a name written by another version) is judged alive: its lease
is waited out, as before.  So two live processes never take each other's lease: an email is never sent twice
by takeover; a process killed after the mail server took its email and before it was recorded sends it
twice, by takeover or by the lease running out alike (docs/escalation.md).
"""

from __future__ import annotations

import functools
import os
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite

_PREFIX = "proc1"
_CHUNK = 500


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except (OSError, ValueError):
        return None


def _pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def _started(pid: int) -> str | None:
    stat = _read(f"/proc/{pid}/stat")
    if stat is None or ")" not in stat:
        return None
    fields = stat.rsplit(")", 1)[1].split()   # the name may hold spaces and brackets: cut after its last ')'
    return fields[19] if len(fields) > 19 else None


@functools.cache
def _machine() -> tuple[str, str] | None:
    boot, namespace = _read("/proc/sys/kernel/random/boot_id"), _pid_namespace()
    return (boot, namespace) if boot and namespace else None


def identity() -> str | None:
    """This process's name ("proc1 <boot id> <pid namespace> <pid> <start ticks>"); None where it cannot
    be told (no ``/proc``)."""
    machine, pid = _machine(), os.getpid()
    started = _started(pid)
    if machine is None or started is None:
        return None
    return " ".join((_PREFIX, *machine, str(pid), started))


def dead(holder: str | None) -> bool:
    """The process ``holder`` names is known to have ended (see the module's doc); False whenever unsure."""
    parts = (holder or "").split(" ")
    machine = _machine()
    if len(parts) != 5 or parts[0] != _PREFIX or machine is None or tuple(parts[1:3]) != machine:
        return False
    try:
        pid = int(parts[3])
    except ValueError:
        return False
    if pid == os.getpid():
        return parts[4] != _started(pid)
    started = _started(pid)
    if started is None:   # no such process, or /proc unreadable for it: which?
        return not os.path.exists(f"/proc/{pid}")
    return started != parts[4]


def hold(conn, kind: str, table: Table, key: str, attempts: int, holder: str | None, now: datetime) -> None:
    """``holder`` named on attempt ``attempts`` of ``key`` in a holder table (``sync.hub.schema._holder_table``),
    on ``conn``: in the take's transaction.  Nothing when this process cannot be named."""
    if holder is None:
        return
    dialect = postgresql if kind == "postgresql" else sqlite
    key_column = table.primary_key.columns.values()[0].name
    values = {"attempts": attempts, "holder": holder, "taken_at": now}
    conn.execute(dialect.insert(table).values({key_column: key, **values})
                 .on_conflict_do_update(index_elements=[key_column], set_=values))


def orphaned(conn, table: Table, taken: dict[str, int]) -> dict[str, str]:
    """Of attempts under a lease (key -> the attempt taken, not recorded), those whose taker is known dead:
    key -> the holder's name."""
    key_column = table.primary_key.columns.values()[0]
    ids, out = sorted(taken), {}
    for i in range(0, len(ids), _CHUNK):
        for key, attempts, holder in conn.execute(select(key_column, table.c.attempts, table.c.holder).where(
                key_column.in_(ids[i:i + _CHUNK]))):
            if attempts == taken[key] and dead(holder):
                out[key] = holder
    return out
