"""My applications: every card leads somewhere (its link, or what to do when the portal has
none), and each name reads in the page's language: the Spanish name on a Spanish page when the
application has one, else the name as written, marked lang="en"."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.accounts.models import Profile, Status
from edgate.directory import actions as directory
from edgate.directory.models import AccessGrant, Application, AppRole, Organization, OrgType, StaffEntry
from edgate.directory.queries import applications_for
from edgate.sso import access
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db
NO_LINK = (
    "There is no link to this application here. Open it from your agency's website, or ask your "
    "school's or district's Directory Administrator how to reach it."
)


@pytest.fixture
def signed_in() -> Client:
    directory.do_save_application(
        code="ELAR",
        name="ELAR — Licensure",
        name_es="ELAR — Licencias",
        description="Apply for licenses.",
        description_es="Solicite licencias.",
        open_to_all=True,
        ctx=CTX,
    )
    directory.do_save_application(
        code="FILES", name="Files Hub", url="https://files.example.org/", open_to_all=True, ctx=CTX
    )
    profile = with_profile(on_file(someone("Lucia", "Ferreira")))
    client = Client()
    client.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    return client


def cards(page: str) -> dict[str, str]:
    """Each card's heading (as HTML) to its footer (as HTML)."""
    found = re.findall(
        r'<h2 class="usa-card__heading">(.*?)</h2>.*?<div class="usa-card__footer">(.*?)</div>', page, re.S
    )
    return {heading: footer for heading, footer in found}


def test_a_card_without_a_link_says_what_to_do_instead(signed_in: Client) -> None:
    page = html.unescape(signed_in.get(reverse("directory:applications")).content.decode())
    found = cards(page)
    assert set(found) == {"ELAR — Licensure", "Files Hub"}
    assert NO_LINK in found["ELAR — Licensure"] and "<a" not in found["ELAR — Licensure"]
    assert 'href="https://files.example.org/"' in found["Files Hub"] and NO_LINK not in found["Files Hub"]


def test_on_a_spanish_page_a_spanish_name_is_used_else_the_name_in_its_own_language(
    signed_in: Client,
) -> None:
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = html.unescape(signed_in.get(reverse("directory:applications")).content.decode())
    found = cards(page)
    assert set(found) == {"ELAR — Licencias", '<span lang="en">Files Hub</span>'}
    assert "Solicite licencias." in page and "Apply for licenses." not in page
    with translation.override("es"):
        no_link = translation.gettext(NO_LINK)
    assert no_link != NO_LINK and no_link in found["ELAR — Licencias"]
    assert 'Abrir <span lang="en">Files Hub</span>' in found['<span lang="en">Files Hub</span>']


def _reference_applications_for(profile: Profile) -> list[tuple[int, list[str]]]:
    """The querysets applications_for was before it became one statement: the same answer. A
    grant counts when it is in force as sso.access.active_grants says (review9 L1)."""
    roles: dict[int, list[str]] = {}
    for grant in AccessGrant.objects.active().filter(profile=profile).select_related("role", "organization"):
        if grant in access.active_grants(profile, grant.application):
            roles.setdefault(grant.application_id, []).append(
                f"{grant.role.name} — {grant.organization.name}"
            )
    apps = Application.objects.filter(open_to_all=True) | Application.objects.filter(pk__in=roles.keys())
    return [(app.pk, sorted(roles.get(app.pk, []))) for app in apps.distinct().order_by("name")]


def test_the_page_lists_open_applications_and_active_grants_only_once_each() -> None:
    """Open applications, and those with an active grant (one card each, every role on it); a
    revoked grant, a grant whose staff entry was ended, and someone else's grant give nothing."""
    district = directory.do_save_organization(
        code="07010000", name="Eastbrook Schools", org_type=OrgType.DISTRICT, ctx=CTX
    )
    school = directory.do_save_organization(
        code="07010020", name="Eastbrook Middle", org_type=OrgType.SCHOOL, parent=district, ctx=CTX
    )
    apps = {
        code: directory.do_save_application(code=code, name=name, ctx=CTX)
        for code, name in [
            ("OPEN", "Alpha Open"),
            ("DATA", "Beta Data"),
            ("GONE", "Gamma Revoked"),
            ("ENDED", "Delta Ended"),
            ("OTHER", "Epsilon Other"),
        ]  # fmt: skip
    }
    role = {code: directory.do_save_app_role(application=app, code="user", name=f"{code} user", ctx=CTX)
            for code, app in apps.items()}  # fmt: skip
    admin = directory.do_save_app_role(application=apps["DATA"], code="admin", name="DATA admin", ctx=CTX)
    me = with_profile(on_file(someone("Noor", "Haddad")))
    other = with_profile(on_file(someone("Ilse", "Brandt")))
    at_district = directory.do_add_staff(
        person=me.person, organization=district, role_title="Analyst", ctx=CTX
    )
    at_school = directory.do_add_staff(person=me.person, organization=school, role_title="Teacher", ctx=CTX)
    directory.do_add_staff(person=other.person, organization=school, role_title="Teacher", ctx=CTX)

    def give(
        profile: Profile, code: str, organization: Organization, entry: StaffEntry | None = None,
        r: AppRole | None = None,
    ) -> AccessGrant:  # fmt: skip
        return directory.do_grant_access(
            profile=profile, role=r or role[code], organization=organization, staff_entry=entry, ctx=CTX
        )

    give(me, "OPEN", district, at_district)  # granted, then opened to all: one card, with its role
    directory.do_save_application(
        code="OPEN", name="Alpha Open", open_to_all=True, application=apps["OPEN"], ctx=CTX
    )
    give(me, "DATA", district, at_district)
    give(me, "DATA", school, at_school, admin)  # a second role on the same application
    directory.do_revoke_access(grant=give(me, "GONE", district, at_district), ctx=CTX)
    give(me, "ENDED", school, at_school)
    give(other, "OTHER", school)
    directory.do_end_staff_entry(entry=at_school, ctx=CTX)  # ends the ENDED grant and DATA admin
    give(me, "DATA", district, at_district, admin)  # admin again, through the district

    client = Client()
    client.post(reverse("accounts:login"), {"username": me.username, "password": PASSWORD})
    page = html.unescape(client.get(reverse("directory:applications")).content.decode())
    assert list(cards(page)) == ["Alpha Open", "Beta Data"]
    data_card = page.split("Beta Data</h2>", 1)[1].split("usa-card__footer", 1)[0]
    assert re.findall(r"<li>(.*?)</li>", data_card) == [
        "DATA user — Eastbrook Schools",
        "DATA admin — Eastbrook Schools",
    ]
    assert "OPEN user — Eastbrook Schools" in page
    assert "Eastbrook Middle" not in page

    for profile in (me, other):
        found = [(a.application.pk, sorted(map(str, a.roles))) for a in applications_for(profile)]
        assert found == _reference_applications_for(profile)
    assert [a.application.code for a in applications_for(other)] == ["OPEN", "OTHER"]


