"""Dirty agency records through the doors people use (docs/matching.md §7): `edgate import`
keeps a row with an impossible birth date and a bad ZIP; the registrant is held for a human
(never a duplicate); the Directory Administrator's case page and customer service's Profile page
show "Data-quality problem" with the raw value (an SSN masked); nothing else shows it; a
correction clears it."""

from __future__ import annotations

import csv
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from edgate.directory.models import StaffEntry
from edgate.matching.models import CaseStatus, MatchCase
from edgate.people.models import Person

from ..backoffice import World, build_world, console_client, dob_parts
from ..pii import register_dob, register_ssn
from .helpers import location, post_step, shows, start, step, url

pytestmark = pytest.mark.django_db

TRUE_BIRTH = register_dob(date(1984, 3, 14))
SSN = register_ssn("219453381")
BAD_SSN = register_ssn("666123456")  # never issued: unusable, shown masked only


@pytest.fixture
def world() -> World:
    return build_world()


def import_dirty(tmp_path: Path) -> dict[str, dict[str, str]]:
    path = tmp_path / "staff.csv"
    path.write_text(
        "id,first_name,last_name,date_of_birth,ssn,postcode,phone\n"
        f"d1,Jordan,Okafor,1984-14-03,{SSN},0136,(555) 201-4477\n"  # month 14: day and month swapped
        "d2,Riley,Haddad,1979-04-11,666-12-3456,01360,\n",
        encoding="utf-8",
    )
    register_dob(date(1979, 4, 11))
    out = StringIO()
    call_command("import", str(path), source="district-a", org="01230000", stdout=out)
    assert "2 created" in out.getvalue() and "2 kept with unusable fields" in out.getvalue()
    with (tmp_path / "staff.report.csv").open(newline="", encoding="utf-8") as fh:
        return {row["row_id"]: row for row in csv.DictReader(fh)}


def identity_post(ssn: str = SSN, first_name: str = "Jordan") -> dict[str, str]:
    return {
        "first_name": first_name,
        "middle_name": "",
        "last_name": "Okafor",
        "former_last_name": "",
        "dob_month": "3",
        "dob_day": "14",
        "dob_year": "1984",
        "ssn": f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}",
        "state_id": "",
    }


