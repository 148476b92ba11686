from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from monitor.alerts.render import Renderer, payload, subject
from monitor.domain import AlertView, Article, Evidence
from tests.support.servers import body_of

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
RULE = "North Korean soldiers and Russia, in one sentence"
ALERT = AlertView(
    id="a1b2",
    topic="dprk-troop-deployment",
    kind="match",
    created=datetime(2024, 11, 1, 10, tzinfo=UTC),
    article=ARTICLE,
    story_id="s1",
    story_copies=3,
    matches=(Evidence("north korea*", SENTENCE, 0, 12, rule=RULE), Evidence("troop*", SENTENCE, 13, 19, rule=RULE)),
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
        "matches": [
            {"term": "north korea*", "sentence": SENTENCE, "rule": RULE},
            {"term": "troop*", "sentence": SENTENCE, "rule": RULE},
        ],
        "created": "2024-11-01T10:00:00+00:00",
    }


def test_email_is_multipart_escaped_and_highlighted() -> None:
    message = Renderer().email(ALERT, sender="monitor@desk.test", to=("a@desk.test",))
    assert message["Subject"] == subject(ALERT) == "[dprk-troop-deployment] Troops <sent> & more — wire"
    assert message["Message-ID"] == "<a1b2@desk.test>"
    html = body_of(message, "html")
    assert "<mark>North Korean</mark> <mark>troops</mark> were &lt;b&gt;sent&lt;/b&gt;" in html
    assert "Troops &lt;sent&gt; &amp; more" in html and "<b>sent</b>" not in html
    assert 'href="https://wire.test/a?x=1&amp;y=2"' in html and "gazette, herald" in html
    plain = body_of(message, "plain")
    assert ARTICLE.url in plain and SENTENCE in plain


def test_email_names_the_rule_that_fired() -> None:
    message = Renderer().email(ALERT, sender="monitor@desk.test", to=("a@desk.test",))
    assert f"Why: {RULE}" in body_of(message, "plain")
    assert f"Why: {RULE}" in body_of(message, "html")


def test_hostile_title_and_text_render_safely_and_add_no_header() -> None:
    hostile = "<script>alert(1)</script>\r\nBcc: victim@evil.test\r\n\r\nbody" + " very long" * 200
    article = replace(ARTICLE, title=hostile)
    sentence = "<img src=x onerror=alert(1)> North Korean troops\r\nX-Injected: yes"
    alert = replace(ALERT, article=article, matches=(Evidence("troop*", sentence, 43, 49),))
    message = Renderer().email(alert, sender="monitor@desk.test", to=("a@desk.test",))
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"] and len(message["Subject"]) <= 200
    raw = message.as_bytes()
    head = raw.split(b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n", 1)[0]
    names = {line.split(b":")[0].lower() for line in head.splitlines() if line and not line[:1].isspace()}
    assert names == {
        b"subject",
        b"from",
        b"to",
        b"date",
        b"message-id",
        b"x-monitor-alert-id",
        b"mime-version",
        b"content-type",
    }
    html = body_of(message, "html")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    plain = body_of(message, "plain")
    assert "very long" in plain  # the text part carries the content as text


def test_templates_can_be_overridden_from_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "email.txt.j2").write_text("Custom: {{ alert.topic }} {{ alert.article.title }}\n", encoding="utf-8")
    message = Renderer(tmp_path).email(ALERT, sender="m@x.test", to=("a@x.test",))
    assert body_of(message, "plain").startswith("Custom: dprk-troop-deployment Troops <sent>")
    assert "<mark>" in body_of(message, "html")  # the built-in HTML template still applies


def test_digest_groups_by_topic_and_story() -> None:
    second = replace(ALERT, id="c3", created=ALERT.created.replace(minute=30))
    other = replace(ALERT, id="d4", topic="treaty-ratification", story_id="s2")
    message = Renderer().digest_email(
        [ALERT, second, other],
        sender="m@x.test",
        to=("a@x.test",),
        channel="desk",
        digest_id="digest-1",
        now=ALERT.created,
    )
    text = body_of(message, "plain")
    assert "3 alerts for desk" in text
    assert text.index("== dprk-troop-deployment (1 stories)") < text.index("== treaty-ratification (1 stories)")
    assert message["X-Monitor-Alert-Ids"] == "a1b2 c3 d4"
