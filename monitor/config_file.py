"""Reading config/monitor.toml: `${NAME}` / `${NAME:-default}` from the environment,
`MONITOR_DATABASE_URL` over `database.url`, and errors that name the file, the key (by name
where the item has one) and the reason."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.errors import ConfigError
from monitor.settings import Settings

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(value: Any, env: Mapping[str, str], key: str, file: str) -> Any:
    """Replace ${NAME} / ${NAME:-default} in every string of a parsed TOML document."""
    if isinstance(value, dict):
        return {k: expand_env(v, env, f"{key}.{k}" if key else k, file) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env, f"{key}[{i}]", file) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(found: re.Match[str]) -> str:
        name, default = found.group(1), found.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError(file, key, f"environment variable {name} is not set")

    return _ENV_REF.sub(replace, value)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(str(path.resolve()), "-", "file not found") from None
    except OSError as exc:
        raise ConfigError(str(path.resolve()), "-", f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "-", f"not valid TOML: {exc}") from None


def error_key(loc: tuple[int | str, ...], raw: Mapping[str, Any] | None = None) -> str:
    """('sources', 0, 'url') -> 'sources."yonhap".url', by the item's name where it has one, else
    'sources[0].url' (pydantic's union tags are dropped)."""
    key, node = "", raw
    for part in loc:
        item = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
        if isinstance(part, int):
            name = item.get("name") if isinstance(item, dict) else None
            key += f'."{name}"' if isinstance(name, str) and name else f"[{part}]"
            node = item
        elif part in ("webhook", "email", "apprise") and key.endswith(("]", '"')):
            continue
        else:
            key += f".{part}" if key else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return key or "-"


def first_error(exc: ValidationError, file: str, raw: Mapping[str, Any] | None = None) -> ConfigError:
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    key = error_key(tuple(error["loc"]), raw)
    # Our own validators prefix the message with the sub-key they checked ("interval: ...").
    sub = re.match(r"^([A-Za-z_][\w\[\].]*): (.*)$", message)
    if sub:
        key = sub.group(1) if key == "-" else f"{key}.{sub.group(1)}"
        message = sub.group(2)
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    return ConfigError(file, key, message)


def load_settings(path: str | Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read, expand and validate the config file; raise ConfigError naming file, key, reason."""
    env = os.environ if env is None else env
    path = Path(path).resolve()  # errors show where it looked
    raw = expand_env(read_toml(path), env, "", str(path))
    if env.get("MONITOR_DATABASE_URL"):
        raw.setdefault("database", {})["url"] = env["MONITOR_DATABASE_URL"]
    raw["config_path"] = str(path)
    try:
        return Settings.model_validate(raw, context={"written": True})
    except ValidationError as exc:
        raise first_error(exc, str(path), raw) from None
