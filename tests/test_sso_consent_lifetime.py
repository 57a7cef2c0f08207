"""How long a remembered single sign-on consent (sso.Consent) is kept.

It is of use for EDGATE_OIDC_REFRESH_MAX_SECONDS (12 hours) after the "Allow" (sso/consent.py),
and the families begun under it are dated from it while a code issued under it may still be
exchanged (60 seconds). Then `edgate cleanup` removes it; before, rows were never removed, so the
table kept, for ever, which applications each person had signed in to. A Disconnect and the
removal of the client remove it at once.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from edgate.sso import actions as sso
from edgate.sso import consent
from edgate.sso.models import Consent

from .factories import CTX, on_file, someone, with_profile
from .oidc import REDIRECT, signing_key, world

pytestmark = pytest.mark.django_db
SCOPES = ["openid", "profile", "email"]


@pytest.fixture(autouse=True)
def _key() -> None:
    signing_key()


def cleanup() -> str:
    out = StringIO()
    call_command("cleanup", stdout=out)
    return out.getvalue()


def test_cleanup_removes_consents_once_they_have_lapsed() -> None:
    w = world()
    vendor = sso.do_register_client(
        name="Vendor", application=w.dropbox, redirect_uris=[REDIRECT], first_party=False, ctx=CTX
    ).client
    early = with_profile(on_file(someone("Harper", "Lund")))
    late = with_profile(on_file(someone("Imani", "Ross")))
    given = timezone.now()
    with time_machine.travel(given, tick=False):
        sso.do_give_consent(profile=early, client=vendor, scopes=SCOPES, ctx=CTX)
    with time_machine.travel(given + timedelta(hours=6), tick=False):
        sso.do_give_consent(profile=late, client=vendor, scopes=SCOPES, ctx=CTX)

    # Lapsed, but a code issued just before may still be exchanged: kept.
    with time_machine.travel(given + timedelta(hours=12, seconds=30), tick=False):
        assert not consent.remembered(early, vendor, SCOPES)
        assert "0 lapsed single sign-on consents" in cleanup()
        assert consent.given_at(early, vendor) is not None
    with time_machine.travel(given + timedelta(hours=12, seconds=61), tick=False):
        assert "1 lapsed single sign-on consents" in cleanup()
        assert list(Consent.objects.values_list("profile", flat=True)) == [late.pk]
        assert consent.remembered(late, vendor, SCOPES)  # the other person's is still in force


def test_a_disconnect_and_the_clients_removal_remove_consents_at_once() -> None:
    w = world()
    vendor = sso.do_register_client(
        name="Vendor", application=w.dropbox, redirect_uris=[REDIRECT], first_party=False, ctx=CTX
    ).client
    one, two = with_profile(on_file(someone("Jun", "Park"))), with_profile(on_file(someone("Kai", "Moss")))
    for who in (one, two):
        sso.do_give_consent(profile=who, client=vendor, scopes=SCOPES, ctx=CTX)
    sso.do_disconnect_client(profile=one, client=vendor, ctx=CTX)
    assert list(Consent.objects.values_list("profile", flat=True)) == [two.pk]
    sso.do_remove_client(client=vendor, ctx=CTX)
    assert not Consent.objects.exists()