def test_dirty_record_is_kept_shown_to_the_right_people_and_cleared_by_a_correction(
    world: World,
    tmp_path: Path,
    pii_guard,  # type: ignore[no-untyped-def]
) -> None:
    report = import_dirty(tmp_path)
    assert report["d1"]["unusable"] == (
        "date_of_birth: not a real date (compared digit by digit, never as a date); "
        "postcode: Enter a 5-digit ZIP code, like 02148."
    )
    assert report["d2"]["unusable"].startswith("ssn: ")
    jordan = Person.objects.get(last_name="Okafor")
    assert jordan.date_of_birth is None and jordan.postcode == "" and jordan.dob_digits == "19841403"
    assert jordan.data_problems == {"date_of_birth": "impossible_date", "postcode": "invalid"}
    assert bytes(jordan.data_problems_ciphertext).find(b"0136") == -1  # encrypted at rest
    assert jordan.data_problem_values() == {"date_of_birth": "1984-14-03", "postcode": "0136"}
    riley = Person.objects.get(last_name="Haddad")
    assert riley.ssn_hash is None and riley.data_problem_values() == {"ssn": "666-12-3456"}

    # The registrant types the true birth date and slips in the first name: the SSN agrees, the
    # record's typed date is the swapped one. Two things to explain: a human decides (partial),
    # never a second Profile (none). (The swapped date alone is exact: E5d, the next test.)
    registrant = Client()
    start(registrant)
    assert location(post_step(registrant, "identity", identity_post(first_name="Jordon"))) == step("check")
    assert "1984-14-03" not in registrant.get(url(registrant, "check")).content.decode()
    assert location(post_step(registrant, "check", {"unchanged": "1"})) == step("partial")
    case = MatchCase.objects.get(person=jordan)
    assert case.explanation["details"]["date_of_birth"] == "swapped"
    assert "1984-14-03" not in registrant.get(url(registrant, "partial")).content.decode()

    # Customer service's case page: the raw value beside the record's date of birth.
    case_page = reverse("backoffice:case", kwargs={"reference": case.reference})
    page = console_client(world.service).get(case_page)
    html = page.content.decode()
    rows = {str(row["label"]): row for row in page.context["rows"]}
    assert rows["Date of birth"]["problem"].value == "1984-14-03"
    assert "Data-quality problem" in html and "the agency file gave “1984-14-03”" in html
    assert not shows(html, "0136")  # the case page shows no ZIP, so not its problem either
    # The Directory Administrator's: that there is one, not the value (a date of birth).
    da = console_client(world.da_a)
    html = da.get(case_page).content.decode()
    assert "Data-quality problem" in html and "1984-14-03" not in html

    # Customer service's Profile page: every field it shows, the SSN masked.
    agent = console_client(world.service)
    profile = Profile.objects.get(person=jordan)
    html = agent.get(reverse("backoffice:service_profile", kwargs={"profile": profile.pk})).content.decode()
    assert "Data-quality problem" in html and "“1984-14-03”" in html and "“0136”" in html
    # Nothing on the page corrects it, so the page says where it can be done.
    assert "This page cannot change them" in html and "correct the record in the admin site" in html
    other = Profile.objects.get(person=riley)
    html = agent.get(reverse("backoffice:service_profile", kwargs={"profile": other.pk})).content.decode()
    assert "“***-**-3456”" in html  # (the PII guard fails the test on the full SSN)

    # Nowhere else: the staff page of the district, the registrant's pages, the logs.
    entry = StaffEntry.objects.get(person=jordan)
    staff_page = da.get(reverse("backoffice:org_entry", kwargs={"code": "01230000", "entry": entry.pk}))
    assert staff_page.status_code == 200 and "Data-quality problem" not in staff_page.content.decode()
    for record in pii_guard.records:
        message = f"{record.getMessage()} {record.exc_text or ''}"
        assert "1984-14-03" not in message and "0136" not in message and "666-12-3456" not in message

    # Same person: customer service corrects the date of birth (on a registration case a
    # Directory Administrator may not); that problem is gone, the ZIP's remains.
    response = agent.post(
        reverse("backoffice:case_resolve", kwargs={"reference": case.reference}),
        {
            "outcome": "same_person",
            "first_name": "Jordan",
            "middle_name": "",
            "last_name": "Okafor",
            "former_last_name": "",
            **dob_parts(TRUE_BIRTH),
            "reason": "Checked the license file",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    jordan.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and jordan.date_of_birth == TRUE_BIRTH
    assert jordan.data_problems == {"postcode": "invalid"} and jordan.dob_digits == ""
    assert jordan.data_problem_values() == {"postcode": "0136"}
    start(registrant)
    assert location(post_step(registrant, "identity", identity_post())) == step("setup")


def test_a_birth_date_typed_swapped_on_file_is_exact_for_the_registrant(world: World, tmp_path: Path) -> None:
    """E5d: SSN and names agree, the record's impossible date (month 14) is the registrant's
    with month and day swapped. The record keeps its data-quality problem until corrected."""
    import_dirty(tmp_path)
    registrant = Client()
    start(registrant)
    assert location(post_step(registrant, "identity", identity_post())) == step("setup")
    assert not MatchCase.objects.exists()
    jordan = Person.objects.get(last_name="Okafor")
    assert jordan.dob_digits == "19841403" and "date_of_birth" in jordan.data_problems
    # A registrant born in another decade (Jr/Sr of one name) stays a human's decision.
    other = Client()
    start(other)
    post = identity_post() | {"dob_year": "1954"}
    assert location(post_step(other, "identity", post)) == step("check")


def test_the_admin_site_shows_the_data_quality_record_read_only(world: World, tmp_path: Path) -> None:
    import_dirty(tmp_path)
    jordan = Person.objects.get(last_name="Okafor")
    admin = console_client(world.security)
    page = admin.get(reverse("admin:people_person_change", args=[jordan.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Data-quality problem" in html
    assert "Date of birth: “1984-14-03”" in html and "ZIP code: “0136”" in html
    assert 'name="data_problems' not in html and 'name="dob_digits"' not in html  # not editable


def test_the_merge_preview_shows_the_duplicates_data_quality_problem(world: World, tmp_path: Path) -> None:
    """A record kept with an unusable SSN became a duplicate of the real person: customer
    service sees why beside it (the SSN masked) before merging."""
    import_dirty(tmp_path)
    riley = Person.objects.get(last_name="Haddad")
    agent = console_client(world.service)
    preview = agent.post(
        reverse("backoffice:service_merge"),
        {"survivor": world.educator.username, "duplicate": riley.state_id},
    )
    html = preview.content.decode()
    assert preview.status_code == 200 and "sides" in preview.context
    assert "Data-quality problem" in html and "Social Security Number: “***-**-3456”" in html
