"""The DSN: read from `SENTRY_DSN` or the legacy `DSN`, checked before the SDK sees it."""

from __future__ import annotations

from urllib.parse import urlsplit

from django_sentry_deploy.env import ConfigError, read_str

DSN_VARIABLES = ("SENTRY_DSN", "DSN")
_EXPECTED = "expected http(s)://<public_key>@<host>/<project_id>"


def read_dsn() -> str | None:
    """The DSN, None when unset; `SENTRY_DSN` wins over the legacy `DSN`."""
    for name in DSN_VARIABLES:
        value = read_str(name)
        if value is not None:
            problem = dsn_problem(value)
            if problem is not None:
                raise ConfigError(f"{name} is not a valid Sentry DSN ({problem}); {_EXPECTED}")
            return value
    return None


def dsn_problem(value: str) -> str | None:
    """What is wrong with a DSN, in words that quote no part of it; None when it is valid.

    The checks of `sentry_sdk.utils.Dsn`, in its order, without its messages: they quote
    the scheme and the path, and a DSN missing its scheme parses as `<public_key>:...`.
    """
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        return "the host or port cannot be parsed"
    if parts.scheme not in ("http", "https"):
        return "the scheme must be http or https"
    if not parts.hostname:
        return "no host"
    if not parts.username:
        return "no public key"
    try:
        int(parts.path.rsplit("/", 1)[-1])
    except ValueError:
        return "the path must end in a numeric project id"
    return None
