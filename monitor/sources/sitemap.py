"""Sitemaps (sitemaps.org 0.9), sitemap indexes and Google News sitemaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from monitor.domain import Candidate
from monitor.errors import SourceError

_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass(frozen=True, slots=True)
class Sitemap:
    articles: tuple[Candidate, ...]
    children: tuple[Candidate, ...]  # child sitemaps of an index, newest first


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and child.text:
            return str(child.text).strip()
    return None


def read_sitemap(content: bytes) -> Sitemap:
    # No entity resolution and no network: a sitemap is untrusted input.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"not a readable sitemap: {exc}") from None
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise SourceError(f"not a sitemap: root element is <{kind}>")
    entries = []
    for item in root:
        if _local(item.tag) not in ("url", "sitemap"):
            continue
        loc = _child_text(item, "loc")
        if not loc or not loc.startswith(("http://", "https://")):
            continue
        published = _date(_child_text(item, "publication_date")) or _date(_child_text(item, "lastmod"))
        entries.append(Candidate(url=loc, title=_child_text(item, "title"), published=published))
    if kind == "sitemapindex":
        newest = sorted(entries, key=lambda c: c.published or datetime.min.replace(tzinfo=UTC), reverse=True)
        return Sitemap(articles=(), children=tuple(newest))
    return Sitemap(articles=tuple(entries), children=())
