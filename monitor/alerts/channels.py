"""Channels send one alert each; a refusal raises DeliveryError with the reason."""

from __future__ import annotations

import asyncio
import json
import smtplib
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

import httpx
from standardwebhooks.webhooks import Webhook

from monitor.alerts.render import email_message, payload
from monitor.domain import AlertView
from monitor.errors import DeliveryError
from monitor.settings import ChannelSettings, EmailSettings, WebhookSettings


class Channel(Protocol):
    name: str

    def wants(self, topic: str) -> bool: ...

    async def send(self, alert: AlertView) -> None: ...


class WebhookChannel:
    """POST the contract payload; sign per Standard Webhooks when a secret is set."""

    def __init__(self, settings: WebhookSettings, client: httpx.AsyncClient, clock: Callable[[], datetime]) -> None:
        self.name = settings.name
        self._settings = settings
        self._client = client
        self._clock = clock
        secret = settings.secret
        # "whsec_<base64>" is the Standard Webhooks form; any other string is used as raw bytes.
        self._signer = None if not secret else Webhook(secret if secret.startswith("whsec_") else secret.encode())

    def wants(self, topic: str) -> bool:
        return self._settings.topics is None or topic in self._settings.topics

    async def send(self, alert: AlertView) -> None:
        body = json.dumps(payload(alert), ensure_ascii=False)
        now = self._clock()
        headers = {
            "Content-Type": "application/json",
            "webhook-id": alert.id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        if self._signer is not None:
            headers["webhook-signature"] = self._signer.sign(alert.id, now, body)
        try:
            response = await self._client.post(
                self._settings.url, content=body.encode(), headers=headers, timeout=self._settings.timeout
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.name}: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"webhook {self.name}: HTTP {response.status_code}")


class EmailChannel:
    """SMTP with optional STARTTLS or implicit TLS and login; smtplib runs in a thread."""

    def __init__(self, settings: EmailSettings) -> None:
        self.name = settings.name
        self._settings = settings

    def wants(self, topic: str) -> bool:
        return self._settings.topics is None or topic in self._settings.topics

    def _send_blocking(self, alert: AlertView) -> None:
        s = self._settings
        message = email_message(alert, sender=s.sender, to=s.to)
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
            smtp.send_message(message)

    async def send(self, alert: AlertView) -> None:
        try:
            await asyncio.to_thread(self._send_blocking, alert)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"email {self.name}: {type(exc).__name__}: {exc}") from None


def build_channels(
    settings: Sequence[ChannelSettings],
    client: httpx.AsyncClient,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    for item in settings:
        if not item.enabled:
            continue
        if isinstance(item, WebhookSettings):
            channels[item.name] = WebhookChannel(item, client, clock)
        else:
            channels[item.name] = EmailChannel(item)
    return channels
