"""Channels send one alert, or one digest of several; a refusal raises DeliveryError.

Success means the far side confirmed: a 2xx answer for webhooks (a 404 is a failure),
an accepted SMTP transaction, Apprise reporting every URL notified.
"""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from standardwebhooks.webhooks import Webhook

from monitor.alerts.render import Renderer, payload, subject
from monitor.domain import AlertView
from monitor.errors import DeliveryError
from monitor.fetch import parse_retry_after
from monitor.settings import AppriseSettings, ChannelSettings, EmailSettings, WebhookSettings


class Channel(Protocol):
    name: str
    is_digest: bool

    def wants(self, topic: str) -> bool: ...

    async def send(self, alert: AlertView) -> None: ...

    async def send_digest(self, alerts: Sequence[AlertView], digest_id: str) -> None: ...


class _Base:
    def __init__(self, settings: WebhookSettings | EmailSettings | AppriseSettings) -> None:
        self.name = settings.name
        self.is_digest = settings.is_digest
        self.wants = settings.wants


class WebhookChannel(_Base):
    """POST the contract payload; sign per Standard Webhooks when a secret is set."""

    def __init__(self, settings: WebhookSettings, client: httpx.AsyncClient, clock: Callable[[], datetime]) -> None:
        super().__init__(settings)
        self._settings = settings
        self._client = client
        self._clock = clock
        secret = settings.secret
        # "whsec_<base64>" is the Standard Webhooks form; any other string is used as raw bytes.
        self._signer = None if not secret else Webhook(secret if secret.startswith("whsec_") else secret.encode())

    async def _post(self, message_id: str, body: str) -> None:
        now = self._clock()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        if self._signer is not None:
            headers["webhook-signature"] = self._signer.sign(message_id, now, body)
        try:
            response = await self._client.post(
                self._settings.url, content=body.encode(), headers=headers, timeout=self._settings.timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.name}: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            delay = parse_retry_after(response.headers.get("Retry-After"), now)
            raise DeliveryError(f"webhook {self.name}: HTTP {response.status_code}", retry_after=delay)

    async def send(self, alert: AlertView) -> None:
        await self._post(alert.id, json.dumps(payload(alert), ensure_ascii=False))

    async def send_digest(self, alerts: Sequence[AlertView], digest_id: str) -> None:
        body = {
            "id": digest_id,
            "kind": "digest",
            "alerts": [payload(a) for a in alerts],
            "created": self._clock().isoformat(),
        }
        await self._post(digest_id, json.dumps(body, ensure_ascii=False))


class EmailChannel(_Base):
    """SMTP with optional STARTTLS or implicit TLS and login; smtplib runs in a thread."""

    def __init__(self, settings: EmailSettings, renderer: Renderer, clock: Callable[[], datetime]) -> None:
        super().__init__(settings)
        self._settings = settings
        self._renderer = renderer
        self._clock = clock

    def _deliver(self, message: object) -> None:
        s = self._settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.ssl:
            smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout)
        with smtp:
            if s.starttls:
                smtp.starttls(context=context)
            if s.username:
                smtp.login(s.username, s.password or "")
            smtp.send_message(message)  # type: ignore[arg-type]

    async def _send(self, message: object) -> None:
        try:
            await asyncio.to_thread(self._deliver, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email {self.name}: {type(exc).__name__}: {exc}") from None

    async def send(self, alert: AlertView) -> None:
        await self._send(self._renderer.email(alert, sender=self._settings.sender, to=self._settings.to))

    async def send_digest(self, alerts: Sequence[AlertView], digest_id: str) -> None:
        s = self._settings
        message = self._renderer.digest_email(
            alerts, sender=s.sender, to=s.to, channel=self.name, digest_id=digest_id, now=self._clock()
        )
        await self._send(message)


class AppriseChannel(_Base):
    """Slack, Telegram, Discord, Teams, ntfy, Matrix, ... through Apprise URLs."""

    def __init__(self, settings: AppriseSettings, renderer: Renderer) -> None:
        super().__init__(settings)
        self._urls = settings.urls
        self._renderer = renderer

    def _notify(self, title: str, body: str) -> None:
        import apprise  # noqa: PLC0415  (a heavy import, paid only by configs that use Apprise)

        notifier = apprise.Apprise()
        for url in self._urls:
            if not notifier.add(url):
                raise DeliveryError(f"apprise {self.name}: not an Apprise URL: {url.split(':')[0]}://…")
        with apprise.LogCapture(level=apprise.logging.WARNING) as captured:  # type: ignore[no-untyped-call]
            ok = notifier.notify(title=title, body=body)
        if not ok:
            reason = " ".join(captured.getvalue().split())[-300:] or "a service refused the notification"
            raise DeliveryError(f"apprise {self.name}: {reason}")

    async def send(self, alert: AlertView) -> None:
        await asyncio.to_thread(self._notify, subject(alert), self._renderer.text(alert))

    async def send_digest(self, alerts: Sequence[AlertView], digest_id: str) -> None:
        title = f"Digest: {len(alerts)} alerts"
        await asyncio.to_thread(self._notify, title, self._renderer.digest_text(alerts, self.name))


# The channel types: a new one is its settings model (monitor.settings), its class and a line here.
CHANNELS: dict[str, Callable[[Any, httpx.AsyncClient, Callable[[], datetime], Renderer], Channel]] = {
    "webhook": lambda settings, client, clock, _renderer: WebhookChannel(settings, client, clock),
    "email": lambda settings, _client, clock, renderer: EmailChannel(settings, renderer, clock),
    "apprise": lambda settings, _client, _clock, renderer: AppriseChannel(settings, renderer),
}


def build_channels(
    settings: Sequence[ChannelSettings],
    client: httpx.AsyncClient,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    renderer: Renderer | None = None,
) -> dict[str, Channel]:
    renderer = renderer or Renderer()
    return {item.name: CHANNELS[item.type](item, client, clock, renderer) for item in settings if item.enabled}