def test_a_session_whose_profile_may_no_longer_sign_in_loses_the_page_at_its_next_request() -> None:
    """The session's Profile is read again at every request (ProfileBackend.get_user): once it
    is no longer active, however that came about, the next page asks to sign in."""
    me = with_profile(on_file(someone("Tomas", "Okafor")))
    client = Client()
    client.post(reverse("accounts:login"), {"username": me.username, "password": PASSWORD})
    page = reverse("directory:applications")
    assert client.get(page).status_code == 200
    Profile.objects.filter(pk=me.pk).update(status=Status.DISABLED)  # no session ended by this
    answer = client.get(page)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("accounts:login"))
    Profile.objects.filter(pk=me.pk).update(status=Status.ACTIVE)
    assert client.get(page).status_code == 200  # the same session: it was the check, not an end


def test_a_grant_that_gives_no_access_gives_no_card() -> None:
    """review9 L1: My applications lists what sign-in allows (sso.access.active_grants): a grant
    whose role no longer fits its organization's kind (a kind ticked on the role after it was
    granted), or at an organization made inactive, is not revoked, but it gives no card and no
    role on a card, as it gives no sign-in."""
    district = directory.do_save_organization(
        code="07020000", name="Westbrook Schools", org_type=OrgType.DISTRICT, ctx=CTX
    )
    school = directory.do_save_organization(
        code="07020020", name="Westbrook Middle", org_type=OrgType.SCHOOL, parent=district, ctx=CTX
    )
    closing = directory.do_save_organization(
        code="07020030", name="Westbrook Annex", org_type=OrgType.SCHOOL, parent=district, ctx=CTX
    )
    apps = {
        code: directory.do_save_application(code=code, name=name, ctx=CTX)
        for code, name in [("DROPBOX", "Dropbox"), ("MIXED", "Mixed Reports"), ("ANNEX", "Annex Files")]
    }
    role = {code: directory.do_save_app_role(application=app, code="user", name=f"{code} user", ctx=CTX)
            for code, app in apps.items()}  # fmt: skip
    lead = directory.do_save_app_role(application=apps["MIXED"], code="lead", name="MIXED lead", ctx=CTX)
    me = with_profile(on_file(someone("Noor", "Haddad")))
    at_district = directory.do_add_staff(
        person=me.person, organization=district, role_title="Analyst", ctx=CTX
    )
    at_school = directory.do_add_staff(person=me.person, organization=school, role_title="Teacher", ctx=CTX)
    at_annex = directory.do_add_staff(person=me.person, organization=closing, role_title="Teacher", ctx=CTX)
    for r, organization, entry in [
        (role["DROPBOX"], school, at_school),
        (role["MIXED"], district, at_district),
        (lead, school, at_school),
        (role["ANNEX"], closing, at_annex),
    ]:
        directory.do_grant_access(profile=me, role=r, organization=organization, staff_entry=entry, ctx=CTX)
    for r in (role["DROPBOX"], lead):  # now meant for districts only
        directory.do_save_app_role(
            application=r.application, code=r.code, name=r.name, org_types=[OrgType.DISTRICT], role=r, ctx=CTX
        )
    directory.do_save_organization(
        code=closing.code, name=closing.name, org_type=OrgType.SCHOOL, parent=district, active=False,
        organization=closing, ctx=CTX,
    )  # fmt: skip
    assert AccessGrant.objects.active().filter(profile=me).count() == 4  # none revoked

    client = Client()
    client.post(reverse("accounts:login"), {"username": me.username, "password": PASSWORD})
    page = html.unescape(client.get(reverse("directory:applications")).content.decode())
    assert list(cards(page)) == ["Mixed Reports"]
    mixed = page.split("Mixed Reports</h2>", 1)[1].split("usa-card__footer", 1)[0]
    assert re.findall(r"<li>(.*?)</li>", mixed) == ["MIXED user — Westbrook Schools"]
    found = [(a.application.pk, sorted(map(str, a.roles))) for a in applications_for(me)]
    assert found == _reference_applications_for(me)
