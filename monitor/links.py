"""Which of a listing's links a poll takes: not stored yet, newest first, up to the limit; the rest
wait in the source's backlog, which tops up a poll that found fewer."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.dedupe import canonical_url
from monitor.domain import Candidate
from monitor.sources import Listing
from monitor.store import Store


def new_links(
    listing: Listing, source: str, store: Store, limit: int, stale_claims_before: datetime
) -> tuple[list[tuple[str, Candidate]], int]:
    """(canonical URL, link) of links not stored yet, newest first, at most `limit`; the rest wait in
    the source's backlog, and the backlog tops up a poll with fewer. Also how many of them are
    refusals asked again (the configuration may have changed), which are nothing new."""
    unique: dict[str, Candidate] = {}
    for link in listing.articles:
        unique.setdefault(canonical_url(link.url), link)
    known = store.pages.known(unique, stale_claims_before=stale_claims_before)
    fresh = [(url, link) for url, link in unique.items() if url not in known]
    oldest = datetime.min.replace(tzinfo=UTC)
    fresh.sort(key=lambda pair: pair[1].published or oldest, reverse=True)
    taken, rest = fresh[:limit], fresh[limit:]
    if rest or taken:
        store.backlog.update(source, keep=rest, taken=[url for url, _ in taken])
    if len(taken) < limit:
        taken += store.backlog.take(source, limit - len(taken), besides=[url for url, _ in taken])
    retried = store.pages.forget_refused(url for url, _ in taken) if taken else 0
    return taken, retried
