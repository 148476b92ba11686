"""The `monitor` command. Exit codes: 0 ok, 1 a wrong eval case or a page that cannot be fetched,
2 config error, 3 database error."""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monitor import logs
from monitor.errors import ConfigError, FetchError, StoreError
from monitor.settings import Settings, load_settings

if TYPE_CHECKING:
    from monitor.store.views import DeliveryView

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = "config/monitor.toml"


def config_option(func: F) -> F:
    """--config on every command (and on the group); the innermost one given wins."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value:
            ctx.ensure_object(dict)["config"] = value
        return value

    return click.option(
        "--config",
        "config_path",
        default=None,
        expose_value=False,
        callback=remember,
        is_eager=True,
        help=f"config file (default: $MONITOR_CONFIG or {DEFAULT_CONFIG})",
    )(func)


def settings_from(ctx: click.Context) -> Settings:
    root = ctx.find_root().ensure_object(dict)
    path = ctx.ensure_object(dict).get("config") or root.get("config")
    return load_settings(path or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def handle_errors(func: F) -> F:
    """Configuration and database errors end the command with a one-line reason."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            click.echo(f"config error: {exc}", err=True)
            sys.exit(2)
        except StoreError as exc:
            click.echo(f"database error: {exc}", err=True)
            sys.exit(3)
        except FetchError as exc:  # a page a command was asked to read (topics test URL)
            click.echo(f"cannot fetch {exc.url}: {exc.reason}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="monitor", prog_name="monitor", message="%(prog)s %(version)s")
@config_option
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING or ERROR")
@click.pass_context
def cli(ctx: click.Context, log_level: str) -> None:
    """Watch news outlets and alert on topics."""
    ctx.ensure_object(dict)
    logs.configure(log_level)


@cli.command()
@config_option
@click.option("--once", is_flag=True, help="one cycle: poll every source once, deliver, exit")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="with --once: write what the run did and where its time went, as JSON",
)
@click.pass_context
@handle_errors
def run(ctx: click.Context, once: bool, report: Path | None) -> None:
    """Run the service until SIGTERM/SIGINT (or one cycle with --once)."""
    from monitor.service import run as run_service

    asyncio.run(run_service(settings_from(ctx), once=once, report=report))


@cli.command()
@config_option
@click.option("--listen", default=None, help="HOST:PORT (default: [web] listen, else 127.0.0.1:8080)")
@click.pass_context
@handle_errors
def web(ctx: click.Context, listen: str | None) -> None:
    """Serve the console and JSON API on their own, over the database of a running service."""
    from monitor.service import run_console
    from monitor.settings import parse_listen

    settings = settings_from(ctx)
    chosen = listen or (settings.web.listen if settings.web else "127.0.0.1:8080")
    try:
        address = parse_listen(chosen)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from None
    asyncio.run(run_console(settings, address))


@cli.command()
@config_option
@click.pass_context
@handle_errors
def health(ctx: click.Context) -> None:
    """Is the database reachable, when was the last poll, how many deliveries wait (exit 3 if the
    database is not reachable: the container's HEALTHCHECK)."""
    from monitor.service import delivery_gaps, load_topics
    from monitor.store import open_store

    settings = settings_from(ctx)
    store = open_store(settings.database.url)
    try:
        last, pending = store.views.last_poll(), store.views.pending()
    finally:
        store.close()
    click.echo(f"database ok; last poll {_when(last)}; {plural(pending, 'delivery', 'deliveries')} pending")
    for gap in delivery_gaps(settings, load_topics(settings)):
        click.echo(f"warning: {gap}")


@cli.command()
@config_option
@click.pass_context
@handle_errors
def demo(ctx: click.Context) -> None:
    """See it work, offline: a local outlet with a few articles, a local webhook receiver and the service
    on a temporary database; prints each alert as it arrives, then exits."""
    from monitor.demo import run_demo

    logs.configure("WARNING")  # the demo shows alerts; the service's own log lines would bury them
    if not asyncio.run(run_demo(settings_from(ctx), click.echo)):
        sys.exit(1)


