"""Before a case is opened, a registrant whose page 1 is near a record (a partial match) checks
what they typed, once: corrected answers go the way they now match; a second partial, or
"Continue without changes", opens the case. The page reveals nothing of the record."""

from __future__ import annotations

import copy
import re
from datetime import date

import pytest
from django.test import Client

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from edgate.core import conf
from edgate.matching.models import MatchCase, NearMatch
from edgate.people.models import Person
from edgate.registration import steps
from tests.factories import CONTACT_POST, Someone, on_file, security_post, someone, with_profile
from tests.pii import register_dob, register_ssn

from .helpers import landed, location, post_step, refused, start, step, url

pytestmark = pytest.mark.django_db
NOTICE = "Some of what you entered does not agree with our records."


def older(who: Someone, years: int = 5) -> Someone:
    """The date of birth mistyped (the year)."""
    return who.with_(
        date_of_birth=register_dob(who.date_of_birth.replace(year=who.date_of_birth.year - years))
    )


def ssn_typo(who: Someone) -> Someone:
    """The SSN one keystroke off (a digit of the group number changed)."""
    ssn = who.ssn
    return who.with_(ssn=register_ssn(ssn[:4] + str((int(ssn[4]) + 1) % 10) + ssn[5:]))


def to_check(client: Client, who: Someone) -> None:
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("check")


def test_a_typo_is_offered_a_check_and_the_corrected_page_goes_the_exact_way(client: Client) -> None:
    record = someone("Riley", "Haddad")
    profile = with_profile(on_file(record, street="4 Hidden Way", email="riley.private@example.org"))
    to_check(client, older(record))
    page = client.get(url(client, "check"))
    html = page.content.decode()
    assert NOTICE in html and "Continue without changes" in html
    # Their own answers, ready to correct (never the SSN), and nothing of the record.
    assert 'value="Riley"' in html and 'value="Haddad"' in html and 'name="ssn"' in html
    assert f'id="id_ssn_helptext">{steps.SSN_TO_CHECK}' in html  # why it is blank, beside it
    for secret in (profile.username, "Hidden Way", "riley.private", profile.person.state_id):
        assert secret not in html
    assert not MatchCase.objects.exists()
    response = post_step(client, "check", record.identity_post(), follow=True)
    assert landed(response) == step("exact")
    assert profile.username in response.content.decode()  # the User Name reminder
    assert not MatchCase.objects.exists()
    assert AuditEvent.objects.filter(event_type=EventType.USERNAME_REMINDED).count() == 1


def test_the_same_answers_again_open_the_case(client: Client) -> None:
    record = someone("Marisol", "Okafor")
    with_profile(on_file(record))
    registrant = older(record)
    to_check(client, registrant)
    response = post_step(client, "check", registrant.identity_post(), follow=True)
    assert landed(response) == step("partial")
    case = MatchCase.objects.get()
    assert case.reference in response.content.decode() and case.attempts == 1
    outcomes = AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).order_by("id")
    assert [e.detail["outcome"] for e in outcomes] == ["partial", "partial"]


def test_continue_without_changes_opens_the_case(client: Client) -> None:
    record = someone("Imani", "Rooksby")
    with_profile(on_file(record))
    to_check(client, older(record))
    # Nothing of the form is read: the answers are page 1's, as they were.
    response = post_step(client, "check", {"unchanged": "1"}, follow=True)
    assert landed(response) == step("partial")
    case = MatchCase.objects.get()
    assert case.reference in response.content.decode()
    assert case.explanation["fields"]["date_of_birth"] == "differ"
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_CASE_OPENED).count() == 1
    # A terminal page: the check cannot be had again in this flow.
    assert location(client.get(url(client, "check"))) == step("partial")


def test_corrected_to_someone_not_on_file_goes_the_new_profile_way(client: Client) -> None:
    record = someone("Taylor", "Brennan")
    on_file(record)
    to_check(client, older(record))
    newcomer = someone("Jordan", "Abernathy")
    assert location(post_step(client, "check", newcomer.identity_post())) == step("contact")
    post_step(client, "contact", CONTACT_POST)
    post_step(client, "security", security_post())
    response = post_step(client, "review", {"confirm": "on"}, follow=True)
    assert landed(response) == step("created")
    assert response.context["profile"].username == "jabernathy"
    assert not MatchCase.objects.exists() and Person.objects.count() == 2


