"""The demo's web: one outlet (an RSS feed and its article pages) and a webhook receiver, on 127.0.0.1."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.demo.articles import ARTICLES, DemoArticle


def article_page(article: DemoArticle, published: datetime) -> bytes:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{article.language}"><head><meta charset="utf-8"><title>{html.escape(article.title)} | Demo Outlet</title>
<meta property="article:published_time" content="{published.isoformat()}"></head>
<body><header><a href="/">Demo Outlet</a> <nav><a href="/world/">World</a> <a href="/about">About</a></nav></header>
<main><article><h1>{html.escape(article.title)}</h1>
<time datetime="{published.isoformat()}">{published:%d %B %Y}</time>
{body}
</article></main><footer>© Demo Outlet. Written for the news monitor's demo.</footer></body></html>
""".encode()


def feed(base: str, published: list[tuple[DemoArticle, datetime]]) -> bytes:
    items = "\n".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base}/news/{a.slug}</link>"
        f"<guid>{base}/news/{a.slug}</guid><pubDate>{format_datetime(when)}</pubDate></item>"
        for a, when in published
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Demo Outlet</title><link>{base}/</link><description>Demo</description>
{items}
</channel></rss>
""".encode()


class Outlet(ThreadingHTTPServer):
    """Serves /feed.xml and /news/SLUG; takes POST /hook as the webhook receiver."""

    daemon_threads = True

    def __init__(self, on_alert: Callable[[dict[str, Any]], None], now: datetime) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.on_alert = on_alert
        self.received: list[dict[str, Any]] = []
        self.articles = [(a, now - timedelta(minutes=10 * i)) for i, a in enumerate(ARTICLES)]

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: Outlet

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the demo prints alerts, not requests

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            self._answer(200, feed(self.server.base, self.server.articles), "application/rss+xml; charset=utf-8")
            return
        for article, when in self.server.articles:
            if self.path == f"/news/{article.slug}":
                self._answer(200, article_page(article, when), "text/html; charset=utf-8")
                return
        self._answer(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        if self.path != "/hook":
            self._answer(404, b"not found", "text/plain")
            return
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        self.server.received.append(payload)
        self.server.on_alert(payload)
        self._answer(204, b"", "text/plain")
