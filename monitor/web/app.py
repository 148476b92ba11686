"""Routes: the JSON API (contract in the README), /healthz, /metrics and the HTML pages."""

from __future__ import annotations

import time
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.alerts.render import highlight
from monitor.domain import Evidence
from monitor.errors import FetchError, StoreError
from monitor.web.console import Console

PAGE_LIMIT = 50
MAX_LIMIT = 500


def _limit(request: Request, default: int = 20) -> int:
    try:
        return max(1, min(int(request.query_params.get("limit", default)), MAX_LIMIT))
    except ValueError:
        return default


class _Api:
    """The JSON API, /healthz and /metrics."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def healthz(self, _: Request) -> JSONResponse:
        status, body = self.console.health()
        return JSONResponse(body, status_code=status)

    def metrics(self, _: Request) -> Response:
        return Response(self.console.metrics.text(), media_type="text/plain; version=0.0.4; charset=utf-8")

    def sources(self, _: Request) -> JSONResponse:
        return JSONResponse(self.console.sources())

    def stories(self, request: Request) -> JSONResponse:
        return JSONResponse(self.console.stories(_limit(request)))

    def alerts(self, request: Request) -> JSONResponse:
        return JSONResponse(self.console.alerts(_limit(request)))

    def retry(self, request: Request) -> JSONResponse:
        count = self.console.retry(request.path_params["alert_id"])
        if count is None:
            return JSONResponse({"error": "no such alert"}, status_code=404)
        return JSONResponse({"id": request.path_params["alert_id"], "due_again": count})

    async def test(self, request: Request) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        if not isinstance(body, dict) or not (body.get("text") or body.get("url")):
            return JSONResponse({"error": 'give {"text": ..., "title": ...} or {"url": ...}'}, status_code=400)
        fields = {k: str(body.get(k, "")) for k in ("title", "text", "url")}
        try:
            return JSONResponse(await self.console.test_topics(**fields))
        except FetchError as exc:
            return JSONResponse({"error": f"cannot fetch {exc.url}: {exc.reason}"}, status_code=422)


class _WebSub:
    """The hubs' callback (W3C WebSub §5.3 verification, §7 content distribution)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def verify(self, request: Request) -> Response:
        status, body = self.console.websub_verify(request.path_params["token"], dict(request.query_params))
        return PlainTextResponse(body, status_code=status)

    async def push(self, request: Request) -> Response:
        body = await request.body()
        status = self.console.websub_push(
            request.path_params["token"],
            body,
            request.headers.get("X-Hub-Signature"),
            request.headers.get("Content-Type", "application/xml"),
        )
        return PlainTextResponse("", status_code=status)


class _Pages:
    """The HTML console: overview, sources, stories, alerts (with retry), topic test."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.env = Environment(loader=PackageLoader("monitor.web", "templates"), autoescape=select_autoescape(["html"]))

    def render(self, name: str, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.env.get_template(name).render(**context))

    def index(self, _: Request) -> HTMLResponse:
        status, health = self.console.health()
        healthy = status == 200
        sources = self.console.sources() if healthy else []
        return self.render(
            "index.html",
            health=health,
            healthy=healthy,
            sources=sorted(sources, key=lambda s: s["last_poll"] or "", reverse=True),
            alerts=self.console.alerts(10) if healthy else [],
        )

    def sources(self, _: Request) -> HTMLResponse:
        return self.render("sources.html", sources=self.console.sources())

    def stories(self, request: Request) -> HTMLResponse:
        return self.render("stories.html", stories=self.console.stories(_limit(request, PAGE_LIMIT)))

    def alerts(self, request: Request) -> HTMLResponse:
        alerts = self.console.alerts(_limit(request, PAGE_LIMIT))
        return self.render("alerts.html", alerts=alerts, retried=request.query_params.get("retried"))

    def retry(self, request: Request) -> Response:
        alert_id = request.path_params["alert_id"]
        if self.console.retry(alert_id) is None:
            return HTMLResponse("no such alert", status_code=404)
        return RedirectResponse(f"/alerts?retried={alert_id}", status_code=303)

    async def topics(self, request: Request) -> HTMLResponse:
        form = await request.form() if request.method == "POST" else {}
        fields = {k: str(form.get(k, "")) for k in ("title", "text", "url")}
        results, error = None, None
        if fields["text"] or fields["url"]:
            try:
                results = await self.console.test_topics(**fields)
            except FetchError as exc:
                error = f"cannot fetch {exc.url}: {exc.reason}"
        marked = {r["topic"]: _marked(r["evidence"]) for r in results or []}
        return self.render("topics.html", fields=fields, results=results, marked=marked, error=error)


async def _store_down(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": f"database unavailable: {exc}"}, status_code=503)


def build_app(console: Console) -> Starlette:
    api, pages, websub = _Api(console), _Pages(console), _WebSub(console)
    routes = [
        Route("/healthz", api.healthz),
        Route("/metrics", _threaded(api.metrics)),
        Route("/api/sources", api.sources),
        Route("/api/stories", api.stories),
        Route("/api/alerts", api.alerts),
        Route("/api/alerts/{alert_id}/retry", api.retry, methods=["POST"]),
        Route("/api/topics/test", api.test, methods=["POST"]),
        Route("/", pages.index),
        Route("/sources", pages.sources),
        Route("/stories", pages.stories),
        Route("/alerts", pages.alerts),
        Route("/alerts/{alert_id}/retry", pages.retry, methods=["POST"]),
        Route("/topics", pages.topics, methods=["GET", "POST"]),
        Route("/websub/{token}", websub.verify, methods=["GET"]),
        Route("/websub/{token}", websub.push, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={StoreError: _store_down})
    app.add_middleware(ServerTiming)
    return app


def _threaded(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(handler, request)

    return endpoint


def _marked(evidence: list[dict[str, Any]]) -> list[Markup]:
    """Each sentence of the evidence once, escaped, with its hits marked."""
    by_sentence: dict[str, list[Evidence]] = {}
    for e in evidence:
        by_sentence.setdefault(e["sentence"], []).append(Evidence(e["term"], e["sentence"], e["start"], e["end"]))
    return [highlight(sentence, hits) for sentence, hits in by_sentence.items()]


class ServerTiming:
    """`Server-Timing: app;dur=N` on every answer: the time the service spent on it (milliseconds)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message.setdefault("headers", []).append((b"server-timing", f"app;dur={took:.1f}".encode()))
            await send(message)

        await self.app(scope, receive, timed)
