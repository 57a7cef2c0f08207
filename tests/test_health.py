"""/healthz (liveness) and /readyz (database and Redis) under the production rules: over plain
HTTP, for any Host, without a session, with fixed bodies."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):  # type: ignore[no-untyped-def]
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    return settings


def test_health_paths_answer_over_plain_http_while_pages_redirect(client: Client, production) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/login/", HTTP_HOST="portal.example.org").status_code == 301
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.0.0.5:8000")  # a node's address, not a site name
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert response["Cache-Control"] == "no-store" and not response.cookies


def test_health_paths_take_only_get_and_head(client: Client, production) -> None:  # type: ignore[no-untyped-def]
    assert client.head("/healthz").status_code == 200
    assert client.post("/readyz").status_code == 405


def test_readyz_is_503_when_the_database_is_down_and_healthz_is_not(client: Client, production) -> None:  # type: ignore[no-untyped-def]
    with mock.patch("edgate.core.views.connection.cursor", side_effect=OperationalError("password=hunter2")):
        ready = client.get("/readyz")
        live = client.get("/healthz")
    assert ready.status_code == 503 and ready.json() == {"status": "unavailable"}
    assert b"hunter2" not in ready.content
    assert live.status_code == 200


def test_readyz_is_503_when_redis_is_unreachable(client: Client, production) -> None:  # type: ignore[no-untyped-def]
    production.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}
