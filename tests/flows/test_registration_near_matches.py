"""The check page is offered once per SSN and once per record, not once per wizard: a registrant
who is near a record, is offered the check, and starts the wizard again meets the case on the
next near match. It is offered only for what may be a slip: a prober who types a person's names
and birth date with a made-up SSN meets the case straight away, and spends no one's check page
(matching.near_matches, docs/matching.md §8). Nothing of the SSN is stored in the clear."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.audit.models import AuditEvent, EventType
from edgate.matching.models import MatchCase, NearMatch
from tests.backoffice import build_world, console_client
from tests.factories import Someone, new_ssn, on_file, someone, with_profile
from tests.pii import register_dob, register_ssn

from .helpers import location, post_step, start, step

pytestmark = pytest.mark.django_db


def older(who: Someone, years: int = 5) -> Someone:
    return who.with_(
        date_of_birth=register_dob(who.date_of_birth.replace(year=who.date_of_birth.year - years))
    )


def ssn_typo(who: Someone) -> Someone:
    """The SSN one keystroke off (a digit of the group number changed)."""
    ssn = who.ssn
    return who.with_(ssn=register_ssn(ssn[:4] + str((int(ssn[4]) + 1) % 10) + ssn[5:]))


def page_one(client: Client, who: Someone) -> str:
    start(client)
    return location(post_step(client, "identity", who.identity_post()))


def test_restarting_the_wizard_does_not_buy_a_second_check() -> None:
    record = someone("Elena", "Marchetti")
    with_profile(on_file(record))
    first = Client()
    assert page_one(first, older(record)) == step("check")
    assert not MatchCase.objects.exists()
    # Abandoned at the check page; a new wizard (another browser, cookies cleared) with
    # another near answer: the case is opened straight away.
    second = Client()
    assert page_one(second, older(record, 6)) == step("partial")
    assert MatchCase.objects.count() == 1
    # And the first wizard's check page, if it comes back to it, opens the same case.
    assert location(post_step(first, "check", {"unchanged": "1"})) == step("partial")
    assert MatchCase.objects.count() == 1 and MatchCase.objects.get().attempts == 2


def test_probing_names_and_birth_date_with_made_up_ssns_opens_a_case_on_the_first_probe() -> None:
    """sec3's finding M2, then review5's: the check page was offered for the first near match
    to a record whatever SSN came with it, so a prober who knew a person's names walked the
    birth date with made-up SSNs (a wrong date: no match, never counted; the right one: the
    check page) and learnt it without any case being opened. An SSN more than a keystroke from
    the record's is no slip: the case is opened (or joined) at once, for staff to see."""
    record = someone("Elena", "Marchetti")
    with_profile(on_file(record))
    probes = [page_one(Client(), record.with_(ssn=new_ssn())) for _ in range(3)]
    assert probes == [step("partial")] * 3
    assert MatchCase.objects.count() == 1 and MatchCase.objects.get().attempts == 3
    assert not NearMatch.objects.exists()  # not counted: no check page was offered


def test_walking_the_birth_date_with_a_made_up_ssn_opens_a_case_at_the_right_date() -> None:
    record = someone("Imani", "Rooksby")
    with_profile(on_file(record))
    walk = [
        page_one(
            Client(),
            record.with_(
                ssn=new_ssn(), date_of_birth=register_dob(record.date_of_birth + timedelta(days=delta))
            ),
        )
        for delta in (-2, -1, 0)
    ]
    assert walk == [step("contact"), step("contact"), step("partial")]
    assert MatchCase.objects.count() == 1


def test_a_matching_state_id_with_a_made_up_ssn_opens_the_case_too() -> None:
    record = someone("Noor", "Castellane")
    person = on_file(record, state_id="44177302")
    with_profile(person)
    stranger = someone("Jordan", "Abernathy")
    start(client := Client())
    answer = location(post_step(client, "identity", stranger.identity_post(state_id="44177302")))
    assert answer == step("partial")
    assert MatchCase.objects.get().person_id == person.pk


def test_a_made_up_ssn_probe_does_not_spend_the_owners_check() -> None:
    """review5: a stranger's probe with the names and birth date only used to spend the
    record's check page for 30 days; the owner's own slip then met a case."""
    record = someone("Elena", "Marchetti")
    with_profile(on_file(record))
    assert page_one(Client(), record.with_(ssn=new_ssn())) == step("partial")
    assert page_one(Client(), older(record)) == step("check")  # the owner's SSN, a birth-date slip


