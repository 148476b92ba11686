"""When to poll a source next, and how healthy it is: pure functions of what polls saw.

Adaptive polling follows Miniflux's "entry frequency" scheduler: poll about as often as
the source publishes (the mean gap between its items of the last week), bounded by the
source's min and max interval. A failed poll doubles the wait (up to the max) and a
successful one resets it; an RSS <ttl> or a Cache-Control max-age longer than the
computed interval is respected (up to the max).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from monitor.domain import SourceState
from monitor.settings import ServiceSettings, SourceSettings

WEEK = 7 * 86400.0


class Health(StrEnum):
    NEW = "new"  # not read successfully yet, nor failed
    OK = "ok"
    STALE = "stale"  # nothing new for longer than stale_after × its usual publishing gap
    FAILING = "failing"  # failing_after or more polls in a row failed
    BLOCKED = "blocked"  # blocked_after or more 403/429 answers in a row


@dataclass(frozen=True, slots=True)
class Cadence:
    fixed: float | None  # a configured `interval`: no adaptation
    first: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, source: SourceSettings, service: ServiceSettings) -> Cadence:
        minimum = source.min_interval or service.min_interval
        maximum = max(source.max_interval or service.max_interval, minimum)
        first = min(max(service.interval, minimum), maximum)
        return cls(fixed=source.interval, first=first, minimum=minimum, maximum=maximum)

    def backoff_cap(self) -> float:
        return max(self.maximum, self.fixed or 0.0)


def publishing_gap(published: Iterable[datetime | None], now: datetime) -> float | None:
    """Mean seconds between the items of the last week; None with fewer than two dated ones."""
    dated = [p for p in published if p is not None and p <= now + timedelta(hours=1)]
    recent = [p for p in dated if (now - p).total_seconds() <= WEEK]
    if len(recent) < 2:
        return None
    # A feed showing only its last day of items must not look like one publishing weekly.
    window = min(WEEK, max((now - min(recent)).total_seconds(), 1.0))
    return window / len(recent)


def next_interval(
    cadence: Cadence,
    *,
    gap: float | None,
    previous: float | None,
    errors: int = 0,
    server_hint: float | None = None,
) -> float:
    """Seconds until the next poll. `errors`: failed polls in a row, this one included."""
    if errors:
        base = cadence.fixed or cadence.minimum
        return float(min(cadence.backoff_cap(), base * 2**errors))
    if cadence.fixed:
        interval = cadence.fixed
    elif gap is not None:
        interval = min(max(gap, cadence.minimum), cadence.maximum)
    else:
        interval = previous or cadence.first
    if server_hint and server_hint > interval:  # the server says the content will not change sooner
        interval = min(server_hint, cadence.backoff_cap())
    return float(interval)


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    stale_after: float = 4.0
    failing_after: int = 3
    blocked_after: int = 2

    @classmethod
    def of(cls, service: ServiceSettings) -> HealthPolicy:
        return cls(service.stale_after, service.failing_after, service.blocked_after)


def health(state: SourceState, now: datetime, policy: HealthPolicy, minimum: float) -> Health:
    if state.refusals >= policy.blocked_after:
        return Health.BLOCKED
    if state.error_count >= policy.failing_after or (state.error_count and not state.read_ok):
        return Health.FAILING  # a source never read that fails is failing at once: nothing says it works
    if state.last_new_at is not None and state.publish_gap:
        usual = max(state.publish_gap, minimum)
        if (now - state.last_new_at).total_seconds() > policy.stale_after * usual:
            return Health.STALE
    return Health.OK


def after_poll(
    state: SourceState,
    *,
    now: datetime,
    new: int = 0,
    gap: float | None = None,
    error_status: int | None = None,
    failed: bool = False,
) -> SourceState:
    """The counters a poll leaves behind (health is computed from them afterwards)."""
    if failed:
        refused = error_status in (403, 429)
        return replace(state, error_count=state.error_count + 1, refusals=state.refusals + 1 if refused else 0)
    return replace(
        state,
        read_ok=True,
        error_count=0,
        refusals=0,
        last_new_at=now if new else (state.last_new_at or now),
        publish_gap=gap or state.publish_gap,
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a poll decides about its source: the state to keep, when to poll next, its health."""

    state: SourceState
    delay: float  # seconds to the next poll
    health: Health
    changed: bool  # a change worth an operator alert


def conclude(
    state: SourceState,
    cadence: Cadence,
    policy: HealthPolicy,
    now: datetime,
    *,
    hint: float | None = None,
    retry_after: float | None = None,
    pushed: bool = False,
) -> Verdict:
    """The adaptive interval (with error backoff; the slow end when a hub pushes the feed, polling
    being only the safety net), a server's Retry-After, and the health it leaves."""
    interval = next_interval(
        cadence, gap=state.publish_gap, previous=state.poll_interval, errors=state.error_count, server_hint=hint
    )
    if pushed:
        interval = max(interval, cadence.maximum)
    if not state.error_count:
        state = replace(state, poll_interval=interval)
    became = health(state, now, policy, cadence.minimum)
    # A first good read (new -> ok) is what everyone expects: recorded, not alerted.
    changed = became != state.health and not (state.health == Health.NEW and became == Health.OK)
    return Verdict(state, max(interval, retry_after or 0.0), became, changed)
