from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.domain import Fetched, SourceKind
from monitor.errors import SourceError
from monitor.sources import detect_kind, read_listing
from monitor.sources.page import is_article_path
from tests.support.pages import Story, atom, rdf, rss2, section_page, sitemap, sitemap_index

BASE = "http://outlet.test"
STORIES = [
    Story(
        "a", "/news/2024/11/first-long-story-slug", "First story", "Body one.", "en", datetime(2024, 11, 2, tzinfo=UTC)
    ),
    Story("b", "/news/2024/11/123456", "Второй материал", "Текст.", "ru", datetime(2024, 11, 3, tzinfo=UTC)),
]


def fetched(body: bytes, content_type: str = "application/xml", url: str = f"{BASE}/x") -> Fetched:
    return Fetched(url=url, status=200, content=body, content_type=content_type)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (rss2("s", BASE, STORIES), SourceKind.FEED),
        (atom("s", BASE, STORIES), SourceKind.FEED),
        (rdf("s", BASE, STORIES), SourceKind.FEED),
        (sitemap(BASE, STORIES), SourceKind.SITEMAP),
        (sitemap(BASE, STORIES, news=True), SourceKind.SITEMAP),
        (sitemap_index(BASE, ["/s1.xml"]), SourceKind.SITEMAP),
        (section_page("s", BASE, STORIES), SourceKind.PAGE),
    ],
)
def test_kind_is_detected_from_the_response(body: bytes, kind: SourceKind) -> None:
    assert detect_kind(fetched(body, content_type="text/html")) is kind


@pytest.mark.parametrize(
    "body", [rss2("s", BASE, STORIES, tracking=True), atom("s", BASE, STORIES), rdf("s", BASE, STORIES)]
)
def test_feeds_give_links_titles_and_dates(body: bytes) -> None:
    listing = read_listing(fetched(body))
    assert [c.url.split("?")[0] for c in listing.articles] == [BASE + s.path for s in STORIES]
    assert [c.title for c in listing.articles] == ["First story", "Второй материал"]
    assert listing.articles[0].published == datetime(2024, 11, 2, tzinfo=UTC)


def test_google_news_sitemap_gives_titles_and_publication_dates() -> None:
    listing = read_listing(fetched(sitemap(BASE, STORIES, news=True)))
    assert listing.articles[1].title == "Второй материал"
    assert listing.articles[1].published == datetime(2024, 11, 3, tzinfo=UTC)


def test_sitemap_index_names_its_children_newest_first() -> None:
    listing = read_listing(fetched(sitemap_index(BASE, ["/old.xml", "/new.xml"])))
    assert listing.articles == () and [c.url for c in listing.children] == [f"{BASE}/new.xml", f"{BASE}/old.xml"]


def test_section_page_harvests_article_links_only() -> None:
    listing = read_listing(fetched(section_page("s", BASE, STORIES), "text/html", url=f"{BASE}/world/"))
    assert sorted(c.url for c in listing.articles) == sorted(BASE + s.path for s in STORIES)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/politics/2024/11/duma-votes-on-the-treaty", True),
        ("/news/4829134", True),
        ("/tags/north-korea-russia-treaty", False),
        ("/author/jane-doe-smith", False),
        ("/world/", False),
        ("/static/big-annual-report-2024.pdf", False),
    ],
)
def test_article_path_shape(path: str, expected: bool) -> None:
    assert is_article_path(path) is expected


def test_malformed_inputs_raise_source_error() -> None:
    with pytest.raises(SourceError, match="not a readable feed"):
        read_listing(fetched(b"<html><p>oops", "text/html"), SourceKind.FEED)
    with pytest.raises(SourceError, match="not a readable sitemap"):
        read_listing(fetched(b"<urlset><url><loc>x</url>"), SourceKind.SITEMAP)
    with pytest.raises(SourceError, match="neither a feed nor a sitemap"):
        read_listing(fetched(b"<?xml version='1.0'?><catalog/>", "application/xml"))
    with pytest.raises(SourceError, match="no article links"):
        read_listing(fetched(b"<html><body><a href='/about'>About</a></body></html>", "text/html"))


def test_gzipped_sitemap_with_bom_is_read() -> None:
    import gzip

    body = gzip.compress(b"\xef\xbb\xbf\n" + sitemap(BASE, STORIES))
    listing = read_listing(fetched(body, "application/x-gzip"))
    assert [c.url for c in listing.articles] == [BASE + s.path for s in STORIES]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/news/2024/11/05/duma", True),
        ("/archive/2024/", False),
        ("/view/AKR20241104012300504", True),
        ("/2024", False),
        ("/news/view.php?id=4821", True),
        ("/list?page=2", False),
    ],
)
def test_dated_and_id_paths(path: str, expected: bool) -> None:
    route, _, query = path.partition("?")
    assert is_article_path(route, query) is expected


def test_a_valid_feed_with_no_items_yet_is_no_error() -> None:
    from monitor.sources.feed import read_feed

    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>New outlet</title></channel></rss>'
    assert read_feed(empty, "https://new.test/feed.xml").articles == []
