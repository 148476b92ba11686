"""Time from publication to webhook receipt, polled and pushed, and the cost of a cycle of 304s.

    python -m bench.freshness [--articles 12] [--seconds 150] [--sources 1000] [--sites 50]

Service mode (`monitor run`): an outlet publishes on-topic articles written here at random moments;
a webhook receiver notes when each alert arrives. Polled: the shipped adaptive range scaled down
60 times (5 s .. 2 min instead of 5 min .. 2 h). Pushed: the feed names a hub (`Link:` header),
which posts the signed feed to the service the moment it changes; polling stays at the slow end.
Then `--sources` feeds on `--sites` loopback sites, all answering 304: the main process's CPU for
one full cycle (`run --once`, host_interval 0: the spacing is waiting, not CPU) and its peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ROOT / "config" / "topics.toml"
FILLER = [
    "harbour",
    "council",
    "bridge",
    "weather",
    "market",
    "grain",
    "festival",
    "library",
    "museum",
    "river",
    "railway",
    "school",
    "orchard",
    "theatre",
    "bakery",
    "stadium",
    "ferry",
    "tram",
    "garden",
    "factory",
    "bicycle",
    "lantern",
    "meadow",
    "quarry",
    "vineyard",
    "workshop",
]


def article(n: int, rng: random.Random) -> tuple[str, str]:
    """An on-topic report of its own: one deployment sentence, then a paragraph no other shares."""
    title = f"Report {n}: North Korean troops sent to the Kursk region"
    filler = " ".join(rng.choice(FILLER) for _ in range(120))
    text = (
        f"Officials said on day {n} that about {1000 + 37 * n} North Korean soldiers had been sent to Russia's "
        f"Kursk region.\n{filler}."
    )
    return title, text


class Web(ThreadingHTTPServer):
    """An outlet (feed with ETag, pages), a webhook receiver, and optionally a hub, on one address."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.lock = threading.Lock()
        self.feeds: dict[str, list[tuple[str, str, str, datetime]]] = {}  # path -> (path, title, text, when)
        self.pages: dict[str, bytes] = {}
        self.received: dict[str, float] = {}  # article URL -> monotonic arrival of its alert
        self.hub: dict[str, Any] | None = None  # the one subscriber: callback, secret, topic
        self.link: str | None = None
        self.feed_requests = 0

    @property
    def base(self) -> str:
        return f"http://{self.server_address[0]!s}:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a kept-alive connection the service drops when it exits is no error worth printing

    def feed_body(self, path: str) -> bytes:
        items = "".join(
            f"<item><title>{html.escape(t)}</title><link>{self.base}{p}</link>"
            f"<pubDate>{format_datetime(w)}</pubDate></item>"
            for p, t, _, w in reversed(self.feeds.get(path, []))
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet</title>{items}</channel></rss>'.encode()

    def publish(self, path: str, title: str, text: str) -> None:
        page = f"/news/{len(self.pages)}"
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
        self.pages[page] = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
            f"<body><article><h1>{html.escape(title)}</h1>{paragraphs}</article></body></html>"
        ).encode()
        with self.lock:
            self.feeds.setdefault(path, []).append((page, title, text, datetime.now(UTC)))
        if self.hub is not None:
            body = self.feed_body(path)
            mac = hmac.new(self.hub["secret"].encode(), body, hashlib.sha256).hexdigest()
            httpx.post(self.hub["callback"], content=body, headers={"X-Hub-Signature": f"sha256={mac}"}, timeout=10)


