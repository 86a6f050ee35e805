"""Loaded first by a test's wparchive child (tests/hostile/runner.py puts this folder on its path).

WPARCHIVE_FAKE_NXDOMAIN=name: DNS lookups of `name` fail as an unknown host does, without asking
any resolver (the tests touch nothing but loopback); each lookup is counted in the file named by
WPARCHIVE_FAKE_LOOKUPS. WPARCHIVE_FAKE_MISSING=mod,mod: those modules cannot be imported.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

_NAME = os.environ.get("WPARCHIVE_FAKE_NXDOMAIN")
_COUNT_FILE = os.environ.get("WPARCHIVE_FAKE_LOOKUPS")
_real_getaddrinfo = socket.getaddrinfo

for _module in filter(None, os.environ.get("WPARCHIVE_FAKE_MISSING", "").split(",")):
    sys.modules[_module] = None  # type: ignore[assignment]


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if _NAME and str(host).lower() == _NAME:
        if _COUNT_FILE:
            with open(_COUNT_FILE, "a", encoding="utf-8") as count:
                count.write(f"{host}\n")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
