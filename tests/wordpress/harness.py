"""Real WordPress sites for end-to-end tests: seeded through WordPress, served by PHP's built-in server.

provision_sites() installs what is missing, (re)seeds each site's database when its seed changed,
and starts one `php -S` per site on its own address in SITE_NETWORK (Debian's wordpress picks
/etc/wordpress/config-<ip>.php by host; the harness writes only its own, marked ones, and removes
them when it stops). stop_sites() ends every server it started; so do exit and SIGTERM (atexit,
interrupt_on_sigterm) and, when this process is killed outright, each server's guard.
truth() asks WordPress itself what an anonymous visitor may see, so tests compare our archive
with WordPress, not with our own code.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from tests.wordpress.processes import interrupt_on_sigterm, start_guarded, stop_group
from tests.wordpress.system import (
    WP_ROOT,
    ConfigLease,
    HarnessError,
    HarnessUnavailable,
    ensure_mariadb,
    ensure_packages,
    lease_site_config,
    machine_lock,
    render_site_config,
    site_config_path,
)

LOGGER = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SEED_VERSION = "2"
# Loopback addresses of the harness's own: nothing else on the machine serves WordPress there.
SITE_NETWORK = IPv4Network("127.0.100.0/24")
DB_PREFIX = "wparchive_wp_"
PRETTY = "/%year%/%monthnum%/%postname%/"
SERVER_WORKERS = "4"
START_DEADLINE = 30.0
PHP_TIMEOUT = 300.0
_REQUEST_LINE = re.compile(r'\[(\d{3})\]: ([A-Z]+) (\S+)(?: "([^"\n]*)")?')

__all__ = [
    "SITE_NAMES",
    "SITE_NETWORK",
    "HarnessError",
    "HarnessUnavailable",
    "LoggedRequest",
    "WordPressSite",
    "interrupt_on_sigterm",
    "provision_sites",
    "stop_sites",
]


@dataclass(frozen=True)
class SiteSpec:
    """How one test site differs from the others (content is the same everywhere)."""

    name: str
    ip: str
    theme: str
    permalink: str
    rest_closed: bool
    options: dict[str, Any]
    content: bool = True  # False: WordPress installed and nothing in it (a site to import into)
    # More content than the tests' own (benchmarks only): generic_posts, max_comments (a post).
    size: dict[str, int] = field(default_factory=dict)

    @property
    def db_name(self) -> str:
        return DB_PREFIX + self.name.replace("-", "_")


_COMMON_OPTIONS: dict[str, Any] = {
    "thread_comments": 1,
    "thread_comments_depth": 5,
    "posts_per_rss": 10,
    "rss_use_excerpt": 0,
    "blog_public": 1,
    "page_comments": 0,
    "comments_per_page": 50,
    "default_comments_page": "newest",
    "comment_moderation": 0,
    "comment_previously_approved": 0,
    "close_comments_for_old_posts": 0,
    "timezone_string": "Europe/Rome",
    "blogdescription": "Reviews, notes and long comment threads",
    "posts_per_page": 10,
    "show_on_front": "posts",
}
_PAGED_COMMENTS = {"page_comments": 1, "comments_per_page": 10}

SITE_SPECS: dict[str, SiteSpec] = {
    spec.name: spec
    for spec in (
        SiteSpec("rest", str(SITE_NETWORK[2]), "twentytwentyone", PRETTY, False, {}),
        SiteSpec("plain", str(SITE_NETWORK[3]), "twentytwentyone", "", False, {}),
        SiteSpec(
            "closed-classic",
            str(SITE_NETWORK[4]),
            "twentytwentyone",
            "",
            True,
            {**_PAGED_COMMENTS, "default_comments_page": "oldest"},
        ),
        SiteSpec(
            "closed-block",
            str(SITE_NETWORK[5]),
            "twentytwentythree",
            PRETTY,
            True,
            {**_PAGED_COMMENTS, "default_comments_page": "newest", "rss_use_excerpt": 1},
        ),
        # Changed between crawls by the history tests (tests/wordpress/mutations.php), and
        # reseeded by them: no other test may read it.
        SiteSpec("mutable", str(SITE_NETWORK[10]), "twentytwentyone", PRETTY, False, {}),
        # A theme of the tests' own that prints dates only as text, in a timezone far from UTC.
        SiteSpec(
            "closed-textdate",
            str(SITE_NETWORK[11]),
            "wparchive-textdate",
            PRETTY,
            True,
            {"timezone_string": "Pacific/Auckland", "date_format": "F j, Y"},
        ),
        # The same story through feeds + HTML: REST closed, otherwise as `mutable`.
        SiteSpec("mutable-closed", str(SITE_NETWORK[12]), "twentytwentyone", PRETTY, True, {}),
        SiteSpec("restore", str(SITE_NETWORK[6]), "twentytwentyone", PRETTY, False, {}, False),
        # The large real site of the crawl benchmark (tests/benchmarks/bench_crawl.py --site
        # large): 1,350 generic posts and about 11,000 comments; no test reads it.
        SiteSpec(
            "large",
            str(SITE_NETWORK[13]),
            "twentytwentyone",
            PRETTY,
            False,
            {},
            size={"generic_posts": 1350, "max_comments": 16},
        ),
    )
}
# The seeded sites of the tests (the empty one is started by name, by the tests that import
# into it; the large one by the benchmark).
SITE_NAMES: tuple[str, ...] = tuple(
    name for name, spec in SITE_SPECS.items() if spec.content and not spec.size
)


@dataclass
class LoggedRequest:
    """One request as the PHP server logged it."""

    method: str
    path: str  # path + query string, as sent
    status: int
    agent: str = ""  # the User-Agent (empty for static files, which PHP's server logs itself)


@dataclass
class WordPressSite:
    """A running test site."""

    name: str
    url: str  # home URL without trailing slash
    spec: SiteSpec = field(repr=False)
    log_path: Path = field(repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    config: ConfigLease | None = field(default=None, repr=False)
    _mark: int = field(default=0, repr=False)

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def php(self, code: str) -> str:
        """Run PHP statements with this site's WordPress loaded; return what they print.

        Changes persist for the session (other tests see them) and make the next provisioning
        reseed the site; call reseed() to put the seeded content back at once.
        """
        return _run_php(HERE / "run.php", {"WPARCHIVE_HOST": self.host}, stdin=code)

    def truth(self) -> dict[str, Any]:
        """What WordPress says an anonymous visitor can see (see truth.php for the keys)."""
        out = _run_php(HERE / "truth.php", {"WPARCHIVE_HOST": self.host})
        return json.loads(out)  # type: ignore[no-any-return]

    def reseed(self) -> bool:
        """Restore the seeded content if it changed (drops and refills the database, ~3 s).

        Returns False when the content was still the seeded one (nothing done).
        """
        with machine_lock():
            return _seed_sites([self.spec])[self.name]

    def mark_log(self) -> None:
        """Start a new window for requests()."""
        self._mark = self.log_path.stat().st_size

    def requests(self) -> list[LoggedRequest]:
        """Requests the server logged since the last mark_log()."""
        with self.log_path.open("rb") as log:
            log.seek(self._mark)
            text = log.read().decode("utf-8", "replace")
        return [
            LoggedRequest(method=m[2], path=m[3], status=int(m[1]), agent=m[4] or "")
            for m in _REQUEST_LINE.finditer(text)
        ]


def _run_php(script: Path, env: dict[str, str], stdin: str | None = None) -> str:
    argv = ["php", "-d", "display_errors=stderr", "-d", "memory_limit=512M", str(script)]
    try:
        done = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=PHP_TIMEOUT,
            env={**os.environ, **env},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"{script.name} timed out after {PHP_TIMEOUT:.0f} s") from exc
    if done.returncode:
        raise HarnessError(
            f"{script.name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    return done.stdout


def _seed_state(spec: SiteSpec) -> str:
    digest = hashlib.sha256(SEED_VERSION.encode())
    for path in [*sorted(HERE.glob("seed*.php")), HERE / "bootstrap.php"]:
        digest.update(path.read_bytes())
    digest.update(json.dumps(_seed_settings(spec), sort_keys=True).encode())
    return f"{SEED_VERSION}-{digest.hexdigest()[:16]}"


def _seed_settings(spec: SiteSpec) -> dict[str, Any]:
    # seed.php drops and recreates this database: never one outside the harness's prefix.
    if not re.fullmatch(DB_PREFIX + "[a-z0-9_]+", spec.db_name):
        raise HarnessError(f"refusing to seed {spec.db_name!r}: not a {DB_PREFIX}* database")
    options = {**_COMMON_OPTIONS, **spec.options, "permalink_structure": spec.permalink}
    return {
        "db_name": spec.db_name,
        "blogname": f"wparchive test blog ({spec.name})",
        "theme": spec.theme,
        "options": options,
        "content": spec.content,
        **spec.size,
    }


def _start_seed(spec: SiteSpec) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "WPARCHIVE_HOST": spec.ip,
        "WPARCHIVE_SEED_STATE": _seed_state(spec),
        "WPARCHIVE_SETTINGS": json.dumps(_seed_settings(spec)),
    }
    argv = ["php", "-d", "display_errors=stderr", "-d", "memory_limit=1G", str(HERE / "seed.php")]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _seed_sites(specs: list[SiteSpec]) -> dict[str, bool]:
    """Seed the sites in parallel (one PHP process per database); returns which were (re)seeded."""
    running = [(spec, _start_seed(spec)) for spec in specs]
    failures = []
    seeded: dict[str, bool] = {}
    for spec, proc in running:
        try:
            out, err = proc.communicate(timeout=PHP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += f"\nseed.php timed out after {PHP_TIMEOUT:.0f} s"
        if proc.returncode:
            failures.append(f"{spec.name}: {err.strip()[-1500:]}")
        else:
            LOGGER.info("seeded %s: %s", spec.name, out.strip())
            seeded[spec.name] = not json.loads(out)["reused"]
    if failures:
        raise HarnessError("seeding failed: " + " | ".join(failures))
    return seeded


def _free_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((ip, 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/wp-includes/images/blank.gif", timeout=5) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _start_server(spec: SiteSpec, workdir: Path) -> WordPressSite:
    env = {
        **os.environ,
        "PHP_CLI_SERVER_WORKERS": SERVER_WORKERS,
        "WPARCHIVE_REWRITE": "1" if spec.permalink else "0",
    }
    for _attempt in range(2):
        port = _free_port(spec.ip)
        # One log per server: sessions sharing a workdir must not see each other's requests.
        log_path = workdir / f"{spec.name}.{port}.log"
        argv = ["php", "-d", "display_errors=0", "-d", "log_errors=1", "-d", "opcache.enable_cli=1"]
        argv += ["-S", f"{spec.ip}:{port}", "-t", str(WP_ROOT), str(HERE / "router.php")]
        proc = start_guarded(argv, log_path, env, WP_ROOT, site_config_path(spec.ip))
        site = WordPressSite(spec.name, f"http://{spec.ip}:{port}", spec, log_path, proc)
        deadline = time.monotonic() + START_DEADLINE
        while proc.poll() is None and time.monotonic() < deadline:
            if _answers(site.url):
                site.mark_log()
                return site
            time.sleep(0.05)
        _stop(site)  # port taken in between, or too slow: try once more on a new port
    raise HarnessError(f"php -S for {spec.name} did not answer; see {workdir}/{spec.name}.*.log")


def _stop(site: WordPressSite) -> None:
    if site.process is not None:
        stop_group(site.process)  # the server and its workers, nothing else


def _lease_configs(specs: list[SiteSpec]) -> list[ConfigLease]:
    """Write and hold each site's config; all or none (the caller holds the machine lock)."""
    leases: list[ConfigLease] = []
    try:
        for spec in specs:
            text = render_site_config(
                spec.ip, spec.db_name, spec.name, spec.rest_closed, HERE / "mu-plugins"
            )
            leases.append(lease_site_config(spec.ip, text))
    except BaseException:
        for lease in leases:
            lease.release()
        raise
    return leases


