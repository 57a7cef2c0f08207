"""The consoles' reason and note boxes take up to 1000 characters and say so under the box, in
the page's language; what was typed is kept whole in the case or merge row and in the audit
event (a reason used to stop at 200 characters without a word)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice.models import PersonMerge
from edgate.matching.models import CaseStatus
from edgate.people.models import Person
from tests.backoffice import build_world, console_client
from tests.factories import on_file, someone, with_profile

from .test_console_cases import case_opened_directly, case_url, events_of

pytestmark = pytest.mark.django_db

LONG = ("Checked the licence file, the district's letter and the call notes; " * 14)[:950]


def limit_under(page: str, name: str, language: str = "en") -> bool:
    """The box has maxlength 1000 and its hint ends with the limit, in the page's language."""
    with translation.override(language):
        said = translation.gettext("Up to %(count)s characters.") % {"count": 1000}
    box = re.search(rf'<textarea[^>]*name="{name}"[^>]*>', page)
    hint = re.search(rf'id="id_{name}_helptext">([^<]*)<', page)
    return bool(box and 'maxlength="1000"' in box.group(0) and hint and hint.group(1).endswith(said))


def test_a_long_escalation_note_is_kept_whole_and_the_limit_is_said() -> None:
    world = build_world()
    case = case_opened_directly(world.school_a1)
    da = console_client(world.da_school_a1)
    page = da.get(case_url(case)).content.decode()
    assert limit_under(page, "note") and limit_under(page, "reason")
    assert da.post(case_url(case, "escalate"), {"note": LONG}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ESCALATED and case.escalation_note == LONG
    (event,) = events_of(case, EventType.MATCH_CASE_ESCALATED)
    assert event.detail["note"] == LONG
    # Over the limit: a field error, nothing cut silently.
    other = case_opened_directly(world.school_a1)
    refused = da.post(case_url(other, "escalate"), {"note": "x" * 1001})
    assert refused.status_code == 200 and 'id="id_note_error"' in refused.content.decode()


def test_customer_service_reasons_and_a_merge_keep_a_long_reason_in_both_languages() -> None:
    world = build_world()
    agent = console_client(world.service)
    target = with_profile(on_file(someone("Lorcan", "Abernethy")))
    reset = reverse("backoffice:service_reset_recovery", kwargs={"profile": target.pk})
    assert limit_under(agent.get(reset).content.decode(), "reason")
    spanish = console_client(world.service)
    spanish.cookies.load({"django_language": "es"})
    assert limit_under(spanish.get(reset).content.decode(), "reason", "es")
    assert agent.post(reset, {"reason": LONG}).status_code == 302
    event = AuditEvent.objects.filter(event_type=EventType.ACTIVATION_CODE_ISSUED).latest("pk")
    assert event.detail["reason"] == LONG
    dup = on_file(someone("Lorcan", "Abernethy"))
    Person.objects.filter(pk=dup.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    url = reverse("backoffice:service_merge")
    picked = {"survivor": target.username, "duplicate": dup.state_id}
    merged = agent.post(url, picked | {"reason": LONG, "state_ids_checked": "on"})
    assert merged.status_code == 302, merged.content.decode()[-3000:]
    assert PersonMerge.objects.get(duplicate=dup).reason == LONG
