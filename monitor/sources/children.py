"""A sitemap index's child sitemaps, read into the listing (the first few: the newest)."""

from __future__ import annotations

from monitor.domain import Fetched, SourceKind
from monitor.fetch import Fetcher
from monitor.guard import Reach
from monitor.sources.listing import Listing, read_listing
from monitor.timing import Timings


async def with_children(
    listing: Listing, fetcher: Fetcher, reach: Reach, timings: Timings, *, children: int
) -> Listing:
    """The listing with the links of its first `children` child sitemaps (a sitemap index's)."""
    if not listing.children:
        return listing
    max_links = fetcher.options.max_links
    articles = list(listing.articles)
    read = listing.children[:children]
    for child in read:
        with timings.measure("fetch"):
            page = await fetcher.get(child.url, reach=reach)
        timings.count("requests: child sitemap")
        if isinstance(page, Fetched):
            with timings.measure("parse"):
                articles.extend(read_listing(page, SourceKind.SITEMAP, max_links=max_links).articles)
    return Listing(listing.kind, tuple(articles[:max_links]), children_read=read)
