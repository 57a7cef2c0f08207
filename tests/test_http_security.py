from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_security_headers(client: Client) -> None:
    response = client.get(reverse("registration:start"), follow=True)
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    session = client.cookies["sessionid"]  # set by the response that started the session
    assert session["httponly"] and session["samesite"] == "Lax"


def test_healthz(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_favicon_is_found(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/favicon.ico")
    assert "/static/" in response["Location"]


def test_x_forwarded_for_is_ignored_unless_from_a_trusted_proxy(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    from edgate.core.context import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(request) == "192.0.2.9"
    settings.TRUSTED_PROXIES = ["192.0.2.9"]
    assert client_ip(request) == "203.0.113.5"
    spoofed = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5"
    )
    assert client_ip(spoofed) == "203.0.113.5"  # the hop the trusted proxy saw, not the client's claim


def test_production_settings_pass_the_deploy_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
        "EDGATE_SECRET_KEY": "k" * 60 + "-deploy-check-only-0123456789",
        "EDGATE_PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q=",
        "EDGATE_LOOKUP_KEY": "deploy-check-only",
        "EDGATE_ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "edgate.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGATE_")}
    env["DJANGO_SETTINGS_MODULE"] = "edgate.settings.production"
    result = subprocess.run(
        [sys.executable, "-m", "edgate.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0 and "EDGATE_SECRET_KEY must be set" in result.stderr
