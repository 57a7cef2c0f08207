from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from edgate.core import conf, crypto

from .pii import leaks

# Hypothesis's per-example deadline (200 ms) measures the machine, not the code: on a CI runner
# shared by two xdist workers, PostgreSQL and a browser, an example can take longer than that and
# fail a correct test. Examples stay random (new inputs each run is the point); a failure prints
# the blob that reproduces it (@reproduce_failure).
hypothesis_settings.register_profile("edgate", deadline=None, print_blob=True)
hypothesis_settings.load_profile("edgate")

# Pages allowed to show a person their own typed data: the identity page (and the check page,
# page 1 again) re-shows the date of birth they typed, the review page shows what they entered;
# the pages where a person chooses a password give the strength meter their birth date (in the
# forms people type it), since the server refuses a password that contains it.
# No page ever shows a full SSN.
OWN_DATA_PAGES = (
    "/register/identity/",
    "/register/check/",
    "/register/review/",
    "/register/security/",
    "/register/setup/",
    "/recover/password/",
    "/profile/password/",
)
# Console pages that show a record's date of birth to privileged staff (a case's side-by-side
# comparison, customer service's view of a Profile). Never the SSN: it is shown masked.
PRIVILEGED_DOB_PAGES = ("/console/cases/", "/console/service/")


class PiiGuard(logging.Handler):
    """Collects log records and checks requests, redirects and pages for registered PII."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def check_exchange(self, request: dict[str, object], response) -> None:  # type: ignore[no-untyped-def]
        url = unquote(f"{request.get('PATH_INFO', '')}?{request.get('QUERY_STRING', '')}")
        if found := leaks(url):
            self.found.append(f"in URL {url!r}: {found}")
        if found := leaks(unquote(response.get("Location", ""))):
            self.found.append(f"in redirect: {found}")
        path = str(request.get("PATH_INFO", ""))
        if not getattr(response, "streaming", False) and "html" in response.get("Content-Type", ""):
            body = response.content.decode(errors="replace")
            own_page = path in OWN_DATA_PAGES or path.startswith(PRIVILEGED_DOB_PAGES)
            if found := leaks(body, allow=frozenset({"dob"}) if own_page else frozenset()):
                self.found.append(f"in page {path}: {found}")

    def problems(self) -> list[str]:
        logged = [
            f"in log record {record.name}: {found}"
            for record in self.records
            if (found := leaks(f"{record.getMessage()} {record.exc_text or ''}"))
        ]
        return self.found + logged


@pytest.fixture(autouse=True)
def pii_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[PiiGuard]:
    """Fails the test if a registered SSN, date of birth, password or hint answer appears in
    a log record, a URL, a redirect, or a page other than the person's own form."""
    guard = PiiGuard()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(guard)
    root.setLevel(logging.DEBUG)
    original = Client.request

    def checked(self: Client, **request: object):  # type: ignore[no-untyped-def]
        response = original(self, **request)
        guard.check_exchange(request, response)
        return response

    monkeypatch.setattr(Client, "request", checked)
    yield guard
    root.removeHandler(guard)
    root.setLevel(old_level)
    problems = guard.problems()
    assert not problems, "personal data leaked: " + "; ".join(problems)


@pytest.fixture(autouse=True)
def _fresh_state(settings: object) -> Iterator[None]:
    conf.reset()
    crypto.reset()
    cache.clear()
    translation.deactivate()
    yield
    conf.reset()
    crypto.reset()
    # A request through the test client runs LocaleMiddleware in this thread, which activates
    # the page's language and leaves it active: a Spanish page must not make the next test's
    # command output or messages Spanish.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _postgres_marker(request: pytest.FixtureRequest) -> None:
    """Tests marked `postgres` need a real PostgreSQL: skipped with a reason locally, required in CI."""
    if request.node.get_closest_marker("postgres") is None:
        return
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI must run the suite on PostgreSQL (set DATABASE_URL)")
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")


# --- browser tests --------------------------------------------------------------------

CHROMIUM = os.environ.get("EDGATE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, object]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI ({CHROMIUM} not found)")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def many_connections() -> Iterator[None]:
    """For a test that opens dozens of PostgreSQL connections at once: it waits while another
    such test runs in another pytest-xdist worker, so two of them never exhaust PostgreSQL's
    100 connections together (seen in CI: "sorry, too many clients already"). A lock on a
    file, shared by the workers of one machine. (pytest-xdist's xdist_group did not keep these
    modules on one worker here.)"""
    import fcntl
    import tempfile

    path = Path(tempfile.gettempdir()) / "edgate-tests-many-connections.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
