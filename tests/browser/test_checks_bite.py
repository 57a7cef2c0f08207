"""The browser checks themselves can fail: a test that cannot fail is a defect."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import axe_violations, watch_resources

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_reports_a_real_violation(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/healthz")
    page.set_content('<html lang="en"><body><main><input type="text"></main></body></html>')
    assert "label" in {v["id"] for v in axe_violations(page)}


def test_missing_static_file_is_reported(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    failures = watch_resources(page)
    page.goto(f"{live_server.url}/")
    page.evaluate("url => fetch(url)", f"{live_server.url}/static/uswds/css/not-there.css")
    page.wait_for_timeout(200)
    assert any("404" in f and "not-there.css" in f for f in failures)
