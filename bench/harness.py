"""End-to-end throughput on real pages: the whole pipeline against trafilatura alone.

    python -m bench.harness [--copies 8] [--outlets 8] [--latency-ms 20] [--prefill N] [--postgres URL] [--small]

Builds a fake news web on loopback from the real pages of ../shared/corpus (aeb and
fundus-eval): every page is published `--copies` times under distinct URLs, each copy
with a distinct inserted paragraph, spread over `--outlets` outlets on distinct loopback
addresses (127.0.0.2, 127.0.0.3, ...), each with an RSS feed and `--latency-ms` of delay
per request. Then it runs the real `monitor run --once --report` on a fresh SQLite
database (or PostgreSQL: `--postgres URL`) and prints: articles per second, time per stage, requests, peak RSS, and the
single-process trafilatura-only rate on the same pages with the ratio between the two, and
the most the cores give for the workers' job (one process per core doing only that).
A second run over the unchanged outlets follows (nothing new: no article page may be
fetched). `--prefill N` first loads N unrelated articles into the database, to see the
per-article cost as the store grows. `--small` is the configuration CI runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from bench import reference

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
TOPICS = ROOT / "config" / "topics.toml"


def real_pages() -> list[bytes]:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))]
    pages += [gzip.decompress(p.read_bytes()) for p in sorted((CORPUS / "fundus-eval" / "html").glob("*.html.gz"))]
    return pages


def with_paragraph(page: bytes, marker: str) -> bytes:
    """The page with one more paragraph of its own, inserted after the first paragraph."""
    extra = f"<p>{html.escape(marker)}: this edition adds a paragraph of its own to the report.</p>".encode()
    cut = page.find(b"</p>")
    return page[: cut + 4] + extra + page[cut + 4 :] if cut != -1 else page + extra


class FakeWeb:
    """One event loop in a thread of its own serves every outlet: the fake web should take as little
    as it can of the cores it shares with the monitor (0.75 CPU-seconds for the default run's
    2,104 requests; a thread per connection took 1.05)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def serve(self, outlet: Outlet, address: str) -> int:
        """Listen on `address` for `outlet`; the port."""
        started = self.loop.create_server(lambda: _Http(outlet, self.loop), address, 0)
        server = asyncio.run_coroutine_threadsafe(started, self.loop).result()
        return int(server.sockets[0].getsockname()[1])


class _Http(asyncio.Protocol):
    """HTTP/1.1 GET with keep-alive, as news sites serve: enough of it for the monitor's requests."""

    def __init__(self, outlet: Outlet, loop: asyncio.AbstractEventLoop) -> None:
        self.outlet, self.loop = outlet, loop
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
            request, *lines = head.decode("latin-1").split("\r\n")
            path = request.split(" ")[1]
            headers = {name.strip().lower(): value.strip() for name, _, value in (x.partition(":") for x in lines)}
            self.outlet.requests.append(path)
            self.loop.call_later(self.outlet.latency, self.respond, path, headers.get("if-none-match"))

    def respond(self, path: str, if_none_match: str | None) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        body = self.outlet.routes.get(path)
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if body is not None and if_none_match == etag:
            self.transport.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n".encode())
            return
        kind = "application/rss+xml" if path.endswith(".xml") else "text/html"
        status = "200 OK" if body is not None else "404 Not Found"
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nETag: {etag}\r\nContent-Length: {len(body or b'')}\r\n\r\n"
        )
        self.transport.writelines([head.encode(), body or b""])


class Outlet:
    """One outlet on its own loopback address: an RSS feed and its pages."""

    def __init__(self, web: FakeWeb, address: str, latency: float) -> None:
        self.routes: dict[str, bytes] = {}
        self.requests: list[str] = []
        self.latency = latency
        self.base = f"http://{address}:{web.serve(self, address)}"

    def publish(self, pages: list[tuple[str, bytes]]) -> None:
        now = datetime(2024, 11, 20, tzinfo=UTC)
        items = []
        for n, (path, body) in enumerate(pages):
            self.routes[path] = body
            when = format_datetime(now - timedelta(minutes=n))
            items.append(
                f"<item><title>Report {n}</title><link>{self.base}{path}</link><pubDate>{when}</pubDate></item>"
            )
        self.routes["/feed.xml"] = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title>'
            + "".join(items)
            + "</channel></rss>"
        ).encode()


