"""APScheduler 3 wiring only: interval jobs for polling and delivery, cron jobs for digests."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

Job = Callable[[], Awaitable[None]]


def digest_trigger(mode: str, timezone: str) -> CronTrigger:
    """'hourly' -> at minute 0; 'daily at HH:MM' -> that time in the channel's time zone."""
    zone = ZoneInfo(timezone)
    if mode == "hourly":
        return CronTrigger(minute=0, timezone=zone)
    found = re.fullmatch(r"daily at (\d{1,2}):(\d{2})", mode)
    if not found:
        raise ValueError(f"not a digest mode: {mode!r}")
    return CronTrigger(hour=int(found.group(1)), minute=int(found.group(2)), timezone=zone)


def next_digest(mode: str, timezone: str, after: datetime) -> datetime:
    fire: datetime | None = digest_trigger(mode, timezone).get_next_fire_time(None, after)
    assert fire is not None  # a cron trigger without an end date always has a next time
    return fire


def build_scheduler(
    *,
    poll: Job,
    deliver: Job,
    poll_every: float,
    deliver_every: float,
    start_at: datetime,
    digests: Sequence[tuple[str, Job, str, str]] = (),
) -> AsyncIOScheduler:
    """One instance of each job at a time; missed runs are coalesced, not queued.

    `digests` holds (channel name, job, mode, time zone) for each digest channel.
    """
    scheduler = AsyncIOScheduler(timezone="UTC")
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(poll, "interval", seconds=poll_every, next_run_time=start_at, id="poll", **common)
    scheduler.add_job(deliver, "interval", seconds=deliver_every, next_run_time=start_at, id="deliver", **common)
    for name, job, mode, timezone in digests:
        scheduler.add_job(job, digest_trigger(mode, timezone), id=f"digest:{name}", **common)
    return scheduler
