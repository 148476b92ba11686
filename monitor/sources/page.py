"""HTML section pages: harvest links that look like articles on the same site.

Navigation, tag, author and static pages are left out by where the link sits (nav,
header, footer, aside) and by the shape of its path.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from monitor.domain import Candidate
from monitor.errors import SourceError

_CHROME = {"nav", "header", "footer", "aside", "menu"}
_NOT_ARTICLE = re.compile(
    r"/(tags?|topics?|category|categories|section|author|authors|about|contact|search|login|"
    r"register|subscribe|privacy|terms|rss|feed|video|photo|gallery|page)(/|$)",
    re.IGNORECASE,
)
_STATIC = re.compile(r"\.(jpe?g|png|gif|svg|webp|css|js|pdf|zip|mp3|mp4|xml|ico)$", re.IGNORECASE)
_WORDY_SLUG = re.compile(r"[\w]+(?:[-_][\w]+){2,}")
_DIGITS = re.compile(r"\d{5,}|\d{3,}\D|\D\d{3,}")  # an id, not just a year
_DATED = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)|/(19|20)\d\d-\d\d-\d\d")


def _site(host: str) -> str:
    return host.lower().removeprefix("www.")


_QUERY_ID = re.compile(r"(^|&)\w*(id|no|num|article|news|story)\w*=\d{2,}", re.IGNORECASE)


def is_article_path(path: str, query: str = "") -> bool:
    """An article URL has a long slug or a numeric id; sections and tags have neither."""
    if _NOT_ARTICLE.search(path) or _STATIC.search(path):
        return False
    if _QUERY_ID.search(query):
        return True  # /news/view.php?id=4821, /read?article_no=93
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = segments[-1]
    if _DATED.search(path) and not last.isdigit() and len(last) >= 4:
        return True  # /2024/11/05/duma-vote or /2024/11/treaty
    return bool(_WORDY_SLUG.fullmatch(last.split(".")[0]) or _DIGITS.search(last))


def _in_chrome(anchor: etree._Element) -> bool:
    return any(parent.tag in _CHROME for parent in anchor.iterancestors() if isinstance(parent.tag, str))


def read_page(content: bytes, base_url: str) -> list[Candidate]:
    try:
        document = lxml.html.document_fromstring(content)
    except (etree.ParserError, ValueError) as exc:
        raise SourceError(f"not a readable HTML page: {exc}") from None
    site = _site(urlsplit(base_url).netloc)
    seen: dict[str, Candidate] = {}
    for anchor in document.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("#", "mailto:", "javascript:")) or _in_chrome(anchor):
            continue
        url = urljoin(base_url, href.strip()).split("#")[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or _site(parts.netloc) != site:
            continue
        if url.rstrip("/") == base_url.split("#", maxsplit=1)[0].rstrip("/") or not is_article_path(
            parts.path, parts.query
        ):
            continue
        title = " ".join(anchor.text_content().split()) or None
        seen.setdefault(url, Candidate(url=url, title=title))
    return list(seen.values())
