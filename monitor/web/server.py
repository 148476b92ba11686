"""uvicorn on the running event loop, started and stopped by the service (which owns the signals)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from monitor.errors import ConfigError


class _Embedded(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # SIGTERM and SIGINT belong to the service, which stops us itself


class WebServer:
    def __init__(self, app: ASGIApp, host: str, port: int, *, config_file: str = "") -> None:
        self._config_file = config_file
        self._host, self._port = host, port
        self._server = _Embedded(
            uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
        )
        self._task: asyncio.Task[None] | None = None
        self.host, self.port = host, port

    def _bind(self) -> socket.socket:
        """Bind here, so that a port in use is a ConfigError, not uvicorn's exit."""
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self._host, self._port))
        except OSError as exc:
            listener.close()
            reason = f"cannot listen on {self._host}:{self._port}: {exc.strerror}"
            raise ConfigError(self._config_file, "web.listen", reason) from None
        self.port = listener.getsockname()[1]
        return listener

    async def start(self) -> None:
        listener = self._bind()
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task

    async def serve_until(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
