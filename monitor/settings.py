"""Load and validate config/monitor.toml once; the result is frozen and passed down.

Every error names the file, the key (as a dotted path such as `sources[0].url`) and the
reason. `${NAME}` and `${NAME:-default}` in strings are replaced from the environment.
`MONITOR_DATABASE_URL` overrides `database.url`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from monitor.domain import SourceKind

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object, *, zero: bool = False) -> float:
    """'90s', '10m', '1h', '2d' -> seconds (0 only where `zero`); a number without a unit is refused."""
    if zero and not isinstance(value, bool) and value in (0, "0"):  # no unit needed for nothing
        return 0.0
    found = None if isinstance(value, bool | int | float) else _DURATION.match(str(value))
    if found is None:
        raise ValueError(f"{value!r} is not a duration such as '30s', '10m', '1h' or '2d'")
    if found.group(2) is None:
        number = found.group(1)
        raise ValueError(f"{value!r} needs a unit: '{number}s', '{number}m', '{number}h' or '{number}d'")
    seconds = float(found.group(1)) * _UNITS[found.group(2)]
    if seconds < 0 or (seconds == 0 and not zero):
        raise ValueError("must not be negative" if zero else "must be positive")
    return seconds


Duration = Annotated[float, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Durations(_Model):
    _ZERO_OK: ClassVar[frozenset[str]] = frozenset()  # durations that may be 0 ("no wait")
    _NOT_DURATIONS: ClassVar[frozenset[str]] = frozenset()  # numbers that are no time

    @model_validator(mode="before")
    @classmethod
    def _durations(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        written = bool(info.context and info.context.get("written"))  # from a file: a unit is required
        out = dict(data)
        for key, field in cls.model_fields.items():
            is_duration = field.annotation in (float, float | None) and key not in cls._NOT_DURATIONS
            value = out.get(key)
            if is_duration and (isinstance(value, str) or (written and value is not None)):
                try:
                    out[key] = parse_duration(value, zero=key in cls._ZERO_OK)
                except ValueError as exc:
                    raise ValueError(f"{key}: {exc}") from None
        return out


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError("must be an http:// or https:// URL")
    return value


class DatabaseSettings(_Model):
    url: str = "sqlite:///data/monitor.db"


class FetchSettings(_Durations):
    _ZERO_OK: ClassVar[frozenset[str]] = frozenset({"host_interval", "backoff"})

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0  # a whole answer, however slowly it trickles in
    max_bytes: int = Field(default=5_000_000, gt=0)
    max_ratio: int = Field(default=100, ge=2)  # decompressed / compressed bytes
    max_redirects: int = Field(default=5, ge=0)
    per_host: int = Field(default=2, ge=1)  # open requests to one website
    host_interval: float = Field(default=1.0, ge=0)  # between request starts on one website
    concurrency: int = Field(default=16, ge=1)  # open requests in all
    retries: int = Field(default=2, ge=0)
    backoff: float = Field(default=0.5, ge=0)
    max_retry_after: float = 120.0
    robots: bool = True
    robots_ttl: float = 86400.0
    max_crawl_delay: float = 60.0
    max_links: int = Field(default=1000, ge=1)  # links taken from one feed, sitemap or page
    allow_private: tuple[str, ...] = ()  # networks (CIDR) or hosts that found links may reach
    user_agent: str | None = None
    contact: str | None = None  # a URL or mail address for website owners, added to the User-Agent

    @field_validator("allow_private")
    @classmethod
    def _networks_or_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            if not re.match(r"^[\w.:/\[\]-]+$", entry):
                raise ValueError(f"{entry!r} is neither a network such as 10.0.0.0/8 nor a host name")
        return value


class ServiceSettings(_Durations):
    _NOT_DURATIONS = frozenset({"stale_after"})
    interval: float = 600.0  # first poll interval of a source; later ones adapt (see min/max)
    min_interval: float = 300.0  # adaptive polling bounds, per source overridable
    max_interval: float = 7200.0
    stale_after: float = Field(default=4.0, gt=1)  # × the source's usual publishing interval
    failing_after: int = Field(default=3, ge=1)  # consecutive failed polls
    blocked_after: int = Field(default=2, ge=1)  # consecutive 403/429 answers

    @model_validator(mode="after")
    def _bounds_in_order(self) -> ServiceSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval: must not be longer than max_interval")
        return self

    deliver_interval: float = 30.0
    extract_workers: int = Field(default=0, ge=0)  # 0: one per core
    max_new_per_source: int = Field(default=200, ge=1)
    delivery_attempts: int = Field(default=8, ge=1)
    delivery_max_age: float = 172800.0  # an alert still undelivered after 2 days is marked failed
    delivery_claim: float = 60.0  # a delivery being sent is kept from other senders this long
    claim_lease: float = 600.0  # a source being polled, or a page being fetched, is this instance's this long
    once_delivery_attempts: int = Field(default=3, ge=1)
    retry_backoff: float = 30.0
    retry_backoff_max: float = 3600.0
    metrics_port: int | None = Field(default=None, ge=0, lt=65536)  # Prometheus /metrics on 127.0.0.1
    public_url: str | None = None  # where WebSub hubs reach the [web] listener; unset: no WebSub


class SourceSettings(_Durations):
    name: str = Field(min_length=1)
    url: str
    kind: SourceKind | None = None  # one of the readers of monitor.sources.listing.READERS
    interval: float | None = None  # a fixed interval: no adaptive polling for this source
    min_interval: float | None = None
    max_interval: float | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _bounds_in_order(self) -> SourceSettings:
        if self.min_interval and self.max_interval and self.min_interval > self.max_interval:
            raise ValueError("min_interval: must not be longer than max_interval")
        return self

    _check_url = field_validator("url")(_http_url)


_MODE = re.compile(r"^(immediate|hourly|daily at ([01]?\d|2[0-3]):([0-5]\d))$")


class _ChannelBase(_Durations):
    """What every channel has: a name, the topics it receives, and when it sends."""

    name: str = Field(min_length=1)
    topics: tuple[str, ...] | None = None
    enabled: bool = True
    mode: str = "immediate"  # "immediate", "hourly", or "daily at HH:MM"
    operator: bool = False  # also receives source health changes (ok, stale, failing, blocked)
    timezone: str = "UTC"  # for "daily at HH:MM"

    def wants(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, value: str) -> str:
        if not _MODE.match(value.strip()):
            raise ValueError("must be 'immediate', 'hourly' or 'daily at HH:MM'")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def is_digest(self) -> bool:
        return self.mode != "immediate"


class WebhookSettings(_ChannelBase):
    type: Literal["webhook"]
    url: str
    secret: str | None = None
    timeout: float = 10.0

    _check_url = field_validator("url")(_http_url)

    @field_validator("secret")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None


class EmailSettings(_ChannelBase):
    type: Literal["email"]
    to: tuple[str, ...] = Field(min_length=1)
    sender: str
    smtp_host: str
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0

    @field_validator("username", "password", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value  # "${SMTP_USER:-}" unset: no login

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailSettings:
        if self.starttls and self.ssl:
            raise ValueError("starttls and ssl are exclusive: choose one")
        return self


class AppriseSettings(_ChannelBase):
    """Any service Apprise reaches (Slack, Telegram, Discord, Teams, ntfy, Matrix, ...) by its URLs."""

    type: Literal["apprise"]
    urls: tuple[str, ...] = Field(min_length=1)


ChannelSettings = Annotated[WebhookSettings | EmailSettings | AppriseSettings, Field(discriminator="type")]


class WebSettings(_Model):
    """The console, JSON API, /healthz and /metrics, on the service's own event loop."""

    listen: str = "127.0.0.1:8080"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        parse_listen(value)
        return value

    @property
    def host(self) -> str:
        return parse_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return parse_listen(self.listen)[1]


