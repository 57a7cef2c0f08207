"""The Directory Administrator console, through its pages: organizations, staff, adding staff
by its three paths, application access, ending entries, activation codes, the activity view."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from edgate.accounts import actions as account_actions
from edgate.accounts.models import ActivationCode, CodePurpose, Profile, Status
from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice import staffing
from edgate.core import conf
from edgate.directory import actions as directory_actions
from edgate.directory.models import AccessGrant, StaffEntry
from edgate.identity.engine import Decision
from edgate.identity.engine import Outcome as MatchOutcome
from edgate.matching.models import MatchCase
from edgate.people.models import Person
from tests.backoffice import World, build_world, console_client, dob_parts, new_post, typed_dob
from tests.factories import CTX, Someone, on_file, precreated, security_post, someone, with_profile

from .helpers import location, post_step, start, step
from .helpers import url as step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def org_url(code: str, name: str = "org", **kwargs: object) -> str:
    return reverse(f"backoffice:{name}", kwargs={"code": code, **kwargs})


def staff_member(world: World, first: str, last: str, organization=None) -> tuple[StaffEntry, Profile]:  # type: ignore[no-untyped-def]
    person = on_file(someone(first, last))
    profile = with_profile(person)
    entry = directory_actions.do_add_staff(
        person=person, organization=organization or world.school_a1, role_title="Teacher", ctx=CTX
    )
    return entry, profile


def events(kind: EventType, **detail: object):  # type: ignore[no-untyped-def]
    found = AuditEvent.objects.filter(event_type=kind)
    for key, value in detail.items():
        found = found.filter(**{f"detail__{key}": value})
    return found


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


# --- organizations and the staff list ---------------------------------------------------------


def test_home_lists_my_organizations_each_in_scope(world: World) -> None:
    da_a = console_client(world.da_a)
    home = da_a.get(reverse("backoffice:home")).content.decode()
    for org in (world.district_a, world.school_a1, world.school_a2):
        assert org_url(org.code) in home
    assert org_url(world.district_b.code) not in home
    assert da_a.get(org_url(world.district_a.code)).status_code == 200
    assert da_a.get(org_url(world.school_a2.code)).status_code == 200
    assert da_a.get(org_url(world.district_b.code)).status_code == 404
    assert console_client(world.da_school_a1).get(org_url(world.district_a.code)).status_code == 404
    assert console_client(world.educator).get(org_url(world.district_a.code)).status_code == 403
    # The organization list: mine only for an administrator, all of them for customer service.
    mine = da_a.get(reverse("backoffice:orgs")).content.decode()
    assert world.school_a2.name in mine and world.district_b.name not in mine
    every = console_client(world.service).get(reverse("backoffice:orgs"), {"q": "0456"}).content.decode()
    assert world.district_b.name in every and world.district_a.name not in every
    assert console_client(world.service).get(org_url(world.district_b.code)).status_code == 200


def staff_search(client: Client, url: str, **data: str):  # type: ignore[no-untyped-def]
    """The staff search as the browser sends it: POSTed, then the list by GET."""
    posted = client.post(url, data)
    assert posted.status_code == 302 and posted["Location"] == url, posted.status_code
    return client.get(url)


def test_staff_list_searches_filters_and_pages_without_n_plus_one(world: World) -> None:
    for n in range(57):
        person = on_file(someone(f"Pat{n:02d}", "Pagewell"))
        if n % 3 == 0:
            precreated(person)
        directory_actions.do_add_staff(
            person=person, organization=world.school_a1, role_title="Aide", ctx=CTX
        )
    teacher, teacher_profile = staff_member(world, "Quinn", "Marlowe", world.school_a2)
    da_a = console_client(world.da_a)
    url = org_url(world.district_a.code)
    da_a.post(url, {"q": "pagewell"})
    with CaptureQueriesContext(connection) as queries:
        first = da_a.get(url)
    assert len(queries) < 25, [q["sql"] for q in queries.captured_queries]
    assert first.context["page"].paginator.count == 57 and len(first.context["page"].object_list) == 50
    second = da_a.get(url, {"page": "2"})
    assert len(second.context["page"].object_list) == 7
    assert 'href="?page=1"' in second.content.decode()  # the pager keeps the search, not in its URL
    # By User Name, role title, Profile status, school.
    found = staff_search(da_a, url, q=teacher_profile.username).context["page"].object_list
    assert [e.pk for e in found] == [teacher.pk]
    assert staff_search(da_a, url, role_title="aide").context["page"].paginator.count == 57
    awaiting = staff_search(da_a, url, status="awaiting_setup")
    assert awaiting.context["page"].paginator.count == 19
    assert (
        "Awaiting setup" in awaiting.content.decode() and "Awaiting set-up" not in awaiting.content.decode()
    )
    assert staff_search(da_a, url, q="pagewell", status="none").context["page"].paginator.count == 38
    active = staff_search(da_a, url, status="active").context["page"].object_list
    assert teacher in active and all(e.person.profile.status == Status.ACTIVE for e in active)
    only_a2 = staff_search(da_a, url, school=world.school_a2.code).context["page"].object_list
    assert teacher in only_a2 and all(e.organization == world.school_a2 for e in only_a2)
    # A school's own page lists its own staff only; a bad filter is a field error, not a 500.
    a2 = org_url(world.school_a2.code)
    assert staff_search(da_a, a2, q="pagewell").context["page"].paginator.count == 0
    bad = da_a.post(url, {"status": "nonsense", "school": world.school_b1.code})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"status", "school"}
    assert da_a.get(url, {"page": "999"}).status_code == 200
    # "Clear" forgets the search; another organization's page does not use it.
    assert staff_search(da_a, url, q="marlowe").context["page"].paginator.count == 1
    assert da_a.get(a2).context["page"].paginator.count == 1  # Quinn and nobody else: unsearched
    assert da_a.post(url, {"clear": "1"})["Location"] == url
    assert da_a.get(url).context["page"].paginator.count == 57 + 1 + 2  # and the two DAs


def test_names_searched_for_never_go_into_a_url(world: World) -> None:
    """The staff list's search and "already on my staff" are POSTed with a CSRF token: no name
    in a URL, a pager link, a redirect or the access log (nginx logs the path alone anyway)."""
    for n in range(55):
        person = on_file(someone(f"Zed{n:02d}", "Quillfeather"))
        directory_actions.do_add_staff(
            person=person, organization=world.school_a1, role_title="Aide", ctx=CTX
        )
    da_a = console_client(world.da_a)
    url = org_url(world.district_a.code)
    page = da_a.get(url).content.decode()
    assert re.search(r'<form method="post"[^>]*aria-label="Search the staff"', page)
    posted = da_a.post(url, {"q": "quillfeather"})
    assert "quillfeather" not in posted["Location"].lower()
    listed = da_a.get(url)
    html = listed.content.decode()
    assert listed.context["page"].paginator.count == 55
    assert "quillfeather" not in " ".join(re.findall(r'href="([^"]*)"', html)).lower()
    assert len(da_a.get(url, {"page": "2"}).context["page"].object_list) == 5
    pick = org_url(world.school_a2.code, "org_add_pick")
    form = da_a.get(pick).content.decode()
    assert re.search(r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', form)
    assert '<input type="hidden" name="step" value="search">' in form
    found = da_a.post(pick, {"step": "search", "q": "quillfeather"})
    assert len(found.context["form"].fields["person"].choices) == 50 and found.context["more"]
    # Django's CSRF check applies to both searches.
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = da_a.cookies
    assert strict.post(url, {"q": "quillfeather"}).status_code == 403
    assert strict.post(pick, {"step": "search", "q": "quillfeather"}).status_code == 403
    conf = (settings_root() / "deploy" / "nginx" / "edgate.conf").read_text()
    assert "log_format edgate_noquery" in conf and "$request " not in conf.split("log_format")[1][:200]
    assert conf.count("edgate_noquery;") == 3  # every server block logs with it


def settings_root():  # type: ignore[no-untyped-def]
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# --- adding staff -----------------------------------------------------------------------------


def test_add_someone_already_on_my_staff(world: World) -> None:
    entry, _profile = staff_member(world, "Rowan", "Pickering", world.school_a1)
    elsewhere, _ = staff_member(world, "Rowan", "Outsider", world.school_b1)
    da_a = console_client(world.da_a)
    url = org_url(world.school_a2.code, "org_add_pick")
    page = da_a.post(url, {"step": "search", "q": "rowan"})
    offered = dict(page.context["form"].fields["person"].choices)
    assert entry.person_id in offered and elsewhere.person_id not in offered
    # Someone outside my organizations cannot be posted in either.
    refused = da_a.post(url, {"person": str(elsewhere.person_id), "role_title": "Teacher"})
    assert refused.status_code == 200 and "person" in refused.context["form"].errors
    assert not StaffEntry.objects.filter(person=elsewhere.person, organization=world.school_a2).exists()
    missing_title = da_a.post(url, {"person": str(entry.person_id), "role_title": ""})
    assert "role_title" in missing_title.context["form"].errors
    added = da_a.post(url, {"person": str(entry.person_id), "role_title": "Counselor"})
    new_entry = StaffEntry.objects.get(person=entry.person, organization=world.school_a2)
    assert added["Location"] == org_url(world.school_a2.code, "org_entry", entry=new_entry.pk)
    assert new_entry.role_title == "Counselor"
    event = events(EventType.STAFF_ADDED, organization=world.school_a2.code).get()
    assert event.actor_id == world.da_a.pk and event.target_id == str(new_entry.pk)


def known_post(who: Someone, **extra: str) -> dict[str, str]:
    return {
        "step": "search",
        "first_name": who.first_name,
        "last_name": who.last_name,
        **dob_parts(who.date_of_birth),
        "ssn": who.ssn,
        **typed_dob(extra),
    }


def test_add_someone_known_to_the_agency_by_names_birth_date_and_ssn(world: World) -> None:
    who = someone("Indira", "Castellanos")
    person = on_file(who)
    profile = with_profile(person)
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_add_known")
    found = da_a.post(url, known_post(who, first_name="indira", last_name="CASTELLANOS"))
    html = found.content.decode()
    assert found.status_code == 200 and found.context["found"] and f"***-**-{who.ssn[-4:]}" in html
    assert "Indira" not in html  # only what was typed is shown back ("indira")
    # Nothing of the record before the person is added: not even the User Name.
    assert profile.username not in html and "Profile" not in found.context["typed"]
    added = da_a.post(url, {"step": "add", "role_title": "Librarian"})
    entry = StaffEntry.objects.get(person=person, organization=world.school_a1)
    assert added["Location"] == org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    # Once on the staff, the administrator sees what they see of their staff.
    assert profile.username in da_a.get(added["Location"]).content.decode()
    assert (
        events(EventType.STAFF_ADDED, organization=world.school_a1.code)
        .filter(actor_id=world.da_a.pk)
        .count()
        == 1
    )
    # The add step works once per search: it cannot be replayed for someone else.
    again = da_a.post(url, {"step": "add", "role_title": "Librarian"})
    assert again.status_code == 302 and again["Location"] == url


def test_known_person_search_needs_the_birth_date_too(world: World) -> None:
    """Names and SSN are not enough to take another district's staff member onto mine: the
    date of birth must agree exactly as well (a year off, or a day off, finds no one)."""
    who = someone("Morgan", "Ellsworth")
    person = on_file(who)
    with_profile(person)
    directory_actions.do_add_staff(person=person, organization=world.school_b1, role_title="Teacher", ctx=CTX)
    da_a = console_client(world.da_a)
    url = org_url(world.district_a.code, "org_add_known")
    born = who.date_of_birth
    for wrong in (born.replace(year=born.year - 1), born + timedelta(days=1)):
        page = da_a.post(url, known_post(who, date_of_birth=wrong.isoformat()))
        assert page.context["not_found"] and not page.context.get("found")
    assert da_a.post(url, {"step": "add", "role_title": "Aide"})["Location"] == url
    no_birth_date = da_a.post(url, known_post(who, date_of_birth=""))
    assert "dob_month" in no_birth_date.context["form"].errors
    assert not StaffEntry.objects.filter(person=person, organization=world.district_a).exists()


def test_known_person_search_says_the_same_for_unknown_ssn_and_other_names(world: World) -> None:
    who = someone("Tobias", "Fairweather")
    on_file(who)
    da_a = console_client(world.da_a)
    url = org_url(world.district_a.code, "org_add_known")
    other_names = da_a.post(url, known_post(who, last_name="Fairfax"))
    stranger = someone("Tobias", "Fairfax")  # an SSN nobody has
    unknown = da_a.post(url, known_post(stranger, date_of_birth=who.date_of_birth.isoformat()))
    assert other_names.context["not_found"] and unknown.context["not_found"]
    assert without_tokens(other_names.content.decode()) == without_tokens(unknown.content.decode())
    assert "***-**-" not in other_names.content.decode()
    # Nothing to add after a search that found no one; bad input is a field error.
    assert da_a.post(url, {"step": "add", "role_title": "Teacher"}).status_code == 302
    bad = da_a.post(url, {"step": "search", "first_name": "", "last_name": "X", "ssn": "12"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {
        "first_name",
        "ssn",
        "dob_month",
    }
    assert (
        not StaffEntry.objects.filter(organization=world.district_a)
        .exclude(person=world.da_a.person)
        .exists()
    )


def test_known_person_search_is_throttled_per_administrator(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    edgate = copy.deepcopy(settings.EDGATE)
    edgate["THROTTLES"]["staff_search_actor"] = (2, 3600)
    settings.EDGATE = edgate
    conf.reset()
    who = someone("Ulla", "Brightwater")
    on_file(who)
    da_a = console_client(world.da_a)
    url = org_url(world.district_a.code, "org_add_known")
    form = known_post(who)
    assert da_a.post(url, form).context["found"]
    assert da_a.post(url, form | {"last_name": "Other"}).context["not_found"]
    refused = da_a.post(url, form)
    assert refused.status_code == 429 and "found" not in refused.context
    assert 0 < int(refused["Retry-After"]) <= 2 * 3600
    assert events(EventType.STAFF_SEARCH_THROTTLED).get().actor_id == world.da_a.pk
    assert events(EventType.THROTTLE_ALERT, limit="staff_search_actor").count() == 1
    # Another administrator has their own allowance.
    assert (
        console_client(world.da_b).post(org_url(world.district_b.code, "org_add_known"), form).status_code
        == 200
    )


def test_add_someone_new_creates_person_precreated_profile_and_entry_once(world: World) -> None:
    who = someone("Vesna", "Koval")
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_add_new")
    response = da_a.post(url, new_post(who, "Math teacher"))
    person = Person.objects.get(ssn_last4=who.ssn[-4:], last_name="Koval")
    entry = StaffEntry.objects.get(person=person)
    assert response["Location"] == org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    assert person.source == "directory" and entry.role_title == "Math teacher"
    assert person.profile.status == Status.AWAITING_SETUP
    assert events(EventType.PERSON_CREATED, source="directory").get().actor_id == world.da_a.pk
    assert events(EventType.PROFILE_PRECREATED).filter(target_id=str(person.profile.pk)).exists()
    added = events(EventType.STAFF_ADDED, organization=world.school_a1.code).filter(actor_id=world.da_a.pk)
    assert added.get().target_id == str(entry.pk)
    # The same person added again (at another school): matched exactly, never a second record.
    again = da_a.post(org_url(world.school_a2.code, "org_add_new"), new_post(who, "Coach"))
    assert again.status_code == 302
    assert Person.objects.filter(last_name="Koval").count() == 1
    assert StaffEntry.objects.filter(person=person).count() == 2
    assert Profile.objects.filter(person=person).count() == 1


def test_add_someone_new_who_is_on_file_adds_the_known_person(world: World) -> None:
    who = someone("Wilhelmina", "Osei")
    person = on_file(who)
    profile = with_profile(person)
    da_a = console_client(world.da_a)
    response = da_a.post(org_url(world.school_a1.code, "org_add_new"), new_post(who, "Nurse"))
    entry = StaffEntry.objects.get(person=person, organization=world.school_a1)
    assert response["Location"] == org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    assert Person.objects.filter(last_name="Osei").count() == 1
    assert Profile.objects.get(person=person) == profile and profile.status == Status.ACTIVE
    assert not events(EventType.PERSON_CREATED, source="directory").exists()


def test_add_someone_new_close_to_a_record_opens_a_case(world: World) -> None:
    record = someone("Xavier", "Lindgren")
    person = on_file(record)
    typed = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5))
    da_a = console_client(world.da_a)
    response = da_a.post(org_url(world.school_a1.code, "org_add_new"), new_post(typed))
    case = MatchCase.objects.get()
    assert response.status_code == 200 and case.reference in response.content.decode()
    assert case.source == "directory" and case.person == person
    assert not StaffEntry.objects.filter(person=person).exists()
    assert Person.objects.filter(last_name="Lindgren").count() == 1
    assert events(EventType.MATCH_CASE_OPENED, source="directory").get().actor_id == world.da_a.pk


def test_an_email_never_stands_in_for_the_ssn_when_adding_someone_new(world: World) -> None:
    """A record with no SSN on file: its name, birth date and email typed with any SSN would be
    exact under rules-3's E6 if the console sent the email to the matcher. It does not: the
    person and their Profile are not added to the administrator's organization."""
    record = someone("Yolanda", "Brightwater")
    person = on_file(record.with_(ssn=""), email="yolanda.b@mail.example")
    with_profile(person)
    typed = new_post(record, email="yolanda.b@mail.example")
    response = console_client(world.da_a).post(org_url(world.school_a1.code, "org_add_new"), typed)
    assert response.status_code in (200, 302)
    assert not StaffEntry.objects.filter(person=person).exists()


