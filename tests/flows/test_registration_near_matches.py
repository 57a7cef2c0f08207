"""The check page is offered once per SSN and once per record, not once per wizard: a registrant
who is near a record, is offered the check, and starts the wizard again meets the case on the
next near match; so does a prober who types a person's names and birth date with a new made-up
SSN each time (matching.near_matches, docs/matching.md §8). Nothing of the SSN is stored in the
clear."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from edgate.matching.models import MatchCase, NearMatch
from tests.factories import Someone, new_ssn, on_file, someone, with_profile
from tests.pii import register_dob

from .helpers import location, post_step, start, step

pytestmark = pytest.mark.django_db


def older(who: Someone, years: int = 5) -> Someone:
    return who.with_(
        date_of_birth=register_dob(who.date_of_birth.replace(year=who.date_of_birth.year - years))
    )


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


def test_probing_names_and_birth_date_with_fresh_ssns_opens_a_case_on_the_second_probe() -> None:
    """sec3's finding M2: counted per SSN alone, every made-up SSN was its own first near match,
    so a prober learnt again and again that these names and this birth date are on file, from
    the check page, and no case was ever opened for anyone to see. Counted per record too, the
    second near match to the record opens the case, whatever SSN came with it."""
    record = someone("Elena", "Marchetti")
    with_profile(on_file(record))
    probes = [page_one(Client(), record.with_(ssn=new_ssn())) for _ in range(3)]
    assert probes == [step("check"), step("partial"), step("partial")]
    assert MatchCase.objects.count() == 1 and MatchCase.objects.get().attempts == 2


def test_the_honest_registrant_still_gets_one_check_then_the_case() -> None:
    record = someone("Imani", "Rooksby")
    with_profile(on_file(record))
    client = Client()
    assert page_one(client, record.with_(ssn=new_ssn())) == step("check")  # an SSN slip
    assert not MatchCase.objects.exists()
    assert location(post_step(client, "check", {"unchanged": "1"})) == step("partial")
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
