"""The hub process's open-files limit: every long-polling desktop holds one file descriptor.

A desktop keeps one connection open to the hub all the time (its long-poll), so a hub serving
1,000 desktops needs more than 1,000 descriptors. Many systems start a process with a soft limit
of 1,024 (a login shell's ``ulimit -n``; systemd's default ``LimitNOFILE`` soft value) and a much
higher hard one. At the soft limit the hub could accept no more connections: with 1,000 desktops
long-polling, providers' submissions were refused (connection reset; docs/reliability.md,
"Open files"). ``serve`` therefore raises the soft limit to the hard one as it starts, as a process
may without privileges, and says so in its log; a hard limit too low for the connections it takes
is said too, naming the setting to change (docs/deployment.md, "Open files").
"""

from __future__ import annotations

import logging

log = logging.getLogger("sync.hub")
CEILING = 1 << 20     # when the hard limit is unlimited: Linux's default fs.nr_open
SPARE = 64            # beyond one per connection: the database, its log, the listening socket, imports


def raise_limit(connections: int) -> tuple[int, int] | None:
    """Raise this process's soft open-files limit to its hard limit; returns (before, after), or None
    where there are no such limits (Windows). Warns when the result cannot hold ``connections``."""
    try:
        import resource
    except ImportError:   # Windows: no per-process descriptor limit of this kind
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = CEILING if hard == resource.RLIM_INFINITY else hard
    after = soft
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            after = target
        except (ValueError, OSError) as exc:   # e.g. above the kernel's nr_open
            log.warning("could not raise the open-files limit from %d to %d: %s", soft, target, exc)
        else:
            log.info("open-files limit raised from %d to %d (one per connected desktop)", soft, after)
    if after != resource.RLIM_INFINITY and after < connections + SPARE:
        log.warning("this hub may open only %d files, so it can hold about %d desktops' long-polls at once "
                    "(it takes up to %d connections, needing %d files); raise the hard limit: ulimit -Hn, or "
                    "LimitNOFILE= in its systemd unit (docs/deployment.md)", after, max(after - SPARE, 0),
                    connections, connections + SPARE)
    return soft, after
