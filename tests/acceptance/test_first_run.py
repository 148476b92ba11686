"""A new user's first run and daily operation: the demo, honest state, clear errors (issue 21).

Each test stands for one thing a new user ran into; the articles and pages are written for these tests.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.config_file import load_settings
from tests.acceptance.conftest import SECRET, run_monitor, write_config
from tests.conftest import ROOT
from tests.support.pages import Story, article_page, rss2
from tests.support.servers import FakeWeb, WebhookReceiver

STORY = Story(
    "own-vote",
    "/news/2024/11/duma-backs-pact",
    "Duma backs North Korea pact",
    "Deputies of the State Duma voted on Thursday to ratify the partnership treaty with North Korea.\n"
    "The speaker said the vote was unanimous; the bill now goes to the upper chamber for approval.",
    "en",
    datetime(2024, 10, 24, 9, tzinfo=UTC),
)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db.sqlite'}"


def rows(tmp_path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "db.sqlite") as connection:
        return connection.execute(query).fetchall()


def hook_config(webhook: WebhookReceiver, sources: str, extra: str = "") -> str:
    return (
        f"[fetch]\nretries = 0\nhost_interval = 0\n{extra}\n{sources}\n"
        f'[[channels]]\nname = "hook"\ntype = "webhook"\nurl = "{webhook.url}"\nsecret = "{SECRET}"\noperator = true\n'
    )


def test_demo_shows_an_alert_of_each_shipped_topic_offline(tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    result = run_monitor("demo", config=config, database_url=sqlite_url(tmp_path), timeout=120)
    assert result.code == 0, result.stderr
    assert "ALERT [treaty-ratification]" in result.stdout and "ALERT [dprk-troop-deployment]" in result.stdout
    assert "why: " in result.stdout and "evidence: " in result.stdout
    assert not (tmp_path / "db.sqlite").exists()  # the demo keeps to its own temporary database


def test_a_run_whose_alerts_go_nowhere_says_so(tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver) -> None:
    fake_web.add("/feed.xml", rss2("outlet", fake_web.base, []), content_type="application/rss+xml")
    source = f'[[sources]]\nname = "outlet"\nurl = "{fake_web.base}/feed.xml"\n'
    silent = write_config(tmp_path / "silent.toml", source)
    result = run_monitor("run", "--once", config=silent, database_url=sqlite_url(tmp_path))
    assert result.code == 0 and "no channel is enabled" in result.stderr and "delivered to no one" in result.stderr
    partial = write_config(
        tmp_path / "partial.toml",
        hook_config(webhook, source).replace("operator = true", 'topics = ["treaty-ratification"]'),
    )
    result = run_monitor("run", "--once", config=partial, database_url=sqlite_url(tmp_path))
    assert "topic 'dprk-troop-deployment' has no enabled channel" in result.stderr
    assert "topic 'treaty-ratification'" not in result.stderr


def test_a_refused_link_is_asked_again_once_the_configuration_allows_it(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver
) -> None:
    with FakeWeb(host="127.0.0.2", port=fake_web.port).running() as inside:
        inside.add(STORY.path, article_page("inside", STORY))
        feed = rss2("outlet", inside.base, [STORY])  # the feed on 127.0.0.1 links to 127.0.0.2
        fake_web.add("/feed.xml", feed, content_type="application/rss+xml")
        sources = f'[[sources]]\nname = "outlet"\nurl = "{fake_web.base}/feed.xml"\n'
        config = write_config(tmp_path / "monitor.toml", hook_config(webhook, sources))
        assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
        ((status, reason),) = rows(tmp_path, "SELECT status, reason FROM articles")
        assert status == "refused" and "fetch.allow_private" in reason and "robots.txt" not in reason
        assert inside.requests == [] and webhook.payloads() == []

        # The user allows the host: the next run fetches the link (the feed itself has not changed).
        allowed = hook_config(webhook, sources, extra='allow_private = ["127.0.0.2"]')
        config = write_config(tmp_path / "monitor.toml", allowed)
        assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
        assert rows(tmp_path, "SELECT status FROM articles") == [("ok",)]
        assert [p["topic"] for p in webhook.payloads()] == ["treaty-ratification"]


def test_sources_retry_fetches_a_rejected_link_again(
    tmp_path: Path, fake_web: FakeWeb, webhook: WebhookReceiver
) -> None:
    fake_web.add("/feed.xml", rss2("outlet", fake_web.base, [STORY]), content_type="application/rss+xml")
    fake_web.add(STORY.path, b"gone", status=404)
    sources = f'[[sources]]\nname = "outlet"\nurl = "{fake_web.base}/feed.xml"\n'
    config = write_config(tmp_path / "monitor.toml", hook_config(webhook, sources))
    assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
    assert rows(tmp_path, "SELECT status FROM articles") == [("rejected",)]

    fake_web.add(STORY.path, article_page("outlet", STORY))  # the outlet fixed its page
    assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
    assert rows(tmp_path, "SELECT status FROM articles") == [("rejected",)]  # a 404 is not asked again...
    result = run_monitor("sources", "retry", "outlet", config=config, database_url=sqlite_url(tmp_path))
    assert result.code == 0 and result.stdout.strip() == "1 source due now; 1 link will be fetched again"
    assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
    assert rows(tmp_path, "SELECT status FROM articles") == [("ok",)]  # ...until asked to
    nothing = run_monitor("sources", "retry", config=config, database_url=sqlite_url(tmp_path))
    assert nothing.code == 2 and "give a source name or --rejected" in nothing.stderr


def test_a_source_never_read_is_new_then_failing(tmp_path: Path, webhook: WebhookReceiver) -> None:
    sources = '[[sources]]\nname = "dead"\nurl = "http://127.0.0.1:9/feed.xml"\n'  # nothing listens on port 9
    config = write_config(tmp_path / "monitor.toml", hook_config(webhook, sources))
    before = run_monitor("sources", config=config, database_url=sqlite_url(tmp_path))
    assert before.code == 0 and "dead  NEW  " in before.stdout
    assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
    after = run_monitor("sources", config=config, database_url=sqlite_url(tmp_path))
    assert "dead  FAILING  " in after.stdout and "failed polls in a row 1" in after.stdout
    (alert,) = webhook.payloads()
    assert alert["kind"] == "source" and alert["source"]["previous"] == "new" and alert["source"]["state"] == "failing"


def test_empty_lists_say_so_and_deliveries_show_their_next_attempt(tmp_path: Path, fake_web: FakeWeb) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    stories = run_monitor("stories", config=config, database_url=sqlite_url(tmp_path))
    alerts = run_monitor("alerts", config=config, database_url=sqlite_url(tmp_path))
    assert stories.stdout.startswith("no stories yet") and alerts.stdout.startswith("no alerts yet")

    fake_web.add("/feed.xml", rss2("outlet", fake_web.base, [STORY]), content_type="application/rss+xml")
    fake_web.add(STORY.path, article_page("outlet", STORY))
    refusing = f"{fake_web.base}/hook"  # answers 404: the delivery stays pending
    body = (
        f'[service]\nonce_delivery_attempts = 1\n[fetch]\nhost_interval = 0\n[[sources]]\nname = "outlet"\n'
        f'url = "{fake_web.base}/feed.xml"\n[[channels]]\nname = "hook"\ntype = "webhook"\nurl = "{refusing}"\n'
    )
    config = write_config(tmp_path / "monitor.toml", body)
    assert run_monitor("run", "--once", config=config, database_url=sqlite_url(tmp_path)).code == 0
    listed = run_monitor("alerts", config=config, database_url=sqlite_url(tmp_path)).stdout
    assert re.search(
        r"hook: pending, 1 attempt so far, next attempt \d{4}-\d\d-\d\d \d\d:\d\d; last error: ", listed
    ), listed
    shown = run_monitor("stories", config=config, database_url=sqlite_url(tmp_path)).stdout
    assert "; 1 copy; " in shown


def test_version_units_fetch_errors_and_names(tmp_path: Path, fake_web: FakeWeb) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    version = run_monitor("--version", config=config, database_url=sqlite_url(tmp_path))
    assert version.code == 0 and re.fullmatch(r"monitor \d+\.\d+\.\d+\n", version.stdout)
    since = run_monitor("topics", "backtest", "--since", "30", config=config, database_url=sqlite_url(tmp_path))
    assert since.code == 2 and "needs a unit" in since.stderr
    missing = run_monitor(
        "topics", "test", f"{fake_web.base}/nowhere", config=config, database_url=sqlite_url(tmp_path)
    )
    assert missing.code == 1 and missing.stderr.startswith(f"cannot fetch {fake_web.base}/nowhere: ")
    assert "config error" not in missing.stderr

    (tmp_path / "monitor.toml").write_text('topics_file = "rules/absent.toml"\n', encoding="utf-8")
    absent = run_monitor("topics", "check", config=tmp_path / "monitor.toml", database_url=sqlite_url(tmp_path))
    assert absent.code == 2 and str(tmp_path / "rules" / "absent.toml") in absent.stderr

    rules = '[[topics]]\nname = "harvest"\n[[topics.rules]]\nname = "grain"\nall = ["ghost"]\n'
    (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
    (tmp_path / "monitor.toml").write_text('topics_file = "rules.toml"\n', encoding="utf-8")
    named = run_monitor("topics", "check", config=tmp_path / "monitor.toml", database_url=sqlite_url(tmp_path))
    assert 'topics."harvest".rules."grain".all[0]: unknown list' in named.stderr


def test_database_folder_errors_are_one_line_with_exit_3(tmp_path: Path) -> None:
    config = write_config(tmp_path / "monitor.toml", "")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    result = run_monitor("stories", config=config, database_url=f"sqlite:///{blocked}/sub/db.sqlite")
    assert result.code == 3 and result.stderr.count("\n") == 1 and "cannot create its folder" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the command as another user")
def test_a_read_only_folder_is_named_with_the_wal_files() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as name:  # pytest's own folders are closed to other users
        place = Path(name)
        place.chmod(0o755)
        folder = place / "ro"
        folder.mkdir()
        database = folder / "db.sqlite"
        sqlite3.connect(database).close()
        database.chmod(0o666)  # the file is writable, its folder is not (for nobody)
        config = write_config(place / "monitor.toml", "")
        config.chmod(0o644)
        _run_as_nobody(database, config)


def _run_as_nobody(database: Path, config: Path) -> None:
    env = {**os.environ, "MONITOR_DATABASE_URL": f"sqlite:///{database}", "HOME": str(config.parent)}
    done = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-m", "monitor",
         "stories", "--config", str(config)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "read-only" in done.stderr and "db.sqlite-wal" in done.stderr and done.stderr.count("\n") == 1


def test_the_readme_channel_example_loads_without_its_secret(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if 'type = "webhook"' in b)
    config = tmp_path / "monitor.toml"
    config.write_text(block, encoding="utf-8")
    settings = load_settings(config, env={"TELEGRAM_TOKEN": "t", "TELEGRAM_CHAT": "c"})
    webhook = next(c for c in settings.channels if c.type == "webhook")
    assert webhook.secret is None  # unset: the example's secret is optional, as it says


def test_the_container_runs_unprivileged_with_a_healthcheck_and_pinned_dependencies() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".venv/" in ignored and ".git/" in ignored
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    healthcheck = next(i for i, line in enumerate(lines) if line.startswith("HEALTHCHECK "))
    assert "/healthz" in lines[healthcheck] + lines[healthcheck + 1]  # the console's health endpoint
    install = next(line for line in lines if "pip install" in line)
    assert "--constraint constraints.txt" in install
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8").split()
    for package in ("httpx", "trafilatura", "sqlalchemy", "pymorphy3"):
        assert any(p.lower().startswith(f"{package}==") for p in pins), package


def test_compose_file_parses_with_an_operator_channel_to_mailpit() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "mailpit", "monitor", "console"}
    assert services["monitor"]["deploy"]["replicas"] >= 2  # several instances share PostgreSQL
    assert services["console"]["command"][:2] == ["monitor", "web"] and services["console"]["ports"]
    assert services["postgres"]["image"].startswith("postgres:") and "latest" not in services["mailpit"]["image"]
    assert services["monitor"]["build"] == "."
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "/healthz" in str(services["monitor"]["healthcheck"]["test"])
    # compose's own ${NAME:-default}, as `docker compose config` resolves it with nothing set
    environment = {
        k: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(v)) for k, v in services["monitor"]["environment"].items()
    }
    assert environment["MONITOR_EMAIL_OPERATOR"] == "true" and environment["SMTP_HOST"] == "mailpit"
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", []) if not v.startswith(".")}
    assert named <= set(compose["volumes"])
    shipped = load_settings(ROOT / "config" / "monitor.toml", env=environment)
    email = next(c for c in shipped.channels if c.type == "email")
    assert email.enabled and email.operator  # source health alerts reach Mailpit's inbox
    assert shipped.web is not None and shipped.web.listen == "0.0.0.0:8080"  # what the healthcheck asks
