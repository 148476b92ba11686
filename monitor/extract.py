"""trafilatura adapter: page HTML -> Extracted | Rejected, run in a process pool.

Extraction is CPU-bound (lxml tree work), so it runs off the event loop in worker
processes sized to the cores; the event loop only awaits the futures.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from configparser import ConfigParser
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import trafilatura
from trafilatura.settings import use_config

from monitor.domain import Extracted, Rejected
from monitor.language import detect_language, normalise_code

MIN_TEXT_CHARS = 60  # Korean is dense: two sentences can be under 80 characters
_HTML_LANG = re.compile(rb"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z_-]+)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _config() -> ConfigParser:
    """trafilatura's settings, read once per worker process.

    News items can be two sentences long: below trafilatura's default minimum sizes it
    falls back to a baseline that joins paragraphs and keeps bylines and share buttons.
    """
    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "40")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "20")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal-based timeout inside pool workers
    return config


def _published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def extract_page(html: bytes, url: str) -> Extracted | Rejected:
    """Pure function of the page; safe to run in another process."""
    try:
        found = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False, config=_config()
        )
    except Exception as exc:  # trafilatura raises a variety of parser errors on broken input
        return Rejected(url=url, reason=f"extraction failed: {type(exc).__name__}: {exc}")
    document: dict[str, Any] | None = None
    if found is not None:
        document = found if isinstance(found, dict) else found.as_dict()
    text = str((document or {}).get("text") or "").strip()
    if document is None or len(text) < MIN_TEXT_CHARS:
        return Rejected(url=url, reason="no main text found")
    title = str(document.get("title") or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and len(rest.strip()) >= MIN_TEXT_CHARS // 2:
        text = rest.strip()  # the headline repeated as the first line is not body text
    canonical = document.get("url")
    declared = _HTML_LANG.search(html[:4096])
    language = normalise_code(declared.group(1).decode() if declared else None) or detect_language(f"{title}\n{text}")
    return Extracted(
        url=url,
        title=title,
        text=text,
        language=language,
        published=_published(document.get("date")),
        canonical_url=canonical if isinstance(canonical, str) and canonical.startswith("http") else None,
        author=document.get("author"),
    )


_WARM_UP = (
    b"<html lang='en'><body><article><h1>Warm-up</h1><p>"
    + b"A paragraph that makes trafilatura load its models and settings. " * 3
    + b"</p></article></body></html>"
)


class Extractor:
    """Owns the worker processes; `close()` waits for them to finish."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        # forkserver: workers do not inherit the event loop, sockets or database handles.
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("forkserver"))

    async def warm(self) -> None:
        """Start every worker and import trafilatura there, so the first article waits for neither."""
        await asyncio.gather(*(self.extract(_WARM_UP, "http://warm-up.invalid/") for _ in range(self.workers)))

    async def extract(self, html: bytes, url: str) -> Extracted | Rejected:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, extract_page, html, url)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