def parse_listen(value: str) -> tuple[str, int]:
    """'127.0.0.1:8080' or '[::1]:8080' -> (host, port); ValueError with the reason."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT, such as 127.0.0.1:8080")
    return host.strip("[]"), int(port)


class Settings(_Model):
    database: DatabaseSettings = DatabaseSettings()
    web: WebSettings | None = None  # no [web] section: no listener
    service: ServiceSettings = ServiceSettings()
    fetch: FetchSettings = FetchSettings()
    sources: tuple[SourceSettings, ...] = ()
    channels: tuple[ChannelSettings, ...] = ()
    topics_file: str = "topics.toml"
    templates_dir: str = "templates"  # Jinja2 templates here override the built-in ones
    topics: tuple[dict[str, Any], ...] = ()  # optional: topics inline instead of topics_file
    lists: dict[str, Any] = Field(default_factory=dict)
    config_path: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        for group in ("sources", "channels"):
            seen: set[str] = set()
            for index, item in enumerate(getattr(self, group)):
                if item.name in seen:
                    raise ValueError(f"{group}[{index}].name: duplicate name {item.name!r} (names must be unique)")
                seen.add(item.name)
        return self

    def topics_path(self) -> Path:
        return Path(self.config_path).parent / self.topics_file

    def templates_path(self) -> Path:
        return Path(self.config_path).parent / self.templates_dir
