"""httpcore over `monitor._sockets.AsyncioBackend`, against real servers on loopback.

Plain HTTP/1.1 with keep-alive, a server that closes an idle connection (the pool must not
reuse it), a server that never answers (read timeout), a refused port, a body larger than
the pause threshold, and HTTPS with a certificate made here by openssl.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpcore
import httpx
import pytest

from monitor._sockets import AsyncioBackend

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def server(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on loopback whose connections all end with the block (none left for the next test)."""
    handling: set[asyncio.Task[None]] = set()
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        handling.add(task)
        try:
            await handler(reader, writer)
        finally:
            handling.discard(task)

    listening = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    try:
        yield int(listening.sockets[0].getsockname()[1])
    finally:
        listening.close()
        for task in list(handling):
            task.cancel()
        await asyncio.gather(*handling, return_exceptions=True)
        for writer in writers:
            writer.close()
            with suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
        await listening.wait_closed()


def answering(body: bytes, *, close_after: bool = False) -> Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    return handle


def client(**options: object) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport()
    transport._pool = httpcore.AsyncConnectionPool(network_backend=AsyncioBackend(), **options)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport)


async def test_keep_alive_requests_share_one_connection() -> None:
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await answering(b"hello")(reader, writer)

    async with server(handle) as port, client() as http:
        answers = [await http.get(f"http://127.0.0.1:{port}/{n}") for n in range(3)]
    assert [a.text for a in answers] == ["hello"] * 3
    assert connections == 1


async def test_a_connection_the_server_closed_is_not_reused() -> None:
    async with server(answering(b"once", close_after=True)) as port, client() as http:
        first = await http.get(f"http://127.0.0.1:{port}/a")
        await asyncio.sleep(0.05)  # the server's close arrives while the connection is idle in the pool
        second = await http.get(f"http://127.0.0.1:{port}/b")
    assert (first.text, second.text) == ("once", "once")


async def test_large_body_arrives_whole() -> None:
    body = bytes(range(256)) * 12_000  # 3 MB: reading pauses and resumes on the way
    async with server(answering(body)) as port, client() as http:
        answer = await http.get(f"http://127.0.0.1:{port}/big")
    assert answer.content == body


async def test_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        await asyncio.sleep(5)

    async with server(silent) as port, client() as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://127.0.0.1:{port}/", timeout=httpx.Timeout(5, read=0.2))


async def test_refused_port_is_a_connect_error() -> None:
    async with server(answering(b"")) as port:
        pass  # closed again: nothing listens there now
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")


async def test_server_closing_mid_body_is_an_error() -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    async with server(short) as port, client() as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(f"http://127.0.0.1:{port}/")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


async def test_https_with_a_trusted_certificate(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    trusted = ssl.create_default_context(cafile=str(cert))
    async with server(answering(b"secret"), tls=served) as port, client(ssl_context=trusted) as http:
        answer = await http.get(f"https://127.0.0.1:{port}/")
    assert answer.text == "secret"


async def test_https_with_an_unknown_certificate_is_refused(certificate: tuple[Path, Path]) -> None:
    key, cert = certificate
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    async with server(answering(b"secret"), tls=served) as port, client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"https://127.0.0.1:{port}/")