@cli.group(invoke_without_command=True)
@config_option
@click.option("--limit", default=20, show_default=True, help="how many stories, most recent first")
@click.pass_context
@handle_errors
def stories(ctx: click.Context, limit: int) -> None:
    """Recent stories: first and last seen, every copy (outlet, URL, time, language) and why it
    is in the story, alerts (a wrong join: `monitor stories split ARTICLE_ID`)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store import open_store

    store = open_store(settings_from(ctx).database.url)
    try:
        found = store.views.stories(limit)
        if not found:
            click.echo("no stories yet: nothing has been stored (run `monitor run --once` to poll the sources)")
        for story in found:
            alerts = ", ".join(f"{a.topic} ({a.kind})" for a in story.alerts) or "no alert"
            click.echo(f"{story.id}  {story.headline}")
            click.echo(
                f"  first seen {story.first_seen:%Y-%m-%d %H:%M}, last seen {story.last_seen:%Y-%m-%d %H:%M}; "
                f"{plural(len(story.copies), 'copy', 'copies')}; alerts: {alerts}"
            )
            for copy in story.copies:
                click.echo(
                    f"  - article {copy.article_id}: {copy.source} [{copy.language}] {copy.seen:%Y-%m-%d %H:%M} "
                    f"{copy.url}\n      why: {copy.why}"
                )
    finally:
        store.close()


@stories.command("split")
@config_option
@click.argument("article_id", type=int)
@click.pass_context
@handle_errors
def stories_split(ctx: click.Context, article_id: int) -> None:
    """Take a wrongly joined article out of its story into one of its own, and match it again: it
    is alerted for the topics it matches (the alerts go out at the next `monitor run`)."""
    from datetime import UTC, datetime

    from monitor.service import load_topics
    from monitor.store import SplitError, open_store
    from monitor.stories import split_article
    from monitor.topics import TopicMatcher

    settings = settings_from(ctx)
    matcher = TopicMatcher(load_topics(settings))
    store = open_store(settings.database.url)
    try:
        done = split_article(
            article_id,
            store=store,
            match=matcher.matches,
            now=datetime.now(UTC),
            channels_for=lambda topic: [c.name for c in settings.channels if c.enabled and c.wants(topic)],
        )
    except SplitError as exc:
        click.echo(f"cannot split: {exc}", err=True)
        sys.exit(1)
    finally:
        store.close()
    alerted = ", ".join(done.alerted) or "none (it matches no topic, or its story was alerted already)"
    click.echo(f"article {article_id} is now story {done.new_story} (was in {done.old_story}); new alerts: {alerted}")


@cli.group(invoke_without_command=True)
@config_option
@click.pass_context
@handle_errors
def sources(ctx: click.Context) -> None:
    """Every source's health (new, ok, stale, failing, blocked), polling and last error
    (again: `monitor sources retry`)."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store import open_store

    settings = settings_from(ctx)
    store = open_store(settings.database.url)
    try:
        store.sources.sync((s.name, s.url) for s in settings.sources)
        for view in store.views.sources([s.name for s in settings.sources]):
            click.echo(f"{view.name}  {view.health.upper()}  {view.url}")
            click.echo(
                f"  {view.kind or 'not read yet'}; polls {view.polls} ({view.not_modified} not modified); "
                f"every {_duration(view.poll_interval)}; next {_when(view.next_poll)}; "
                f"last new item {_when(view.last_new)}; failed polls in a row {view.failures_in_a_row}; "
                f"backlog {plural(view.backlog, 'link', 'links')}"
            )
            if view.last_error:
                click.echo(f"  last error: {view.last_error}")
    finally:
        store.close()


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _delivery_state(delivery: DeliveryView) -> str:
    tries = plural(delivery.attempts, "attempt", "attempts")
    if delivery.status == "sent":
        state = f"sent {_when(delivery.sent)} ({tries})"
    elif delivery.status == "pending":
        state = f"pending, {tries} so far, next attempt {_when(delivery.next_attempt)}"
    else:
        state = f"{delivery.status} after {tries}"
    return state + (f"; last error: {delivery.last_error}" if delivery.last_error else "")


def _source_change(detail: dict[str, object] | None) -> str:
    detail = detail or {}
    return f"source {detail.get('source')} is {detail.get('state')} (was {detail.get('previous')})"


@sources.command("retry")
@config_option
@click.argument("name", required=False)
@click.option("--rejected", is_flag=True, help="every source: their refused and rejected links")
@click.pass_context
@handle_errors
def sources_retry(ctx: click.Context, name: str | None, rejected: bool) -> None:
    """Poll a source again at the next run, reading its listing in full, and fetch its refused or
    rejected links again (after a change to fetch.allow_private, say)."""
    from datetime import UTC, datetime

    from monitor.store import open_store

    if not name and not rejected:
        raise click.UsageError("give a source name or --rejected")
    settings = settings_from(ctx)
    if name and name not in {s.name for s in settings.sources}:
        raise click.BadParameter(f"no source named {name!r} in {settings.config_path}", param_hint="NAME")
    store = open_store(settings.database.url)
    try:
        store.sources.sync((s.name, s.url) for s in settings.sources)
        due, links = store.sources.retry([name] if name else None, now=datetime.now(UTC))
    finally:
        store.close()
    click.echo(f"{plural(due, 'source', 'sources')} due now; {plural(links, 'link', 'links')} will be fetched again")


def _when(value: Any) -> str:
    return "never" if value is None else f"{value:%Y-%m-%d %H:%M}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


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
    from monitor.service import test_channel

    ok, answer = asyncio.run(test_channel(settings_from(ctx), name))
    click.echo(answer)
    if not ok:
        sys.exit(1)


def _duration_option(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from monitor.settings import parse_duration

    try:
        parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@cli.group()
def topics() -> None:
    """Check, try and evaluate the topic rules."""


@topics.command("check")
@config_option
@click.pass_context
@handle_errors
def topics_check(ctx: click.Context) -> None:
    """Validate the rules and summarise them."""
    from monitor.topics.commands import check

    check(settings_from(ctx))


@topics.command("test")
@config_option
@click.argument("target")
@click.pass_context
@handle_errors
def topics_test(ctx: click.Context, target: str) -> None:
    """Score one article: an .html page, a .txt file (first line = title), or a URL."""
    from monitor.topics.commands import test

    test(settings_from(ctx), target)


@topics.command("eval")
@config_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--only-wrong", is_flag=True, help="print only the wrong cases")
@click.pass_context
@handle_errors
def topics_eval(ctx: click.Context, path: str, only_wrong: bool) -> None:
    """Precision/recall per topic and language on a labelled JSONL file, the wrong cases grouped by language
    and rule; exit 1 on a wrong case."""
    from monitor.topics.commands import evaluate

    if not evaluate(settings_from(ctx), path, only_wrong=only_wrong):
        sys.exit(1)


@topics.command("backtest")
@config_option
@click.option(
    "--since", default="30d", show_default=True, callback=_duration_option, help="how far back: 12h, 30d, ..."
)
@click.pass_context
@handle_errors
def topics_backtest(ctx: click.Context, since: str) -> None:
    """Re-run the current rules over stored articles and list what would change (sends nothing)."""
    from monitor.topics.commands import backtest

    backtest(settings_from(ctx), since)


def main() -> None:
    cli(prog_name="monitor")
