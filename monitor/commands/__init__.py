"""The `monitor` command: one module per command group, registered on the group of `_base`."""

from monitor.commands import alerts, service, sources, stories, topics
from monitor.commands._base import cli

__all__ = ["alerts", "cli", "main", "service", "sources", "stories", "topics"]


def main() -> None:
    cli(prog_name="monitor")
