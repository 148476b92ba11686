"""trafilatura adapter: page HTML -> Extracted | Rejected.

A pure function of the page: `monitor.worker` runs it in the worker processes, off the
event loop.
"""

from __future__ import annotations

import re
from configparser import ConfigParser
from contextlib import suppress
from datetime import UTC, datetime
from functools import lru_cache
from html import unescape
from typing import Any

from monitor.domain import Extracted, Rejected
from monitor.language import detect_language, normalise_code

MIN_TEXT_CHARS = 60  # Korean is dense: two sentences can be under 80 characters
_HTML_LANG = re.compile(rb"<html[^>]*\slang\s*=\s*[\"']?([A-Za-z_-]+)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _config() -> ConfigParser:
    """trafilatura's settings, read once per worker process (and its parser made faster, see below).

    News items can be two sentences long: below trafilatura's default minimum sizes it
    falls back to a baseline that joins paragraphs and keeps bylines and share buttons.
    """
    from trafilatura.settings import use_config  # noqa: PLC0415  (workers only; see extract_page)

    _plain_element_classes()
    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "40")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "20")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal-based timeout inside pool workers
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")  # see _metadata
    return config


def _plain_element_classes() -> None:
    """Have trafilatura's HTML parser pick element classes in C: it uses none of the form classes'
    methods, and lxml's Python lookup is called for every element (docs/performance.md). Changes a
    parser of trafilatura's for the whole process: only the extraction workers run it."""
    import lxml.html  # noqa: PLC0415  (workers only; see extract_page)
    from lxml import etree  # noqa: PLC0415
    from trafilatura.utils import HTML_PARSER  # noqa: PLC0415

    HTML_PARSER.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )


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


def _metadata(tree: Any, url: str, config: ConfigParser) -> dict[str, str | None]:
    """Title, author, canonical URL and date as trafilatura's `extract_metadata` finds them, less what
    costs much and gives little: no site name, categories, tags or licence; the date from the markup
    only (the feed's date stands in); the author from meta tags and JSON-LD only. Pinned to
    trafilatura's own output by tests/integration/test_extract_pages.py; costs in docs/performance.md."""
    from htmldate import find_date  # noqa: PLC0415  (workers only; see extract_page)
    from trafilatura import metadata  # noqa: PLC0415
    from trafilatura.settings import set_date_params  # noqa: PLC0415
    from trafilatura.utils import line_processing  # noqa: PLC0415

    found = metadata.examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None
    with suppress(Exception):  # as trafilatura does: its JSON-LD reader has bugs
        found = metadata.extract_meta_json(tree, found)
    found.title = found.title or metadata.extract_title(tree)
    found.url = found.url or metadata.extract_url(tree, url)
    extensive = config.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")
    found.date = find_date(tree, **{**set_date_params(extensive), "url": found.url})
    fields = {"title": found.title, "author": found.author, "url": found.url, "date": found.date}
    return {
        key: line_processing(unescape(value if len(value) <= 10000 else value[:9999] + "…"))
        if isinstance(value, str)
        else None
        for key, value in fields.items()
    }


def document(html: bytes, url: str) -> dict[str, Any] | None:
    """trafilatura's findings on the page: text, title, author, url, date (None: no main text).

    Text, title, URL and date as `trafilatura.bare_extraction(html, url=url, with_metadata=True,
    include_comments=False, include_tables=False)` gives them with our settings, the author only
    from markup, for less CPU (see `_metadata` and `_plain_element_classes`). Raises what
    trafilatura raises on broken input.
    """
    import trafilatura  # noqa: PLC0415  (workers only; see extract_page)
    from trafilatura.utils import load_html  # noqa: PLC0415

    config = _config()
    # Parsed once: the metadata is read from the tree, which trafilatura then copies to clean.
    tree = load_html(html, config.getint("DEFAULT", "MAX_FILE_SIZE"))
    if tree is None:
        return None
    meta = _metadata(tree, url, config)
    found = trafilatura.bare_extraction(tree, url=url, include_comments=False, include_tables=False, config=config)
    if found is None:
        return None
    assert not isinstance(found, dict)  # a dict only when as_dict=True is asked for
    return {"text": found.text, **meta}


def extract_page(html: bytes, url: str) -> Extracted | Rejected:
    """Pure function of the page; safe to run in another process."""
    # trafilatura is imported where pages are extracted (the worker processes), not in the
    # main process, which only hands pages over: that keeps start-up short.
    try:
        found = document(html, url)
    except Exception as exc:  # trafilatura raises a variety of parser errors on broken input
        return Rejected(url=url, reason=f"extraction failed: {type(exc).__name__}: {exc}")
    text = str((found or {}).get("text") or "").strip()
    if found is None or len(text) < MIN_TEXT_CHARS:
        return Rejected(url=url, reason="no main text found")
    title = str(found.get("title") or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and len(rest.strip()) >= MIN_TEXT_CHARS // 2:
        text = rest.strip()  # the headline repeated as the first line is not body text
    canonical = found.get("url")
    declared = _HTML_LANG.search(html[:4096])
    language = normalise_code(declared.group(1).decode() if declared else None) or detect_language(f"{title}\n{text}")
    return Extracted(
        url=url,
        title=title,
        text=text,
        language=language,
        published=_published(found.get("date")),
        canonical_url=canonical if isinstance(canonical, str) and canonical.startswith("http") else None,
        author=found.get("author"),
    )
