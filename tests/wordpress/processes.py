"""Servers that never outlive the harness: guarded start, whole-group stop, SIGTERM taken as Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType

from tests.wordpress.system import HarnessError

LOGGER = logging.getLogger(__name__)

GUARD = Path(__file__).resolve().with_name("guard.py")
STOP_DEADLINE = 10.0


def start_guarded(
    argv: list[str], log_path: Path, env: dict[str, str], cwd: Path, config: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` in a process group of its own, under guard.py, output appended to log_path.

    The group ends with stop_group(), or by itself when this process dies without cleaning up;
    then the guard also removes `config` (a harness config file) unless another process holds it.
    """
    guard = [sys.executable, str(GUARD), *(["--config", str(config)] if config else [])]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [*guard, *argv],
            stdin=subprocess.PIPE,  # the guard's lifeline: closed when we are gone
            stdout=log,
            stderr=log,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_group(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
    # Workers outlive their master by a moment; the group is gone only when its last one is.
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not group_alive(proc.pid)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the process and everything in its group (idempotent); HarnessError if any survives."""
    if proc.stdin is not None:
        proc.stdin.close()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the group is ours alone: start_new_session
        if _wait_group(proc, time.monotonic() + STOP_DEADLINE):
            return
    raise HarnessError(f"process group {proc.pid} survived SIGKILL")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _take_sigterm() -> bool:
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return False
        signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread: signals cannot be handled here
        return False
    return True


@contextmanager
def interrupt_on_sigterm() -> Iterator[None]:
    """Take SIGTERM as Ctrl-C while the body runs, so `finally` blocks stop what was started.

    Left alone when SIGTERM already has a handler or when not on the main thread.
    """
    taken = _take_sigterm()
    try:
        yield
    finally:
        if taken:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
