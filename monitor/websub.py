"""WebSub (W3C Recommendation): a hub pushes a feed the moment it changes.

When a feed names a hub (`<link rel="hub">` or a `Link:` header) and `service.public_url` is set,
the service subscribes with a secret of its own and a callback on its web listener
(`/websub/{token}`); it answers the hub's intent verification with the challenge (§5.3), takes
content distribution only with a valid `X-Hub-Signature` HMAC (§7, §8), and renews the lease
before it ends. Polling goes on at the slow end of the adaptive range, as a safety net.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from monitor.errors import FetchError
from monitor.guard import Reach, current_reach
from monitor.store.subscriptions import Subscription, Subscriptions

log = logging.getLogger("monitor.websub")

REQUESTED_LEASE = 10 * 86400  # seconds asked for; the hub decides
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature: method=hex` over the body with the subscription's secret (§8)."""
    method, _, given = (header or "").partition("=")
    digest = _DIGESTS.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def needs_subscribing(found: Subscription | None, *, hub: str, topic: str, now: datetime, margin: float) -> bool:
    """Subscribe when there is none, the hub or topic changed, a request went unverified for an
    hour, or the lease ends within `margin` seconds."""
    if found is None or found.hub != hub or found.topic != topic or found.state == "denied":
        return True
    if found.state == "requested":
        return now - found.requested_at > timedelta(hours=1)
    return found.lease_until is None or found.lease_until - now < timedelta(seconds=margin)


@dataclass
class WebSub:
    client: httpx.AsyncClient
    subscriptions: Subscriptions
    public_url: str  # where the hub reaches the web listener
    clock: Callable[[], datetime]

    async def ensure(self, source: str, *, hub: str, topic: str, margin: float, reach: Reach | None = None) -> None:
        """Subscribe, or renew, when needed; a hub that refuses is logged and polling goes on. The hub's
        URL came from content: it may reach what the source's links may (`reach`), no more."""
        now = self.clock()
        found = self.subscriptions.of(source)
        if not needs_subscribing(found, hub=hub, topic=topic, now=now, margin=margin):
            return
        same = found is not None and found.hub == hub and found.topic == topic
        token = found.token if same and found else secrets.token_urlsafe(24)
        secret = found.secret if same and found else secrets.token_hex(32)
        form = {
            "hub.mode": "subscribe",
            "hub.topic": topic,
            "hub.callback": f"{self.public_url.rstrip('/')}/websub/{token}",
            "hub.secret": secret,
            "hub.lease_seconds": str(REQUESTED_LEASE),
        }
        previous = current_reach.set(reach)
        try:
            answer = await self.client.post(hub, data=form, timeout=20)
        except (httpx.HTTPError, FetchError) as exc:
            log.warning(
                "hub unreachable", extra={"stage": "websub", "action": "error", "source": source, "error": str(exc)}
            )
            return
        finally:
            current_reach.reset(previous)
        if not answer.is_success:
            log.warning(
                "hub refused the subscription",
                extra={"stage": "websub", "action": "refused", "source": source, "status": answer.status_code},
            )
            return
        self.subscriptions.requested(source, hub=hub, topic=topic, token=token, secret=secret, now=now)
        log.info("subscribed", extra={"stage": "websub", "action": "subscribe", "source": source, "hub": hub})

    def verify(self, token: str, query: Mapping[str, str]) -> tuple[int, str]:
        """The hub's intent verification (§5.3): the challenge back, or 404 for a callback we do not know."""
        found = self.subscriptions.by_token(token)
        mode = query.get("hub.mode", "")
        if found is None or query.get("hub.topic") != found.topic:
            return 404, "unknown subscription"
        if mode == "denied":
            self.subscriptions.denied(token)
            log.warning(
                "hub denied the subscription", extra={"stage": "websub", "action": "denied", "source": found.source}
            )
            return 200, ""
        if mode != "subscribe":
            return 404, "not subscribing"
        lease = float(query.get("hub.lease_seconds") or REQUESTED_LEASE)
        self.subscriptions.verified(token, lease=lease, now=self.clock())
        log.info("subscription verified", extra={"stage": "websub", "action": "verified", "source": found.source})
        return 200, query.get("hub.challenge", "")

    def accept(self, token: str, body: bytes, signature: str | None) -> str | None:
        """The source a signed content distribution is for; None when it must be ignored (refused)."""
        found = self.subscriptions.by_token(token)
        if found is None or found.state != "active" or not signature_ok(found.secret, body, signature):
            log.warning(
                "push refused: unknown subscription or bad signature",
                extra={"stage": "websub", "action": "refused", "source": found.source if found else None},
            )
            return None
        return found.source
