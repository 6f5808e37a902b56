"""Benchmark: one request's round trip to a real hub, on a kept-alive connection and on a fresh one.

A real hub process (``scc-desktop hub serve`` on an SQLite file, on loopback,
with the test ICS) answers two requests a desktop makes:

``health``
    ``GET /health`` (a read of the feed head);
``feed poll``
    ``GET /v1/feed?after=HEAD`` with a room token: the poll of a desktop that
    is caught up (authenticates, reads the head, answers an empty batch).

Each is timed from the call to the parsed answer with ``requests``, the
desktop's own HTTP client, in two ways, sample by sample in turn:

``fresh``
    BASELINE: a new connection for every request (connect, request, close);
``kept-alive``
    one ``requests.Session`` reused for every request, as the desktop's
    sync engine does;
``kept-alive, before``
    the same against a second hub process on the same database whose
    listening socket is made as it was before issue 15 (finding 8): without
    ``IPPROTO_TCP``, so its connections never get ``TCP_NODELAY`` and each
    answer on a reused connection waits for the client's delayed ACK.

The ratio is kept-alive median / fresh median of the same run (and the
before-fix kept-alive against the same baseline). A kept-alive request skips
the TCP handshake, so it should be the faster. Target: a kept-alive round trip
of at most 5 ms.

Usage::

    .venv/bin/python benchmarks/bench_hub_roundtrip.py            # 300 samples of each
    .venv/bin/python benchmarks/bench_hub_roundtrip.py --quick    # 20 samples of each
    .venv/bin/python benchmarks/bench_hub_roundtrip.py --out /tmp/rt.md --json /tmp/rt.json \\
        --update-doc docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `sync`, `tests` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402

DEFAULT_SAMPLES = 300
QUICK_SAMPLES = 20
WARMUP = 5
TARGET_KEPT_ALIVE_MS = 5.0
MODES = ("fresh", "kept-alive", "kept-alive, before")
# The listening socket as sync.hub.server.bind made it before issue 15 (protocol 0, not IPPROTO_TCP).
BEFORE_FIX = """
import socket
import sync.hub.server as server

def bind(host, port, **_):
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock

server.bind = bind
"""
REQUESTS = ("health", "feed poll")


@dataclass
class Series:
    request: str
    mode: str
    samples_ms: list[float] = field(default_factory=list)
    hub_cpu_s: float | None = 0.0  # the hub process's CPU time over these samples (None: not on Linux)

    @property
    def hub_cpu_ms(self) -> float | None:
        """Hub CPU per request: on a busy machine the part of the round trip that is the hub's own work."""
        return None if self.hub_cpu_s is None else self.hub_cpu_s * 1000 / len(self.samples_ms)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.samples_ms, n=10)[-1] if len(self.samples_ms) > 1 else self.samples_ms[0]


@dataclass
class Result:
    samples: int
    series: list[Series]
    load: float | None = None
    failures: int = 0

    def get(self, request: str, mode: str) -> Series:
        return next(s for s in self.series if s.request == request and s.mode == mode)

    def ratio(self, request: str, mode: str = "kept-alive") -> float:
        return self.get(request, mode).median / self.get(request, "fresh").median

    @property
    def meets_target(self) -> bool:
        return self.get("health", "kept-alive").median <= TARGET_KEPT_ALIVE_MS


