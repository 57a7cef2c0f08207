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
    # The session starts with the flow's row, when page 1 is posted (showing it writes nothing).
    assert "sessionid" not in client.cookies
    client.post(response.redirect_chain[-1][0], {"flow": response.context["flow_id"]})
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


def test_trusted_proxies_may_be_networks(settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    from edgate.core.context import client_ip

    settings.TRUSTED_PROXIES = ["192.0.2.0/28", "2001:db8::/64"]
    via_network = RequestFactory().get("/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(via_network) == "203.0.113.5"
    outside = RequestFactory().get("/", REMOTE_ADDR="192.0.2.99", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(outside) == "192.0.2.99"
    mapped = RequestFactory().get("/", REMOTE_ADDR="::ffff:192.0.2.3", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(mapped) == "203.0.113.5"
    v6 = RequestFactory().get("/", REMOTE_ADDR="2001:db8::7", HTTP_X_FORWARDED_FOR="203.0.113.5, 2001:db8::8")
    assert client_ip(v6) == "203.0.113.5"  # a chain of trusted proxies is walked through


def test_x_forwarded_proto_is_believed_only_from_a_trusted_proxy(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    login = reverse("accounts:login")
    direct = client.get(login, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="203.0.113.7")
    assert direct.status_code == 301 and direct["Location"].startswith("https://")
    proxied = client.get(login, HTTP_X_FORWARDED_PROTO="https", REMOTE_ADDR="10.0.0.5")
    assert proxied.status_code == 200


@pytest.mark.parametrize("entry", ["10.0.0.5/24", "nginx.internal", "10.0.0.300"])
def test_a_mistyped_trusted_proxy_stops_start_up(tmp_path, entry: str) -> None:  # type: ignore[no-untyped-def]
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "EDGATE_TRUSTED_PROXIES": f"127.0.0.1,{entry}",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "-m", "edgate.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0 and f"EDGATE_TRUSTED_PROXIES: '{entry}'" in result.stderr


def test_deploy_check_warns_without_trusted_proxies(settings) -> None:  # type: ignore[no-untyped-def]
    from edgate.core.checks import trusted_proxies_set

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = []
    assert [m.id for m in trusted_proxies_set()] == ["edgate.W001"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert trusted_proxies_set() == []


def test_production_settings_pass_the_deploy_check(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "edgate.settings.production",
        "EDGATE_SECRET_KEY": "k" * 60 + "-deploy-check-only-0123456789",
        "EDGATE_PII_KEYS": "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q=",
        "EDGATE_LOOKUP_KEY": "deploy-check-only",
        "EDGATE_ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EDGATE_TRUSTED_PROXIES": "10.0.0.0/24",
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


def test_the_policy_text_is_made_once_and_is_django_csps(client: Client, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """core.middleware.CSPMiddleware keeps the policy django-csp builds from the settings; a
    changed setting is obeyed at once (a response's own policy is tests/test_oidc.py's)."""
    from csp import utils as csp_utils

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]}}
    expected = csp_utils.build_policy()
    built = []
    real = csp_utils.build_policy

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(csp_utils, "build_policy", counted)
    monkeypatch.setattr("csp.middleware.build_policy", counted)
    for path in ("/login/", "/privacy/", "/login/"):
        assert client.get(path)["Content-Security-Policy"] == expected
    assert len(built) <= 2  # the policy and the (empty) report-only policy, once
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/login/")["Content-Security-Policy"] == "default-src 'none'"
    assert "Content-Security-Policy-Report-Only" not in client.get("/login/")
