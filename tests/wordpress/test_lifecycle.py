"""The harness leaves the machine as it found it: own addresses, own configs, no server left running."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import requests

from tests.wordpress import harness, system
from tests.wordpress.harness import (
    SITE_NETWORK,
    SITE_SPECS,
    HarnessError,
    SiteSpec,
    WordPressSite,
    interrupt_on_sigterm,
    provision_sites,
    stop_sites,
)
from tests.wordpress.processes import group_alive
from tests.wordpress.system import CONFIG_MARKER, WP_ROOT, lease_site_config, machine_lock

ROOT = Path(__file__).resolve().parents[2]
needs_php = pytest.mark.skipif(
    shutil.which("php") is None or not WP_ROOT.is_dir(), reason="needs php-cli and wordpress"
)
FOREIGN = "<?php\n// Someone else's WordPress on this address.\ndefine('DB_NAME', 'theirs');\n"


def _port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, int(port))) == 0


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for /etc/wordpress, so these tests never touch the machine's own."""
    path = tmp_path / "etc-wordpress"
    path.mkdir()
    monkeypatch.setattr(system, "CONFIG_DIR", path)
    return path


@pytest.fixture
def offline_provision(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """provision_sites() without packages, MariaDB or seeding; returns the names it would seed."""
    seeded: list[str] = []

    def seed(specs: list[SiteSpec]) -> dict[str, bool]:
        seeded.extend(spec.name for spec in specs)
        return {spec.name: False for spec in specs}

    monkeypatch.setattr(harness, "ensure_packages", lambda: None)
    monkeypatch.setattr(harness, "ensure_mariadb", lambda: None)
    monkeypatch.setattr(harness, "_seed_sites", seed)
    return seeded


def test_sites_have_their_own_addresses_in_the_harness_range() -> None:
    ips = [IPv4Address(spec.ip) for spec in SITE_SPECS.values()]
    assert SITE_NETWORK.with_prefixlen == "127.0.100.0/24"
    assert all(ip in SITE_NETWORK for ip in ips)
    assert len(set(ips)) == len(ips)
    assert all(spec.db_name.startswith("wparchive_wp_") for spec in SITE_SPECS.values())


def test_running_sites_are_served_on_their_addresses_with_marked_configs(
    wp_sites: dict[str, WordPressSite],
) -> None:
    for name, site in wp_sites.items():
        ip = site.host.split(":")[0]
        assert ip == SITE_SPECS[name].ip and IPv4Address(ip) in SITE_NETWORK
        assert CONFIG_MARKER in system.site_config_path(ip).read_text()
        assert site.process is not None and group_alive(site.process.pid)


@needs_php
def test_a_stopped_site_leaves_no_server_no_port_and_no_config(
    tmp_path: Path, config_dir: Path, offline_provision: list[str]
) -> None:
    site = provision_sites(["rest"], tmp_path / "work")["rest"]
    config = config_dir / f"config-{SITE_SPECS['rest'].ip}.php"
    assert offline_provision == ["rest"]
    assert site.host.split(":")[0] == SITE_SPECS["rest"].ip
    assert config.read_text().splitlines()[1] == CONFIG_MARKER
    blank = requests.get(site.url + "/wp-includes/images/blank.gif", timeout=10)
    assert blank.status_code == 200
    assert site.process is not None
    pgid = site.process.pid
    stop_sites([site])
    assert not group_alive(pgid)
    assert not _port_open(site.url)
    assert list(config_dir.iterdir()) == []
    assert not site.log_path.exists()
    stop_sites([site])  # again, as atexit does: nothing left to do, nothing raised


@needs_php
def test_a_foreign_config_is_never_overwritten(
    tmp_path: Path, config_dir: Path, offline_provision: list[str]
) -> None:
    foreign = config_dir / f"config-{SITE_SPECS['plain'].ip}.php"
    foreign.write_text(FOREIGN)
    with pytest.raises(HarnessError, match="not written by the wparchive harness"):
        provision_sites(["rest", "plain"], tmp_path / "work")
    assert foreign.read_text() == FOREIGN
    assert sorted(config_dir.iterdir()) == [foreign]  # the rest site's own config was taken back
    assert offline_provision == []  # refused before anything was seeded or served


def test_a_config_stays_while_another_harness_process_serves_its_address(
    config_dir: Path,
) -> None:
    ip = str(SITE_NETWORK[250])
    path = config_dir / f"config-{ip}.php"
    path.write_text(f"<?php\n{CONFIG_MARKER}\n// left by a run that was killed\n")
    text = f"<?php\n{CONFIG_MARKER}\ndefine('DB_NAME', 'wparchive_wp_x');\n"
    with machine_lock():
        first, second = lease_site_config(ip, text), lease_site_config(ip, text)
    assert path.read_text() == text  # a marked leftover is the harness's own: rewritten
    with machine_lock():
        first.release()
    assert path.read_text() == text
    with machine_lock():
        second.release()
    assert not path.exists()


CHILD = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.wordpress import system
from tests.wordpress.processes import start_guarded
system.CONFIG_DIR = Path({config_dir!r})
with system.machine_lock():
    lease = system.lease_site_config({ip!r}, "<?php\\n" + system.CONFIG_MARKER + "\\n")
env = {{**os.environ, "PHP_CLI_SERVER_WORKERS": "2"}}
argv = ["php", "-S", {address!r}, "-t", {docroot!r}]
proc = start_guarded(argv, Path(os.devnull), env, Path({docroot!r}), lease.path)
print(proc.pid, flush=True)
time.sleep(600)
"""


def _wait_until(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    return check()


@needs_php
def test_a_killed_harness_process_leaves_no_server_and_no_config(tmp_path: Path) -> None:
    """SIGKILL runs no cleanup: the guard sees its lifeline close, ends the group, removes the config."""
    ip = str(SITE_NETWORK[251])
    with socket.socket() as sock:
        sock.bind((ip, 0))
        address = f"{ip}:{sock.getsockname()[1]}"
    config_dir = tmp_path / "etc-wordpress"
    config_dir.mkdir()
    code = CHILD.format(
        root=str(ROOT), config_dir=str(config_dir), ip=ip, address=address, docroot=str(tmp_path)
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pgid = int(parent.stdout.readline())
    assert _wait_until(lambda: _port_open(f"http://{address}"))
    assert group_alive(pgid) and [p.name for p in config_dir.iterdir()] == [f"config-{ip}.php"]
    parent.kill()
    parent.wait()
    assert _wait_until(lambda: not group_alive(pgid))
    assert not _port_open(f"http://{address}")
    assert _wait_until(lambda: not any(config_dir.iterdir()))


def test_sigterm_is_taken_as_ctrl_c_so_finally_blocks_run() -> None:
    stopped: list[str] = []
    with pytest.raises(KeyboardInterrupt), interrupt_on_sigterm():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # not reached: the handler raises first
        finally:
            stopped.append("servers")
    assert stopped == ["servers"]
