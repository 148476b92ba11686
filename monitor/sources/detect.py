"""Tell a feed from a sitemap from an HTML page by the bytes, not the URL."""

from __future__ import annotations

import re

from monitor.domain import Fetched, SourceKind

_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(rss|feed|RDF)[\s>]")
_SITEMAP_ROOT = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)[\s>]")


def detect_kind(fetched: Fetched) -> SourceKind:
    head = fetched.content[:4096]
    if _SITEMAP_ROOT.search(head):
        return SourceKind.SITEMAP
    if _FEED_ROOT.search(head):
        return SourceKind.FEED
    content_type = fetched.content_type.lower()
    if "rss" in content_type or "atom" in content_type:
        return SourceKind.FEED
    return SourceKind.PAGE
