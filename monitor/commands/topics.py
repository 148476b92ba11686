"""`monitor topics check | test | eval | backtest`: the rules, explained and measured (`monitor.topics.tools`)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from monitor.commands._base import cli, config_option, handle_errors, settings_from


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
    from monitor.topics.tools import check

    check(settings_from(ctx))


@topics.command("test")
@config_option
@click.argument("target")
@click.pass_context
@handle_errors
def topics_test(ctx: click.Context, target: str) -> None:
    """Score one article: an .html page, a .txt file (first line = title), or a URL."""
    from monitor.topics.tools import test

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
    from monitor.topics.tools import evaluate

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
    from monitor.topics.tools import backtest

    backtest(settings_from(ctx), since, datetime.now(UTC))
