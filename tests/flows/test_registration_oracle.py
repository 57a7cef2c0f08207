"""The registration page necessarily tells a prober that an SSN is on file (the partial
outcome). These limits bound how much it can be asked, and tell customer service when it is."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.core import conf
from edgate.matching.models import MatchCase
from tests.factories import CONTACT_POST, on_file, security_post, someone, with_profile

from .helpers import landed, location, open_case, post_step, start, step, url

pytestmark = pytest.mark.django_db
TOO_MANY = "too many attempts"


def page_one(client: Client, who) -> object:  # type: ignore[no-untyped-def]
    return post_step(client, "identity", who.identity_post())


def test_one_registration_may_run_the_match_five_times(client: Client) -> None:
    start(client)
    for _ in range(5):
        assert location(page_one(client, someone("Noor", "Castellane"))) == step("contact")
    answer = page_one(client, someone("Noor", "Castellane"))
    assert location(answer) == step("identity")  # back to page 1 (Post/Redirect/Get) ...
    refused = client.get(answer["Location"])  # ... which says why, with 429
    assert refused.status_code == 429 and TOO_MANY in refused.content.decode()
    # match_flow: 5 an hour; the five counted in this fixed window fade out of the sliding
    # estimate during the next one, so the wait is over before the end of the next window.
    assert 0 < int(refused["Retry-After"]) <= 2 * 3600
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).count() == 5
    throttled = AuditEvent.objects.get(event_type=EventType.MATCH_THROTTLED)
    assert throttled.detail["limit"] == "match_flow"
    # A new registration (a new flow) starts with a clean slate.
    other = Client()
    start(other)
    assert location(page_one(other, someone("Noor", "Castellane"))) == step("contact")


def test_probing_one_ssn_from_many_addresses_is_refused_and_raises_one_alert() -> None:
    target = someone("Imani", "Rooksby")
    for i in range(12):
        client = Client(REMOTE_ADDR=f"203.0.113.{i}")
        start(client)
        response = page_one(client, target.with_(first_name=f"Probe{'x' * i}"))
        if i < 10:
            assert location(response) == step("contact"), i
        else:
            assert location(response) == step("identity"), i
            response = client.get(response["Location"])
            assert response.status_code == 429 and TOO_MANY in response.content.decode(), i
            assert int(response["Retry-After"]) > 0
    alerts = AuditEvent.objects.filter(event_type=EventType.THROTTLE_ALERT)
    assert [a.detail["limit"] for a in alerts] == ["match_identity"]


def test_one_address_probing_many_ssns_raises_one_alert() -> None:
    for i in range(32):
        client = Client(REMOTE_ADDR="203.0.113.99")
        start(client)
        response = page_one(client, someone("Probe", "Sequence"))
        assert location(response) == step("identity" if i >= 30 else "contact"), i
        shown = client.get(response["Location"])
        assert (TOO_MANY in shown.content.decode()) == (i >= 30), i
        assert shown.status_code == (429 if i >= 30 else 200), i
    alerts = AuditEvent.objects.filter(event_type=EventType.THROTTLE_ALERT)
    assert [a.detail["limit"] for a in alerts] == ["match_address"]
    assert alerts[0].client_ip == "203.0.113.99"


def test_repeated_conflicting_submissions_for_one_record_make_one_case() -> None:
    record = someone("Marisol", "Okafor")
    with_profile(on_file(record))
    references = []
    for i, first in enumerate(("Marisol", "Maria", "Mari")):
        client = Client(REMOTE_ADDR=f"198.51.100.{i}")
        start(client)
        conflicting = record.with_(
            first_name=first, date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 7)
        )
        assert location(open_case(client, conflicting)) == step("partial")
        references.append(client.get(url(client, "partial")).context["match"]["case"])
    case = MatchCase.objects.get()
    # One case; each submission is given a reference of its own (the first, the case's).
    assert references[0] == case.reference and len(set(references)) == 3
    assert case.attempts == 3 and case.last_attempt_at is not None
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_CASE_OPENED).count() == 1
    repeated = AuditEvent.objects.filter(event_type=EventType.MATCH_CASE_REPEATED).order_by("id")
    assert [e.detail["attempts"] for e in repeated] == [2, 3]
    assert [e.detail["given"] for e in repeated] == references[1:]


def test_profiles_completed_per_address_are_limited(settings) -> None:  # type: ignore[no-untyped-def]
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"]["register_address"] = (1, 3600)
    settings.EDGATE = edgate
    conf.reset()
    outcomes = []
    for name in ("Tamsin", "Ezra"):
        client = Client(REMOTE_ADDR="198.51.100.200")
        start(client)
        assert location(page_one(client, someone(name, "Pemberton"))) == step("contact")
        post_step(client, "contact", CONTACT_POST)
        post_step(client, "security", security_post())
        outcomes.append(post_step(client, "review", {"confirm": "on"}, follow=True))
    assert landed(outcomes[0]) == step("created")
    assert landed(outcomes[1]) == step("review")
    assert outcomes[1].status_code == 429 and TOO_MANY in outcomes[1].content.decode()
    assert 0 < int(outcomes[1]["Retry-After"]) <= 2 * 3600
    assert Profile.objects.count() == 1
