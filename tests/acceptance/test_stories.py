"""Stories across outlets and languages, and the follow-up "surge" alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, TOPICS, run_monitor
from tests.support.newsweb import CROSS_LANGUAGE, OWN, NewsWeb
from tests.support.servers import FakeWeb, WebhookReceiver, body_of


def test_a_russian_rewrite_joins_the_english_story_and_another_event_does_not(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    web = NewsWeb(fake_web, [CROSS_LANGUAGE["en"]])
    web.outlets = web.outlets[:3]
    web.publish()
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'topics_file = "{TOPICS}"\n' + web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    )
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    # The next day: the rewrite on a Russian outlet, and a different event on a third one.
    web.add(web.outlets[1], CROSS_LANGUAGE["ru"], 10)
    web.add(web.outlets[2], CROSS_LANGUAGE["ru-other"], 11)
    web.publish()
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0

    alerts = webhook.payloads()
    keys = sorted(web.by_path[p["article"]["url"].removeprefix(fake_web.base)] for p in alerts)
    assert keys == ["cross-en", "cross-ru-other"]
    listing = run_monitor("stories", config=config, database_url=database)
    assert listing.code == 0, listing.stderr
    english = listing.stdout.split("NATO says 11,000 North Korean troops are in Kursk")[1].split("\n\n")[0]
    assert "2 copies" in english and "[ru]" in english and "[en]" in english


def test_a_story_reaching_three_outlets_gets_one_surge_alert(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    topics = TOPICS.read_text(encoding="utf-8").replace("outlets = 5", "outlets = 3")
    (tmp_path / "topics.toml").write_text(topics, encoding="utf-8")
    original = next(e for e in OWN if e["id"] == "own-kursk-en")
    copies = [
        {
            **original,
            "id": f"copy-{n}",
            "title": f"{original['title']} ({n})",
            "text": f"{original['text']}\nThis report was republished by partner outlet number {n}.",
        }
        for n in range(1, 4)
    ]
    web = NewsWeb(fake_web, [original])
    web.outlets = web.outlets[:4]
    web.publish()
    config = tmp_path / "monitor.toml"
    config.write_text(
        'topics_file = "topics.toml"\n' + web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    )
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    for n, copy in enumerate(copies, 1):  # one more outlet per run
        web.add(web.outlets[n], copy, 20 + n)
        web.publish()
        assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    kinds = [(p["topic"], p["kind"], p["story"]["copies"]) for p in webhook.payloads()]
    assert kinds == [("dprk-troop-deployment", "match", 1), ("dprk-troop-deployment", "surge", 3)]
    assert "Widely reported (3 outlets)" in smtp.messages[-1]["Subject"]
    # The follow-up says why each report is in the story.
    body = body_of(smtp.messages[-1], "plain")
    assert "first report of the story" in body
    assert body.count("near-duplicate of article ") >= 2


def test_a_report_swallowed_by_a_wrong_join_is_split_off_and_alerted(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    original = next(e for e in OWN if e["id"] == "own-kursk-en")
    # An analysis that quotes the whole report joins its story as a near-duplicate: no alert of its own.
    quoting = {
        **original,
        "id": "quoting",
        "title": "Analysis: what the figures from Kursk tell us",
        "text": f"{original['text']}\nA defence analyst said the count matched what allied agencies had seen.",
    }
    web = NewsWeb(fake_web, [original])
    web.outlets = web.outlets[:2]
    web.publish()
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'topics_file = "{TOPICS}"\n' + web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    )
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    web.add(web.outlets[1], quoting, 20)
    web.publish()
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    assert len(webhook.payloads()) == 1

    listing = run_monitor("stories", config=config, database_url=database)
    assert listing.code == 0, listing.stderr
    path = next(p for p, key in web.by_path.items() if key == "quoting")
    lines = listing.stdout.splitlines()
    line = next(n for n, text in enumerate(lines) if text.endswith(path))
    article_id = int(lines[line].split("article ")[1].split(":")[0])
    assert "near-duplicate of article 1 (Jaccard" in lines[line + 1] and "containment" in lines[line + 1]

    split = run_monitor("stories", "split", str(article_id), config=config, database_url=database)
    assert split.code == 0, split.stderr
    assert "new alerts: dprk-troop-deployment" in split.stdout
    again = run_monitor("stories", "split", str(article_id), config=config, database_url=database)
    assert again.code == 1 and "alone in its story" in again.stderr
    assert run_monitor("run", "--once", config=config, database_url=database).code == 0
    alerts = webhook.payloads()
    assert [web.by_path[p["article"]["url"].removeprefix(fake_web.base)] for p in alerts] == [
        "own-kursk-en",
        "quoting",
    ]
    assert alerts[1]["story"]["id"] != alerts[0]["story"]["id"]
