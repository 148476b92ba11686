"""A small WebSub hub for the tests: takes subscriptions, verifies the subscriber's intent the way
the W3C Recommendation says, and distributes content signed with the subscriber's secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx


@dataclass
class Subscriber:
    callback: str
    topic: str
    secret: str
    verified: bool = False


class Hub:
    def __init__(self, lease_seconds: int = 3600) -> None:
        self.lease_seconds = lease_seconds
        self.subscribers: dict[str, Subscriber] = {}  # by callback
        self.requests: list[dict[str, str]] = []
        self.event = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                form = {
                    k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()
                }
                hub.requests.append(form)
                self.send_response(202)  # §5.1: accepted; the verification follows
                self.end_headers()
                threading.Thread(target=hub._verify, args=(form,), daemon=True).start()

        return Handler

    def _verify(self, form: dict[str, str]) -> None:
        """§5.3: GET the callback with a challenge; the subscription holds only if it is echoed."""
        challenge = secrets.token_hex(8)
        query = {
            "hub.mode": form["hub.mode"],
            "hub.topic": form["hub.topic"],
            "hub.challenge": challenge,
            "hub.lease_seconds": str(self.lease_seconds),
        }
        answer = httpx.get(f"{form['hub.callback']}?{urlencode(query)}", timeout=10)
        subscriber = Subscriber(form["hub.callback"], form["hub.topic"], form.get("hub.secret", ""))
        subscriber.verified = answer.status_code // 100 == 2 and answer.text == challenge
        self.subscribers[subscriber.callback] = subscriber
        self.event.set()

    def publish(self, topic: str, content: bytes, *, sign: str | None = "right") -> list[int]:
        """§7: POST the content to every verified subscriber of the topic; their status codes."""
        statuses = []
        for subscriber in list(self.subscribers.values()):
            if subscriber.topic != topic or not subscriber.verified:
                continue
            headers = {"Content-Type": "application/rss+xml"}
            if sign is not None:
                key = subscriber.secret if sign == "right" else "not-the-secret"
                headers["X-Hub-Signature"] = "sha256=" + hmac.new(key.encode(), content, hashlib.sha256).hexdigest()
            statuses.append(httpx.post(subscriber.callback, content=content, headers=headers, timeout=10).status_code)
        return statuses

    @contextmanager
    def running(self) -> Iterator[Hub]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
