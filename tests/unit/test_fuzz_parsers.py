"""Parser fuzzing: whatever bytes a source serves, reading it raises only SourceError, and
extraction answers Extracted or Rejected (never an exception)."""

from __future__ import annotations

import html

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.domain import Extracted, Fetched, Rejected, SourceKind
from monitor.errors import SourceError
from monitor.extract import extract_page
from monitor.sources import read_listing

FRAGMENTS = [
    "<?xml version='1.0'?>",
    "<rss version='2.0'>",
    "<channel>",
    "</channel>",
    "</rss>",
    "<item>",
    "</item>",
    "<link>",
    "</link>",
    "<title>",
    "</title>",
    "<pubDate>",
    "</pubDate>",
    "<feed xmlns='http://www.w3.org/2005/Atom'>",
    "<entry>",
    "<link href='",
    "'/>",
    "</entry>",
    "</feed>",
    "<urlset>",
    "</urlset>",
    "<sitemapindex>",
    "<url>",
    "<loc>",
    "</loc>",
    "<lastmod>",
    "</lastmod>",
    "</url>",
    "<sitemap>",
    "</sitemap>",
    "<!DOCTYPE x [",
    "<!ENTITY a 'b'>",
    "]>",
    "&a;",
    "&amp;",
    "<![CDATA[",
    "]]>",
    "<html>",
    "<body>",
    "<a href='",
    "'>",
    "</a>",
    "<nav>",
    "</nav>",
    "http://news.example/2024/11/05/treaty-ratified-today",
    "/world/12345",
    "javascript:x",
    "2024-11-05T10:00:00Z",
    "Tue, 05 Nov 2024 10:00:00 GMT",
    "\x00",
    "\ufeff",
    "договор",
    "비준",
    " ",
    "\n",
]
markup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
)
payloads = st.one_of(st.binary(max_size=2000), markup)
kinds = st.sampled_from([None, SourceKind.FEED, SourceKind.SITEMAP, SourceKind.PAGE])
content_types = st.sampled_from(
    ["", "application/rss+xml", "application/xml", "text/html; charset=utf-8", "text/plain"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=payloads, kind=kinds, content_type=content_types)
def test_listing_readers_raise_only_source_error(body: bytes, kind: SourceKind | None, content_type: str) -> None:
    fetched = Fetched(url="http://news.example/feed", status=200, content=body, content_type=content_type)
    try:
        listing = read_listing(fetched, kind, max_links=50)
    except SourceError:
        return
    assert len(listing.articles) <= 50
    assert all(c.url.startswith(("http://", "https://")) for c in (*listing.articles, *listing.children))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=payloads)
def test_extraction_never_raises(body: bytes) -> None:
    assert isinstance(extract_page(body, "http://news.example/a"), Extracted | Rejected)


ARTICLE = (
    "The harbour authority reopened the northern pier on Tuesday after a month of repairs. "
    "Engineers replaced the worn fenders and rebuilt two of the mooring posts. "
    "Ferry services to the islands will resume their summer timetable next week, the operator said."
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(noise=payloads)
def test_an_article_among_broken_markup_is_still_found(noise: bytes) -> None:
    # Fuzzed bytes around a real article body: never an exception, and the article is not lost
    # (an extractor that rejected everything would pass the test above, not this one). Before the
    # article the noise is text (raw, an open quote or comment would rightly swallow what follows);
    # after it, raw markup.
    before = html.escape(noise.decode("latin-1")).encode("latin-1")
    page = (
        b"<html><head><title>Pier reopens</title></head><body><nav>"
        + before
        + b"</nav><article><h1>Pier reopens</h1>"
        + b"".join(f"<p>{sentence}.</p>".encode() for sentence in ARTICLE.split(". "))
        + b"</article><footer>"
        + noise
        + b"</footer></body></html>"
    )
    found = extract_page(page, "http://news.example/pier")
    assert isinstance(found, Extracted), found
    assert "mooring posts" in found.text