class _Handler(BaseHTTPRequestHandler):
    server: Web
    protocol_version = "HTTP/1.1"  # keep-alive, as news sites answer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path in self.server.pages:
            self._answer(200, self.server.pages[self.path], {"Content-Type": "text/html; charset=utf-8"})
        elif self.path.endswith(".xml"):
            self.server.feed_requests += 1
            body = self.server.feed_body(self.path)
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, "Content-Type": "application/rss+xml"}
            if self.server.link:
                headers["Link"] = self.server.link
            if self.headers.get("If-None-Match") == etag:
                self._answer(304, b"", headers)  # a 304 has no body (RFC 9110 §15.4.5)
            else:
                self._answer(200, body, headers)
        else:
            self._answer(404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/hook":
            payload = json.loads(body)
            self.server.received.setdefault(payload["article"]["url"], time.monotonic())
            self._answer(204)
        elif self.path == "/hub":  # WebSub §5.1, then the §5.3 verification
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self._answer(202)
            threading.Thread(target=_verify, args=(self.server, form), daemon=True).start()
        else:
            self._answer(404)


def _verify(web: Web, form: dict[str, str]) -> None:
    challenge = secrets.token_hex(8)
    query = {
        "hub.mode": "subscribe",
        "hub.topic": form["hub.topic"],
        "hub.challenge": challenge,
        "hub.lease_seconds": "3600",
    }
    answer = httpx.get(f"{form['hub.callback']}?{urlencode(query)}", timeout=10)
    if answer.text == challenge:
        web.hub = {"callback": form["hub.callback"], "secret": form["hub.secret"], "topic": form["hub.topic"]}


def serve(web: Web) -> None:
    threading.Thread(target=web.serve_forever, daemon=True).start()


def group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in the group (the service and its workers)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_mode(pushed: bool, articles: int, seconds: float, seed: int) -> None:
    rng = random.Random(seed)
    web = Web()
    serve(web)
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        feed = f"{web.base}/feed.xml"
        web.feeds["/feed.xml"] = []
        if pushed:
            web.link = f'<{web.base}/hub>; rel="hub", <{feed}>; rel="self"'
        config = Path(folder) / "monitor.toml"
        config.write_text(
            f'topics_file = "{TOPICS}"\n[web]\nlisten = "127.0.0.1:{port}"\n'
            f'[service]\nmin_interval = "5s"\nmax_interval = "2m"\ninterval = "5s"\ndeliver_interval = "1s"\n'
            + (f'public_url = "http://127.0.0.1:{port}"\n' if pushed else "")
            + '[fetch]\nhost_interval = "1s"\nallow_private = ["127.0.0.1"]\n'
            f'[[sources]]\nname = "outlet"\nurl = "{feed}"\n'
            f'[[channels]]\nname = "hook"\ntype = "webhook"\nurl = "{web.base}/hook"\n'
        )
        env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{folder}/bench.db"}
        service = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--log-level", "WARNING", "run", "--config", str(config)],
            env=env, cwd=folder, start_new_session=True, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while (pushed and web.hub is None) or web.feed_requests == 0:
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not start")
                time.sleep(0.1)
            cpu_before, started = group_cpu(service.pid), time.monotonic()
            moments = sorted(rng.uniform(0, seconds) for _ in range(articles))
            sent: dict[str, float] = {}
            for n, moment in enumerate(moments):
                time.sleep(max(0.0, started + moment - time.monotonic()))
                title, text = article(n + 100 * pushed, rng)
                at = time.monotonic()  # the article appears in the feed now (and is pushed to the hub)
                web.publish("/feed.xml", title, text)
                sent[f"{web.base}/news/{len(web.pages) - 1}"] = at
            deadline = time.monotonic() + 180
            while len(web.received) < articles and time.monotonic() < deadline:
                time.sleep(0.2)
            cpu = group_cpu(service.pid) - cpu_before
            wall = time.monotonic() - started
            interval = _poll_interval(Path(folder) / "bench.db")
        finally:
            os.killpg(service.pid, signal.SIGTERM)
            service.wait(timeout=60)
    delays = sorted(web.received[url] - at for url, at in sent.items() if url in web.received)
    mode = "pushed (WebSub)" if pushed else "polled (adaptive 5 s .. 2 min)"
    if not delays:
        print(f"{mode}: no alert arrived")
        return
    p95 = delays[min(len(delays) - 1, int(0.95 * len(delays)))]
    print(
        f"{mode}: {len(delays)}/{articles} alerts; publication to webhook p50 {statistics.median(delays):.1f} s, "
        f"p95 {p95:.1f} s, max {delays[-1]:.1f} s; poll interval at the end {interval}; "
        f"service CPU {cpu:.1f} s over {wall:.0f} s"
    )


def _poll_interval(database: Path) -> str:
    import sqlite3

    with sqlite3.connect(database) as db:
        (seconds,) = db.execute("SELECT poll_interval FROM sources").fetchone()
    return "none" if seconds is None else f"{seconds:.0f} s"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cycle(sources: int, sites: int) -> None:
    webs = [Web(f"127.0.0.{2 + k}") for k in range(sites)]
    for web in webs:
        serve(web)
    feeds = [(webs[k % sites], f"/feed-{k}.xml") for k in range(sources)]
    for web, path in feeds:
        web.feeds[path] = []
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "monitor.toml"
        listed = "".join(f'[[sources]]\nname = "s{k}"\nurl = "{w.base}{p}"\n' for k, (w, p) in enumerate(feeds))
        config.write_text(
            f'topics_file = "{TOPICS}"\n[fetch]\nhost_interval = 0\nper_host = 4\nconcurrency = 32\n{listed}'
        )
        env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{folder}/cycle.db"}
        reports = []
        for run in ("first", "second"):
            report = Path(folder) / f"{run}.json"
            started = time.perf_counter()
            profile = (
                ["-m", "cProfile", "-o", os.environ["PROFILE"]] if run == "second" and "PROFILE" in os.environ else []
            )
            subprocess.run(
                [sys.executable, *profile, "-m", "monitor", "--log-level", "ERROR", "run", "--once", "--config",
                 str(config), "--report", str(report)],
                env=env, cwd=folder, check=True,
            )  # fmt: skip
            reports.append((json.loads(report.read_text()), time.perf_counter() - started))
    (second, wall) = reports[1]
    cpu, cycle_cpu = second["cpu_seconds"]["main"], second["cpu_seconds"]["main_in_the_run"]
    print(
        f"{sources} sources on {sites} sites, all answering 304: one cycle took {wall:.1f} s; main process CPU "
        f"{cpu:.2f} s ({cpu / sources * 1000:.2f} ms a poll, start-up included), {cycle_cpu:.2f} s in the cycle "
        f"itself ({cycle_cpu / sources * 1000:.2f} ms a poll); peak RSS "
        f"{second['peak_rss_mb']['main']:.0f} MB; {second['connections_opened']} connections opened"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--only", choices=("polled", "pushed", "cycle"))
    args = parser.parse_args()
    if args.only in (None, "polled"):
        run_mode(False, args.articles, args.seconds, seed=1)
    if args.only in (None, "pushed"):
        run_mode(True, args.articles, args.seconds, seed=2)
    if args.only in (None, "cycle"):
        cycle(args.sources, args.sites)


if __name__ == "__main__":
    main()