def test_names_and_birth_date_never_add_a_record_without_ssn_to_my_organization(world: World) -> None:
    """rules-4 E9 (a record without an SSN, names and birth date agreeing, an SSN held by no one)
    is an exact only where a one-time activation code can confirm it: the wizard. Here it would
    put someone's record and Profile in the administrator's organization, where a set-up code
    could be issued for it: a case instead."""
    record = someone("Yolanda", "Brightwater")
    person = on_file(record.with_(ssn=""))
    precreated(person)
    response = console_client(world.da_a).post(org_url(world.school_a1.code, "org_add_new"), new_post(record))
    assert response.status_code == 200
    assert MatchCase.objects.get().person == person
    assert not StaffEntry.objects.filter(person=person).exists()


def test_the_partial_page_says_where_the_case_goes_without_naming_it(world: World) -> None:
    record = someone("Ximena", "Lindqvist")
    person = on_file(record)
    directory_actions.do_add_staff(person=person, organization=world.school_b1, role_title="Aide", ctx=CTX)
    typed = record.with_(date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5))
    page = console_client(world.da_a).post(org_url(world.school_a1.code, "org_add_new"), new_post(typed))
    html = page.content.decode()
    case = MatchCase.objects.get()
    assert list(case.organizations.all()) == [world.school_b1]
    assert (
        "customer service and to the case queues of the organizations where the person on record works"
        in html
    )
    assert "your organization" not in html and not page.context["in_my_queue"]
    for told in (world.school_b1.name, world.school_b1.code, world.district_b.name, world.district_b.code):
        assert told not in html
    # Customer service sees every case: the page points to it.
    record_b = someone("Yusuf", "Lindqvist")
    on_file(record_b)
    typed_b = record_b.with_(
        date_of_birth=record_b.date_of_birth.replace(year=record_b.date_of_birth.year - 5)
    )
    mine = console_client(world.service).post(
        org_url(world.school_a1.code, "org_add_new"), new_post(typed_b, reason="Ticket 4600")
    )
    assert mine.context["in_my_queue"] and "The case is also in your case queue" in mine.content.decode()