def run_once(config: Path, database: str, report: Path, profile: str | None = None) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "MONITOR_DATABASE_URL": database}
    started = time.perf_counter()
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    subprocess.run(
        [
            sys.executable,
            *profiler,
            "-m",
            "monitor",
            "--log-level",
            "ERROR",
            "run",
            "--once",
            "--config",
            str(config),
            "--report",
            str(report),
        ],
        env=env,
        check=True,
    )
    return time.perf_counter() - started, json.loads(report.read_text())


def busy_seconds() -> float:
    """Core-seconds the machine has spent busy since boot (/proc/stat): everything, the fork
    server and the workers included, whatever their parent reports."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@contextmanager
def fresh_database(tmp: str, postgres: str | None) -> Iterator[str]:
    """A SQLite file in `tmp`, or a new database on the PostgreSQL server of `postgres` (an admin URL),
    dropped afterwards."""
    if not postgres:
        yield f"sqlite:///{tmp}/bench.db"
        return
    name = f"monitor_bench_{uuid.uuid4().hex[:12]}"
    admin = postgres.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prefill(database: str, count: int) -> None:
    from bench.dedup_scale import load
    from monitor.store import open_store

    store = open_store(database)
    load(store, 0, count, np.random.default_rng(5))
    store.close()


def show(title: str, wall: float, report: dict[str, Any]) -> None:
    print(
        f"{title}: {wall:.2f} s wall for the command ({report['wall_seconds']:.2f} s in the run), "
        f"{report['articles_stored']} articles stored, {report['articles_per_second']} articles/s in the run"
    )
    print("  stage seconds:", ", ".join(f"{k} {v}" for k, v in report["stage_seconds"].items()))
    print(
        f"  articles written in {report['store_transactions']} transactions; "
        f"{report['connections_opened']} connections opened"
    )
    print("  requests:", ", ".join(f"{k} {v}" for k, v in report["requests"].items()) or "none")
    print(f"  CPU seconds: main process {report['cpu_seconds']['main']}, workers {report['cpu_seconds']['workers']}")
    rss = report["peak_rss_mb"]
    print(f"  peak RSS: main {rss['main']} MB, largest worker {rss['largest_worker']} MB")


HOST_INTERVAL = 1.0  # the shipped fetch.host_interval


def polite(config: Path, database: str, tmp: Path, outlets: list[Outlet]) -> None:
    """One run with the shipped spacing; the bound is the busiest site's requests, 1 s apart."""
    wall, report = run_once(config, database, tmp / "polite.json")
    show("polite run", wall, report)
    busiest = max(len(o.requests) for o in outlets)
    bound = (busiest - 1) * HOST_INTERVAL
    print(
        f"  busiest site: {busiest} requests, so at least {bound:.0f} s at {HOST_INTERVAL:g} s apart; "
        f"the run took {wall:.1f} s: {wall / bound:.2f}x the bound"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--prefill", type=int, default=0)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server (admin URL) to run on, in a fresh database, not SQLite"
    )
    parser.add_argument("--small", action="store_true", help="CI: 30 pages, 1 copy, 3 outlets")
    parser.add_argument(
        "--polite",
        action="store_true",
        help="the shipped 1 s between requests to one site: the run against its bound (the busiest site's requests)",
    )
    parser.add_argument("--profile", help="write a cProfile of the first run's main process here")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    if not (CORPUS / "aeb").is_dir():
        print("../shared/corpus is not present: nothing to measure")
        return
    originals = real_pages()
    if args.small:
        originals, args.copies, args.outlets = originals[:30], 1, 3
    rng = random.Random(1)
    published = [
        (f"/news/{c}/{n}-{rng.randrange(10**6)}", with_paragraph(page, f"Edition {c} of report {n}"))
        for c in range(args.copies)
        for n, page in enumerate(originals)
    ]
    web = FakeWeb()
    outlets = [Outlet(web, f"127.0.0.{2 + k}", args.latency_ms / 1000) for k in range(args.outlets)]
    for k, outlet in enumerate(outlets):
        outlet.publish(published[k :: args.outlets])
    print(
        f"{len(published)} article pages ({len(originals)} real pages x {args.copies}) on {len(outlets)} outlets, "
        f"{args.latency_ms:g} ms latency per request; database: {'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    with tempfile.TemporaryDirectory() as tmp, fresh_database(tmp, args.postgres) as database:
        config = Path(tmp) / "monitor.toml"
        sources = "".join(
            f'[[sources]]\nname = "outlet-{k}"\nurl = "{o.base}/feed.xml"\n\n' for k, o in enumerate(outlets)
        )
        spacing = '"1s"' if args.polite else "0"
        config.write_text(
            f'topics_file = "{TOPICS}"\n[service]\nmax_new_per_source = 100000\n'
            f"[fetch]\nper_host = {2 if args.polite else 4}\nhost_interval = {spacing}\n\n"
            f"{sources}"
        )
        if args.polite:
            polite(config, database, Path(tmp), outlets)
            return
        if args.prefill:
            started = time.perf_counter()
            prefill(database, args.prefill)
            print(f"prefilled {args.prefill:,} articles in {time.perf_counter() - started:.1f} s")
        yardstick = [page for _, page in published[: len(originals)]]
        # Measured on both sides of the run: the machine drifts.
        before, ceiling_before = reference.rates(yardstick), reference.ceiling(yardstick)
        web_cpu, machine = time.process_time(), busy_seconds()
        wall, first = run_once(config, database, Path(tmp) / "first.json", args.profile)
        machine, web_cpu = busy_seconds() - machine, time.process_time() - web_cpu
        show("first run", wall, first)
        # The fake web runs on the same cores: what it took is not the monitor's, but it slows it.
        print(
            f"  CPU seconds of the fake web (this process): {web_cpu:.2f}; the whole machine was busy "
            f"{machine:.1f} of {wall * (os.cpu_count() or 1):.1f} core-seconds during the command"
        )
        after, ceiling_after = reference.rates(yardstick), reference.ceiling(yardstick)
        stored = max(1, first["articles_stored"])
        print(
            f"  CPU per article: workers {first['cpu_seconds']['workers'] / stored * 1000:.1f} ms, "
            f"main process {first['cpu_seconds']['main'] / stored * 1000:.1f} ms (start-up included), "
            f"fake web {web_cpu / stored * 1000:.1f} ms"
        )
        print(
            "extraction alone, one process, on the first copy of every page "
            "(pages/s before the run, after it; the ratio is to the faster):"
        )
        for title, rate in ((title, max(before[title], after[title])) for title in before):
            print(
                f"  {title}: {before[title]:.1f}, {after[title]:.1f} pages/s; pipeline / this: "
                f"{first['articles_per_second'] / rate:.2f}x in the run, "
                f"{first['articles_stored'] / wall / rate:.2f}x for the whole command"
            )
        top = max(ceiling_before, ceiling_after)
        print(
            f"the workers' own job alone (monitor.worker.prepare: extraction, fingerprints) in {os.cpu_count()} "
            f"processes at once, the most these cores give for it: {ceiling_before:.1f}, {ceiling_after:.1f} pages/s; "
            f"pipeline / this: {first['articles_per_second'] / top:.2f}x in the run"
        )
        print(f"per-article cost: {wall / stored * 1000:.1f} ms (whole command)")
        served = {o.base: len(o.requests) for o in outlets}
        wall2, second = run_once(config, database, Path(tmp) / "second.json")
        show("second run (nothing new)", wall2, second)
        pages = sum(1 for o in outlets for p in o.requests[served[o.base] :] if p.startswith("/news/"))
        print(f"  article pages fetched: {pages}; wall time {wall2 / wall * 100:.1f} % of the first run's")


if __name__ == "__main__":
    main()
