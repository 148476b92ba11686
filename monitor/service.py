"""Composition root: builds every part from the settings, runs, and shuts down cleanly.

The only module that reads the real clock and installs signal handlers.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from uuid import uuid4

import httpx

from monitor._workers import Workers
from monitor.alerts import DeliveryPolicy, Metrics, Renderer, build_channels, deliver_pending, send_digest
from monitor.configured import channels_for, check_channel_topics, delivery_gaps, fetch_options, load_topics
from monitor.domain import Fetched, Rejected
from monitor.errors import FetchError
from monitor.extract import extract_page
from monitor.fetch import Fetcher, make_client
from monitor.filing import Filer
from monitor.guard import GuardedTransport
from monitor.jobs import Jobs
from monitor.pipeline import Stages, poll_source, process_pushed, record_polls
from monitor.report import run_report
from monitor.scheduler import build_scheduler
from monitor.settings import Settings, SourceSettings
from monitor.store import PollRecord, Store, open_store, unavailable
from monitor.stories import Filing, file_batch
from monitor.timing import Timings
from monitor.topics import TopicMatcher
from monitor.web import Console, WebServer, build_app
from monitor.websub import WebSub

log = logging.getLogger("monitor.service")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _websub(
    settings: Settings, client: httpx.AsyncClient, store: Store, clock: Callable[[], datetime]
) -> WebSub | None:
    """WebSub needs a listener for the hubs' callbacks and the address they reach it at."""
    public = settings.service.public_url
    if not public or settings.web is None:
        return None
    return WebSub(client=client, subscriptions=store.subscriptions, public_url=public, clock=clock)


async def read_url(fetcher: Fetcher, url: str) -> tuple[str, str]:
    """Title and text of one page, for the console's topic test (FetchError when it cannot)."""
    page = await fetcher.get(url)
    if not isinstance(page, Fetched):
        raise FetchError(url, "not modified")
    extracted = await asyncio.to_thread(extract_page, page.content, page.url)
    if isinstance(extracted, Rejected):
        raise FetchError(url, f"no article in the page: {extracted.reason}")
    return extracted.title, extracted.text


