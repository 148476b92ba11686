"""Several instances on one database: source leases, page claims, delivery claims and migrations,
on real SQLite files and PostgreSQL databases, with real processes where it matters."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.store import open_store
from monitor.store.engine import current_revision, make_engine
from tests.support.store import add_alert

NOW = datetime(2024, 11, 5, 12, tzinfo=UTC)


def test_a_source_is_leased_to_one_instance_until_its_lease_ends(database_url: str) -> None:
    store = open_store(database_url)
    try:
        store.sources.sync([("a", "http://a.test/"), ("b", "http://b.test/")])
        first = store.claims.sources(["a", "b"], holder="one", now=NOW, lease=60)
        second = store.claims.sources(["a", "b"], holder="two", now=NOW, lease=60)
        assert first == ["a", "b"] and second == []
        # "one" died: at the end of its lease "two" takes the sources over.
        later = store.claims.sources(["a", "b"], holder="two", now=NOW + timedelta(seconds=61), lease=60)
        assert later == ["a", "b"]
        store.claims.release_sources(["a"], holder="two")
        assert store.claims.sources(["a", "b"], holder="three", now=NOW + timedelta(seconds=62), lease=60) == ["a"]
    finally:
        store.close()


def test_a_page_is_claimed_once_and_a_stale_claim_taken_over(database_url: str) -> None:
    store = open_store(database_url)
    try:
        page = {"source": "s", "url": "http://x.test/a?utm=1", "canonical_url": "http://x.test/a"}
        assert store.claims.page(**page, now=NOW, lease=60)
        assert not store.claims.page(**page, now=NOW + timedelta(seconds=30), lease=60)
        assert store.pages.known(["http://x.test/a"], stale_claims_before=NOW - timedelta(seconds=60))
        assert not store.pages.known(["http://x.test/a"], stale_claims_before=NOW + timedelta(seconds=1))
        assert store.claims.page(**page, now=NOW + timedelta(seconds=61), lease=60)  # its holder died
        store.claims.release_page("http://x.test/a")
        assert store.claims.page(**page, now=NOW + timedelta(seconds=62), lease=60)
    finally:
        store.close()


def _claim_all(url: str, results: multiprocessing.Queue, start: Any) -> None:  # type: ignore[type-arg]
    store = open_store(url)
    taken: list[int] = []
    start.wait(timeout=60)  # all processes claim from the same moment, whatever their start-up took
    while claimed := store.outbox.claim(NOW, ["hook"], limit=1, hold=600):
        taken.extend(d.id for d in claimed)
    results.put(taken)
    store.close()


def test_deliveries_are_claimed_once_by_processes_side_by_side(database_url: str) -> None:
    store = open_store(database_url)
    for n in range(120):
        add_alert(store, NOW - timedelta(seconds=n), ["hook"], n=n)
    store.close()
    spawn = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = spawn.Queue()  # type: ignore[type-arg]
    start = spawn.Barrier(3)
    workers = [spawn.Process(target=_claim_all, args=(database_url, results, start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    taken = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    every = [d for each in taken for d in each]
    assert len(every) == len(set(every)) == 120  # each claimed by exactly one process
    assert sum(1 for each in taken if each) >= 2  # and they did share the work


def _open(url: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        open_store(url).close()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_instances_starting_together_migrate_an_empty_database_once(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    starting = [context.Process(target=_open, args=(database_url, results)) for _ in range(4)]
    for process in starting:
        process.start()
    outcomes = [results.get(timeout=120) for _ in starting]
    for process in starting:
        process.join(timeout=30)
    assert outcomes == ["ok"] * 4
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is not None
    finally:
        engine.dispose()
