"""`monitor topics check | test | eval | backtest` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.acceptance.conftest import SECRET, TOPICS, run_monitor, write_config
from tests.support.newsweb import OWN, NewsWeb
from tests.support.pages import Story, article_page
from tests.support.servers import FakeWeb, WebhookReceiver


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def test_check_summarises_the_shipped_rules(tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    result = run_monitor("topics", "check", config=config, database_url=sqlite(tmp_path))
    assert result.code == 0, result.stderr
    assert "2 topics" in result.stdout and "- treaty-ratification:" in result.stdout
    assert "- dprk-troop-deployment:" in result.stdout and "ko " in result.stdout


def test_eval_on_the_dev_set_is_perfect(corpus: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    result = run_monitor("topics", "eval", str(corpus / "dev.jsonl"), config=config, database_url=sqlite(tmp_path))
    assert result.code == 0, result.stdout + result.stderr
    for topic in ("treaty-ratification", "dprk-troop-deployment"):
        assert f"{topic}: precision 1.000 recall 1.000" in result.stdout


def test_eval_on_real_reporting_reaches_097_for_each_topic(corpus: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    path = corpus / "real_dev.jsonl"
    result = run_monitor("topics", "eval", str(path), config=config, database_url=sqlite(tmp_path))
    for topic in ("treaty-ratification", "dprk-troop-deployment"):
        line = next(x for x in result.stdout.splitlines() if x.startswith(f"{topic}: "))
        words = line.split()
        precision, recall = float(words[words.index("precision") + 1]), float(words[words.index("recall") + 1])
        assert precision >= 0.97 and recall >= 0.97, result.stdout
        for language in ("en", "ru", "uk", "ko"):  # each language has its own line under the topic
            assert f"\n  {language}: precision " in result.stdout


def test_eval_groups_wrong_cases_by_language_and_rule(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    rows = [  # written for this test: a false alarm in English, a miss in Russian, a right case in Korean
        {"id": "fa", "lang": "en", "title": "", "text": "North Korean troops were sent to Russia.",
         "labels": {"dprk-troop-deployment": 0}},
        {"id": "miss", "lang": "ru", "title": "", "text": "Северокорейские солдаты прошли парадом по площади в Москве.",
         "labels": {"dprk-troop-deployment": 1}},
        {"id": "ok", "lang": "ko", "title": "", "text": "북한군 병력이 러시아 쿠르스크에 배치됐다.",
         "labels": {"dprk-troop-deployment": 1}},
    ]  # fmt: skip
    cases.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    config = write_config(tmp_path / "monitor.toml", "")
    result = run_monitor("topics", "eval", str(cases), config=config, database_url=sqlite(tmp_path))
    assert result.code == 1
    out = result.stdout
    assert "  ko: precision 1.000 recall 1.000" in out and "  en: precision 0.000" in out
    assert '[en] dprk-troop-deployment, false alarm: rule "North Korean soldiers and Russia or the war' in out
    assert '[ru] dprk-troop-deployment, missed: nearest rule "North Korean soldiers and Russia or the war' in out
    assert "vetoed by not_now" in out  # the parade: the analyst sees which veto struck
    assert "WRONG fa:" in out and "WRONG miss:" in out and "WRONG ok" not in out

    only = run_monitor("topics", "eval", "--only-wrong", str(cases), config=config, database_url=sqlite(tmp_path))
    assert only.code == 1 and "precision" not in only.stdout and "WRONG fa:" in only.stdout


def test_eval_reports_a_wrong_case_with_its_evidence_and_exits_1(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps(
            {
                "id": "c1",
                "lang": "en",
                "title": "North Korean troops sent to Russia",
                "text": "Officials confirmed it.",
                "labels": {"dprk-troop-deployment": 0, "treaty-ratification": None},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    config = write_config(tmp_path / "monitor.toml", "")
    result = run_monitor("topics", "eval", str(cases), config=config, database_url=sqlite(tmp_path))
    assert result.code == 1
    assert "WRONG c1: expected no match" in result.stdout
    assert "[troops]" in result.stdout  # the evidence, with the hit marked in its sentence


def test_test_scores_a_file_and_a_url(tmp_path: Path, fake_web: FakeWeb) -> None:
    example = next(e for e in OWN if e["id"] == "own-in-force-uk")
    story = Story(
        "x",
        "/news/2024/12/treaty-in-force",
        str(example["title"]),
        str(example["text"]),
        "uk",
        datetime(2024, 12, 4, tzinfo=UTC),
    )
    page = tmp_path / "page.html"
    page.write_bytes(article_page("Outlet", story))
    fake_web.add(story.path, article_page("Outlet", story))
    config = write_config(tmp_path / "monitor.toml", "")
    for target in (str(page), f"{fake_web.base}{story.path}"):
        result = run_monitor("topics", "test", target, config=config, database_url=sqlite(tmp_path))
        assert result.code == 0, result.stderr
        assert "treaty-ratification: MATCH" in result.stdout
        assert "dprk-troop-deployment: no match" in result.stdout
        assert "'ратифі*' @" in result.stdout or "'набу* чинност*' @" in result.stdout


def test_backtest_lists_what_new_rules_would_change_and_sends_nothing(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver, smtp: Any
) -> None:
    web = NewsWeb(fake_web, [e for e in OWN if e["id"] in ("own-harvest-en", "own-kursk-en")])
    web.publish()
    body = web.config(webhook_url=webhook.url, secret=SECRET, smtp_port=smtp.port)
    config = write_config(tmp_path / "monitor.toml", body)
    assert run_monitor("run", "--once", config=config, database_url=sqlite(tmp_path)).code == 0
    sent = len(webhook.posts)

    # New rules: a harvest topic appears; the troops topic is gone.
    rules = TOPICS.read_text(encoding="utf-8")
    start = rules.index('[[topics]]\nname = "dprk-troop-deployment"')
    (tmp_path / "topics.toml").write_text(
        rules[:start]
        + '[[topics]]\nname = "harvest"\n[topics.lists.grain]\nen = ["harvest*"]\n[[topics.rules]]\nany = ["grain"]\n',
        encoding="utf-8",
    )
    config.write_text('topics_file = "topics.toml"\n' + body, encoding="utf-8")
    result = run_monitor("topics", "backtest", "--since", "30d", config=config, database_url=sqlite(tmp_path))
    assert result.code == 0, result.stderr
    assert "+ harvest: Farmers expect record grain harvest" in result.stdout
    assert "- dprk-troop-deployment: Kyiv says North Korean units" in result.stdout
    assert "2 stored articles since 30d re-scored; 2 changes (nothing sent)" in result.stdout
    assert len(webhook.posts) == sent
