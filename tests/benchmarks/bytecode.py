"""Bytecode for a checkout's packages, as an installed wparchive has it."""

from __future__ import annotations

import compileall
from pathlib import Path

PACKAGES = ("scraper", "archive")


def compile_checkout(checkout: Path) -> None:
    """Write the bytecode of `checkout`'s packages next to their sources.

    `pip install .` compiles every module at install time, and the baselines' libraries
    (requests) were compiled when they were installed. A checkout run in place under
    PYTHONDONTWRITEBYTECODE (set on some machines, this one included) would compile all of
    wparchive's modules again in every child process: a start-up cost no installed user pays.
    """
    for package in PACKAGES:
        if not compileall.compile_dir(checkout / package, quiet=1):
            raise SystemExit(f"could not compile {checkout / package}")
