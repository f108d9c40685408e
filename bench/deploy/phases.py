"""Seconds per play of an ansible-playbook log written with ansible.posix.profile_tasks.

    python bench/deploy/phases.py LOG    ->  "prepare 39.8, switch 35.5, ..." on one line

profile_tasks stamps every task with the playbook's elapsed time; a play lasts from its
first task's stamp to the next play's (the last one to the end of the run).
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

STAMP = re.compile(r"\)\s+(\d+):(\d+):(\d+(?:\.\d+)?) \*+ *$")
# Short names of the plays of deploy.yml and rollback.yml.
SHORT = {"Prepare": "prepare", "Check": "choose", "Switch": "switch", "Record": "marker"}


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


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()))