def _release(leases: Iterable[ConfigLease]) -> None:
    # Under the machine lock: a provisioning elsewhere must not rewrite a file being removed.
    with machine_lock():
        for lease in leases:
            lease.release()


def provision_sites(names: Iterable[str], workdir: Path) -> dict[str, WordPressSite]:
    """Install if needed, seed (or reuse) and serve the named sites; returns them by name.

    Stop them with stop_sites(); they are also stopped when this process exits.
    """
    specs = [SITE_SPECS[name] for name in names]
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_packages()
    ensure_mariadb()
    started = time.monotonic()
    with machine_lock():
        leases = _lease_configs(specs)
    sites: dict[str, WordPressSite] = {}
    try:
        with machine_lock():
            _seed_sites(specs)
        for spec, lease in zip(specs, leases, strict=True):
            sites[spec.name] = _start_server(spec, workdir)
            sites[spec.name].config = lease
    except BaseException:
        stop_sites(sites.values())
        _release(leases)
        raise
    atexit.register(stop_sites, list(sites.values()))  # a no-op once stopped
    LOGGER.info("provisioned %s in %.1f s", ", ".join(sites), time.monotonic() - started)
    return sites


def stop_sites(sites: Iterable[WordPressSite]) -> None:
    """Stop the servers provision_sites() started, remove their logs and configs (idempotent).

    Raises HarnessError when a server survives, after having stopped all the others.
    """
    sites = list(sites)
    failures: list[str] = []
    for site in sites:
        try:
            _stop(site)
        except HarnessError as exc:
            failures.append(f"{site.name}: {exc}")
        site.log_path.unlink(missing_ok=True)
    _release(site.config for site in sites if site.config is not None)
    if failures:
        raise HarnessError("servers still running: " + "; ".join(failures))


def main(argv: list[str]) -> int:
    """`python -m tests.wordpress.harness [SITE...]`: serve the sites until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with interrupt_on_sigterm():
        sites = provision_sites(
            argv or SITE_NAMES, Path(os.environ.get("WPARCHIVE_HARNESS_DIR", ".wp-harness"))
        )
    print(json.dumps({name: site.url for name, site in sites.items()}), flush=True)
    # Blocked only now: children inherit the mask, and the servers must still die on SIGTERM.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        signal.sigwait(stop_signals)
    finally:
        stop_sites(sites.values())
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
