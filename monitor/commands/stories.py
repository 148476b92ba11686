"""`monitor stories [split]`: stories, why each report is in its story, and a way back."""

from __future__ import annotations

import sys

import click

from monitor.commands._base import cli, config_option, handle_errors, plural, settings_from


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

    from monitor.configured import channels_for, load_topics
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
            channels_for=channels_for(settings),
        )
    except SplitError as exc:
        click.echo(f"cannot split: {exc}", err=True)
        sys.exit(1)
    finally:
        store.close()
    alerted = ", ".join(done.alerted) or "none (it matches no topic, or its story was alerted already)"
    click.echo(f"article {article_id} is now story {done.new_story} (was in {done.old_story}); new alerts: {alerted}")