@dataclass
class Service:
    settings: Settings
    stages: Stages
    policy: DeliveryPolicy
    workers: Workers
    metrics: Metrics
    transport: GuardedTransport
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}")
    # One delivery loop at a time: the delivery job and a poll that wrote alerts both deliver, and
    # side by side they would have two sends in flight, both repeated if the process dies then.
    delivering: asyncio.Lock = field(default_factory=asyncio.Lock)
    sending: set[asyncio.Task[None]] = field(default_factory=set)  # deliveries started by a poll

    @property
    def store(self) -> Store:
        return self.stages.store

    @property
    def sources(self) -> list[SourceSettings]:
        return [s for s in self.settings.sources if s.enabled]

    async def poll(self, sources: list[SourceSettings], *, due_only: bool = True) -> int:
        """Poll the sources this instance could lease (due ones, unless `due_only` is off)."""
        taken = set(
            self.store.claims.sources(
                [s.name for s in sources],
                holder=self.holder,
                now=self.stages.clock(),
                lease=self.settings.service.claim_lease,
                due_only=due_only,
            )
        )
        chosen = [s for s in sources if s.name in taken]
        states, waiting = self.store.sources.states(taken), self.store.backlog.sizes()
        records: list[PollRecord] = []  # what the round's polls left: written in one transaction
        stages = replace(self.stages, poll_records=records)
        try:
            reports = await asyncio.gather(
                *(poll_source(s, stages, state=states.get(s.name), waiting=waiting.get(s.name, 0)) for s in chosen)
            )
        finally:
            record_polls(self.store, records)
        return sum(r.alerts for r in reports)

    async def deliver(self) -> None:
        async with self.delivering:
            await deliver_pending(
                self.store, self.stages.channels, clock=self.stages.clock, policy=self.policy, metrics=self.metrics
            )

    def digest(self, name: str) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            channel = self.stages.channels[name]
            await send_digest(self.store, channel, clock=self.stages.clock, policy=self.policy, metrics=self.metrics)

        return job

    async def run_once(self) -> None:
        """Every source once, then pending alerts with a few short in-run retries."""
        await self.poll(self.sources, due_only=False)  # workers start with the first new page, if any
        with self.stages.timings.measure("deliver"):
            await self._deliver_with_retries()

    async def _deliver_with_retries(self) -> None:
        far = self.stages.clock() + timedelta(days=3650)
        for attempt in range(self.settings.service.once_delivery_attempts):
            report = await deliver_pending(
                self.store,
                self.stages.channels,
                clock=self.stages.clock,
                policy=self.policy,
                due_before=far,
                metrics=self.metrics,
            )
            if report.failed == 0:
                break
            if attempt + 1 < self.settings.service.once_delivery_attempts:
                await asyncio.sleep(0.5 * 2**attempt)

    def console(self) -> Console:
        return Console(
            store=self.store,
            matcher=self.stages.matcher,
            metrics=self.metrics,
            clock=self.stages.clock,
            read_url=partial(read_url, self.stages.fetcher),
            warnings=tuple(delivery_gaps(self.settings, self.stages.matcher.book)),
            websub=self.stages.websub,
            on_push=self.on_push,
        )

    def on_push(self, source: str, content: bytes, content_type: str) -> None:
        """A hub pushed a source's feed: its new articles now, and their alerts delivered at once."""
        chosen = next((s for s in self.sources if s.name == source), None)
        if chosen is None:
            return

        async def take() -> None:
            report = await process_pushed(chosen, content, content_type, self.stages)
            if report.alerts:
                await self._deliver_now()

        task = asyncio.create_task(take())
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    def web_server(self) -> WebServer | None:
        web = self.settings.web
        if web is None:
            return None
        return WebServer(build_app(self.console()), web.host, web.port, config_file=self.settings.config_path)

    @staticmethod
    def listening(web: WebServer | None) -> str:
        return "none" if web is None else f"http://{web.host}:{web.port}/"

    async def tick(self) -> None:
        """Poll the sources whose due time has come; if that made alerts, deliver them at once, beside
        the next polls rather than before them (a slow channel never delays a poll)."""
        if await self.poll(self.sources):
            task = asyncio.create_task(self._deliver_now())
            self.sending.add(task)
            task.add_done_callback(self.sending.discard)

    async def _deliver_now(self) -> None:
        try:
            await self.deliver()
        except Exception as exc:  # the delivery job tries again; a lost database is its to report
            if unavailable(exc) is None:
                log.exception("delivery failed", extra={"stage": "deliver", "action": "error"})

    async def run_forever(self, stop: asyncio.Event) -> None:
        intervals = [s.interval or self.settings.service.interval for s in self.sources] or [60.0]
        # The tick is a tenth of the shortest interval: an article waits at most that beyond its due poll.
        poll_every = min(30.0, max(0.1, min(intervals) / 10))
        jobs = Jobs(self.stages.clock, self.store.views.ping)
        tracked = jobs.wrap

        scheduler = build_scheduler(
            poll=tracked(self.tick),
            deliver=tracked(self.deliver),
            poll_every=poll_every,
            deliver_every=self.settings.service.deliver_interval,
            start_at=self.stages.clock(),
            digests=[
                (c.name, tracked(self.digest(c.name)), c.mode, c.timezone)
                for c in self.settings.channels
                if c.enabled and c.is_digest
            ],
        )
        await self.workers.warm()
        web = self.web_server()
        if web is not None:
            await web.start()
        scheduler.start()
        log.info(
            "service started",
            extra={"stage": "service", "action": "start", "sources": len(self.sources), "web": self.listening(web)},
        )
        await stop.wait()
        scheduler.pause()  # no new jobs; those running finish, so their work is recorded
        await jobs.drain()
        await asyncio.gather(*self.sending, return_exceptions=True)
        scheduler.shutdown(wait=False)
        if web is not None:
            await web.stop()
        log.info("service stopped", extra={"stage": "service", "action": "stop"})