def test_the_check_is_offered_once_per_flow(client: Client) -> None:
    record = someone("Elena", "Marchetti")
    with_profile(on_file(record))
    to_check(client, older(record))
    # Page 1 cannot be reached around the check page.
    assert location(client.get(url(client, "identity"))) == step("check")
    assert location(post_step(client, "check", someone("Noor", "Castellane").identity_post())) == step(
        "contact"
    )
    # Back to page 1 from page 2, and near the record again: the case is opened straight away.
    assert location(post_step(client, "identity", older(record, 6).identity_post())) == step("partial")
    assert MatchCase.objects.count() == 1


def test_an_invalid_correction_is_shown_again_and_saves_nothing(client: Client) -> None:
    record = someone("Parker", "Lund")
    with_profile(on_file(record))
    to_check(client, older(record))
    response = refused(client, "check", record.identity_post(ssn="12"))
    assert response.status_code == 200 and NOTICE in response.content.decode()
    assert "Enter a 9-digit Social Security Number" in response.content.decode()
    assert not MatchCase.objects.exists()
    assert AuditEvent.objects.filter(event_type=EventType.MATCH_OUTCOME).count() == 1


def test_a_page_from_another_tab_saves_nothing(client: Client) -> None:
    record = someone("Quinn", "Ashdown")
    with_profile(on_file(record))
    to_check(client, older(record))
    response = client.post(url(client, "check"), {"flow": "stale", "unchanged": "1"})
    assert location(response) == step("check")
    assert not MatchCase.objects.exists()


def test_every_check_submission_is_counted_by_the_throttles(settings) -> None:  # type: ignore[no-untyped-def]
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"]["match_flow"] = (2, 3600)
    settings.EDGATE = edgate
    conf.reset()
    record = someone("Tamsin", "Pemberton")
    with_profile(on_file(record))
    registrant = older(record)
    client = Client()
    to_check(client, registrant)  # 1
    invalid = refused(client, "check", registrant.identity_post(ssn="12"))  # not valid: not a match
    assert invalid.status_code == 200
    assert location(post_step(client, "check", registrant.identity_post())) == step("partial")  # 2
    # A second flow, for someone else (the check page is offered once per SSN, not per flow):
    # page 1 (1), then "Continue without changes" counts too (2), and a third is refused.
    neighbour = someone("Rosalind", "Achterberg")
    with_profile(on_file(neighbour))
    other = Client()
    to_check(other, older(neighbour))
    edgate["THROTTLES"]["match_flow"] = (1, 3600)
    settings.EDGATE = copy.deepcopy(edgate)
    conf.reset()
    throttled_page = post_step(other, "check", {"unchanged": "1"}, follow=True)
    assert landed(throttled_page) == step("check")
    assert throttled_page.status_code == 429 and "too many attempts" in throttled_page.content.decode()
    assert 0 < int(throttled_page["Retry-After"]) <= 2 * 3600
    assert NOTICE in throttled_page.content.decode()
    assert MatchCase.objects.get().attempts == 1
    throttled = AuditEvent.objects.get(event_type=EventType.MATCH_THROTTLED)
    assert throttled.detail["limit"] == "match_flow"


def _normalized(html: str) -> str:
    """The page without its per-session tokens (CSRF token, the flow's id in the form and in
    its links, CSP nonces)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', html)
    html = re.sub(r'name="flow" value="[^"]*"', 'name="flow"', html)
    html = re.sub(r"flow=[\w.-]+", "flow=", html)
    return re.sub(r'nonce="[^"]*"', "nonce", html)


def test_the_check_page_is_the_same_whichever_field_disagrees() -> None:
    """One registrant's answers against a record whose first name differs (SSN and birth date
    agree), one whose date of birth does, and one whose SSN is one keystroke off: the check
    pages are identical."""
    typed = someone("Avery", "Lindqvist", born=date(1984, 3, 14))
    pages = []
    for record in (typed.with_(first_name="Averil"), older(typed), ssn_typo(typed)):
        person = on_file(record)
        with_profile(person)
        client = Client(REMOTE_ADDR="203.0.113.50")
        to_check(client, typed)
        pages.append(_normalized(client.get(url(client, "check")).content.decode()))
        Profile.objects.all().delete()
        person.delete()
        NearMatch.objects.all().delete()  # the same SSN typed again: its first near match each time
    ssn_page, dob_page, typo_page = pages
    assert NOTICE in ssn_page
    assert ssn_page == dob_page == typo_page
    for word in ("Social Security Number", "date of birth"):
        # A field's label is on the form; nowhere else does the page name one.
        assert ssn_page.lower().count(word.lower()) == dob_page.lower().count(word.lower())