def test_add_someone_new_bad_input_is_field_errors(world: World) -> None:
    who = someone("Yara", "Quill")
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_add_new")
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = da_a.post(url, new_post(who, "", ssn="123", date_of_birth=future, email="not-an-email"))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"ssn", "dob_year", "email", "role_title"}
    garbled = da_a.post(url, new_post(who, dob_month="2", dob_day="31", dob_year="1980", phone="12"))
    assert set(garbled.context["form"].errors) == {"dob_day", "phone"}
    assert not Person.objects.filter(last_name="Quill").exists()


def test_add_someone_new_lost_race_is_matched_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone registers with the SSN between the match and the insert: the unique SSN hash
    refuses the second record and the person is matched again, exactly."""
    who = someone("Zeno", "Hartwell")
    person = on_file(who)
    real_match = staffing.service.match
    calls = []

    def first_sees_nobody(query):  # type: ignore[no-untyped-def]
        calls.append(1)
        return Decision(MatchOutcome.NONE) if len(calls) == 1 else real_match(query)

    monkeypatch.setattr(staffing.service, "match", first_sees_nobody)
    response = console_client(world.da_a).post(org_url(world.school_a1.code, "org_add_new"), new_post(who))
    assert response.status_code == 302 and len(calls) == 2
    assert Person.objects.filter(last_name="Hartwell").count() == 1
    assert StaffEntry.objects.filter(person=person, organization=world.school_a1).exists()


def test_adding_someone_new_is_counted_before_matching_and_the_31st_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Path (c) runs the matcher on a typed SSN: an oracle like the known-person search, counted
    against the same per-administrator limit (30 an hour) before anything is matched."""
    record = someone("Rosalind", "Achterberg")
    person = on_file(record)
    probe = record.with_(first_name="Guess", last_name="Whoever")  # someone else's SSN, other names
    real_match = staffing.service.match
    matched = []

    def counting(query):  # type: ignore[no-untyped-def]
        matched.append(1)
        return real_match(query)

    monkeypatch.setattr(staffing.service, "match", counting)
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_add_new")
    for _ in range(30):
        assert da_a.post(url, new_post(probe)).status_code in (200, 302)
    assert len(matched) == 30
    cases_before = list(MatchCase.objects.values_list("pk", "attempts"))
    people_before = Person.objects.count()
    refused = da_a.post(url, new_post(probe))
    assert refused.status_code == 429 and len(matched) == 30  # refused before matching
    assert 0 < int(refused["Retry-After"]) <= 2 * 3600
    assert "Too many searches in the last hour" in refused.content.decode()
    assert list(MatchCase.objects.values_list("pk", "attempts")) == cases_before
    assert Person.objects.count() == people_before
    assert not StaffEntry.objects.filter(person=person).exists()
    assert events(EventType.STAFF_SEARCH_THROTTLED).get().actor_id == world.da_a.pk
    assert events(EventType.THROTTLE_ALERT, limit="staff_search_actor").count() == 1
    # The known-person search shares the allowance: refused too.
    known = org_url(world.school_a1.code, "org_add_known")
    search = known_post(record)
    assert da_a.post(known, search).status_code == 429
    # Bad input is not a look-up: it is not counted and still gets its field errors.
    bad = da_a.post(url, new_post(probe, ssn="12"))
    assert bad.status_code == 200 and "ssn" in bad.context["form"].errors


