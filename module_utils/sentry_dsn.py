"""The project's one DSN parser on the Ansible side: a Sentry DSN and the DSN line of an
app's .env.

``http(s)://<public key>[:<secret key>]@<host>[:<port>][/<path>]/<project id>``, checked as
the Sentry SDK checks it (scheme, host, public key, numeric project id). Errors say what is
wrong without quoting any part of the value, and a Dsn's repr hides its keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ansible.module_utils.sentry_api import InputError

# The variables the app reads its DSN from, in the order it tries them.
ENV_VARIABLES = ("SENTRY_DSN", "DSN")
EXPECTED = "expected http(s)://<public key>@<host>/<project id>"
ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)$")


class DsnError(InputError):
    """A DSN that cannot be used; the message never quotes it."""


@dataclass(frozen=True)
class Dsn:
    scheme: str
    public_key: str = field(repr=False)
    secret_key: str | None = field(repr=False)
    host: str
    port: int | None
    path: str
    project_id: str

    @property
    def ingest_root(self) -> str:
        """Where the SDK sends: ``<scheme>://<host>[:port][/path]/api/<project id>/``."""
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}{self.path}/api/{self.project_id}/"


def parse_dsn(value: object, what: str = "the DSN") -> Dsn:
    """The parts of a DSN, or DsnError naming ``what`` and the problem."""
    text = value.strip() if isinstance(value, str) else ""
    problem = "it is empty" if not text else None
    parts = None
    if problem is None:
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            problem = "the host or port cannot be parsed"
    if parts is not None and problem is None:
        path, _, project = parts.path.rstrip("/").rpartition("/")
        if parts.scheme not in ("http", "https"):
            problem = "the scheme must be http or https"
        elif not parts.hostname:
            problem = "it has no host"
        elif not parts.username:
            problem = "it has no public key"
        elif not project.isdigit():
            problem = "the path must end in a numeric project id"
        elif parts.query or parts.fragment:
            problem = "it has a query or fragment"
        else:
            return Dsn(parts.scheme, parts.username, parts.password, parts.hostname, port,
                       path, project)
    raise DsnError(f"{what} is not a valid Sentry DSN: {problem}; {EXPECTED}")


def public_key(value: object, what: str = "the DSN") -> str:
    return parse_dsn(value, what).public_key


def env_dsn(text: str) -> str | None:
    """The DSN an app's .env gives (SENTRY_DSN, else DSN), unquoted; None when neither is set
    or set empty."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = ENV_LINE.match(line)
        if match and match["name"] in ENV_VARIABLES:
            found[match["name"]] = _unquote(match["value"].strip())
    return next((found[name] for name in ENV_VARIABLES if found.get(name)), None)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()
