"""Reading typed settings from the environment with errors that name the variable.

Every error message names the variable and what is wrong with it, never its value:
several of these variables (the secret key, the DSN, the database URL) are secrets.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ConfigError(Exception):
    """A required variable is missing or a variable has an invalid value."""


def fail_startup(error: ConfigError) -> NoReturn:
    """Stop the process with one readable line instead of a traceback."""
    print(f"configuration error: {error}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def _read(name: str, cast: Callable[[str], T], default: T) -> T:
    # Read as written: no "$VAR" expansion (a secret key may begin with "$").
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return cast(raw.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} is invalid: {exc}") from None


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def read_bool(name: str, default: bool) -> bool:
    return _read(name, _parse_bool, default)


def _parse_rate(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return value


def read_rate(name: str, default: float) -> float:
    return _read(name, _parse_rate, default)


def read_int(name: str, default: int, minimum: int) -> int:
    expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected {expected}") from None
        if value < minimum:
            raise ValueError(f"expected {expected}")
        return value

    return _read(name, parse, default)


def _parse_log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def read_log_level(name: str, default: str) -> str:
    return _read(name, _parse_log_level, default)


def read_str(name: str, default: str | None = None) -> str | None:
    return _read(name, str, default)


def read_list(name: str, default: list[str]) -> list[str]:
    def split(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(",") if item.strip()]

    return _read(name, split, default)


def read_origins(name: str) -> list[str]:
    """A comma list of origins such as `https://example.com` (scheme and host)."""

    def split(raw: str) -> list[str]:
        origins = [item.strip() for item in raw.split(",") if item.strip()]
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("expected a comma list of origins like https://example.com")
        return origins

    return _read(name, split, [])


def read_database(name: str, default: str) -> dict[str, Any]:
    """A django-environ database URL, parsed and checked up to the driver's import.

    Without these checks a bad URL or a missing driver only shows at the first query,
    as a traceback; the URL may hold a password, so the errors never quote it.
    """
    raw = read_str(name, default) or default
    try:
        scheme = urlsplit(raw).scheme
    except ValueError:
        raise ConfigError(f"{name} is not a valid database URL (it cannot be parsed)") from None
    if scheme not in environ.Env.DB_SCHEMES:
        known = ", ".join(sorted(environ.Env.DB_SCHEMES))
        raise ConfigError(f"{name} has an unsupported scheme (expected one of: {known})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            config = environ.Env.db_url_config(raw)
    except (ValueError, UserWarning):
        raise ConfigError(
            f"{name} is not a valid database URL (check its host, port and path)"
        ) from None
    engine = config["ENGINE"]
    if engine != "django.db.backends.sqlite3" and not config.get("NAME"):
        raise ConfigError(f"{name} names no database (the path after the host)")
    if not isinstance(config.get("CONN_MAX_AGE"), int | None):
        raise ConfigError(f"{name} has an invalid conn_max_age (expected seconds)")
    _require_driver(name, engine)
    return config


def _require_driver(name: str, engine: str) -> None:
    """The Django backend imports its driver (psycopg, MySQLdb, ...) at import time."""
    try:
        import_module(f"{engine}.base")
    except (ImportError, ImproperlyConfigured):
        raise ConfigError(
            f"{name} needs a database driver that is not installed (backend {engine})"
        ) from None


def load_env_file(path: Path) -> None:
    """Put the variables of a `.env` file into the environment; variables already set win.

    The format the role writes: `NAME='value'` (or unquoted, or double-quoted) lines,
    `#` comments. Values are taken literally: no escapes and no `$VAR` expansion.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read ({exc.strerror})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        name, value = _parse_env_line(line, path, number)
        if name is not None:
            os.environ.setdefault(name, value)


def _parse_env_line(line: str, path: Path, number: int) -> tuple[str | None, str]:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None, ""
    name, sep, value = stripped.removeprefix("export ").partition("=")
    name = name.strip()
    if not sep or not _ENV_NAME.fullmatch(name):
        raise ConfigError(f"{path}:{number} is not a NAME=value line")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return name, value
