"""Several `monitor` processes on one PostgreSQL database, over the local fake news web: the work
is shared and never repeated, and a lost database is one warning and a recovery (issue 19)."""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.processes import start_service, stop_services, wait_until
from tests.support.servers import FakeWeb, WebhookReceiver

FIRST = ("own-duma-vote", "own-more-troops-ru", "own-harvest-en", "own-in-force-uk")
LATER = ("own-kursk-en", "own-exchange", "own-senate-vote")


def examples(keys: tuple[str, ...]) -> list[dict[str, object]]:
    return [e for e in OWN if e["id"] in keys]


def article_fetches(web: FakeWeb) -> collections.Counter[str]:
    return collections.Counter(p for p in web.paths_requested() if p.startswith("/news/"))


def alert_ids(webhook: WebhookReceiver) -> list[str]:
    return [headers["webhook-id"] for headers, _ in webhook.posts]


def test_three_services_share_the_work_and_repeat_none(
    postgres_url: str, tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    web = NewsWeb(fake_web, [])
    web.outlets = web.outlets[:2]
    for index, example in enumerate(examples(FIRST)):
        web.add(web.outlets[index % 2], example, index)
    web.publish()
    body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port, interval="2s")
    body = body.replace("extract_workers = 2", "extract_workers = 1")
    config = write_config(tmp_path / "monitor.toml", body)
    services = [start_service(config, postgres_url, cwd=tmp_path) for _ in range(3)]
    try:
        wait_until(lambda: len(webhook.posts) >= 3, 120, services)  # 3 of the 4 first articles are on topic
        for index, example in enumerate(examples(LATER)):  # published while they run
            web.add(web.outlets[index % 2], example, 100 + index)
        web.publish()
        wait_until(lambda: len(webhook.posts) >= 6, 60, services)
        time.sleep(5)  # a few more polls by each: nothing new must be fetched or sent again
        feeds = collections.Counter(p for p in fake_web.paths_requested() if p in {o.entry for o in web.outlets})
    finally:
        errors = stop_services(services)
    assert [s.returncode for s in services] == [0, 0, 0], errors
    assert not any("Traceback" in e or " ERROR " in e for e in errors), errors
    fetched = article_fetches(fake_web)
    assert len(fetched) == 7 and set(fetched.values()) == {1}, fetched  # each page fetched once in all
    ids = alert_ids(webhook)
    assert len(ids) == len(set(ids)) == 6, ids  # each alert posted once
    assert sum(1 for e in errors if "polled" in e) >= 2  # the work was shared, not done by one
    # Each feed about once per 2 s interval in all (not three times): the run lasted well under 60 s.
    assert all(count < 45 for count in feeds.values()), feeds


def test_three_once_runs_started_together_on_an_empty_database(
    postgres_url: str, tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    web = NewsWeb(fake_web, examples(FIRST + LATER))
    web.publish()
    config = write_config(
        tmp_path / "monitor.toml", web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    )
    env = {**os.environ, "MONITOR_DATABASE_URL": postgres_url}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--once", "--config", str(config)],
            cwd=tmp_path,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    errors = [run.communicate(timeout=180)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], errors
    assert not any("Traceback" in e for e in errors), errors
    assert set(article_fetches(fake_web).values()) == {1}
    ids = alert_ids(webhook)
    assert len(ids) == len(set(ids))


class Proxy:
    """A TCP relay to PostgreSQL that can be cut: every connection dropped, new ones refused."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def close(self) -> None:
        self.listener.close()
        for connection in self.open:
            connection.close()

    @contextmanager
    def cut(self) -> Iterator[None]:
        self.up.clear()
        for connection in self.open:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.open.clear()
        try:
            yield
        finally:
            self.up.set()


def test_a_lost_database_is_one_warning_and_a_recovery_and_nothing_is_lost(
    postgres_url: str, tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    proxy = Proxy(("127.0.0.1", 5432))
    via_proxy = postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert via_proxy != postgres_url
    web = NewsWeb(fake_web, [])
    web.outlets = web.outlets[:1]
    web.add(web.outlets[0], examples(("own-duma-vote",))[0], 0)
    web.publish()
    body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port, interval="1s")
    config = write_config(tmp_path / "monitor.toml", body)
    assert run_monitor("health", config=config, database_url=via_proxy).code == 0  # migrated
    services = [start_service(config, via_proxy, cwd=tmp_path)]
    try:
        wait_until(lambda: len(webhook.posts) >= 1, 90, services)
        with proxy.cut():
            web.add(web.outlets[0], examples(("own-kursk-en",))[0], 50)  # published during the outage
            web.publish()
            time.sleep(20)
        wait_until(lambda: len(webhook.posts) >= 2, 90, services)  # nothing lost: it comes once the database is back
    finally:
        (errors,) = stop_services(services)
        proxy.close()
    outage = [line for line in errors.splitlines() if "database" in line.lower() or "Traceback" in line]
    assert services[0].returncode == 0, errors
    assert "database unavailable" in errors and "retrying in" in errors and "database available again" in errors
    assert len(outage) <= 5, outage
    assert "Traceback" not in errors


def test_kill_9_of_one_instance_the_others_finish_its_work_within_the_lease(
    postgres_url: str, tmp_path: Path, fake_web: FakeWeb, smtp: Any
) -> None:
    web = NewsWeb(fake_web, [])
    web.outlets = web.outlets[:3]
    for index, example in enumerate(examples(FIRST + LATER)):
        web.add(web.outlets[index % 3], example, index)
    web.publish()
    slow = WebhookReceiver(delay=0.5)  # deliveries in flight when the kill comes
    with slow.running():
        body = web.config(webhook_url=slow.url, secret=SECRET, smtp_port=smtp.port, interval="2s")
        body = body.replace("extract_workers = 2", 'extract_workers = 1\nclaim_lease = "4s"')
        config = write_config(tmp_path / "monitor.toml", body)
        services = [start_service(config, postgres_url, cwd=tmp_path) for _ in range(3)]
        try:
            wait_until(lambda: len(slow.posts) >= 1, 120, services)
            os.killpg(services[0].pid, signal.SIGKILL)  # the service and its workers, like a crashed container
            services[0].communicate(timeout=10)  # reaped, its stderr closed
            survivors = services[1:]
            wait_until(lambda: len({h["webhook-id"] for h, _ in slow.posts}) >= 6, 60, survivors)
            time.sleep(2)  # anything that would still be sent twice arrives now
        finally:
            errors = stop_services(services[1:])
    assert [s.returncode for s in services[1:]] == [0, 0], errors
    assert not any("Traceback" in e for e in errors), errors
    ids = alert_ids(slow)
    repeated = {i for i in ids if ids.count(i) > 1}
    assert len(set(ids)) == 6 and len(repeated) <= 1, ids  # at most the send in flight at the kill
    stored = collections.Counter(p for p in fake_web.paths_requested() if p.startswith("/news/"))
    assert len(stored) == 7  # every page was fetched, by someone
