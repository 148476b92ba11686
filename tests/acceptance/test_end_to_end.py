"""`monitor run --once` against a local fake news web, a real SMTP server and a webhook receiver.

The alerts must match the labels exactly (null: either), one per (story, topic); webhook
signatures verify with the Standard Webhooks reference library; a second run sends nothing;
a syndicated copy on another outlet sends nothing and joins the story.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from standardwebhooks.webhooks import Webhook

from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.support.newsweb import OWN, SYNDICATED, NewsWeb, load_examples
from tests.support.pages import article_page, sitemap
from tests.support.servers import FakeWeb, WebhookReceiver


def alert_table(web: NewsWeb, payloads: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    base = web.web.base
    return Counter((web.by_path[p["article"]["url"].removeprefix(base).split("?")[0]], p["topic"]) for p in payloads)


def expected_pairs(web: NewsWeb) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    must = {(key, topic) for key, labels in web.labels.items() for topic, value in labels.items() if value == 1}
    either = {(key, topic) for key, labels in web.labels.items() for topic, value in labels.items() if value is None}
    return must, either


def test_once_alerts_match_labels_and_second_run_sends_nothing(
    corpus: Path, tmp_path: Path, database_url: str, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    web = NewsWeb(fake_web, load_examples(corpus) + OWN)
    web.publish()
    config = write_config(
        tmp_path / "monitor.toml", web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    )

    first = run_monitor("run", "--once", config=config, database_url=database_url)
    assert first.code == 0, first.stderr

    payloads = webhook.payloads()
    table = alert_table(web, payloads)
    must, either = expected_pairs(web)
    print("alert table:", sorted(table))  # quoted in the closing note
    assert max(table.values()) == 1, "one alert per (story, topic)"
    assert must <= set(table), f"missing alerts: {sorted(must - set(table))}"
    assert set(table) <= must | either, f"unexpected alerts: {sorted(set(table) - must - either)}"
    assert len({(p["story"]["id"], p["topic"]) for p in payloads}) == len(payloads)

    # Standard Webhooks signatures verify with the reference implementation.
    verifier = Webhook(SECRET)
    for headers, body in webhook.posts:
        assert verifier.verify(body, {k.lower(): v for k, v in headers.items()})["id"] == headers["webhook-id"]
    sample = payloads[0]
    assert set(sample) == {"id", "topic", "kind", "article", "story", "matches", "created"}
    assert set(sample["article"]) == {"url", "title", "source", "published", "language", "snippet"}
    assert sample["matches"] and sample["article"]["snippet"]

    # The same alerts arrive by email: multipart, subject naming topic, title and outlet.
    mails = {m["X-Monitor-Alert-Id"]: m for m in smtp.messages}
    assert set(mails) == {p["id"] for p in payloads}
    for p in payloads:
        mail = mails[p["id"]]
        assert p["topic"] in mail["Subject"] and p["article"]["source"] in mail["Subject"]
        assert mail.get_body(("html",)) is not None and "<mark>" in mail.get_body(("html",)).get_content()
        assert p["article"]["url"] in mail.get_body(("plain",)).get_content()

    # A second run sends nothing and fetches no article page again (feeds answer 304).
    pages_before = len(fake_web.paths_requested())
    second = run_monitor("run", "--once", config=config, database_url=database_url)
    assert second.code == 0, second.stderr
    assert len(webhook.posts) == len(payloads) and len(smtp.messages) == len(payloads)
    again = fake_web.paths_requested()[pages_before:]
    assert not [p for p in again if p.startswith("/news/")], again

    # A syndicated, re-headlined copy on another outlet: recorded in the story, not sent.
    daily = web.outlet("daily-news-sitemap")
    copy = web.add(daily, SYNDICATED, 99)
    fake_web.add(copy.path, article_page(daily.name, copy))
    fake_web.add(daily.entry, sitemap(fake_web.base, daily.stories, news=True), content_type="application/xml")
    third = run_monitor("run", "--once", config=config, database_url=database_url)
    assert third.code == 0, third.stderr
    assert len(webhook.posts) == len(payloads)
    assert copy.path in fake_web.paths_requested()
    engine = create_engine(database_url)
    with engine.connect() as db:
        copies = db.execute(
            text("SELECT s.copies FROM stories s JOIN articles a ON a.story_id = s.id WHERE a.url LIKE :u"),
            {"u": f"%{copy.path}"},
        ).scalar_one()
    engine.dispose()
    assert copies == 2
    original = next(p for p in payloads if p["article"]["url"].endswith("own-kursk-en-report"))
    assert original["topic"] == "dprk-troop-deployment"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_distinct_events_with_similar_wording_are_separate_stories(
    tmp_path: Path, database_url: str, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    """Duma vote -> Federation Council vote -> president's signature -> exchange of instruments."""
    events = [e for e in OWN if e["id"] in ("own-duma-vote", "own-senate-vote", "own-signature", "own-exchange")]
    web = NewsWeb(fake_web, events)
    web.publish()
    config = write_config(
        tmp_path / "monitor.toml", web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    )
    assert run_monitor("run", "--once", config=config, database_url=database_url).code == 0
    stories = {p["story"]["id"] for p in webhook.payloads()}
    assert len(stories) == 4
    assert {p["topic"] for p in webhook.payloads()} == {"treaty-ratification"}
