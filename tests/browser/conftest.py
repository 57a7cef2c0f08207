from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between page actions (and the database flush after them) are ordinary synchronous ones.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    # bypass_csp lets the test inject axe-core; the portal's own pages never need it.
    return {**browser_context_args, "bypass_csp": True, "viewport": {"width": 390, "height": 844}}


def watch_resources(page: Page) -> list[str]:
    failures: list[str] = []
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # A request the browser itself cancelled (the page moved on before a font arrived) is not a
    # missing resource; a missing one answers >= 400 above, and any other failure counts.
    page.on(
        "requestfailed",
        lambda r: (
            failures.append(f"failed {r.url} ({r.failure})") if r.failure != "net::ERR_ABORTED" else None
        ),
    )
    return failures


@pytest.fixture
def failed_resources(page: Page) -> Iterator[list[str]]:
    """Fails the test when any page resource (CSS, JS, font, image) answers >= 400."""
    failures = watch_resources(page)
    yield failures
    assert not failures, f"page resources failed to load: {failures}"


def axe_violations(page: Page) -> list[dict[str, object]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):  # once per page load
        page.add_script_tag(path=str(Path(settings.NODE_MODULES) / "axe-core" / "axe.min.js"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
        ".then(r => r.violations)",
        AXE_TAGS,
    )
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]} for v in result]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe violations on {page.url}: {json.dumps(violations)}"


def assert_styled(page: Page) -> None:
    """USWDS really applied (not just linked): the primary button has its blue background."""
    # Not the header's language switch or sign-out: those are buttons styled as links.
    primary = ".usa-button:not(.usa-button--unstyled)"
    color = page.evaluate(f"getComputedStyle(document.querySelector('{primary}')).backgroundColor")
    assert color == "rgb(0, 94, 162)", color