# --- application access -----------------------------------------------------------------------


def test_grant_and_revoke_through_the_staff_entry_page(world: World) -> None:
    entry, profile = staff_member(world, "Amara", "Whitlock")
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    page = da_a.get(url)
    offered = [str(r) for r in page.context["form"].fields["role"].queryset]
    html = page.content.decode()
    assert (
        f"Access to applications at {world.school_a1.name}" in html and "Application access here" not in html
    )
    assert '<option value="" selected>Choose an application role</option>' in html and "---------" not in html
    assert "MDCS: Submitter" in offered and not any(r.startswith("ELAR") for r in offered)
    submitter = world.role("MDCS", "submitter")
    assert da_a.post(url, {"role": submitter.pk})["Location"] == url
    grant = AccessGrant.objects.active().get(profile=profile)
    assert (
        grant.staff_entry == entry
        and grant.organization == world.school_a1
        and grant.granted_by == world.da_a
    )
    event = events(EventType.ACCESS_GRANTED, organization=world.school_a1.code).get()
    assert event.actor_id == world.da_a.pk and event.detail["role"] == "submitter"
    # An open-to-all application is not offered; posting it anyway is a field error.
    elar = da_a.post(url, {"role": world.role("ELAR", "educator").pk})
    assert elar.status_code == 200 and "role" in elar.context["form"].errors
    assert da_a.post(url, {"role": "x"}).context["form"].errors["role"]
    revoke = org_url(world.school_a1.code, "org_revoke", grant=grant.pk)
    confirm = da_a.get(revoke)
    assert confirm.status_code == 200 and "Yes, revoke it" in confirm.content.decode()
    assert da_a.post(revoke)["Location"] == url
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == world.da_a
    assert events(EventType.ACCESS_REVOKED, organization=world.school_a1.code).get().actor_id == world.da_a.pk
    assert da_a.get(revoke).status_code == 404  # revoked already


