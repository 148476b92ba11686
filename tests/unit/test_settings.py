from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import load_settings, parse_duration


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("10m", 600), ("1h", 3600), ("2d", 172800), (45, 45)])
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


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
    assert channel.url == "https://hooks.example.org/x" and channel.secret is None and channel.enabled is False
    overridden = load_settings(config, env={"HOOK": "http://h/", "MONITOR_DATABASE_URL": "postgresql+psycopg://db/x"})
    assert overridden.database.url == "postgresql+psycopg://db/x"


@pytest.mark.parametrize(
    ("body", "key", "reason"),
    [
        (
            '[[sources]]\nname = "a"\nurl = "http://x/"\n[[sources]]\nname = "a"\nurl = "http://y/"\n',
            "sources[1].name",
            "duplicate",
        ),
        (
            '[[channels]]\nname = "m"\ntype = "email"\nto = []\nsender = "a@b"\nsmtp_host = "h"\n',
            "channels[0].to",
            "at least 1",
        ),
        (
            '[[channels]]\nname = "m"\ntype = "email"\nto = ["x@y"]\nsender = "a@b"\nsmtp_host = "h"\nstarttls = true\nssl = true\n',
            "channels[0]",
            "exclusive",
        ),
        ("[fetch]\nmax_bytes = -1\n", "fetch.max_bytes", "greater than 0"),
        ("[fetch]\nhost_interval = -1\n", "fetch.host_interval", "greater than or equal to 0"),
        ('[fetch]\nallow_private = ["10.0.0.0/8", "a b"]\n', "fetch.allow_private", "neither a network"),
        ('[service]\nmin_interval = "2h"\nmax_interval = "1h"\n', "service.min_interval", "longer than max_interval"),
        (
            '[[sources]]\nname = "s"\nurl = "http://a.test/"\nmin_interval = "2h"\nmax_interval = "1h"\n',
            "sources[0].min_interval",
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


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml", env={})


def test_zero_host_interval_and_contact_in_user_agent(tmp_path: Path) -> None:
    from monitor.service import user_agent

    config = tmp_path / "m.toml"
    config.write_text('[fetch]\nhost_interval = "0s"\ncontact = "mailto:desk@example.org"\n', encoding="utf-8")
    settings = load_settings(config, env={})
    assert settings.fetch.host_interval == 0
    assert user_agent(settings).startswith("news-monitor/") and user_agent(settings).endswith(
        "(+mailto:desk@example.org)"
    )
