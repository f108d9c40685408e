"""A per-host deploy lock: one file saying which playbook run is deploying an app on a host.

A run takes the lock with the id the playbook generates once, so every play of that run can
take it again without effect, and a second run finds it taken and stops, naming the holder.
A run killed half-way leaves its lock behind: the next run reports it, and only the user's
explicit force breaks it. The file is created with O_CREAT|O_EXCL, so of two runs racing for
a free lock exactly one creates it. A flock on the lock's directory keeps each read and the
change that follows it together, so no run reads a lock half-written, and a release or a
forced break never removes a lock that another run took in between.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STAMP = "%Y-%m-%dT%H:%M:%SZ"
BREAK_HINT = "if that run is no longer running, re-run with -e django_app_lock_break=true"
UNKNOWN_HOLDER = "an unknown holder (unreadable lock file)"
AGE_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class LockError(Exception):
    """The lock cannot be taken or released as asked: one line naming the lock file."""


@dataclass(frozen=True)
class Request:
    path: str
    run_id: str
    holder: str | None = None
    state: str = "present"
    force: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a call did (or would do in check mode): ``lock`` is the lock's content after it,
    ``broken`` the content of another run's lock that force removed."""

    changed: bool
    lock: dict[str, Any] | None
    broken: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    def result(self) -> dict[str, Any]:
        return {"changed": self.changed, "lock": self.lock, "broken": self.broken}


# ---- the lock file's content ------------------------------------------------------------


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STAMP)


def format_age(seconds: float) -> str:
    """An age in its two largest units: 45s, 12m 5s, 3h 5m, 2d 4h."""
    left = max(int(seconds), 0)
    for (unit, size), (smaller, smaller_size) in itertools.pairwise(AGE_UNITS):
        if left >= size:
            rest = left % size // smaller_size
            return f"{left // size}{unit} {rest}{smaller}" if rest else f"{left // size}{unit}"
    return f"{left}s"


def _age(since: str, now: datetime) -> str:
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        return "age unknown"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{format_age((now - moment).total_seconds())} ago"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe(path: str, content: Mapping[str, Any], now: datetime) -> str:
    """'<path> is held by <holder> since <since> (<age> ago)'."""
    if content.get("run_id") is None:
        holder = UNKNOWN_HOLDER
    elif content.get("holder"):
        holder = _one_line(str(content["holder"]))
    else:
        holder = f"run {_one_line(str(content['run_id']))}"
    since = _one_line(str(content.get("since")))
    return f"{path} is held by {holder} since {since} ({_age(since, now)})"


def _valid(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("run_id"), str) and data["run_id"] != ""
        and isinstance(data.get("holder"), str | None)
        and isinstance(data.get("since"), str)
    )


def read_lock(path: str) -> dict[str, Any] | None:
    """The lock's content, None when there is no lock. A file that is not a lock this module
    wrote (a run killed while writing it, a hand edit) reads as held by an unknown holder
    (run_id and holder null) since the file's last change."""
    try:
        with open(path, "rb") as handle:
            changed_at = os.fstat(handle.fileno()).st_mtime
            raw = handle.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise LockError(f"path: {path} is a directory, not a lock file") from None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if _valid(data):
        return {"run_id": data["run_id"], "holder": data["holder"], "since": data["since"]}
    return {"run_id": None, "holder": None,
            "since": stamp(datetime.fromtimestamp(changed_at, UTC))}


# ---- the file system --------------------------------------------------------------------


def ensure_directory(directory: str) -> None:
    """Create the missing directories of ``directory``, each mode 0755 (whatever the umask)."""
    missing: list[str] = []
    while not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o755)
        except FileExistsError:  # made by a run racing this one
            continue
        os.chmod(path, 0o755)


@contextlib.contextmanager
def _guarded(directory: str) -> Iterator[int]:
    """Hold the directory's flock; yields its descriptor, to fsync after a change."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)


def create_lock(path: str, content: Mapping[str, Any]) -> bool:
    """Write the lock if there is none (mode 0644, synced to disk); False if there is one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o644)
        os.write(fd, (json.dumps(dict(content), sort_keys=True) + "\n").encode())
        os.fsync(fd)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)
    return True


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# ---- taking and releasing ---------------------------------------------------------------


def _acquiring(request: Request, current: dict[str, Any] | None, mine: dict[str, Any],
               now: datetime) -> Outcome:
    if current is None:
        return Outcome(True, mine)
    if current["run_id"] == request.run_id:
        return Outcome(False, current)
    if not request.force:
        raise LockError(f"{describe(request.path, current, now)}; {BREAK_HINT}")
    return Outcome(True, mine, broken=current)


def acquire(request: Request, check_mode: bool, now: datetime) -> Outcome:
    mine = {"run_id": request.run_id, "holder": request.holder, "since": stamp(now)}
    if check_mode:
        return _acquiring(request, read_lock(request.path), mine, now)
    directory = os.path.dirname(request.path)
    ensure_directory(directory)
    with _guarded(directory) as directory_fd:
        while True:
            current = read_lock(request.path)
            outcome = _acquiring(request, current, mine, now)
            if not outcome.changed:
                return outcome
            if current is not None:
                _remove(request.path)
            # False only when a writer that ignores the flock took the lock since the read.
            if create_lock(request.path, mine):
                os.fsync(directory_fd)
                return outcome


def _releasing(request: Request, current: dict[str, Any] | None, now: datetime) -> Outcome:
    if current is None:
        return Outcome(False, None)
    if current["run_id"] == request.run_id:
        return Outcome(True, None)
    if request.force:
        return Outcome(True, None, broken=current)
    return Outcome(False, current, warnings=[
        f"{describe(request.path, current, now)}, not by this run: left in place"
    ])


def release(request: Request, check_mode: bool, now: datetime) -> Outcome:
    directory = os.path.dirname(request.path)
    if check_mode or not os.path.isdir(directory):
        return _releasing(request, read_lock(request.path), now)
    with _guarded(directory) as directory_fd:
        outcome = _releasing(request, read_lock(request.path), now)
        if outcome.changed:
            _remove(request.path)
            os.fsync(directory_fd)
        return outcome


def request_of(params: Mapping[str, Any]) -> Request:
    """The module's parameters, checked: one line naming the parameter when one is wrong."""
    path = params["path"]
    if not os.path.isabs(path) or path.endswith("/"):
        raise LockError(f"path: must be the absolute path of a file, got {path!r}")
    run_id = (params.get("run_id") or "").strip()
    if not run_id:
        raise LockError("run_id: must not be empty")
    return Request(path=os.path.normpath(path), run_id=run_id, holder=params.get("holder"),
                   state=params.get("state") or "present", force=bool(params.get("force")))


def apply(params: Mapping[str, Any], check_mode: bool, now: datetime) -> Outcome:
    request = request_of(params)
    step = acquire if request.state == "present" else release
    try:
        return step(request, check_mode, now)
    except OSError as err:
        raise LockError(f"{err.filename or request.path}: {err.strerror or err}") from None
