"""`monitor run` as a real process in the background, for the tests that need a running service."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_service(config: Path, database_url: str, *, cwd: Path) -> subprocess.Popen[str]:
    """In a process group of its own, so that a kill takes its extraction workers too."""
    env = {**os.environ, "MONITOR_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--config", str(config)],
        cwd=cwd, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def stop_services(services: Sequence[subprocess.Popen[str]]) -> list[str]:
    """SIGTERM to each still running; their stderr."""
    for service in services:
        if service.poll() is None:
            service.send_signal(signal.SIGTERM)
    return [service.communicate(timeout=60)[1] for service in services]


def wait_until(condition: Callable[[], bool], timeout: float, services: Sequence[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        assert all(s.poll() is None for s in services), "a service exited"
        time.sleep(0.1)


@contextmanager
def service_running(config: Path, database_url: str, *, cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """One service; at the end it must stop cleanly (exit 0, no traceback)."""
    service = start_service(config, database_url, cwd=cwd)
    try:
        yield service
    finally:
        (errors,) = stop_services([service])
    assert service.returncode == 0, errors
    assert "Traceback" not in errors, errors
