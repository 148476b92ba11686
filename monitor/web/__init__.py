"""The console, the JSON API, /healthz and /metrics: a Starlette app served by uvicorn on the
service's own event loop (`[web] listen`), or on its own by `monitor web`."""

from monitor.web.app import build_app
from monitor.web.console import Console
from monitor.web.server import WebServer

__all__ = ["Console", "WebServer", "build_app"]
