"""Session pool of harness sites for pytest: start on first use; skip or fail when unavailable."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tests.wordpress.harness import HarnessUnavailable, WordPressSite, provision_sites, stop_sites

Provision = Callable[[Iterable[str], Path], dict[str, WordPressSite]]


class SitePool:
    """Starts sites on first request and keeps them for the session.

    When the machine cannot host WordPress the tests are skipped with the cause, except under
    CI=true where they fail: a CI run must never pass by skipping the end-to-end tests.
    """

    def __init__(self, workdir: Path, provision: Provision = provision_sites) -> None:
        self.workdir = workdir
        self.provision = provision
        self.sites: dict[str, WordPressSite] = {}
        self.unavailable: str | None = None

    def get(self, names: tuple[str, ...]) -> dict[str, WordPressSite]:
        missing = [name for name in names if name not in self.sites]
        if missing and self.unavailable is None:
            try:
                self.sites.update(self.provision(missing, self.workdir))
            except HarnessUnavailable as exc:
                self.unavailable = str(exc)  # remembered: no second install attempt per test
        if self.unavailable is not None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"WordPress harness cannot start: {self.unavailable}")
            pytest.skip(f"WordPress harness unavailable: {self.unavailable}")
        return {name: self.sites[name] for name in names}

    def stop(self) -> None:
        stop_sites(self.sites.values())
