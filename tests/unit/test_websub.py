"""WebSub's pure parts: the signature check (§8) and when to subscribe or renew."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from monitor.sources.listing import hub_links
from monitor.store.subscriptions import Subscription
from monitor.websub import needs_subscribing, signature_ok

NOW = datetime(2024, 11, 5, 12, tzinfo=UTC)
BODY = b"<rss><channel><item><link>https://x.test/a</link></item></channel></rss>"


def sign(secret: str, body: bytes, method: str = "sha256") -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


def test_only_a_body_signed_with_the_secret_is_taken() -> None:
    assert signature_ok("s3cret", BODY, sign("s3cret", BODY))
    assert signature_ok("s3cret", BODY, sign("s3cret", BODY, "sha1"))  # the methods §8 names
    assert not signature_ok("s3cret", BODY, sign("other", BODY))
    assert not signature_ok("s3cret", BODY + b" ", sign("s3cret", BODY))
    assert not signature_ok("s3cret", BODY, None) and not signature_ok("s3cret", BODY, "md5=abc")


def subscription(state: str, lease_until: datetime | None, requested_at: datetime = NOW) -> Subscription:
    return Subscription("s", "https://hub.test/", "https://x.test/feed", "tok", "sec", state, requested_at, lease_until)


def test_a_lease_is_renewed_before_it_ends() -> None:
    def needed(found: Subscription | None, hub: str = "https://hub.test/") -> bool:
        return needs_subscribing(found, hub=hub, topic="https://x.test/feed", now=NOW, margin=3600)

    assert needed(None)
    assert not needed(subscription("active", NOW + timedelta(days=2)))
    assert needed(subscription("active", NOW + timedelta(minutes=30)))  # within the margin: renew now
    assert needed(subscription("active", NOW + timedelta(days=2)), hub="https://other-hub.test/")
    assert not needed(subscription("requested", None))  # the hub has not verified yet
    assert needed(subscription("requested", None, requested_at=NOW - timedelta(hours=2)))  # it never did
    assert needed(subscription("denied", None))


def test_hubs_are_found_in_the_link_header() -> None:
    header = '<https://hub.test/>; rel="hub", <https://x.test/feed>; rel="self"'
    assert hub_links(header) == ("https://hub.test/", "https://x.test/feed")
    assert hub_links('<https://hub.test/>; rel="hub alternate"') == ("https://hub.test/", None)
    assert hub_links(None) == (None, None) and hub_links('<ftp://hub.test/>; rel="hub"') == (None, None)
