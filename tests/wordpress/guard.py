"""Runs a command and ends its whole process group once the parent is gone (its stdin closes).

Usage: `python guard.py [--config PATH] CMD...`, started in a new session with stdin a pipe from the
parent. A parent killed outright (SIGKILL, a crash) cannot run its cleanup; the pipe still closes,
and the guard then stops the command and every process the command forked (php -S workers
included) and, when the parent died, removes the site's config file if no harness process holds it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path


def _end_group_at_eof() -> None:
    sys.stdin.buffer.read()  # returns only when every write end is closed: the parent is gone
    os.killpg(0, signal.SIGTERM)


def _remove_config(path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.wordpress.system import machine_lock, remove_unused_config

    with machine_lock():
        remove_unused_config(path)


def main(argv: list[str]) -> int:
    config = Path(argv[1]) if argv[:1] == ["--config"] else None
    argv = argv[2:] if config else argv
    parent = os.getppid()
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    # Ignored only after the start (an ignored signal would be inherited): a group-wide SIGTERM
    # ends the command, and the guard then sweeps what is left and exits on its own.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_end_group_at_eof, daemon=True).start()
    code = child.wait()
    os.killpg(0, signal.SIGTERM)
    if config is not None and os.getppid() != parent:  # orphaned: nobody else will clean up
        _remove_config(config)
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
