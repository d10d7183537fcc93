#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and types into it, as a person at a
terminal would (expect(1) in a few lines):

  pty_drive.py [--timeout S] (--expect TEXT | --send LINE)... -- COMMAND [ARGS...]

Steps run in order: --expect waits until TEXT has appeared in the output
since the previous match, --send types LINE and Enter. The output is copied
to stdout; the exit status is the command's, or 124 when a step or the
command times out (the command is then killed), or 2 for bad usage.
"""

import argparse
import os
import pty
import select
import signal
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--expect", dest="steps", action="append", type=lambda t: ("expect", t))
    parser.add_argument("--send", dest="steps", action="append", type=lambda t: ("send", t))
    parser.add_argument("command", nargs="+")
    arguments = parser.parse_args()
    deadline = time.monotonic() + arguments.timeout
    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(arguments.command[0], arguments.command)
        finally:
            os._exit(127)
    seen = b""
    steps = list(arguments.steps or [])

    def read_some(wait):
        """Reads what is there within `wait` s; False at the end of output."""
        nonlocal seen
        ready, _, _ = select.select([master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the command closed the terminal
            return False
        if not data:
            return False
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        seen += data
        return True

    def give_up(why):
        print(f"\npty_drive: {why}", file=sys.stderr)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.exit(124)

    open_ = True
    while steps:
        kind, text = steps[0]
        if kind == "send":
            os.write(master, text.encode() + b"\r")
            steps.pop(0)
            continue
        position = seen.find(text.encode())
        if position >= 0:
            seen = seen[position + len(text):]
            steps.pop(0)
            continue
        if not open_:
            give_up(f"the command ended before printing {text!r}")
        if time.monotonic() > deadline:
            give_up(f"timed out waiting for {text!r}")
        open_ = read_some(0.2)
    while open_ and time.monotonic() < deadline:
        open_ = read_some(0.2)
    if open_:
        give_up("timed out waiting for the command to end")
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