def test_grant_needs_a_current_staff_entry_whoever_calls(world: World) -> None:
    outsider = with_profile(on_file(someone("Bram", "Nolastaff")))
    submitter = world.role("MDCS", "submitter")
    with pytest.raises(directory_actions.GrantRefused, match="not on the staff"):
        directory_actions.do_grant_access(
            profile=outsider, role=submitter, organization=world.school_a1, ctx=CTX
        )
    entry, profile = staff_member(world, "Bram", "Onstaff", world.school_a1)
    with pytest.raises(directory_actions.GrantRefused, match="not on the staff"):  # A1's staff, not A2's
        directory_actions.do_grant_access(
            profile=profile, role=submitter, organization=world.school_a2, ctx=CTX
        )
    with pytest.raises(directory_actions.GrantRefused, match="open to every Profile"):
        directory_actions.do_grant_access(
            profile=profile, role=world.role("ELAR", "educator"), organization=world.school_a1, ctx=CTX
        )
    grant = directory_actions.do_grant_access(
        profile=profile, role=submitter, organization=world.school_a1, ctx=CTX
    )
    assert grant.staff_entry == entry  # tied to the entry even when the caller did not name it
    account_actions.do_set_status(profile=profile, status=Status.LOCKED, reason="test", ctx=CTX)
    profile.refresh_from_db()
    with pytest.raises(directory_actions.GrantRefused, match="active Profile"):
        directory_actions.do_grant_access(
            profile=profile, role=world.role("DROPBOX", "user"), organization=world.school_a1, ctx=CTX
        )
    page = console_client(world.da_a).get(org_url(world.school_a1.code, "org_entry", entry=entry.pk))
    assert not page.context["can_grant"]
    assert not events(EventType.ACCESS_GRANTED).exclude(target_id=str(profile.pk)).exists()


def test_staff_and_grants_outside_my_scope_are_not_found(world: World) -> None:
    entry, profile = staff_member(world, "Cato", "Farrow", world.school_a1)
    grant = directory_actions.do_grant_access(
        profile=profile, role=world.role("MDCS", "submitter"), organization=world.school_a1, ctx=CTX
    )
    da_b = console_client(world.da_b)
    entry_url = org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    assert da_b.get(entry_url).status_code == 404
    assert da_b.post(entry_url, {"role": world.role("MDCS", "approver").pk}).status_code == 404
    assert da_b.post(org_url(world.school_a1.code, "org_revoke", grant=grant.pk)).status_code == 404
    assert da_b.post(org_url(world.school_a1.code, "org_end", entry=entry.pk)).status_code == 404
    # My own organization's code with someone else's entry or grant: not found either.
    assert da_b.get(org_url(world.district_b.code, "org_entry", entry=entry.pk)).status_code == 404
    assert da_b.post(org_url(world.district_b.code, "org_revoke", grant=grant.pk)).status_code == 404
    # The school's administrator and the district's see it; under another school's code, no.
    assert console_client(world.da_school_a1).get(entry_url).status_code == 200
    assert (
        console_client(world.da_a).get(org_url(world.school_a2.code, "org_entry", entry=entry.pk)).status_code
        == 404
    )
    grant.refresh_from_db()
    assert grant.revoked_at is None and StaffEntry.objects.get(pk=entry.pk).ended_at is None


def test_ending_a_staff_entry_asks_first_and_revokes_its_grants(world: World) -> None:
    entry, profile = staff_member(world, "Delia", "Marsh")
    for app, role in (("MDCS", "submitter"), ("DROPBOX", "user")):
        directory_actions.do_grant_access(
            profile=profile, role=world.role(app, role), organization=world.school_a1, ctx=CTX
        )
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_end", entry=entry.pk)
    confirm = da_a.get(url).content.decode()
    assert "MDCS: Submitter" in confirm and "Dropbox: User" in confirm
    assert AccessGrant.objects.active().filter(profile=profile).count() == 2  # asking changed nothing
    assert da_a.post(url)["Location"] == org_url(world.school_a1.code)
    entry.refresh_from_db()
    assert entry.ended_at is not None
    assert not AccessGrant.objects.active().filter(profile=profile).exists()
    assert events(EventType.STAFF_ENDED, organization=world.school_a1.code).get().actor_id == world.da_a.pk
    assert events(EventType.ACCESS_REVOKED, organization=world.school_a1.code).count() == 2
    assert da_a.post(url).status_code == 404  # ended already
    listed = da_a.get(org_url(world.school_a1.code)).context["page"].object_list
    assert entry not in listed


