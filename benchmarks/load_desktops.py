"""Light protocol clients for the regional load run (``bench_load.py --light``).

A region's 1,000 desktops are 1,000 machines; on one 2-core machine beside the hub,
1,000 ``requests`` sessions in threads (what ``bench_load`` uses at ICS scale) measure
themselves more than the hub. Here one asyncio loop (uvloop when installed) in each
worker process holds many desktops, each on its own kept-alive HTTP/1.1 connection,
speaking exactly what ``sync.client.HubClient`` sends for a desktop's sync engine:

    GET /v1/feed?after=N&limit=50000&wait=20.0&format=columnar HTTP/1.1
    User-Agent: scc-desktop-sync / Accept-Encoding: gzip, deflate / Accept: */* /
    Connection: keep-alive / Authorization: Bearer ... / SCC-Protocol: <ours>

(``limit``: the engine's columnar batch, ``sync.protocol.MAX_COLUMNAR_BATCH``), following
``next_after`` as the engine does, and ``POST /v1/records`` for a decision as
``HubClient.push`` does. What a desktop then does with a batch (validate it, apply it to
its replica) is the desktop's own CPU, not the hub's: these clients only note the
positions and the notices and decisions they carry (``bench_load.Tally``, as the
thread clients do). The run samples each worker process's CPU, so it shows the
clients' CPU apart from the hub's.

The worker is started by ``bench_load`` (``--child --light``) and follows the same
files in the run's folder as the thread clients: ``quiet`` (stop pushing), ``stop.json``
(read to this head, then report), ``desktops-<first>.json`` (what each desktop saw).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from sync.protocol import MAX_COLUMNAR_BATCH, PROTOCOL_VERSION, VERSION_HEADER

READ_TIMEOUT_S = 15.0          # sync.client.READ_TIMEOUT, added to the long-poll's wait
CONNECT_TIMEOUT_S = 3.05
RETRY_S = 0.5


class Conn:
    """One desktop's kept-alive HTTP/1.1 connection (reopened after any fault, as requests does)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.common = (f"Host: {host}:{port}\r\nUser-Agent: scc-desktop-sync\r\nAccept-Encoding: gzip, deflate\r\n"
                       f"Accept: */*\r\nConnection: keep-alive\r\nAuthorization: Bearer {token}\r\n"
                       f"{VERSION_HEADER}: {PROTOCOL_VERSION}\r\n").encode()
        self.reader = self.writer = None

    async def request(self, head: bytes, body: bytes, timeout: float) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_S)
        try:
            self.writer.write(head + self.common + b"\r\n" + body)
            async with asyncio.timeout(timeout):   # not wait_for: a task of its own for every request
                return await self._response()
        except BaseException:
            self.close()
            raise

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, close = None, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise ConnectionError("chunked answer: the hub sends lengths")
        body = await self.reader.readexactly(length or 0)
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def desktop(index: int, url: str, token: str, record_every: float, long_poll: float,
                  run: Run) -> dict:
    from benchmarks.bench_load import Tally, _decision

    parts = urlsplit(url)
    conn = Conn(parts.hostname, parts.port, token)
    device = f"load-{os.getpid()}-{index}"
    tally = Tally(device)
    after, problems, pushed = 0, tally.problems, tally.pushed
    # First decisions spread evenly over one interval (golden-ratio steps), so a run shorter than
    # the interval still pushes at the region's steady rate: desktops / record_every a second.
    next_push = time.time() + record_every * ((0.5 + index * 0.6180339887) % 1.0)
    prev_hash = None
    while True:
        if run.quiet.is_set():
            run.quieted.add(index)
        if run.final_head is not None and after >= run.final_head:
            break
        now = time.time()
        if not run.quiet.is_set() and now >= next_push:
            rid = str(uuid.uuid4())
            data = _decision(rid, device, len(pushed) + 1, prev_hash)
            record = {"uuid": rid, "kind": "decision", "device_id": device,
                      "authored_at": datetime.now(timezone.utc).isoformat(), "data": data}
            body = json.dumps({"records": [record]}).encode()
            head = (f"POST /v1/records HTTP/1.1\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n").encode()
            try:
                status, answer = await conn.request(head, body, READ_TIMEOUT_S)
                result = json.loads(answer)["results"][0] if status == 200 else {"status": f"HTTP {status}"}
                if result["status"] == "stored":
                    pushed[rid] = (now, time.time() - now)
                    prev_hash = data["content_hash"]
                else:
                    problems.append(f"decision {rid}: {result['status']} {result.get('errors')}")
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                problems.append(f"push: {type(exc).__name__} {exc}")
            next_push = now + record_every
        if run.final_head is not None:
            wait = 0.0
        elif run.quiet.is_set():
            wait = long_poll
        else:
            wait = min(long_poll, max(0.0, next_push - time.time()))
        head = (f"GET /v1/feed?after={after}&limit={MAX_COLUMNAR_BATCH}&wait={float(wait)}&format=columnar "
                "HTTP/1.1\r\n").encode()
        try:
            status, answer = await conn.request(head, b"", READ_TIMEOUT_S + wait)
            if status != 200:
                raise ValueError(f"HTTP {status}: {answer[:200]!r}")
            batch = json.loads(answer)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            problems.append(f"feed after {after}: {type(exc).__name__} {exc}")
            await asyncio.sleep(RETRY_S)
            continue
        seqs = [i["seq"] for i in batch["items"]] + list((batch.get("observations") or {}).get("seq", ()))
        tally.saw(seqs, ((i["kind"], i["data"]) for i in batch["items"]), time.time(), run.measuring)
        after = batch["next_after"]
    conn.close()
    return tally.report(after)


class Run:
    """The run's phase as the folder's files say it, for every desktop of this worker."""

    def __init__(self) -> None:
        self.measuring = False   # between the files ``go`` and ``quiet``: answers are counted
        self.quiet = asyncio.Event()
        self.quieted: set[int] = set()
        self.final_head: int | None = None


async def _worker(args, folder: Path) -> dict:
    run = Run()
    tasks = {args.first + i: asyncio.ensure_future(
        desktop(args.first + i, args.hub, args.token, args.record_every, args.long_poll, run))
        for i in range(args.count)}
    while not (folder / "quiet").exists():
        run.measuring = (folder / "go").exists()
        await asyncio.sleep(0.1)
    run.measuring = False
    run.quiet.set()
    deadline = time.monotonic() + args.long_poll + 30
    while len(run.quieted) < args.count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    (folder / f"quiet-{args.first}").touch()
    while not (folder / "stop.json").exists():
        await asyncio.sleep(0.2)
    run.final_head = json.loads((folder / "stop.json").read_text())["head"]
    done, _ = await asyncio.wait(tasks.values(), timeout=args.long_poll + 60)
    return {index: t.result() for index, t in tasks.items() if t in done and not t.exception()}


def child(args) -> int:
    folder = Path(args.folder)
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:   # a plain asyncio loop: the same protocol, a little more client CPU
        runner = asyncio.run
    out = runner(_worker(args, folder))
    (folder / f"desktops-{args.first}.json").write_text(json.dumps(out))
    return 0
