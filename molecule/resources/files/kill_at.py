#!/usr/bin/env python3
"""Run a command and kill its whole process group (SIGKILL, as an operator's lost
terminal or a CI timeout would) as soon as a line of its output matches a pattern.

    kill_at.py --pattern REGEX --log FILE [--timeout S] -- COMMAND...

Exit 0 when it killed the command at the pattern, 3 when the command ended first.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pattern", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    pattern = re.compile(args.pattern)
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    timer = threading.Timer(args.timeout, os.killpg, (proc.pid, signal.SIGKILL))
    timer.start()
    killed = False
    with open(args.log, "w") as log:
        for line in proc.stdout:  # type: ignore[union-attr]
            log.write(line)
            if pattern.search(line):
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                print(f"killed at: {line.strip()}")
                break
    proc.wait()
    timer.cancel()
    return 0 if killed else 3


if __name__ == "__main__":
    sys.exit(main())