def test_nobody_changes_their_own_access_here(world: World) -> None:
    """A Directory Administrator (on their district's staff) cannot grant themselves access,
    change or end their own entry, or revoke their own grant; nor can customer service."""
    own = StaffEntry.objects.get(person=world.da_a.person, organization=world.district_a)
    grant = directory_actions.do_grant_access(
        profile=world.da_a, role=world.role("MDCS", "submitter"), organization=world.district_a, ctx=CTX
    )
    da_a = console_client(world.da_a)
    code = world.district_a.code
    entry_url = org_url(code, "org_entry", entry=own.pk)
    page = da_a.get(entry_url)
    assert "cannot change your own Profile" in page.content.decode()
    assert not page.context["can_grant"] and 'name="role"' not in page.content.decode()
    grab = da_a.post(entry_url, {"role": world.role("DROPBOX", "district_admin").pk})
    assert grab.status_code == 200 and "cannot change your own Profile" in grab.content.decode()
    for name, kwargs, data in [
        ("org_edit", {"entry": own.pk}, {"role_title": "Superintendent", "started_on": ""}),
        ("org_end", {"entry": own.pk}, {}),
        ("org_revoke", {"grant": grant.pk}, {}),
    ]:
        refused = da_a.post(org_url(code, name, **kwargs), data)
        assert refused.status_code == 200 and "cannot change your own Profile" in refused.content.decode()
    own.refresh_from_db()
    grant.refresh_from_db()
    assert own.ended_at is None and own.role_title == "Directory Administrator" and grant.revoked_at is None
    assert list(AccessGrant.objects.active().filter(profile=world.da_a)) == [grant]
    assert not events(EventType.STAFF_UPDATED).exists() and not events(EventType.STAFF_ENDED).exists()
    # Customer service on a school's staff cannot grant themselves Dropbox either.
    mine = directory_actions.do_add_staff(
        person=world.service.person, organization=world.school_a1, role_title="Liaison", ctx=CTX
    )
    self_grant = console_client(world.service).post(
        org_url(world.school_a1.code, "org_entry", entry=mine.pk),
        {"role": world.role("DROPBOX", "user").pk, "reason": "Ticket 4500"},
    )
    assert self_grant.status_code == 200 and "cannot change your own Profile" in self_grant.content.decode()
    assert not AccessGrant.objects.filter(profile=world.service).exists()


def test_agency_staff_entries_are_a_security_administrators_to_change(world: World) -> None:
    entry = directory_actions.do_add_staff(
        person=world.security.person, organization=world.school_a1, role_title="Auditor", ctx=CTX
    )
    grant = directory_actions.do_grant_access(
        profile=world.security, role=world.role("MDCS", "approver"), organization=world.school_a1, ctx=CTX
    )
    end_url = org_url(world.school_a1.code, "org_end", entry=entry.pk)
    service = console_client(world.service)
    confirm = service.get(end_url)
    assert (
        "only a security administrator" in confirm.content.decode()
        and "Yes, end it" not in confirm.content.decode()
    )
    refused = service.post(end_url, {"reason": "Ticket 4501: left"})
    assert refused.status_code == 200 and "only a security administrator" in refused.content.decode()
    refused = service.post(
        org_url(world.school_a1.code, "org_revoke", grant=grant.pk), {"reason": "Ticket 4501"}
    )
    assert "only a security administrator" in refused.content.decode()
    entry.refresh_from_db()
    grant.refresh_from_db()
    assert entry.ended_at is None and grant.revoked_at is None
    # A Directory Administrator of the school is refused the same way.
    assert "only a security administrator" in console_client(world.da_a).post(end_url).content.decode()
    entry.refresh_from_db()
    assert entry.ended_at is None
    # Another security administrator may.
    other = with_profile(on_file(someone("Noor", "Overseer")))
    other = account_actions.do_set_privileges(
        profile=other, is_staff=True, is_superuser=True, groups=[], ctx=CTX
    )
    ended = console_client(other).post(end_url, {"reason": "Ticket 4502: left the agency"})
    assert ended.status_code == 302
    entry.refresh_from_db()
    assert entry.ended_at is not None
    assert events(EventType.STAFF_ENDED).get().actor_id == other.pk


# --- activation code for a pre-created Profile ----------------------------------------------


def test_activation_code_is_printed_once_and_redeemed_through_the_wizard(world: World) -> None:
    who = someone("Esme", "Thornbury")
    da_a = console_client(world.da_a)
    da_a.post(org_url(world.school_a1.code, "org_add_new"), new_post(who))
    entry = StaffEntry.objects.get(person__last_name="Thornbury")
    profile = entry.person.profile
    url = org_url(world.school_a1.code, "org_code", entry=entry.pk)
    assert "Issue a code" in da_a.get(url).content.decode()
    issued = da_a.post(url)
    code = issued.context["code"]
    html = issued.content.decode()
    assert code in html and profile.username in html and "/register/" in html
    assert "no-store" in issued["Cache-Control"]
    row = ActivationCode.objects.get(profile=profile)
    assert row.purpose == CodePurpose.SETUP and row.code_hash != code
    assert row.expires_at - timezone.now() > timedelta(days=14)
    event = events(EventType.ACTIVATION_CODE_ISSUED, organization=world.school_a1.code).get()
    assert event.actor_id == world.da_a.pk and event.target_id == str(profile.pk)

    person_client = Client()
    start(person_client)
    assert location(post_step(person_client, "identity", who.identity_post())) == step("setup")
    assert "code" in person_client.get(step_url(person_client, "setup")).context["form"].fields
    wrong = post_step(person_client, "setup", security_post() | {"code": "WRONG-CODE"}, follow=True)
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    told = " ".join(wrong.context["form"].errors["code"])
    assert "ask whoever gave you the code (your Directory Administrator or customer service)" in told
    assert "call customer service for a new code" not in told
    done = post_step(person_client, "setup", security_post() | {"code": code})
    assert location(done) == step("setup_done")
    profile.refresh_from_db()
    row.refresh_from_db()
    assert profile.status == Status.ACTIVE and row.used_at is not None
    assert events(EventType.ACTIVATION_CODE_REDEEMED).filter(target_id=str(profile.pk)).exists()
    # Set up now: no further code for it.
    assert da_a.get(url).status_code == 404


