"""`monitor sources [retry]`: each source's health and polling; asking again."""

from __future__ import annotations

import click

from monitor.commands._base import cli, config_option, handle_errors, plural, settings_from, when


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
                f"every {_duration(view.poll_interval)}; next {when(view.next_poll)}; "
                f"last new item {when(view.last_new)}; failed polls in a row {view.failures_in_a_row}; "
                f"backlog {plural(view.backlog, 'link', 'links')}"
            )
            if view.last_error:
                click.echo(f"  last error: {view.last_error}")
    finally:
        store.close()


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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"
