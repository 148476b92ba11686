"""httpcore's network backend on asyncio's own transports.

httpcore reaches the network through anyio by default, which opens a cancel scope on every
read and write (its cost: docs/performance.md). The monitor runs on asyncio alone: a protocol
that keeps what arrives in a buffer, and a deadline only when a read or write has to wait, do
the same job. `monitor.guard.GuardedBackend` connects through it to the addresses it checked.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

_PAUSE_AT = 1 << 20  # buffered bytes at which the socket is no longer read until some are taken
_RESUME_AT = 1 << 18
# httpcore's names for what it asks of a stream -> asyncio's names for the same on a transport
_EXTRA_INFO = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername", "socket": "socket"}


class _Buffer(asyncio.Protocol):
    """What the connection received and whether it ended; one waiting reader or writer at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.data = bytearray()
        self.ended = False  # the peer closed its side, or the connection was lost
        self.error: BaseException | None = None
        self._arrived: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data
        if len(self.data) >= _PAUSE_AT and self.transport is not None and not self._reading_paused:
            self.transport.pause_reading()
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close the transport: HTTP/1.1 has nothing to send after the server's end

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended, self.error = True, exc
        self._wake()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        self._drained = None

    def _wake(self) -> None:
        if self._arrived is not None and not self._arrived.done():
            self._arrived.set_result(None)

    async def arrival(self) -> None:
        self._arrived = asyncio.get_running_loop().create_future()
        try:
            await self._arrived
        finally:
            self._arrived = None

    async def drained(self) -> None:
        if self._drained is not None:
            await asyncio.shield(self._drained)

    def take(self, max_bytes: int) -> bytes:
        taken = bytes(self.data[:max_bytes])
        del self.data[:max_bytes]
        if self._reading_paused and len(self.data) <= _RESUME_AT and self.transport is not None:
            self.transport.resume_reading()
            self._reading_paused = False
        return taken


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, buffer: _Buffer) -> None:
        self._transport = transport
        self._buffer = buffer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        buffer = self._buffer
        if not buffer.data and not buffer.ended:
            try:
                async with asyncio.timeout(timeout):
                    await buffer.arrival()
            except TimeoutError:
                raise httpcore.ReadTimeout(f"nothing received within {timeout}s") from None
        if buffer.data:
            return buffer.take(max_bytes)
        if buffer.error is not None:
            raise httpcore.ReadError(str(buffer.error) or type(buffer.error).__name__)
        return b""  # the peer closed the connection

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        if not data:
            return
        if self._buffer.ended or self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(data)
        try:
            async with asyncio.timeout(timeout):
                await self._buffer.drained()
        except TimeoutError:
            raise httpcore.WriteTimeout(f"could not send within {timeout}s") from None
        if self._buffer.error is not None:
            raise httpcore.WriteError(str(self._buffer.error))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                secure = await loop.start_tls(
                    self._transport, self._buffer, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout}s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(f"TLS: {exc}") from None
        assert secure is not None
        self._buffer.transport = secure
        return AsyncioStream(secure, self._buffer)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore asks this of an idle pooled connection: readable means the server closed it
            # (or sent something unasked), so it is not reused.
            return bool(self._buffer.data) or self._buffer.ended
        return self._transport.get_extra_info(_EXTRA_INFO[info]) if info in _EXTRA_INFO else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """TCP only: `GuardedBackend`, its one user, refuses unix sockets before they get here."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, buffer = await loop.create_connection(
                    _Buffer, host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} within {timeout}s") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"{host}:{port}: {exc.strerror or exc}") from None
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, buffer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
