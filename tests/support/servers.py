"""Real local servers for the tests: a fake news web, a webhook receiver, an SMTP sink."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@contextmanager
def _serving(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class FakeWeb:
    """Serves registered paths on 127.0.0.1 with ETag support; records every request.

    `handle` registers a function that writes the whole answer itself (for misbehaving
    servers); `arrivals` holds the monotonic time each request arrived.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.handlers: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"

    def handle(self, path: str, handler: Callable[[BaseHTTPRequestHandler], None]) -> None:
        with self.lock:
            self.handlers[path] = handler

    def add(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        with self.lock:
            self.routes[path] = Route(body, status, content_type, headers or {})

    def paths_requested(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.requests]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                with web.lock:
                    web.arrivals.append(time.monotonic())
                    web.requests.append((self.path, dict(self.headers)))
                    route = web.routes.get(self.path.split("?")[0])
                    special = web.handlers.get(self.path.split("?")[0])
                if special is not None:
                    special(self)
                    return
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    self.wfile.write(b"<html><body><h1>Not found</h1></body></html>")
                    return
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if route.status == 200 and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.send_header("ETag", etag)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(route.body)

        return Handler

    @contextmanager
    def running(self) -> Iterator[FakeWeb]:
        with _serving(self.server):
            yield self


class WebhookReceiver:
    """Records POSTs; answers with the next status of `script`, then with `status`.

    `delay` seconds pass between reading a request (it is recorded then) and answering it,
    like a slow endpoint; `headers` are added to every answer.
    """

    def __init__(
        self,
        status: int = 200,
        *,
        script: list[int] | None = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.script = list(script or [])
        self.delay = delay
        self.headers = headers or {}
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.event = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.posts.append((dict(self.headers), body))
                    status = receiver.script.pop(0) if receiver.script else receiver.status
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for key, value in receiver.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.event.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def payloads(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for _, body in self.posts]

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        with _serving(self.server):
            yield self


class _Collect:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.port = 0  # set by smtp_sink
        self.logged_in: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_sink(login: tuple[str, str] | None = None, port: int | None = None) -> Iterator[_Collect]:
    """A real SMTP server (aiosmtpd) on a free loopback port; `.port` is set on the collector.

    With `login`, the server requires AUTH with that user and password (over plain TCP: the
    test has no certificate) and records the user that logged in as `.logged_in`.
    """
    handler = _Collect()
    if port is None:
        with socket.socket() as probe:  # aiosmtpd needs a concrete port: ask the OS for a free one
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    extra: dict[str, Any] = {}
    if login is not None:

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = (data.login.decode(), data.password.decode()) == login
            if ok:
                handler.logged_in = data.login.decode()
            return AuthResult(success=ok)

        extra = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


def body_of(message: EmailMessage, subtype: str) -> str:
    """The text of the message's `subtype` ("plain" or "html") part."""
    part = message.get_body((subtype,))
    assert part is not None, f"no {subtype} part"
    return str(part.get_content())
