"""One exception tree for the whole service.

    MonitorError
    ├── ConfigError        bad config: names the file, the key and the reason (exit 2)
    ├── StoreError         the database cannot be reached or migrated (exit 3)
    ├── FetchError         one URL could not be fetched (recorded on the source, run goes on)
    │   └── RefusedError   not fetched by a rule that can change (URL guard, robots.txt): asked again
    ├── SourceError        a fetched source could not be read as a feed, sitemap or page
    └── DeliveryError      one channel refused or did not answer (recorded on the delivery)

Library errors (httpx, SQLAlchemy, smtplib) are mapped to these at the boundary of the
module that uses the library, so callers handle only this tree.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error the service raises on purpose."""


class ConfigError(MonitorError):
    def __init__(self, file: str, key: str, reason: str) -> None:
        super().__init__(f"{file}: {key}: {reason}")
        self.file = file
        self.key = key
        self.reason = reason


class StoreError(MonitorError):
    pass


class FetchError(MonitorError):
    def __init__(self, url: str, reason: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.retry_after = retry_after
        self.status = status  # the HTTP status that made it fail, if any


class RefusedError(FetchError):
    """Refused by a rule that can change: the URL guard (`fetch.allow_private`) or the site's robots.txt."""


class SourceError(MonitorError):
    pass


class DeliveryError(MonitorError):
    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