@asynccontextmanager
async def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> AsyncIterator[Service]:
    book = load_topics(settings)
    check_channel_topics(settings, book)
    store = open_store(settings.database.url)
    for gap in delivery_gaps(settings, book):  # after the database: its error, if any, is the one line
        log.warning(gap, extra={"stage": "service", "action": "no-channel"})
    store.sources.sync((s.name, s.url) for s in settings.sources)
    options = fetch_options(settings)
    workers = Workers(settings.service.extract_workers)
    transport = GuardedTransport()
    metrics = Metrics()
    metrics.read_totals(store.views.totals)
    try:
        async with make_client(options, transport) as client:
            channels = build_channels(settings.channels, client, clock, Renderer(settings.templates_path()))
            matcher, timings = TopicMatcher(book), Timings()
            # Group commit: articles ready at about the same time are written in one transaction.
            filer: Filer[Filing, int | None] = Filer(
                partial(
                    file_batch,
                    store=store,
                    topics=matcher.topics,
                    channels_for=channels_for(settings),
                    clock=clock,
                    timings=timings,
                )
            )
            stages = Stages(
                store=store,
                fetcher=Fetcher(client, options, robots_cache=store.sites, clock=clock),
                workers=workers,
                matcher=matcher,
                channels=channels,
                clock=clock,
                filer=filer,
                timings=timings,
                service=settings.service,
                operators=tuple(c.name for c in settings.channels if c.enabled and c.operator),
                metrics=metrics,
                websub=_websub(settings, client, store, clock),
            )
            service = settings.service
            policy = DeliveryPolicy(
                attempts=service.delivery_attempts,
                backoff=service.retry_backoff,
                max_backoff=service.retry_backoff_max,
                max_age=service.delivery_max_age,
                claim=service.delivery_claim,
            )
            if service.metrics_port is not None:
                metrics.serve(service.metrics_port)
            yield Service(
                settings=settings, stages=stages, policy=policy, workers=workers, metrics=metrics, transport=transport
            )
    finally:
        workers.close()
        store.close()


async def run_console(settings: Settings, listen: tuple[str, int]) -> None:
    """`monitor web`: the console on its own, reading the database of a running service."""
    book = load_topics(settings)
    store = open_store(settings.database.url)
    store.sources.sync((s.name, s.url) for s in settings.sources)
    options = fetch_options(settings)
    try:
        async with make_client(options, GuardedTransport()) as client:
            metrics = Metrics()
            metrics.read_totals(store.views.totals)
            console = Console(
                store=store,
                matcher=TopicMatcher(book),
                metrics=metrics,
                clock=utcnow,
                read_url=partial(read_url, Fetcher(client, options, robots_cache=store.sites, clock=utcnow)),
                warnings=tuple(delivery_gaps(settings, book)),
            )
            server = WebServer(build_app(console), *listen, config_file=settings.config_path)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await server.start()
            log.info("console listening", extra={"stage": "web", "action": "start", "web": Service.listening(server)})
            await stop.wait()
            await server.stop()
    finally:
        store.close()


async def run(settings: Settings, *, once: bool, report: Path | None = None) -> None:
    async with build(settings) as service:
        gc.freeze()  # what start-up loaded (modules, settings, rules) lives as long as we do
        if once:
            before, started, cpu = service.store.count("articles"), time.perf_counter(), time.process_time()
            await service.run_once()
            wall = time.perf_counter() - started
            if report is not None:
                report.write_text(json.dumps(run_report(service, wall=wall, stored_before=before, cpu_before=cpu)))
            return
        stop, loop = asyncio.Event(), asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await service.run_forever(stop)
