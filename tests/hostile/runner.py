"""Run the real `wparchive` in a child process and measure it: exit code, output, wall time, peak RSS.

The peak is the child's own VmHWM, read as it exits: ru_maxrss would not do, as it keeps the
high-water mark of the (large) test process the child was forked from across exec. `fakes` puts
tests/hostile/fakes on the child's path: its sitecustomize can fail DNS lookups for one name and
hide installed modules, so those rows run the real CLI without touching the network.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FAKES = Path(__file__).resolve().parent / "fakes"
# Short timeouts and backoff: a hostile row must end in seconds, and a retry must not sleep long.
FAST_CONFIG = """\
http:
  connect_timeout: 2
  read_timeout: 2
  max_retries: 2
  backoff_base: 0.05
  backoff_max: 0.2
  max_retry_after: 5
  max_delay: 0
"""


# wparchive as `python -m scraper` runs it, then its peak RSS (kB) written where the test reads it.
MEASURED = """
import os, runpy, sys
sys.argv = ["wparchive", *sys.argv[1:]]
try:
    runpy.run_module("scraper", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["WPARCHIVE_TEST_PEAK_FILE"], "w") as out:
        out.write(peak)
"""


@dataclass(frozen=True)
class Run:
    """What one child process did."""

    exit: int
    stdout: str
    stderr: str
    seconds: float
    peak_mib: float


def run_wparchive(
    workdir: Path,
    *args: str,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    fakes: bool = False,
    while_running: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Run:
    """Run `wparchive ARGS` to its end (killed after `timeout`), its output kept in `workdir`;
    `while_running` gets the process (to signal it) before it is waited for."""
    child_env = {**os.environ, **(env or {})}
    if fakes:
        child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FAKES), str(ROOT)]))
    workdir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = workdir / "stdout", workdir / "stderr"
    child_env["WPARCHIVE_TEST_PEAK_FILE"] = str(workdir / "peak")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", MEASURED, *args],
            stdout=out,
            stderr=err,
            cwd=ROOT,
            env=child_env,
        )
        # Signals go by pid: Popen's own methods would reap the child before wait4 measures it.
        killer = threading.Timer(timeout, _signal, (process.pid, signal.SIGKILL))
        killer.start()
        try:
            if while_running is not None:
                while_running(process)
            _, status = os.waitpid(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    code = process.returncode if process.returncode >= 0 else 128 - process.returncode
    return Run(
        code,
        out_path.read_text("utf-8", "replace"),
        err_path.read_text("utf-8", "replace"),
        round(seconds, 2),
        _peak_mib(workdir / "peak"),
    )


def _peak_mib(path: Path) -> float:
    """The child's peak RSS in MiB (0 when it was killed before it could say)."""
    return round(int(path.read_text()) / 1024, 1) if path.exists() else 0.0


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on a SQLite archive (empty when the archive was never made)."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def send_when(
    ready: Callable[[], bool], signum: signal.Signals, deadline: float = 20.0
) -> Callable[[subprocess.Popen[bytes]], None]:
    """A `while_running` that sends `signum` once `ready()` is true (polled every 20 ms)."""

    def wait_and_send(process: subprocess.Popen[bytes]) -> None:
        give_up = time.monotonic() + deadline
        while not ready() and time.monotonic() < give_up:
            time.sleep(0.02)
        _signal(process.pid, signum)

    return wait_and_send
