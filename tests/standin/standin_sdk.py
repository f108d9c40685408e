"""Sending to the stand-in the way an application does: the real sentry_sdk, through a DSN of
the seed's client keys, without touching the SDK's global state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sentry_sdk
from sentry_sdk.session import Session
from standin_fields import API_KEY, WEB_KEY

PROJECT_KEYS = {"4501": WEB_KEY, "4502": API_KEY}


class App:
    """One SDK client of a project, release and environment."""

    def __init__(self, client: sentry_sdk.Client) -> None:
        self.client = client

    def error(self, exc_type: type[Exception] = ValueError, text: str = "boom",
              at: datetime | None = None, **scope: Any) -> str | None:
        """Raise and capture an exception; `at` backdates it, `scope` sets user/fingerprint/
        transaction/tags."""
        try:
            raise exc_type(text)
        except exc_type as exc:
            error = exc  # keeps its traceback after the except block
        return self.capture(lambda s: s.capture_exception(error), at, scope)

    def message(self, text: str, at: datetime | None = None, **scope: Any) -> str | None:
        return self.capture(lambda s: s.capture_message(text, level="error"), at, scope)

    def capture(self, send: Any, at: datetime | None, fields: dict[str, Any]) -> str | None:
        with sentry_sdk.isolation_scope() as scope:
            scope.set_client(self.client)
            if "user" in fields:
                scope.set_user(fields["user"])
            if "fingerprint" in fields:
                scope.fingerprint = fields["fingerprint"]
            if "transaction" in fields:
                scope.set_transaction_name(fields["transaction"])
            if at is not None:
                scope.add_event_processor(lambda event, _hint: {**event,
                                                                "timestamp": at.timestamp()})
            return send(scope)

    def sessions(self, started: datetime, *statuses: str, mode: str = "request",
                 user: str | None = None) -> None:
        """One session per status (exited, errored, crashed, abnormal): request mode as a
        web app aggregates them, application mode as single `session` items."""
        options = self.client.options
        for status in statuses:
            session = Session(release=options["release"], environment=options["environment"],
                              session_mode=mode, started=started, did=user)
            if status == "errored":
                session.update(errors=1)
            elif status != "exited":
                session.update(status=status)
            self.client.capture_session(session)

    def flush(self) -> None:
        self.client.flush(timeout=10)


@contextmanager
def sdk_app(standin: Any, release: str, environment: str = "production",
            project: str = "4501") -> Iterator[App]:
    """An App sending to the stand-in; everything it captured is delivered on exit."""
    host = standin.url.removeprefix("http://")
    client = sentry_sdk.Client(
        dsn=f"http://{PROJECT_KEYS[project]}@{host}/{project}", release=release,
        environment=environment, default_integrations=False, auto_session_tracking=False,
    )
    try:
        yield App(client)
        client.flush(timeout=10)
    finally:
        client.close(timeout=10)
