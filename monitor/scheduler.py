"""APScheduler 3 wiring only: two interval jobs on the running asyncio loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

Job = Callable[[], Awaitable[None]]


def build_scheduler(
    *, poll: Job, deliver: Job, poll_every: float, deliver_every: float, start_at: datetime
) -> AsyncIOScheduler:
    """One instance of each job at a time; missed runs are coalesced, not queued."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(poll, "interval", seconds=poll_every, next_run_time=start_at, id="poll", **common)
    scheduler.add_job(deliver, "interval", seconds=deliver_every, next_run_time=start_at, id="deliver", **common)
    return scheduler
