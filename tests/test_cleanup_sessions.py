"""`edgate cleanup` (run hourly by deploy/systemd/edgate-cleanup.timer) removes expired sessions
too: a database session outlives its cookie until something deletes it."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db


def test_cleanup_deletes_expired_sessions_and_keeps_live_ones(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    profile = with_profile(on_file(someone("Ines", "Valkonen")))
    assert (
        client.post(
            reverse("accounts:login"), {"username": profile.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    live = client.session.session_key
    stale = []
    for _ in range(3):
        store = SessionStore()
        store["note"] = "abandoned"
        store.create()
        stale.append(store.session_key)
    Session.objects.filter(session_key__in=stale).update(expire_date=timezone.now() - timedelta(minutes=1))

    out = StringIO()
    call_command("cleanup", stdout=out)

    assert "3 expired sessions" in out.getvalue()
    assert not Session.objects.filter(session_key__in=stale).exists()
    assert Session.objects.filter(session_key=live).exists()
    assert client.get(reverse("directory:applications")).status_code == 200  # still signed in
