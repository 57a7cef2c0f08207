"""The Redis database the tests empty (FLUSHDB) and use: one per pytest-xdist worker.

EDGATE_TEST_REDIS_URL names the base (default redis://127.0.0.1:6379/15). A serial run uses it
as given; under `make test` (pytest -n …) worker gwK uses database base−K (modulo the server's 16
databases), so one worker emptying its database never wipes the keys another is counting on.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

BASE = os.environ.get("EDGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASES = 16  # Redis's default `databases`; the base and the workers' stay within it


def worker_url(base: str, worker: str | None) -> str:
    """The URL for xdist worker `worker` ("gw0", "gw1", …; None or "master" when serial)."""
    if not worker or worker == "master":
        return base
    number = int(re.fullmatch(r"gw(\d+)", worker).group(1))  # type: ignore[union-attr]
    if number >= DATABASES:
        raise RuntimeError(f"{number + 1} workers but Redis has {DATABASES} databases: use fewer")
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db - number) % DATABASES}"))


REDIS_URL = worker_url(BASE, os.environ.get("PYTEST_XDIST_WORKER"))
