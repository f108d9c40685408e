"""`manage.py sentry_test_event`: prove this host's DSN delivers (used after a key rotation)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sentry_sdk
from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_sentry_deploy.sentry.transport import LOGGER_NAME, PriorityTransport

# Sentry's limits for tag keys and values.
_TAG_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,32}")
_TAG_VALUE_MAX = 200


def parse_tag(raw: str) -> tuple[str, str]:
    key, sep, value = raw.partition("=")
    if not sep or not _TAG_KEY.fullmatch(key):
        raise CommandError("--tag must be key=value with a key of 1-32 letters, digits or _.:-")
    if not value or len(value) > _TAG_VALUE_MAX or "\n" in value:
        raise CommandError(
            f"--tag {key}: the value must be one line of 1-{_TAG_VALUE_MAX} characters"
        )
    return key, value


def describe_loss(reason: str | None) -> str:
    """The transport's loss reason (`network`, `status_403`, ...) in words."""
    if reason == "network":
        return "Sentry ingest unreachable"
    if reason and reason.startswith("status_"):
        return f"Sentry ingest answered HTTP {reason.removeprefix('status_')}"
    return f"dropped: {reason}"


@contextmanager
def transport_logs_silenced() -> Iterator[None]:
    """The command reports the outcome itself, in one line."""
    names = (LOGGER_NAME, "sentry_sdk.errors", "urllib3.connectionpool")
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger in loggers:
            logger.disabled = False


class Command(BaseCommand):
    help = (
        "Send one error-level event to Sentry with the given tags, wait until the ingest "
        "accepted it and print its event id. Exits non-zero when Sentry is off or the "
        "event was not delivered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tag", action="append", default=[], type=str, metavar="KEY=VALUE",
            help="a tag of the event (repeatable)",
        )  # fmt: skip
        parser.add_argument("--message", default="Sentry test event", help="the event's message")
        parser.add_argument(
            "--timeout", type=float, default=10.0,
            help="seconds to wait for the ingest's answer (default 10)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        tags = dict(parse_tag(raw) for raw in options["tag"])
        message = options["message"].strip()
        if not message:
            raise CommandError("--message must not be empty")
        if options["timeout"] <= 0:
            raise CommandError("--timeout must be a positive number of seconds")
        client = sentry_sdk.get_client()
        if not client.is_active():
            raise CommandError("Sentry is off: neither SENTRY_DSN nor DSN is set")
        transport = client.transport
        if not isinstance(transport, PriorityTransport):
            raise CommandError("Sentry's transport is not the app's: cannot confirm delivery")

        with transport_logs_silenced():
            try:
                event_id = self.send(transport, message, tags, options["timeout"])
            except CommandError:
                # Given up: no second wait (and no "pending events" notice) at exit.
                client.close(timeout=0)
                raise
        self.stdout.write(event_id)

    @staticmethod
    def send(
        transport: PriorityTransport, message: str, tags: dict[str, str], timeout: float
    ) -> str:
        lost_before = transport.errors_lost
        event_id = sentry_sdk.capture_message(message, level="error", tags=tags)
        if event_id is None:
            raise CommandError("the event was dropped before sending (sampling or a filter)")
        if not transport.wait_for_errors(timeout):
            raise CommandError(
                f"the event was not sent within {timeout:g} s (Sentry ingest unreachable or slow)"
            )
        if transport.errors_lost != lost_before:
            raise CommandError(
                f"the event was not delivered ({describe_loss(transport.last_error_loss)}): "
                "check the DSN and that its key is active"
            )
        return event_id
