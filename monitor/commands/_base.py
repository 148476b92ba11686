"""What every command shares: the `monitor` group, --config, settings and the one-line errors.

Exit codes: 0 ok, 1 a wrong eval case or a page that cannot be fetched, 2 config error, 3 database error.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from monitor import logs
from monitor.config_file import load_settings
from monitor.errors import ConfigError, FetchError, StoreError
from monitor.settings import Settings

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


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def when(value: Any) -> str:
    return "never" if value is None else f"{value:%Y-%m-%d %H:%M}"
