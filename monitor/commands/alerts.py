"""`monitor alerts [retry]` and `monitor channels test`: alerts, their deliveries, the channels."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

from monitor.commands._base import cli, config_option, handle_errors, plural, settings_from, when

if TYPE_CHECKING:
    from monitor.settings import Settings
    from monitor.store.views import DeliveryView


def _delivery_state(delivery: DeliveryView) -> str:
    tries = plural(delivery.attempts, "attempt", "attempts")
    if delivery.status == "sent":
        state = f"sent {when(delivery.sent)} ({tries})"
    elif delivery.status == "pending":
        state = f"pending, {tries} so far, next attempt {when(delivery.next_attempt)}"
    else:
        state = f"{delivery.status} after {tries}"
    return state + (f"; last error: {delivery.last_error}" if delivery.last_error else "")


def _source_change(detail: dict[str, object] | None) -> str:
    detail = detail or {}
    return f"source {detail.get('source')} is {detail.get('state')} (was {detail.get('previous')})"


@cli.group(invoke_without_command=True)
@config_option
@click.option("--limit", default=20, show_default=True, help="how many alerts, newest first")
@click.pass_context
@handle_errors
def alerts(ctx: click.Context, limit: int) -> None:
    """Recent alerts with their delivery state per channel (retry: `monitor alerts retry`)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store import open_store

    store = open_store(settings_from(ctx).database.url)
    try:
        found = store.views.alerts(limit)
        if not found:
            click.echo("no alerts yet: no stored article has matched a topic")
        for alert in found:
            what = f"{alert.article.title} — {alert.article.source}" if alert.article else _source_change(alert.detail)
            click.echo(f"{alert.id}  {alert.created:%Y-%m-%d %H:%M}  {alert.topic} ({alert.kind})  {what}")
            if not alert.deliveries:
                click.echo("    no channel: this alert was delivered to no one")
            for delivery in alert.deliveries:
                click.echo(f"    {delivery.channel}: {_delivery_state(delivery)}")
    finally:
        store.close()


@alerts.command("retry")
@config_option
@click.argument("alert_id", required=False)
@click.option("--failed", is_flag=True, help="every delivery marked failed")
@click.pass_context
@handle_errors
def alerts_retry(ctx: click.Context, alert_id: str | None, failed: bool) -> None:
    """Make an alert's unsent deliveries (or every failed one) due again; the service sends them."""
    from datetime import UTC, datetime

    from monitor.store import open_store

    if not alert_id and not failed:
        raise click.UsageError("give an alert id (or its first characters) or --failed")
    store = open_store(settings_from(ctx).database.url)
    try:
        count = store.outbox.retry(now=datetime.now(UTC), alert_id=alert_id, failed=failed)
    finally:
        store.close()
    click.echo(f"{count} deliveries due again")


@cli.group()
def channels() -> None:
    """Check the alert channels."""


@channels.command("test")
@config_option
@click.argument("name")
@click.pass_context
@handle_errors
def channels_test(ctx: click.Context, name: str) -> None:
    """Send a test message through one channel and report the answer (exit 1 if refused)."""
    ok, answer = asyncio.run(_test_channel(settings_from(ctx), name))
    click.echo(answer)
    if not ok:
        sys.exit(1)


async def _test_channel(settings: Settings, name: str) -> tuple[bool, str]:
    """Send a made-up alert through one configured channel: (accepted, what happened)."""
    from datetime import UTC, datetime
    from uuid import uuid4

    from monitor.alerts.channels import build_channels
    from monitor.alerts.render import Renderer
    from monitor.configured import fetch_options
    from monitor.domain import AlertView, Article, Evidence
    from monitor.errors import ConfigError, DeliveryError
    from monitor.fetch import make_client

    chosen = [c for c in settings.channels if c.name == name]
    if not chosen:
        known = ", ".join(c.name for c in settings.channels) or "none"
        raise ConfigError(settings.config_path, "channels", f"no channel named {name!r} (channels: {known})")
    now = datetime.now(UTC)
    article = Article(
        source="monitor",
        url="https://example.org/monitor-test",
        canonical_url="",
        title="Test alert",
        text="",
        language="en",
        published=now,
        fetched_at=now,
    )
    sentence = "This is a test message from the news monitor."
    alert = AlertView(
        id=f"test-{uuid4().hex[:12]}",
        topic="test",
        kind="test",
        created=now,
        article=article,
        story_id="test",
        story_copies=1,
        matches=(Evidence("test", sentence, 10, 14),),
    )
    channel_settings = chosen[0].model_copy(update={"enabled": True, "mode": "immediate"})
    async with make_client(fetch_options(settings)) as client:
        channel = build_channels([channel_settings], client, lambda: now, Renderer(settings.templates_path()))[name]
        try:
            await channel.send(alert)
        except DeliveryError as exc:
            return False, f"refused: {exc}"
    return True, f"sent test alert {alert.id} through {name}"
