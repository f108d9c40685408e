"""Read an ansible-playbook log of a deploy written with ansible.posix.profile_tasks.

    python bench/deploy/phases.py LOG            ->  "prepare 39.8, switch 35.5, ..."
    python bench/deploy/phases.py --switch LOG   ->  "6.4 / 7.1 / 6.9"
    python bench/deploy/phases.py --shipped LOG  ->  "43.0 MB zstd"

profile_tasks stamps every task with the playbook's elapsed time at its start. A play lasts
from its first task's stamp to the next play's (the last one to the end of the run). A
switch lasts from "container started" (the start of the task after it, which points the
candidate listener at the new release) to "traffic moved" (the start of the task that
notes it), once per host in the order the hosts switched.
"""

from __future__ import annotations

import argparse
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

STAMP = re.compile(r"\)\s+(\d+):(\d+):(\d+(?:\.\d+)?) \*+ *$")
TASK = re.compile(r"^TASK \[(?:[\w.]+ : )?(.*)\] \**$")
RESULT = re.compile(r"^(?:ok|changed): \[([^\]]+)\]|^included: .* for (.+)$")
ARCHIVE = re.compile(r"(\d+(?:\.\d+)?) MB, (\w+)")
# Short names of the plays of deploy.yml and rollback.yml.
SHORT = {"Prepare": "prepare", "Check": "choose", "Switch": "switch", "Record": "marker"}
CONTAINER_STARTED = "Point the candidate listener at the new release"
TRAFFIC_MOVED = "Note when the traffic moved"
ARCHIVE_REPORT = "Report how the images travel"
ARCHIVE_COPY = "Copy the archive to the host"


@dataclass
class Task:
    name: str
    start: float
    hosts: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)


def seconds(match: re.Match[str]) -> float:
    hours, minutes, secs = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def plays(lines: list[str]) -> list[tuple[str, float]]:
    """(play name, elapsed seconds at its first task) in order, then ("end", total)."""
    found: list[tuple[str, float]] = []
    pending: str | None = None
    last = 0.0
    for line in lines:
        if line.startswith("PLAY [") or line.startswith("PLAY RECAP"):
            pending = "end" if line.startswith("PLAY RECAP") else line[6 : line.index("]")]
        stamp = STAMP.search(line)
        if stamp:
            last = seconds(stamp)
            if pending is not None:
                found.append((pending, last))
                pending = None
    if not found or found[-1][0] != "end":
        found.append(("end", last))
    return found


def summary(lines: list[str]) -> str:
    marks = plays(lines)
    parts = []
    for (name, start), (_, end) in itertools.pairwise(marks):
        short = SHORT.get(name.split()[0], name)
        parts.append(f"{short} {end - start:.1f}")
    return ", ".join(parts)


def tasks(lines: list[str]) -> list[Task]:
    """Every task run, with its start stamp, the hosts it ran on and its output lines."""
    found: list[Task] = []
    pending: str | None = None
    for line in lines:
        header = TASK.match(line)
        if header:
            pending = header.group(1)
            continue
        stamp = STAMP.search(line)
        if pending is not None and stamp:
            found.append(Task(pending, seconds(stamp)))
            pending = None
        elif found:
            found[-1].output.append(line)
            result = RESULT.match(line)
            if result:
                found[-1].hosts.append(result.group(1) or result.group(2).strip())
    return found


def switches(run: list[Task]) -> list[float]:
    """Seconds from container started to traffic moved, per host in the order they switched."""
    found: list[float] = []
    started: float | None = None
    for task in run:
        if task.name == CONTAINER_STARTED and task.hosts:
            started = task.start
        elif task.name == TRAFFIC_MOVED and task.hosts and started is not None:
            found.extend(task.start - started for _ in task.hosts)
            started = None
    return found


def shipped(run: list[Task]) -> str:
    """The archive each host that lacked the images received, or "nothing"."""
    report = next((task for task in run if task.name == ARCHIVE_REPORT), None)
    copied = any(task.name == ARCHIVE_COPY and task.hosts for task in run)
    sizes = ARCHIVE.search("\n".join(report.output)) if report else None
    if not copied or sizes is None:
        return "nothing"
    return f"{sizes.group(1)} MB {sizes.group(2)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--switch", action="store_true", help="seconds of each host's switch")
    what.add_argument("--shipped", action="store_true", help="the archive a host received")
    parser.add_argument("log", type=Path)
    args = parser.parse_args()
    lines = args.log.read_text(encoding="utf-8").splitlines()
    if args.switch:
        print(" / ".join(f"{secs:.1f}" for secs in switches(tasks(lines))) or "none")
    elif args.shipped:
        print(shipped(tasks(lines)))
    else:
        print(summary(lines))


if __name__ == "__main__":
    main()