def test_activation_code_only_for_a_profile_awaiting_setup(world: World) -> None:
    entry, _profile = staff_member(world, "Fenna", "Active")
    da_a = console_client(world.da_a)
    assert da_a.post(org_url(world.school_a1.code, "org_code", entry=entry.pk)).status_code == 404
    assert not ActivationCode.objects.exists()
    assert (
        console_client(world.da_b).get(org_url(world.school_a1.code, "org_code", entry=entry.pk)).status_code
        == 404
    )
    # A pre-created Profile with administrator access: its code comes from customer service only.
    person = on_file(someone("Gale", "Privileged"))
    account_actions.do_precreate_profile(person=person, is_staff=True, ctx=CTX)
    staff = directory_actions.do_add_staff(
        person=person, organization=world.school_a1, role_title="IT", ctx=CTX
    )
    url = org_url(world.school_a1.code, "org_code", entry=staff.pk)
    assert da_a.post(url).status_code == 404
    assert not da_a.get(org_url(world.school_a1.code, "org_entry", entry=staff.pk)).context["may_issue_code"]
    assert not ActivationCode.objects.exists()
    # An agency staff Profile: customer service is shown why not, and no code is issued; a
    # security administrator issues it.
    refused = console_client(world.service).post(url, {"reason": "Ticket 4420: new IT lead"})
    assert refused.status_code == 200 and "only a security administrator" in refused.content.decode()
    assert "code" not in refused.context and not ActivationCode.objects.exists()
    issued = console_client(world.security).post(url, {"reason": "Ticket 4420: new IT lead"})
    assert issued.status_code == 200 and ActivationCode.objects.filter(profile__person=person).count() == 1


def test_a_set_up_code_for_someone_on_another_district_s_staff_is_customer_service_s(world: World) -> None:
    """sec2 L2. A person pre-created at district A (awaiting setup) also works at district B.
    Issuing a set-up code withdraws every earlier unused one, whoever issued it: B's
    administrator could cancel the code A's handed over (and, knowing the identity, hold the only
    live one). A Directory Administrator now issues it only when every current staff entry of
    the person is at an organization they administer; otherwise the page says customer service
    does, and customer service issues it."""
    from edgate.accounts import codes

    person = on_file(someone("Quinn", "Marchetti"))
    profile = account_actions.do_precreate_profile(person=person, ctx=CTX)
    entries = {
        org: directory_actions.do_add_staff(person=person, organization=org, role_title="Teacher", ctx=CTX)
        for org in (world.district_a, world.district_b)
    }

    def code_page(admin: Profile, org):  # type: ignore[no-untyped-def]
        return console_client(admin).post(org_url(org.code, "org_code", entry=entries[org].pk), {})

    for admin, org in ((world.da_a, world.district_a), (world.da_b, world.district_b)):
        entry_page = console_client(admin).get(org_url(org.code, "org_entry", entry=entries[org].pk))
        # The entry page says who issues it, rather than linking to a page that refuses.
        assert org_url(org.code, "org_code", entry=entries[org].pk) not in entry_page.content.decode()
        assert "only customer service may issue their set-up code" in entry_page.content.decode()
        refused = code_page(admin, org)
        assert refused.status_code == 200 and "code" not in refused.context
        assert "only customer service may issue their set-up code" in refused.content.decode()
    assert not ActivationCode.objects.exists()
    issued = console_client(world.service).post(
        org_url(world.district_a.code, "org_code", entry=entries[world.district_a].pk),
        {"reason": "Ticket 5120: works at two districts"},
    )
    handed_over = str(issued.context["code"])
    code_page(world.da_b, world.district_b)  # tries again: still refused, nothing withdrawn
    live = ActivationCode.objects.filter(
        profile=profile, purpose=CodePurpose.SETUP, used_at__isnull=True, withdrawn_at__isnull=True
    )
    assert live.filter(code_hash=codes.code_hash(handed_over)).exists()
    # Once the entry at B has ended, A's administrator administers every current entry: theirs.
    directory_actions.do_end_staff_entry(entry=entries[world.district_b], ctx=CTX)
    assert "code" in code_page(world.da_a, world.district_a).context


# --- activity ----------------------------------------------------------------------------------


def filtered(client: Client, url: str, data: dict[str, str], page: str = ""):  # type: ignore[no-untyped-def]
    """The activity filter as the browser sends it: POSTed, then the list shown by GET."""
    posted = client.post(url, data)
    if posted.status_code != 302:
        return posted
    assert posted["Location"] == url
    return client.get(url, {"page": page} if page else {})


def test_activity_shows_my_organizations_events_readably_and_filters(world: World) -> None:
    entry, profile = staff_member(world, "Gideon", "Ashby")
    da_a = console_client(world.da_a)
    da_a.post(
        org_url(world.school_a1.code, "org_entry", entry=entry.pk),
        {"role": world.role("MDCS", "approver").pk},
    )
    staff_member(world, "Hollis", "Beyond", world.school_b1)
    url = org_url(world.district_a.code, "org_activity")
    page = da_a.get(url)
    rows = page.context["rows"]
    kinds = [r["event"] for r in rows]
    assert kinds[0] == EventType.ACCESS_GRANTED.label  # newest first
    assert EventType.STAFF_ADDED.label in kinds and EventType.ADMIN_APPOINTED.label in kinds
    html = page.content.decode()
    assert "Role: approver" in html and "{&quot;" not in html and world.school_b1.code not in html
    assert rows[0]["actor"] == world.da_a.username and rows[0]["target"]["username"] == profile.username
    granted = filtered(da_a, url, {"event_type": EventType.ACCESS_GRANTED.value}).context["rows"]
    assert [r["event"] for r in granted] == [EventType.ACCESS_GRANTED.label]
    by_me = filtered(da_a, url, {"actor": world.da_a.username.upper()}).context["rows"]
    assert by_me and all(r["actor"] == world.da_a.username for r in by_me)
    # The days the events were written on (in New York, as the filter reads them), not the clock's
    # now: a test that ran across midnight wrote its events on one day and asked about the next.
    days = {timezone.localtime(at).date() for at in AuditEvent.objects.values_list("at", flat=True)}
    today = max(days)
    assert filtered(da_a, url, {"date_from": today.isoformat(), "date_to": today.isoformat()}).context["rows"]
    assert not filtered(da_a, url, {"date_to": (min(days) - timedelta(days=1)).isoformat()}).context["rows"]
    backwards = filtered(
        da_a, url, {"date_from": today.isoformat(), "date_to": (today - timedelta(days=2)).isoformat()}
    )
    assert backwards.status_code == 200 and "date_to" in backwards.context["form"].errors
    garbled = filtered(da_a, url, {"date_from": "yesterday", "event_type": "nope"})
    assert garbled.status_code == 200 and set(garbled.context["form"].errors) == {"date_from", "event_type"}
    # A school's administrator sees the school's events, not the district's; another district's, nothing.
    school = console_client(world.da_school_a1).get(org_url(world.school_a1.code, "org_activity"))
    assert EventType.ACCESS_GRANTED.label in [r["event"] for r in school.context["rows"]]
    assert console_client(world.da_school_a1).get(url).status_code == 404
    assert console_client(world.da_b).get(url).status_code == 404


