"""The scheduler's jobs as the service runs them: errors logged, in-flight jobs drained at stop,
and a lost database handled once for all of them (one warning with the retry delay, jobs paused
with exponential backoff to a cap, one line when it is back)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.store import unavailable

log = logging.getLogger("monitor.service")
Job = Callable[[], Awaitable[None]]


@dataclass
class Outage:
    first_delay: float = 1.0
    max_delay: float = 60.0
    since: datetime | None = None
    retry_at: datetime | None = None
    delay: float = 0.0

    def is_waiting(self, now: datetime) -> bool:
        """True while jobs should not touch the database yet."""
        return self.retry_at is not None and now < self.retry_at

    def failed(self, now: datetime, reason: str) -> None:
        if self.since is None:
            self.since, self.delay = now, self.first_delay
            log.warning(
                f"database unavailable: {reason}; retrying in {self.delay:.0f} s (then backing off up to "
                f"{self.max_delay:.0f} s)",
                extra={"stage": "database", "action": "unavailable"},
            )
        else:
            self.delay = min(self.delay * 2, self.max_delay)
            log.debug(f"database still unavailable: {reason}", extra={"stage": "database", "action": "retry"})
        self.retry_at = now + timedelta(seconds=self.delay)

    def succeeded(self, now: datetime) -> None:
        if self.since is not None:
            down = (now - self.since).total_seconds()
            log.warning(
                f"database available again after {down:.0f} s", extra={"stage": "database", "action": "available"}
            )
        self.since, self.retry_at, self.delay = None, None, 0.0


@dataclass
class Jobs:
    clock: Callable[[], datetime]
    probe: Callable[[], None]  # raises when the database does not answer
    outage: Outage = field(default_factory=Outage)
    running: set[asyncio.Task[object]] = field(default_factory=set)

    def wrap(self, job: Job) -> Job:
        async def run() -> None:
            if self.outage.is_waiting(self.clock()) or not self._database_back():
                return
            task = asyncio.current_task()
            if task is not None:
                self.running.add(task)
            try:
                await job()
            except Exception as exc:  # a job error is logged; the scheduler keeps ticking
                reason = unavailable(exc)
                if reason is None:
                    log.exception("job failed", extra={"stage": "scheduler", "action": "error"})
                else:
                    self.outage.failed(self.clock(), reason)
            finally:
                if task is not None:
                    self.running.discard(task)

        return run

    def _database_back(self) -> bool:
        """During an outage, ask the database before running a job: it says at once when it is back."""
        if self.outage.since is None:
            return True
        try:
            self.probe()
        except Exception as exc:
            self.outage.failed(self.clock(), unavailable(exc) or str(exc))
            return False
        self.outage.succeeded(self.clock())
        return True

    async def drain(self) -> None:
        """Let in-flight jobs finish: their work is then recorded."""
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)
