"""The demo application's callback: every answer other than a code is said politely."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "dropbox" / "app.py"


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("dropbox_demo_app_unit", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The portal is never asked: these callbacks fail before any request to it.
    return module.create_app("http://portal.invalid", "demo-dropbox").test_client()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("error=login_required&state=s", "login_required"),
        ("error=consent_required&state=s", "consent_required"),
        ("code=abc&state=not-ours", "mismatching_state"),
    ],
)
def test_a_callback_error_is_shown_not_a_server_error(client, query: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/callback?{query}")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Signing in did not work" in text and reason in text


def test_access_denied_still_says_ask_your_administrator(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/callback?error=access_denied&state=s", follow_redirects=True)
    assert "ask your Directory Administrator" in page.get_data(as_text=True)
