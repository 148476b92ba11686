"""News monitor: outlets -> articles -> stories -> topic alerts.

The public surface is the `monitor` command (see `monitor.commands`); the modules are
one per pipeline stage, and `monitor.pipeline` alone knows their order.
"""

__version__ = "0.1.0"
USER_AGENT = f"news-monitor/{__version__} (+https://github.com/news-monitor/monitor; self-hosted)"
