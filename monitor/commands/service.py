"""`monitor run | web | health | demo`: the service, its console, its health, a first look."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from monitor import logs
from monitor.commands._base import cli, config_option, handle_errors, plural, settings_from, when


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
    from monitor.configured import delivery_gaps, load_topics
    from monitor.store import open_store

    settings = settings_from(ctx)
    store = open_store(settings.database.url)
    try:
        last, pending = store.views.last_poll(), store.views.pending()
    finally:
        store.close()
    click.echo(f"database ok; last poll {when(last)}; {plural(pending, 'delivery', 'deliveries')} pending")
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
