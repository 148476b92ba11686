from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config_file import load_settings
from monitor.errors import ConfigError
from monitor.settings import WebhookSettings, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("2d", 172800)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["30", 30, 1.5, "30 days"])
def test_a_duration_needs_a_unit(text: str | float) -> None:
    with pytest.raises(ValueError, match=r"needs a unit|is not a duration"):
        parse_duration(text)


def test_config_durations_need_a_unit(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    config.write_text("[service]\ninterval = 600\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert caught.value.key == "service.interval" and "is not a duration" in caught.value.reason


def test_env_references_and_database_override(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    config.write_text(
        '[database]\nurl = "${DB:-sqlite:///x.db}"\n'
        '[[channels]]\nname = "h"\ntype = "webhook"\nurl = "${HOOK}"\nsecret = "${S:-}"\nenabled = "${ON:-false}"\n',
        encoding="utf-8",
    )
    settings = load_settings(config, env={"HOOK": "https://hooks.example.org/x"})
    assert settings.database.url == "sqlite:///x.db"
    channel = settings.channels[0]
    assert isinstance(channel, WebhookSettings)
    assert channel.url == "https://hooks.example.org/x" and channel.secret is None and channel.enabled is False
    overridden = load_settings(config, env={"HOOK": "http://h/", "MONITOR_DATABASE_URL": "postgresql+psycopg://db/x"})
    assert overridden.database.url == "postgresql+psycopg://db/x"


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        (
            '[[sources]]\nname = "a"\nurl = "http://x/"\n[[sources]]\nname = "a"\nurl = "http://y/"\n',
            "sources[1].name",
            "duplicate name 'a'",
        ),
        (
            '[[channels]]\nname = "m"\ntype = "email"\nto = []\nsender = "a@b"\nsmtp_host = "h"\n',
            'channels."m".to',
            "at least 1",
        ),
        (
            '[[channels]]\nname = "m"\ntype = "email"\nto = ["x@y"]\nsender = "a@b"\nsmtp_host = "h"\nstarttls = true\nssl = true\n',
            'channels."m"',
            "exclusive",
        ),
        ("[fetch]\nmax_bytes = -1\n", "fetch.max_bytes", "greater than 0"),
        ("[fetch]\nhost_interval = -1\n", "fetch.host_interval", "is not a duration"),
        ('[fetch]\nallow_private = ["10.0.0.0/8", "a b"]\n', "fetch.allow_private", "neither a network"),
        ('[service]\nmin_interval = "2h"\nmax_interval = "1h"\n', "service.min_interval", "longer than max_interval"),
        (
            '[[sources]]\nname = "s"\nurl = "http://a.test/"\nmin_interval = "2h"\nmax_interval = "1h"\n',
            'sources."s".min_interval',
            "longer than max_interval",
        ),
        ("not toml at all = = =", "-", "not valid TOML"),
    ],
)
def test_errors_name_file_key_and_reason(tmp_path: Path, body: str, key: str, reason: str) -> None:
    config = tmp_path / "m.toml"
    config.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, env={})
    assert caught.value.file == str(config) and caught.value.key == key and reason in caught.value.reason


def test_missing_file_is_a_config_error_with_the_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="file not found") as caught:
        load_settings("absent.toml", env={})
    assert caught.value.file == str(tmp_path / "absent.toml")


def test_zero_host_interval_and_contact_in_user_agent(tmp_path: Path) -> None:
    from monitor.configured import user_agent

    config = tmp_path / "m.toml"
    config.write_text('[fetch]\nhost_interval = "0s"\ncontact = "mailto:desk@example.org"\n', encoding="utf-8")
    settings = load_settings(config, env={})
    assert settings.fetch.host_interval == 0
    assert user_agent(settings).startswith("news-monitor/") and user_agent(settings).endswith(
        "(+mailto:desk@example.org)"
    )
