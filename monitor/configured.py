"""What the settings alone build: the rule book, the fetch options and user agent; and the checks
between settings and rules. Shared by the service and the commands."""

from __future__ import annotations

from collections.abc import Callable

from monitor import USER_AGENT
from monitor.errors import ConfigError
from monitor.fetch import FetchOptions
from monitor.settings import Settings
from monitor.topics import RuleBook, load_rulebook, parse_rulebook


def load_topics(settings: Settings) -> RuleBook:
    if settings.topics:
        document = {"lists": settings.lists, "topics": list(settings.topics)}
        return parse_rulebook(document, settings.config_path)
    return load_rulebook(settings.topics_path())


def check_channel_topics(settings: Settings, book: RuleBook) -> None:
    names = {t.name for t in book.topics}
    for channel in settings.channels:
        for topic in channel.topics or ():
            if topic not in names:
                raise ConfigError(settings.config_path, f'channels."{channel.name}".topics', f"unknown topic {topic!r}")


def delivery_gaps(settings: Settings, book: RuleBook) -> list[str]:
    """Why some alerts would go to no one: no channel enabled, or topics no enabled channel takes."""
    enabled = [c for c in settings.channels if c.enabled]
    if not enabled:
        return [
            f"no channel is enabled in {settings.config_path}: matches are stored, and delivered to no one "
            "(enable a [[channels]] entry; the shipped ones take MONITOR_WEBHOOK_ENABLED=true or "
            "MONITOR_EMAIL_ENABLED=true)"
        ]
    return [
        f"topic {topic.name!r} has no enabled channel: its alerts are stored, and delivered to no one"
        for topic in book.topics
        if not any(c.topics is None or topic.name in c.topics for c in enabled)
    ]


def user_agent(settings: Settings) -> str:
    agent = settings.fetch.user_agent or USER_AGENT
    contact = settings.fetch.contact
    return f"{agent.split(' (')[0]} (+{contact})" if contact else agent


def fetch_options(settings: Settings) -> FetchOptions:
    # The [fetch] settings and FetchOptions have the same fields.
    return FetchOptions(**settings.fetch.model_dump(exclude={"user_agent", "contact"}), user_agent=user_agent(settings))


def channels_for(settings: Settings) -> Callable[[str], list[str]]:
    """The enabled channels that take a topic's alerts, by name."""
    return lambda topic: [c.name for c in settings.channels if c.enabled and c.wants(topic)]