def run(samples: int, tmpdir: str | None = None, progress=lambda line: None) -> Result:
    import requests

    from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER
    from tests.support.hub import HubProcess, start_hub
    from tests.support.hub_group import process_cpu_s

    with tempfile.TemporaryDirectory(prefix="scc-bench-rt-", dir=tmpdir) as folder:
        hub = start_hub(Path(folder))
        before = None
        try:
            before = HubProcess(hub.db_url, Path(folder), dict(hub.tokens), preamble=BEFORE_FIX).start()
            headers = {VERSION_HEADER: PROTOCOL_VERSION, "Authorization": f"Bearer {hub.tokens['room_lead']}"}
            head = requests.get(hub.url + "/health", timeout=10).json()["head"]
            paths = {"health": ("/health", None), "feed poll": ("/v1/feed", {"after": head})}
            series = {(r, m): Series(r, m) for r in REQUESTS for m in MODES}
            failures = 0
            with requests.Session() as session, requests.Session() as before_session:
                session.headers.update(headers)
                before_session.headers.update(headers)

                def once(request: str, mode: str) -> float:
                    server, client = (before, before_session) if mode == "kept-alive, before" else (hub, session)
                    path, params = paths[request]
                    cpu = process_cpu_s(server.proc.pid)
                    start = time.perf_counter()
                    if mode == "fresh":
                        with requests.Session() as own:  # its own pool: a new connection, closed after
                            r = own.get(server.url + path, params=params, headers=headers, timeout=10)
                            r.json()
                    else:
                        r = client.get(server.url + path, params=params, timeout=10)
                        r.json()
                    elapsed = (time.perf_counter() - start) * 1000
                    if r.status_code != 200:
                        raise RuntimeError(f"{request} answered {r.status_code}: {r.text[:200]}")
                    # Clock ticks are coarse (10 ms); summed over many requests the share is fair.
                    after = process_cpu_s(server.proc.pid)
                    one = series[(request, mode)]
                    one.hub_cpu_s = None if cpu is None or after is None or one.hub_cpu_s is None \
                        else one.hub_cpu_s + after - cpu
                    return elapsed

                for request in REQUESTS:  # connect, load the code paths, fill the caches
                    for mode in MODES:
                        for _ in range(WARMUP):
                            once(request, mode)
                for series_ in series.values():  # the warm-up's CPU is not a sample's
                    series_.hub_cpu_s = 0.0 if series_.hub_cpu_s is not None else None
                for i in range(samples):  # in turn, so every mode meets the same conditions
                    for request in REQUESTS:
                        for mode in (MODES if i % 2 else MODES[::-1]):
                            try:
                                series[(request, mode)].samples_ms.append(once(request, mode))
                            except (requests.RequestException, RuntimeError) as exc:
                                failures += 1
                                progress(f"sample {i} {request} {mode} failed: {exc}")
                    if (i + 1) % 100 == 0:
                        progress(f"{i + 1}/{samples} samples")
        finally:
            if before is not None:
                before.stop()
            hub.stop()
    return Result(samples, list(series.values()), report.load(), failures)


def markdown(result: Result) -> str:
    lines = [f"## Hub round trip (kept-alive vs fresh connection)", "",
             f"A real hub process on SQLite on loopback; `requests`, the desktop's HTTP client; "
             f"{result.samples} samples of each, in turn; 1-minute load average after the run "
             f"{report.fmt(result.load, '.2f')}.", "",
             "| request | connection | samples | median ms | p90 ms | min ms | max ms | requests/s (median) "
             "| hub CPU ms/request |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in result.series:
        lines.append(f"| {s.request} | {s.mode} | {len(s.samples_ms)} | {s.median:.2f} | {s.p90:.2f} | "
                     f"{min(s.samples_ms):.2f} | {max(s.samples_ms):.2f} | {1000 / s.median:,.0f} | "
                     f"{report.fmt(s.hub_cpu_ms, '.2f')} |")
    lines += ["", "| request | kept-alive / fresh (median) | kept-alive before the fix / fresh |", "|---|---|---|"]
    lines += [f"| {r} | {result.ratio(r):.2f}x | {result.ratio(r, 'kept-alive, before'):.2f}x |" for r in REQUESTS]
    verdict = "met" if result.meets_target else "NOT met"
    lines += ["", f"Target: a kept-alive round trip of at most {TARGET_KEPT_ALIVE_MS:g} ms (health median "
                  f"{result.get('health', 'kept-alive').median:.2f} ms): {verdict}."]
    if result.failures:
        lines.append(f"{result.failures} request(s) failed.")
    return "\n".join(lines) + "\n"


def to_json(result: Result) -> dict:
    return {"samples": result.samples, "load": result.load, "failures": result.failures,
            "target_kept_alive_ms": TARGET_KEPT_ALIVE_MS, "meets_target": result.meets_target,
            "series": [{**asdict(s), "median_ms": s.median, "p90_ms": s.p90, "hub_cpu_ms": s.hub_cpu_ms}
                       for s in result.series],
            "ratios": {r: result.ratio(r) for r in REQUESTS},
            "ratios_before_fix": {r: result.ratio(r, "kept-alive, before") for r in REQUESTS}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int,
                        help=f"samples of each request and mode (default {DEFAULT_SAMPLES}; --quick {QUICK_SAMPLES})")
    parser.add_argument("--quick", action="store_true", help="a small run for a quick look")
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--update-doc", type=Path, metavar="MD",
                        help="put the section into this report (e.g. docs/benchmarks.md), keeping the rest")
    parser.add_argument("--tmpdir", help="folder for the hub's temp database (default: the system temp)")
    args = parser.parse_args(argv)
    samples = args.samples or (QUICK_SAMPLES if args.quick else DEFAULT_SAMPLES)
    if samples <= 0:
        parser.error("--samples must be positive")
    result = run(samples, args.tmpdir, progress=lambda line: print(line, file=sys.stderr, flush=True))
    text = markdown(result)
    print(text)
    report.write_outputs(text, out=args.out, json_path=args.json, json_value=to_json(result))
    if args.update_doc:
        report.update_doc(args.update_doc, "bench_hub_roundtrip", text)
    return 0 if not result.failures else 1


if __name__ == "__main__":
    sys.exit(main())
