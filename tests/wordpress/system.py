"""Machine setup for the WordPress harness: Debian packages, MariaDB, per-host WordPress configs."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOGGER = logging.getLogger(__name__)

WP_ROOT = Path("/usr/share/wordpress")
CONFIG_DIR = Path("/etc/wordpress")
# The first comment of every config file the harness writes: files without it are never touched.
CONFIG_MARKER = "// wparchive-test-harness: written by tests/wordpress/system.py"
LOCK_PATH = Path("/tmp/wparchive-wp-harness.lock")
THEMES = ("twentytwentyone", "twentytwentytwo", "twentytwentythree")
PACKAGES = (
    "wordpress",
    "php-cli",
    "php-mysql",
    "php-xml",
    *(f"wordpress-theme-{theme}" for theme in THEMES),
    "mariadb-server",
)
DB_HOST, DB_PORT = "127.0.0.1", 3306
MARIADB_DEADLINE = 60.0


class HarnessUnavailable(RuntimeError):
    """This machine cannot host the harness (not root, no packages, no MariaDB)."""


class HarnessError(RuntimeError):
    """The harness is installed but failed (seeding, server start, PHP error)."""


def _run(argv: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def find_missing_parts() -> list[str]:
    """What the harness needs and does not find, as readable names (empty when all is there)."""
    needed = {
        "wordpress": WP_ROOT / "wp-load.php",
        "mariadb-server": Path("/usr/sbin/mariadbd"),
        **{f"theme {theme}": WP_ROOT / "wp-content/themes" / theme for theme in THEMES},
    }
    missing = [name for name, path in needed.items() if not path.exists()]
    if shutil.which("php") is None:
        missing.append("php-cli")
    else:
        if _run(["php", "-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"], 30).returncode:
            missing.append("php-mysql")
        # SimpleXML: without it WordPress serves no sitemap (wp-sitemap.xml answers 501).
        if _run(["php", "-r", "exit(class_exists('SimpleXMLElement') ? 0 : 1);"], 30).returncode:
            missing.append("php-xml")
    return missing


def ensure_packages() -> None:
    """Install the Debian packages when something is missing (needs root and apt)."""
    missing = find_missing_parts()
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise HarnessUnavailable(
            f"missing {', '.join(missing)} and cannot install (need root + apt)"
        )
    LOGGER.info("installing %s", " ".join(PACKAGES))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update"], ["apt-get", "install", "-y", *PACKAGES]):
        done = _run(argv, 1800, env=env)
        if done.returncode:
            raise HarnessUnavailable(f"{' '.join(argv)} failed: {done.stderr.strip()[-800:]}")
    still = find_missing_parts()
    if still:
        raise HarnessUnavailable(f"still missing after apt-get install: {', '.join(still)}")


def _mariadb_answers() -> bool:
    try:
        with socket.create_connection((DB_HOST, DB_PORT), timeout=1):
            return True
    except OSError:
        return False


def _root_login_works() -> bool:
    code = f"$m = @new mysqli('{DB_HOST}', 'root', '', '', {DB_PORT}); exit($m->connect_errno ? 1 : 0);"
    return _run(["php", "-r", f"mysqli_report(MYSQLI_REPORT_OFF); {code}"], 30).returncode == 0


def ensure_mariadb() -> None:
    """Start MariaDB when it is not running and make root@127.0.0.1 log in without a password."""
    if not _mariadb_answers():
        if os.geteuid() != 0:
            raise HarnessUnavailable(
                f"MariaDB is not answering on {DB_HOST}:{DB_PORT} and we are not root"
            )
        Path("/run/mysqld").mkdir(parents=True, exist_ok=True)
        shutil.chown("/run/mysqld", "mysql", "mysql")
        argv = [
            "start-stop-daemon",
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            "/usr/sbin/mariadbd",
        ]
        started = _run(argv, 60)
        if started.returncode:
            raise HarnessUnavailable(f"cannot start MariaDB: {started.stderr.strip()}")
        deadline = time.monotonic() + MARIADB_DEADLINE
        while not _mariadb_answers():
            if time.monotonic() > deadline:
                raise HarnessUnavailable(f"MariaDB did not answer within {MARIADB_DEADLINE:.0f} s")
            time.sleep(0.2)
    if _root_login_works():
        return
    # A fresh Debian lets root in through the unix socket only; open the TCP login the harness uses.
    grant = (
        f"CREATE USER IF NOT EXISTS 'root'@'{DB_HOST}' IDENTIFIED BY '';"
        f" GRANT ALL PRIVILEGES ON *.* TO 'root'@'{DB_HOST}' WITH GRANT OPTION;"
    )
    done = _run(["mariadb", "-uroot", "-e", grant], 60) if os.geteuid() == 0 else None
    if done is None or done.returncode or not _root_login_works():
        raise HarnessUnavailable(f"cannot log in to MariaDB as root@{DB_HOST} without a password")


@contextmanager
def machine_lock() -> Iterator[None]:
    """One provisioning (or config removal) at a time on this machine."""
    with LOCK_PATH.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def render_site_config(
    ip: str, db_name: str, site_name: str, rest_closed: bool, mu_dir: Path
) -> str:
    """The text of config-IP.php: DB, offline switches, WP_HOME following the request host."""
    salts = "".join(
        f"define('{key}', 'wparchive-test-{key.lower()}-{site_name}');\n"
        for kind in ("AUTH", "SECURE_AUTH", "LOGGED_IN", "NONCE")
        for key in (f"{kind}_KEY", f"{kind}_SALT")
    )
    return f"""<?php
{CONFIG_MARKER}
// For the "{site_name}" test site; rewritten by each run, removed when its last server stops.
define('DB_NAME', '{db_name}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '{DB_HOST}:{DB_PORT}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
// Ports change between runs: home and site URL follow the host:port the request came to.
$wparchive_host = preg_replace('/[^A-Za-z0-9.:\\[\\]-]/', '', $_SERVER['HTTP_HOST'] ?? '{ip}');
define('WP_HOME', 'http://' . $wparchive_host);
define('WP_SITEURL', 'http://' . $wparchive_host);
define('WPARCHIVE_SITE', '{site_name}');
define('WPARCHIVE_REST_CLOSED', {"true" if rest_closed else "false"});
define('WPMU_PLUGIN_DIR', '{mu_dir}');
define('DISABLE_WP_CRON', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
define('WP_DEBUG', false);
{salts}"""


def site_config_path(ip: str) -> Path:
    """Where Debian's wp-config.php looks for the config of requests to `ip`."""
    return CONFIG_DIR / f"config-{ip}.php"


def _read_existing(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        raise HarnessUnavailable(f"cannot read {path} (need root)") from exc


@dataclass
class ConfigLease:
    """This process's use of one harness config file: a shared flock on it while a site is served.

    Other harness processes serving the same address hold their own; the file is removed when the
    last one lets go. Take and release leases under machine_lock().
    """

    path: Path
    handle: IO[bytes] | None

    def release(self) -> None:
        """Let go of the file; remove it when no other harness process holds it (idempotent)."""
        if self.handle is None:
            return
        self.handle.close()
        self.handle = None
        remove_unused_config(self.path)


def remove_unused_config(path: Path) -> None:
    """Remove a harness config file that no harness process holds (call under machine_lock())."""
    try:
        probe = path.open("rb")
    except FileNotFoundError:
        return
    with probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another harness process still serves this address
        if CONFIG_MARKER.encode() in probe.read():
            path.unlink()


def lease_site_config(ip: str, text: str) -> ConfigLease:
    """Write config-IP.php (only over a file the harness wrote) and hold it while the site runs.

    Raises HarnessError when a config for `ip` exists without the harness's marker: it belongs to
    someone else and is left as it is.
    """
    path = site_config_path(ip)
    existing = _read_existing(path)
    if existing is not None and CONFIG_MARKER not in existing:
        raise HarnessError(
            f"{path} exists and was not written by the wparchive harness; refusing to overwrite"
            f" it. Move it away, or serve that site on another address than {ip}."
        )
    if existing != text:
        if not os.access(CONFIG_DIR, os.W_OK):
            raise HarnessUnavailable(f"cannot write {path} (need root)")
        # Rewritten in place, never replaced: other processes' flocks stay on the same file.
        path.write_text(text, encoding="utf-8")
    handle = path.open("rb")
    fcntl.flock(handle, fcntl.LOCK_SH)
    return ConfigLease(path, handle)
