"""Reading typed settings from the environment with errors that name the variable.

Every error message names the variable and what is wrong with it, never its value:
several of these variables (the secret key, the DSN, the database URL) are secrets.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import NoReturn, TypeVar
from urllib.parse import urlsplit

import environ

T = TypeVar("T")


class ConfigError(Exception):
    """A required variable is missing or a variable has an invalid value."""


def fail_startup(error: ConfigError) -> NoReturn:
    """Stop the process with one readable line instead of a traceback."""
    print(f"configuration error: {error}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def _read(env: environ.Env, name: str, cast: Callable[[str], T], default: T) -> T:
    raw = env.str(name, default=None)
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


def read_bool(env: environ.Env, name: str, default: bool) -> bool:
    return _read(env, name, _parse_bool, default)


def _parse_rate(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return value


def read_rate(env: environ.Env, name: str, default: float) -> float:
    return _read(env, name, _parse_rate, default)


def _parse_positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("expected a positive integer") from None
    if value < 1:
        raise ValueError("expected a positive integer")
    return value


def read_positive_int(env: environ.Env, name: str, default: int) -> int:
    return _read(env, name, _parse_positive_int, default)


def _parse_log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def read_log_level(env: environ.Env, name: str, default: str) -> str:
    return _read(env, name, _parse_log_level, default)


def read_str(env: environ.Env, name: str, default: str | None = None) -> str | None:
    return _read(env, name, str, default)


def read_required(env: environ.Env, name: str, why: str) -> str:
    value = read_str(env, name)
    if value is None:
        raise ConfigError(f"{name} is required {why}")
    return value


def read_list(env: environ.Env, name: str, default: list[str]) -> list[str]:
    def split(raw: str) -> list[str]:
        return [item.strip() for item in raw.split(",") if item.strip()]

    return _read(env, name, split, default)


def read_database(env: environ.Env, name: str, default: str) -> dict[str, object]:
    raw = read_str(env, name, default) or default
    scheme = urlsplit(raw).scheme
    if scheme not in environ.Env.DB_SCHEMES:
        known = ", ".join(sorted(environ.Env.DB_SCHEMES))
        raise ConfigError(f"{name} has an unsupported scheme {scheme!r} (expected one of: {known})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return environ.Env.db_url_config(raw)
    except (ValueError, UserWarning) as exc:
        # The URL may hold a password: report the kind of problem, never the value.
        raise ConfigError(f"{name} is not a valid database URL ({type(exc).__name__})") from None