def test_activity_pages_fifty_at_a_time(world: World) -> None:
    for n in range(52):
        directory_actions.do_add_staff(
            person=on_file(someone(f"Ivo{n:02d}", "Manyfold")),
            organization=world.school_a2,
            role_title="Aide",
            ctx=CTX,
        )
    da_a = console_client(world.da_a)
    url = org_url(world.school_a2.code, "org_activity")
    first = filtered(da_a, url, {"event_type": EventType.STAFF_ADDED.value})
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.count == 52
    second = da_a.get(url, {"page": "2"})
    assert len(second.context["rows"]) == 2


def test_the_user_name_filtered_for_never_goes_into_a_url(world: World) -> None:
    """The activity filter's User Name is POSTed with a CSRF token and kept in the session: not
    in a URL, a pager link, a redirect or the access log; a `?actor=` in a URL filters nothing."""
    for n in range(52):
        directory_actions.do_add_staff(
            person=on_file(someone(f"Ivo{n:02d}", "Manyfold")),
            organization=world.school_a2,
            role_title="Aide",
            ctx=CTX,
        )
    da_a = console_client(world.da_a)
    url = org_url(world.district_a.code, "org_activity")
    form = da_a.get(url).content.decode()
    assert re.search(r'<form method="post"[^>]*aria-label="Filter the activity"', form)
    posted = da_a.post(url, {"actor": CTX.actor_label or "system"})
    assert posted.status_code == 302 and posted["Location"] == url
    listed = da_a.get(url)
    assert listed.context["form"].cleaned_data["actor"] and listed.context["page"].paginator.count > 50
    links = " ".join(re.findall(r'href="([^"]*)"', listed.content.decode()))
    assert "actor=" not in links and "page=2" in links
    # A User Name in the query string filters nothing: a fresh session shows everything.
    fresh = console_client(world.da_a)
    everything = fresh.get(url).context["page"].paginator.count
    assert fresh.get(url, {"actor": "nobody-at-all"}).context["page"].paginator.count == everything > 0
    assert da_a.post(url, {"clear": "1"})["Location"] == url
    assert da_a.get(url).context["form"].is_bound is False
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = da_a.cookies
    assert strict.post(url, {"actor": "someone"}).status_code == 403


# --- changing an entry; customer service gives reasons ---------------------------------------


def test_change_a_staff_entry(world: World) -> None:
    entry, _profile = staff_member(world, "Jonah", "Petrakis")
    da_a = console_client(world.da_a)
    url = org_url(world.school_a1.code, "org_edit", entry=entry.pk)
    assert da_a.get(url).context["form"].initial["role_title"] == "Teacher"
    bad = da_a.post(url, {"role_title": "", "started_on": "someday"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"role_title", "started_on"}
    saved = da_a.post(url, {"role_title": "Assistant principal", "started_on": "2024-08-26"})
    assert saved["Location"] == org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    entry.refresh_from_db()
    assert entry.role_title == "Assistant principal" and entry.started_on.isoformat() == "2024-08-26"
    event = events(EventType.STAFF_UPDATED, organization=world.school_a1.code).get()
    assert event.actor_id == world.da_a.pk
    assert (event.detail["role_title_old"], event.detail["role_title_new"]) == (
        "Teacher",
        "Assistant principal",
    )
    assert "reason" not in event.detail  # an administrator is not asked for one
    assert console_client(world.da_b).get(url).status_code == 404


def test_customer_service_gives_a_reason_for_each_change(world: World) -> None:
    entry, profile = staff_member(world, "Kira", "Vantongeren")
    service = console_client(world.service)
    page_url = org_url(world.school_a1.code, "org_entry", entry=entry.pk)
    assert "reason" in service.get(page_url).context["form"].fields
    assert "reason" not in console_client(world.da_a).get(page_url).context["form"].fields
    submitter = world.role("MDCS", "submitter")
    unexplained = service.post(page_url, {"role": submitter.pk})
    assert unexplained.status_code == 200 and "reason" in unexplained.context["form"].errors
    assert not AccessGrant.objects.filter(profile=profile).exists()
    service.post(page_url, {"role": submitter.pk, "reason": "Ticket 4411: district asked by phone"})
    granted = events(EventType.ACCESS_GRANTED, organization=world.school_a1.code).get()
    assert (
        granted.actor_id == world.service.pk
        and granted.detail["reason"] == "Ticket 4411: district asked by phone"
    )
    end_url = org_url(world.school_a1.code, "org_end", entry=entry.pk)
    assert service.post(end_url).status_code == 200  # no reason: asked again
    assert StaffEntry.objects.get(pk=entry.pk).ended_at is None
    assert service.post(end_url, {"reason": "Ticket 4412: left the district"}).status_code == 302
    assert events(EventType.STAFF_ENDED).get().detail["reason"] == "Ticket 4412: left the district"
    assert events(EventType.ACCESS_REVOKED).get().detail["reason"] == "Ticket 4412: left the district"
    who = someone("Lior", "Ambrose")
    add_url = org_url(world.school_a1.code, "org_add_new")
    assert "reason" in service.post(add_url, new_post(who)).context["form"].errors
    service.post(add_url, new_post(who, reason="Ticket 4413"))
    added = events(EventType.STAFF_ADDED, organization=world.school_a1.code).filter(actor_id=world.service.pk)
    assert added.get().detail["reason"] == "Ticket 4413"
    activity = service.get(org_url(world.school_a1.code, "org_activity")).content.decode()
    assert "Reason: Ticket 4413" in activity
