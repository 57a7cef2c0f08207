from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from django.core.cache import cache
from django.test import Client

from edgate.core import conf, crypto

from .pii import leaks

# Pages allowed to show a person their own typed data: the identity page re-shows the date of
# birth they typed, the review page shows what they entered. No page ever shows a full SSN.
OWN_DATA_PAGES = ("/register/identity/", "/register/review/")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def pii_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails the test if a registered SSN, date of birth, password or hint answer appears in
    a log record, a URL, a redirect, or a page other than the person's own form."""
    capture = _Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    problems: list[str] = []
    original = Client.request

    def checked(self: Client, **request: object):  # type: ignore[no-untyped-def]
        url = unquote(f"{request.get('PATH_INFO', '')}?{request.get('QUERY_STRING', '')}")
        if found := leaks(url):
            problems.append(f"in URL {url!r}: {found}")
        response = original(self, **request)
        if found := leaks(unquote(response.get("Location", ""))):
            problems.append(f"in redirect: {found}")
        path = str(request.get("PATH_INFO", ""))
        content_type = response.get("Content-Type", "")
        if not getattr(response, "streaming", False) and "html" in content_type:
            body = response.content.decode(errors="replace")
            if found := leaks(body, allow=frozenset({"dob"}) if path in OWN_DATA_PAGES else frozenset()):
                problems.append(f"in page {path}: {found}")
        return response

    monkeypatch.setattr(Client, "request", checked)
    yield
    root.removeHandler(capture)
    root.setLevel(old_level)
    for record in capture.records:
        text = f"{record.getMessage()} {record.exc_text or ''}"
        if found := leaks(text):
            problems.append(f"in log record {record.name}: {found}")
    assert not problems, "personal data leaked: " + "; ".join(problems)


@pytest.fixture(autouse=True)
def _fresh_state(settings: object) -> Iterator[None]:
    conf.reset()
    crypto.reset()
    cache.clear()
    yield
    conf.reset()
    crypto.reset()


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