def test_the_honest_registrant_still_gets_one_check_then_the_case() -> None:
    record = someone("Imani", "Rooksby")
    with_profile(on_file(record))
    client = Client()
    assert page_one(client, ssn_typo(record)) == step("check")  # an SSN slip
    assert not MatchCase.objects.exists()
    assert location(post_step(client, "check", {"unchanged": "1"})) == step("partial")
    assert MatchCase.objects.count() == 1


def test_a_second_slip_near_the_record_with_another_ssn_opens_the_case() -> None:
    """Once per record: another near SSN (a keystroke off) after the first check page meets the
    case. (Swapping two adjacent digits gives another SSN a keystroke from the record's. The
    record's last four are chosen: the factory's are its counter, 1000 + n, and a drawn 1111 or
    2222 had no two adjacent digits to swap.)"""
    record = someone("Elena", "Marchetti", ssn=register_ssn(f"{new_ssn()[:5]}3481"))
    with_profile(on_file(record))
    assert page_one(Client(), ssn_typo(record)) == step("check")
    ssn = record.ssn
    swapped = next(ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :] for i in range(5, 8) if ssn[i] != ssn[i + 1])
    assert page_one(Client(), record.with_(ssn=register_ssn(swapped))) == step("partial")
    assert MatchCase.objects.count() == 1


def test_the_count_is_per_ssn_and_per_record_and_holds_no_ssn() -> None:
    elena, noor = someone("Elena", "Marchetti"), someone("Noor", "Castellane")
    elena_on_file = on_file(elena)
    with_profile(elena_on_file)
    with_profile(on_file(noor))
    assert page_one(Client(), older(elena)) == step("check")
    assert page_one(Client(), older(noor)) == step("check")  # another SSN and record: its own check
    # A row per SSN and one per record.
    assert sorted(NearMatch.objects.values_list("count", flat=True)) == [1, 1, 1, 1]
    for row in NearMatch.objects.all():
        assert elena.ssn not in row.ssn_key and noor.ssn not in row.ssn_key
        assert row.ssn_key != str(elena_on_file.pk)
    # An exact match counts nothing.
    assert page_one(Client(), elena) != step("check")
    assert sorted(NearMatch.objects.values_list("count", flat=True)) == [1, 1, 1, 1]


def test_after_the_window_a_new_slip_is_offered_the_check_again_and_cleanup_removes_the_count() -> None:
    record = someone("Imani", "Rooksby")
    with_profile(on_file(record))
    assert page_one(Client(), older(record)) == step("check")
    NearMatch.objects.update(last_at=timezone.now() - timedelta(days=31))
    assert page_one(Client(), older(record, 6)) == step("check")
    assert list(NearMatch.objects.values_list("count", flat=True)) == [1, 1]  # the SSN's, the record's
    NearMatch.objects.update(last_at=timezone.now() - timedelta(days=31))
    call_command("cleanup", stdout=StringIO())
    assert not NearMatch.objects.exists()


def test_a_spent_check_page_is_on_the_records_history_with_the_address() -> None:
    """review5 L2: customer service can see that a record's check page was used, and from
    where: the match's audit event names the record, and the Profile's page lists it."""
    world = build_world()
    record = someone("Noor", "Castellane")
    person = on_file(record)
    profile = with_profile(person)
    start(client := Client(REMOTE_ADDR="203.0.113.9"))
    assert location(post_step(client, "identity", ssn_typo(record).identity_post())) == step("check")
    event = AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).get()
    assert (event.target_type, event.target_id) == ("people.person", str(person.pk))
    assert event.client_ip == "203.0.113.9" and event.detail["check_page"] == "offered"
    # A made-up SSN opens the case: its event names the record too; a no-match names none.
    assert page_one(Client(), record.with_(ssn=new_ssn())) == step("partial")
    assert page_one(Client(), someone("Jordan", "Abernathy")) == step("contact")
    targets = AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).order_by("id")
    assert [e.target_id for e in targets] == [str(person.pk), str(person.pk), ""]
    assert "check_page" not in targets[1].detail
    page = console_client(world.service).get(
        reverse("backoffice:service_profile", kwargs={"profile": profile.pk})
    )
    html = page.content.decode()
    assert html.count("Identity matched") == 2 and "check page: offered" in html
