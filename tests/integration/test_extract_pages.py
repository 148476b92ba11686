"""The cheaper extraction finds what trafilatura's own full call finds.

`monitor.extract.document` reads only four metadata fields, the author from markup only, and
has lxml pick element classes in C (`_plain_element_classes`). The text, title, URL and date
must stay exactly what `trafilatura.bare_extraction(..., with_metadata=True)` gives with the
monitor's settings and lxml's stock parser, and the author be trafilatura's or none: checked on
a page of our own, which has what the changes could touch (forms, labels, JSON-LD, meta tags),
and on real pages from ../shared/corpus when present.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import trafilatura
from trafilatura.utils import HTML_PARSER

from monitor import extract

FIELDS = ("text", "title", "url", "date")  # and the author, see `agrees`

OWN_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head>
<title>Harbour cranes return to service | Coastline Courier</title>
<meta property="og:title" content="Harbour cranes return to service">
<meta name="author" content="Mirela Dunst">
<link rel="canonical" href="https://courier.example/port/cranes-return">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Harbour cranes return to service",
 "datePublished": "2025-03-14T08:30:00+01:00", "author": {"@type": "Person", "name": "Mirela Dunst"}}
</script>
</head><body>
<nav><a href="/">Home</a> <a href="/port">Port</a></nav>
<form action="/search"><label for="q">Search</label><input id="q" name="q"><select name="s">
<option>All</option></select><textarea name="t">Tell us</textarea><button>Go</button></form>
<article><h1>Harbour cranes return to service</h1>
<p class="byline">By Mirela Dunst, 14 March 2025</p>
<p>The four container cranes at the north quay moved their first boxes on Friday after an
eleven-week repair, the port authority said, ending a backlog that had sent ships to other harbours.</p>
<p>Engineers replaced the hoist motors of all four cranes and rebuilt the control cabins, which a
storm in December had flooded; the work cost about 2.4 million euros.</p>
<p>Shipping lines that had moved their calls elsewhere are expected back within a month, the
authority's director told reporters at the quay.</p>
</article>
<footer><p>Coastline Courier, all rights reserved.</p></footer>
</body></html>"""


@contextmanager
def stock_parser() -> Iterator[None]:
    """trafilatura's parser with lxml.html's own (Python) element class lookup, for a while."""
    extract.document(OWN_PAGE, "https://courier.example/x")  # the monitor's settings are in place
    HTML_PARSER.set_element_class_lookup(lxml.html.HtmlElementClassLookup())
    try:
        yield
    finally:
        extract._plain_element_classes()


def trafilatura_alone(html: bytes, url: str) -> dict[str, Any] | None:
    with stock_parser():
        found = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False, config=extract._config()
        )
    return None if found is None else {field: getattr(found, field) for field in (*FIELDS, "author")}


def agrees(found: dict[str, Any] | None, alone: dict[str, Any] | None) -> bool:
    if found is None or alone is None:
        return found is alone
    same = all(found[field] == alone[field] for field in FIELDS)
    return same and found["author"] in (alone["author"], None)  # a byline in the body is not looked for


def test_forms_are_plain_elements_in_the_workers_parser() -> None:
    extract.document(OWN_PAGE, "https://courier.example/x")
    tree = lxml.html.fromstring(OWN_PAGE, parser=HTML_PARSER)
    assert type(tree.find(".//form")) is lxml.html.HtmlElement
    assert type(tree.find(".//input")) is lxml.html.HtmlElement
    with stock_parser():
        assert isinstance(lxml.html.fromstring(OWN_PAGE, parser=HTML_PARSER).find(".//form"), lxml.html.FormElement)


def test_own_page_gives_what_trafilatura_gives() -> None:
    url = "https://courier.example/port/cranes-return?ref=feed"
    found = extract.document(OWN_PAGE, url)
    assert found == trafilatura_alone(OWN_PAGE, url)  # the author is in the markup: found too
    assert found is not None
    assert found["title"] == "Harbour cranes return to service"
    assert found["author"] == "Mirela Dunst"
    assert found["date"] == "2025-03-14"
    assert found["url"] == "https://courier.example/port/cranes-return"
    assert "hoist motors" in found["text"]
    assert "Tell us" not in found["text"]


def real_pages(corpus: Path) -> list[Path]:
    pages = sorted((corpus / "aeb" / "html").glob("*.html.gz")) + sorted(
        (corpus / "fundus-eval" / "html").glob("*.html.gz")
    )
    if not pages:
        pytest.skip("no HTML pages in ../shared/corpus")
    return pages[::8]  # a spread of outlets in a few seconds (all 261 pages agreed when this was written)


def test_real_pages_give_what_trafilatura_gives(corpus: Path) -> None:
    differing = []
    pages = real_pages(corpus)
    for number, path in enumerate(pages):
        html, url = gzip.decompress(path.read_bytes()), f"https://outlet.example/news/{number}"
        found = extract.document(html, url)
        alone = trafilatura_alone(html, url)
        if not agrees(found, alone):
            differing.append((path.name, found, alone))
    assert not differing, differing
    assert len(pages) >= 20
