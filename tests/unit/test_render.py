from __future__ import annotations

from datetime import UTC, datetime

from monitor.alerts.render import email_message, payload, subject
from monitor.domain import AlertView, Article, Evidence

ARTICLE = Article(
    source="wire",
    url="https://wire.test/a?x=1&y=2",
    canonical_url="https://wire.test/a?x=1&y=2",
    title="Troops <sent> & more",
    text="...",
    language="en",
    published=datetime(2024, 11, 1, 9, tzinfo=UTC),
    fetched_at=datetime(2024, 11, 1, 10, tzinfo=UTC),
)
SENTENCE = "North Korean troops were <b>sent</b> to Russia."
ALERT = AlertView(
    id="a1b2",
    topic="dprk-troop-deployment",
    kind="match",
    created=datetime(2024, 11, 1, 10, tzinfo=UTC),
    article=ARTICLE,
    story_id="s1",
    story_copies=3,
    matches=(Evidence("north korea*", SENTENCE, 0, 12), Evidence("troop*", SENTENCE, 13, 19)),
    other_outlets=("gazette", "herald"),
)


def test_payload_follows_the_contract() -> None:
    body = payload(ALERT)
    assert body == {
        "id": "a1b2",
        "topic": "dprk-troop-deployment",
        "kind": "match",
        "article": {
            "url": ARTICLE.url,
            "title": ARTICLE.title,
            "source": "wire",
            "published": "2024-11-01T09:00:00+00:00",
            "language": "en",
            "snippet": SENTENCE,
        },
        "story": {"id": "s1", "copies": 3},
        "matches": [{"term": "north korea*", "sentence": SENTENCE}, {"term": "troop*", "sentence": SENTENCE}],
        "created": "2024-11-01T10:00:00+00:00",
    }


def test_email_is_multipart_escaped_and_highlighted() -> None:
    message = email_message(ALERT, sender="monitor@desk.test", to=("a@desk.test",))
    assert message["Subject"] == subject(ALERT) == "[dprk-troop-deployment] Troops <sent> & more — wire"
    assert message["Message-ID"] == "<a1b2@desk.test>"
    html = message.get_body(("html",)).get_content()
    assert "<mark>North Korean</mark> <mark>troops</mark> were &lt;b&gt;sent&lt;/b&gt;" in html
    assert "Troops &lt;sent&gt; &amp; more" in html and "<b>sent</b>" not in html
    assert 'href="https://wire.test/a?x=1&amp;y=2"' in html and "gazette, herald" in html
    plain = message.get_body(("plain",)).get_content()
    assert ARTICLE.url in plain and SENTENCE in plain
