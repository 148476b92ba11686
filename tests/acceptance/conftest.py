"""Helpers to run the real `monitor` command in a subprocess against local servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.servers import FakeWeb, WebhookReceiver, smtp_sink

TOPICS = ROOT / "config" / "topics.toml"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_monitor(*args: str, config: Path, database_url: str, timeout: float = 240) -> Run:
    env = {**os.environ, "MONITOR_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "monitor", *args, "--config", str(config)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def write_config(path: Path, body: str) -> Path:
    path.write_text(f'topics_file = "{TOPICS}"\n{body}', encoding="utf-8")
    return path


@pytest.fixture
def fake_web() -> Iterator[FakeWeb]:
    with FakeWeb().running() as web:
        yield web


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver().running() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[object]:
    with smtp_sink() as sink:
        yield sink
