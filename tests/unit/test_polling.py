"""The pure functions of polling: the next interval, health, and what a poll concludes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.domain import SourceState
from monitor.polling import Cadence, Health, HealthPolicy, after_poll, conclude, health, next_interval, publishing_gap

NOW = datetime(2024, 11, 5, 12, 0, tzinfo=UTC)
CADENCE = Cadence(fixed=None, first=600.0, minimum=300.0, maximum=7200.0)
POLICY = HealthPolicy(stale_after=4.0, failing_after=3, blocked_after=2)


def test_the_interval_follows_the_publishing_gap_within_bounds() -> None:
    assert next_interval(CADENCE, gap=None, previous=None) == 600.0  # nothing known: the first interval
    assert next_interval(CADENCE, gap=1200.0, previous=600.0) == 1200.0
    assert next_interval(CADENCE, gap=10.0, previous=600.0) == 300.0  # never below the minimum
    assert next_interval(CADENCE, gap=86400.0, previous=600.0) == 7200.0  # nor above the maximum
    assert next_interval(CADENCE, gap=None, previous=900.0) == 900.0  # no gap: keep the last one


def test_failures_double_the_wait_up_to_the_maximum_and_a_server_hint_is_respected() -> None:
    assert [next_interval(CADENCE, gap=600.0, previous=600.0, errors=n) for n in (1, 2, 3, 6)] == [
        600.0,
        1200.0,
        2400.0,
        7200.0,
    ]
    assert next_interval(CADENCE, gap=600.0, previous=600.0, server_hint=3600.0) == 3600.0
    assert next_interval(CADENCE, gap=600.0, previous=600.0, server_hint=86400.0) == 7200.0


def test_publishing_gap_is_the_mean_gap_of_the_last_week() -> None:
    items = [NOW - timedelta(hours=h) for h in (1, 2, 3, 4)]
    assert publishing_gap(items, NOW) == 4 * 3600 / 4
    assert publishing_gap([NOW, None], NOW) is None  # fewer than two dated items
    assert publishing_gap([NOW - timedelta(days=9), NOW - timedelta(days=10)], NOW) is None  # older than a week


def test_health_from_what_polls_saw() -> None:
    ok = SourceState("s", read_ok=True, last_new_at=NOW - timedelta(hours=1), publish_gap=3600.0)
    assert health(ok, NOW, POLICY, 300.0) is Health.OK
    assert health(ok, NOW + timedelta(hours=5), POLICY, 300.0) is Health.STALE  # 4 x the usual gap, and more
    assert health(after_poll(ok, now=NOW, failed=True), NOW, POLICY, 300.0) is Health.OK  # one failure is noise
    failing = SourceState("s", read_ok=True, error_count=3)
    assert health(failing, NOW, POLICY, 300.0) is Health.FAILING
    assert health(SourceState("s", error_count=1), NOW, POLICY, 300.0) is Health.FAILING  # never read, failing
    refused = after_poll(after_poll(ok, now=NOW, failed=True, error_status=403), now=NOW, failed=True, error_status=429)
    assert health(refused, NOW, POLICY, 300.0) is Health.BLOCKED


def test_a_poll_concludes_its_next_time_and_whether_its_health_change_is_news() -> None:
    first = conclude(after_poll(SourceState("s"), now=NOW), CADENCE, POLICY, NOW)
    assert first.health is Health.OK and not first.changed  # new -> ok is expected: no alert
    assert first.delay == 600.0 and first.state.poll_interval == 600.0
    broken = SourceState("s", read_ok=True, health="ok", error_count=3)
    verdict = conclude(broken, CADENCE, POLICY, NOW, retry_after=9000.0)
    assert verdict.health is Health.FAILING and verdict.changed
    assert verdict.delay == 9000.0  # the server's Retry-After beats the backoff
    pushed = conclude(SourceState("s", read_ok=True, health="ok"), CADENCE, POLICY, NOW, pushed=True)
    assert pushed.delay == 7200.0  # a hub pushes it: polling is the safety net at the slow end
