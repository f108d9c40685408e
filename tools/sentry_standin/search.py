"""Search queries and time ranges shared by the issue, event and session endpoints."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DEFAULT_PERIOD = timedelta(days=14)
PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
TOKEN = re.compile(
    r'(?P<neg>!)?(?:(?P<key>[\w.\[\]-]+):)?(?P<op>>=|<=|>|<)?'
    r'(?P<value>"[^"]*"|\[(?:"[^"]*"|[^\]"])*\]|\S+)'
)
LIST_ITEM = re.compile(r'\s*("[^"]*"|[^,]+)\s*(?:,|$)')


class QueryError(ValueError):
    """The search, field list or range is not valid: a 400 answer with this detail."""


@dataclass(frozen=True)
class Term:
    """`key:value`, `key:[a,b]` (any of), `key:>=value`; key "" is free text."""

    key: str
    values: tuple[str, ...]
    op: str = ""
    negated: bool = False


def unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def list_values(value: str) -> tuple[str, ...]:
    if not (value.startswith("[") and value.endswith("]")):
        return (unquote(value),)
    return tuple(unquote(m[1].strip()) for m in LIST_ITEM.finditer(value[1:-1]) if m[1].strip())


def parse(query: str | None, keys: Collection[str] | None = None) -> list[list[Term]]:
    """A query as alternatives (split on `OR`) of terms that must all hold (`AND` optional).
    `keys` limits the keys allowed (None: any)."""
    alternatives: list[list[Term]] = [[]]
    for match in TOKEN.finditer(query or ""):
        word = match[0]
        if word == "OR":
            alternatives.append([])
            continue
        if word == "AND":
            continue
        key = match["key"] or ""
        tag = re.fullmatch(r"tags\[([\w.-]+)\]", key)
        key = tag[1] if tag else key
        if key and keys is not None and key not in keys:
            raise QueryError(f"Invalid search query: unknown key {key!r}.")
        term = Term(key, list_values(match["value"]), match["op"] or "", bool(match["neg"]))
        alternatives[-1].append(term)
    if len(alternatives) > 1 and not all(alternatives):
        raise QueryError("Invalid search query: OR needs a condition on both sides.")
    return alternatives


def check_times(alternatives: list[list[Term]], keys: Collection[str]) -> None:
    """Comparisons only on the date keys, and their values must be dates: checked up front,
    so a bad query is refused even when nothing is there to compare."""
    for term in (t for terms in alternatives for t in terms):
        if term.op and term.key not in keys:
            raise QueryError(f"Invalid search query: {term.key} cannot be compared with {term.op}")
        if term.key in keys:
            for value in term.values:
                parse_time(value, term.key)


def holds(alternatives: list[list[Term]], test: Any) -> bool:
    """True when every term of one alternative passes `test(term) -> bool` (negation applied)."""
    return any(all(test(t) != t.negated for t in terms) for terms in alternatives)


def compare(found: datetime, op: str, wanted: datetime) -> bool:
    return {"": found == wanted, ">": found > wanted, ">=": found >= wanted,
            "<": found < wanted, "<=": found <= wanted}[op]


# time ------------------------------------------------------------------------------------
def parse_time(value: str, name: str) -> datetime:
    """ISO 8601 as Sentry takes it: `Z`, an offset, or none (UTC)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name}: {value!r} is not an ISO 8601 date-time.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_period(value: str, name: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([smhdw])", value.strip())
    if match is None or int(match[1]) == 0:
        raise QueryError(f"Invalid {name}: {value!r} (a number followed by s, m, h, d or w).")
    return timedelta(seconds=int(match[1]) * PERIOD_UNITS[match[2]])


def requested_range(args: dict[str, list[str]]) -> tuple[datetime, datetime] | None:
    """`statsPeriod` (wins) up to now, or `start` and `end` together; None when neither."""
    def arg(name: str) -> str | None:
        values = args.get(name)
        return values[-1] if values and values[-1] != "" else None

    if arg("statsPeriod"):
        now = datetime.now(UTC)
        return now - parse_period(arg("statsPeriod") or "", "statsPeriod"), now
    start, end = arg("start"), arg("end")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise QueryError("start and end are both required")
    first, last = parse_time(start, "start"), parse_time(end, "end")
    if first > last:
        raise QueryError("start must be before end")
    return first, last


def time_range(args: dict[str, list[str]]) -> tuple[datetime, datetime]:
    """The range asked for, else Sentry's default: the last 14 days."""
    now = datetime.now(UTC)
    return requested_range(args) or (now - DEFAULT_PERIOD, now)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_time(value: Any) -> datetime | None:
    """A payload timestamp (epoch seconds or ISO string) as an aware datetime."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and value:
        try:
            return parse_time(value, "timestamp")
        except QueryError:
            return None
    return None
