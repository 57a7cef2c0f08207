"""uxpub 3: the public case-status page of a case still waiting tells the registrant that they
can sign in if they have set up their Profile since — the same words whatever became of the
record, since whoever holds a reference may be a stranger (it says nothing of the record's
Profile)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from edgate.matching import actions
from edgate.matching.models import CaseOutcome

from ..backoffice import World, build_world
from ..factories import with_profile
from .helpers import shows
from .test_console_cases import case_opened_directly, ctx_for

pytestmark = pytest.mark.django_db
HINT = "If you have set up your Profile since, you can sign in."


def status_text(reference: str) -> str:
    """The words of the status page for `reference` (a fresh client each time)."""
    page = Client().post(reverse("registration:case_status"), {"reference": reference}).content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r"\s+([.,])", r"\1", " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split()))


def test_a_waiting_case_says_sign_in_if_set_up_since_and_nothing_of_the_record() -> None:
    world: World = build_world()
    case = case_opened_directly(world.district_a)
    before = status_text(case.reference)
    assert shows(before, "Open: waiting for a Directory Administrator to look at it.") and shows(before, HINT)
    login = reverse("accounts:login")
    page = Client().post(reverse("registration:case_status"), {"reference": case.reference}).content.decode()
    assert re.search(rf'data-testid="case-sign-in-hint">[^<]*<a class="usa-link" href="{login}">', page)
    # The record's person sets up a Profile: the page reads exactly as before.
    with_profile(case.person)
    assert status_text(case.reference) == before
    actions.do_escalate_case(case=case, note="look", ctx=ctx_for(world.da_a))
    escalated = status_text(case.reference)
    assert shows(escalated, "Being reviewed by customer service.") and shows(escalated, HINT)
    # Resolved: "Register again" instead.
    actions.do_resolve_case(case=case, outcome=CaseOutcome.SAME_PERSON, note="ok", ctx=ctx_for(world.service))
    assert not shows(status_text(case.reference), HINT)
