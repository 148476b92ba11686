"""trafilatura adapter: page HTML -> Extracted | Rejected.

A pure function of the page: `monitor.worker` runs it in the worker processes, off the
event loop.
"""

from __future__ import annotations

import re
from configparser import ConfigParser
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

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
    from trafilatura.settings import use_config  # noqa: PLC0415  (workers only; see extract_page)

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "40")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "20")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal-based timeout inside pool workers
    return config


# A made-up page whose dateline only a full date parser reads, in English: dateparser then loads
# and checks the English locale first. (A Russian dateline has it compile the patterns of all
# 400 locales, 1.3 s: a worker pays that only when such a page comes.)
WARM_UP_PAGE = (
    "<html lang='en'><head><title>Ministers meet in Geneva</title></head><body>"
    "<div class='meta'>Updated Thursday 31 Oct. 2024 at 2:05pm</div><div><h1>Ministers meet in Geneva</h1>"
    + "<p>Foreign ministers Anna Keller and Oleg Brandt met in Geneva about 11,000 tonnes of grain.</p>" * 6
    + "</div></body></html>"
).encode()


def warm_up_extraction() -> None:
    """Build the tables trafilatura and its date parser build on first need (`monitor.worker.warm_up`)."""
    from htmldate.extractors import month_words  # noqa: PLC0415  (workers only; see extract_page)
    from trafilatura import external  # noqa: PLC0415

    extract_page(WARM_UP_PAGE, "http://warm-up.invalid/")
    # Two tables the made-up page does not reach: the stop words of every language (trafilatura's
    # fallback for a page in no known language) and the month names of every dateparser locale.
    if external.JT_STOPLIST is None:
        external.jt_stoplist_init()
    month_words()


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
    # trafilatura is imported where pages are extracted (the worker processes), not in the
    # main process, which only hands pages over: that keeps start-up short.
    import trafilatura  # noqa: PLC0415

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
