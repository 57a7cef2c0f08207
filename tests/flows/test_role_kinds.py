"""An application role is granted only at the kinds of organization it is meant for
(AppRole.org_types, set by the security administrator in the admin site; none: any kind).

The exploit this closes (security review sec4): the Directory Administrator of a school granted
Dropbox's `district_admin` to a teacher of the school; the `roles` claim then said
district_admin with the school's code, and a client that reads only the role gave district-wide
rights. `grant_problem` is the gate; the console's form only leaves such a role out."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from edgate.audit.models import AuditEvent, EventType
from edgate.console import demo
from edgate.directory import actions as directory
from edgate.directory.models import AccessGrant, AppRole, Organization, OrgType, StaffEntry
from tests.backoffice import World, build_world, console_client
from tests.factories import CTX, on_file, someone, with_profile

from .helpers import shows
from .test_spanish import text_of

pytestmark = pytest.mark.django_db

LEAS_AND_AGENCY = [OrgType.AGENCY, OrgType.DISTRICT, OrgType.CHARTER, OrgType.COLLABORATIVE]


@pytest.fixture
def world() -> World:
    return build_world()


def with_kinds(role: AppRole, kinds: list[OrgType]) -> AppRole:
    """The role as the security administrator leaves it: granted only at these kinds."""
    return directory.do_save_app_role(
        role=role, application=role.application, code=role.code, name=role.name, org_types=kinds, ctx=CTX
    )


def entry_url(entry: StaffEntry) -> str:
    return reverse("backoffice:org_entry", kwargs={"code": entry.organization.code, "entry": entry.pk})


def teacher(*organizations: Organization, first: str = "Tamsin", last: str = "Okafor"):  # type: ignore[no-untyped-def]
    """A Profile on the staff of each organization: (its entries, in order; the Profile)."""
    person = on_file(someone(first, last))
    profile = with_profile(person)
    entries = [
        directory.do_add_staff(person=person, organization=org, role_title="Teacher", ctx=CTX)
        for org in organizations
    ]
    return entries, profile


def offered(page: str) -> list[str]:
    """The options of the grant form's role select, as a reader sees them."""
    select = re.search(r'<select name="role"[^>]*>(.*?)</select>', page, flags=re.S)
    assert select is not None, "no role select on the page"
    return [html.unescape(label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", select[1])]


def granted_events(profile) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(AuditEvent.objects.filter(event_type=EventType.ACCESS_GRANTED, target_id=str(profile.pk)))


def test_a_school_administrator_cannot_grant_a_district_role_at_the_school(world: World) -> None:
    """The confirmed exploit, refused by the action with its reason: no grant, no event."""
    district_admin = with_kinds(world.role("DROPBOX", "district_admin"), LEAS_AND_AGENCY)
    (entry,), profile = teacher(world.school_a1)
    url = entry_url(entry)
    school_da = console_client(world.da_school_a1)
    refused = school_da.post(url, {"role": district_admin.pk})
    assert refused.status_code == 200
    reason = directory.kind_problem(district_admin, world.school_a1)
    assert reason is not None
    assert refused.context["form"].errors["role"] == [reason]
    assert shows(html.unescape(refused.content.decode()), reason)
    # The reason names the organization's kind and the kinds the role is meant for.
    kinds = dict(OrgType.choices)
    assert all(str(kinds[kind]) in reason for kind in (OrgType.SCHOOL, *LEAS_AND_AGENCY))
    # The district's administrator, working on the school, is refused too; so is a direct call
    # (the admin site, the demo, anything that grants goes through the action).
    assert console_client(world.da_a).post(url, {"role": district_admin.pk}).status_code == 200
    with pytest.raises(directory.GrantRefused, match="cannot be granted at this kind of organization"):
        directory.do_grant_access(profile=profile, role=district_admin, organization=world.school_a1, ctx=CTX)
    assert not AccessGrant.objects.filter(profile=profile).exists()
    assert granted_events(profile) == []
    # On a Spanish page, in Spanish.
    school_da.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = html.unescape(school_da.post(url, {"role": district_admin.pk}).content.decode())
    with translation.override("es"):
        reason_es = directory.kind_problem(district_admin, world.school_a1)
    assert reason_es is not None and reason_es != reason and shows(spanish, reason_es)
    assert not AccessGrant.objects.filter(profile=profile).exists()


def test_the_grant_form_offers_only_the_roles_that_fit_the_organization(world: World) -> None:
    with_kinds(world.role("DROPBOX", "district_admin"), LEAS_AND_AGENCY)
    (at_school, at_district), _ = teacher(world.school_a1, world.district_a)
    school_page = console_client(world.da_school_a1).get(entry_url(at_school)).content.decode()
    assert "Dropbox: User" in offered(school_page) and "MDCS: Submitter" in offered(school_page)
    assert "Dropbox: District administrator" not in offered(school_page)
    district_page = console_client(world.da_a).get(entry_url(at_district)).content.decode()
    assert "Dropbox: District administrator" in offered(district_page)


def test_a_role_meant_for_schools_is_granted_at_a_school_and_not_at_its_district(world: World) -> None:
    submitter = with_kinds(world.role("MDCS", "submitter"), [OrgType.SCHOOL, OrgType.CHARTER])
    (at_school, at_district), profile = teacher(world.school_a1, world.district_a)
    da_a = console_client(world.da_a)
    assert da_a.post(entry_url(at_school), {"role": submitter.pk})["Location"] == entry_url(at_school)
    grant = AccessGrant.objects.active().get(profile=profile)
    assert (grant.role, grant.organization, grant.staff_entry) == (submitter, world.school_a1, at_school)
    (event,) = granted_events(profile)
    assert event.detail["organization"] == world.school_a1.code and event.detail["role"] == "submitter"
    refused = da_a.post(entry_url(at_district), {"role": submitter.pk})
    assert refused.status_code == 200
    assert refused.context["form"].errors["role"] == [directory.kind_problem(submitter, world.district_a)]
    assert list(AccessGrant.objects.filter(profile=profile)) == [grant] and len(granted_events(profile)) == 1


def test_a_role_with_no_kinds_is_offered_and_granted_at_every_kind_as_before(world: World) -> None:
    """None named (every role after the upgrade, until the security administrator names some):
    any kind, as before."""
    user = world.role("DROPBOX", "user")
    assert user.org_types == [] and user.org_types_text == "Any kind of organization"
    entries, profile = teacher(world.agency, world.district_a, world.school_a1)
    for entry, who in zip(entries, (world.security, world.da_a, world.da_school_a1), strict=True):
        client = console_client(who)
        assert "Dropbox: User" in offered(client.get(entry_url(entry)).content.decode())
        posted = client.post(entry_url(entry), {"role": user.pk, "reason": "Ticket 5120"})
        assert posted.status_code == 302, entry.organization
    granted_at = set(
        AccessGrant.objects.active().filter(profile=profile).values_list("organization", flat=True)
    )
    assert granted_at == {world.agency.pk, world.district_a.pk, world.school_a1.pk}


def test_the_security_administrator_names_the_kinds_in_the_admin_site(world: World) -> None:
    admin = console_client(world.security)
    add = admin.get(reverse("admin:directory_approle_add")).content.decode()
    boxes = re.findall(r'<input type="checkbox" name="org_types" value="(\w+)"', add)
    assert boxes == OrgType.values
    assert all(shows(add, str(label)) for label in OrgType.labels)
    response = admin.post(
        reverse("admin:directory_approle_add"),
        {
            "application": world.dropbox.pk,
            "code": "auditor",
            "name": "Auditor",
            "org_types": ["school", "district"],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    role = AppRole.objects.get(code="auditor")
    assert role.org_types == ["district", "school"]  # in OrgType's order
    (saved,) = AuditEvent.objects.filter(event_type=EventType.APP_ROLE_SAVED, target_id=str(role.pk))
    assert saved.detail["org_types_new"] == ["district", "school"] and saved.actor_id == world.security.pk
    listed = html.unescape(admin.get(reverse("admin:directory_approle_changelist")).content.decode())
    assert shows(listed, "District, School") and shows(listed, "Any kind of organization")
    # None ticked again: any kind, recorded with the old value.
    change = reverse("admin:directory_approle_change", args=[role.pk])
    data = {"application": world.dropbox.pk, "code": "auditor", "name": "Auditor", "name_es": ""}
    assert admin.post(change, data).status_code == 302
    role.refresh_from_db()
    assert role.org_types == []
    changed = (
        AuditEvent.objects.filter(event_type=EventType.APP_ROLE_SAVED, target_id=str(role.pk))
        .order_by("id")
        .last()
    )
    assert changed is not None and changed.detail["org_types_old"] == ["district", "school"]
    # A kind that is not one is refused.
    refused = admin.post(change, data | {"org_types": ["school", "university"]})
    assert refused.status_code == 200 and AppRole.objects.get(pk=role.pk).org_types == []


def test_the_admin_site_s_grant_form_refuses_a_role_at_the_wrong_kind(world: World) -> None:
    district_admin = with_kinds(world.role("DROPBOX", "district_admin"), LEAS_AND_AGENCY)
    (entry,), profile = teacher(world.school_a1)
    response = console_client(world.security).post(
        reverse("admin:directory_accessgrant_add"),
        {
            "profile": profile.pk,
            "role": district_admin.pk,
            "organization": world.school_a1.pk,
            "staff_entry": entry.pk,
        },
    )
    assert response.status_code == 200
    assert shows(
        html.unescape(response.content.decode()), directory.kind_problem(district_admin, world.school_a1)
    )
    assert not AccessGrant.objects.filter(profile=profile).exists()


def test_the_demo_s_roles_are_granted_where_they_belong() -> None:
    """The demo names kinds for its roles (and fills them in a demo database made before)."""
    orgs, _ = demo._configuration(CTX)
    by_code = {role.code: role for role in AppRole.objects.all()}
    district, school = orgs["01230000"], orgs["01230010"]
    charter, agency = orgs["08880001"], orgs["00000001"]
    district_admin = by_code["district_admin"]
    assert [district_admin.fits(org) for org in (district, charter, agency, school)] == [
        True,
        True,
        True,
        False,
    ]
    assert by_code["user"].org_types == []  # Dropbox: anyone may exchange files with the agency
    assert by_code["submitter"].fits(school) and not by_code["submitter"].fits(agency)
    assert by_code["approver"].fits(district) and not by_code["approver"].fits(school)
    # A demo database made before the kinds existed gets them on the next run.
    AppRole.objects.update(org_types=[])
    demo._configuration(CTX)
    assert not AppRole.objects.get(code="district_admin").fits(school)


def test_the_admin_site_lists_grants_in_force_that_no_longer_fit_their_role(world: World) -> None:
    """review8 H2: a kind ticked on a role after it was granted leaves the grant in force but
    giving no access (sso.access.active_grants); the security administrator finds such grants
    with the grant list's filter, and revokes them there if need be (never done silently)."""
    (school_entry, district_entry), profile = teacher(world.school_a1, world.district_a)
    district_admin = world.role("DROPBOX", "district_admin")
    at_school, at_district = (
        directory.do_grant_access(
            profile=profile, role=district_admin, organization=entry.organization, staff_entry=entry, ctx=CTX
        )
        for entry in (school_entry, district_entry)
    )
    revoked = directory.do_grant_access(
        profile=profile, role=world.role("DROPBOX", "user"), organization=world.school_a1, ctx=CTX
    )
    directory.do_revoke_access(grant=revoked, ctx=CTX)
    with_kinds(district_admin, LEAS_AND_AGENCY)
    with_kinds(world.role("DROPBOX", "user"), [OrgType.DISTRICT])
    admin = console_client(world.security)
    changelist = reverse("admin:directory_accessgrant_changelist")
    everything = admin.get(changelist)
    assert shows(html.unescape(everything.content.decode()), "No (in force, gives no access)")
    assert {g.pk for g in everything.context["cl"].result_list} >= {at_school.pk, at_district.pk}
    misfits = admin.get(changelist, {"fits_kinds": "no"})
    assert misfits.status_code == 200
    assert [g.pk for g in misfits.context["cl"].result_list] == [at_school.pk]
    at_school.refresh_from_db()
    assert at_school.revoked_at is None


MISFIT = "Gives no access: this role is not granted at this kind of organization."


def test_the_consoles_say_a_grant_that_no_longer_fits_gives_no_access(world: World) -> None:
    """review9 L2: a kind ticked on a role after it was granted leaves the grant in force and
    giving no access. The staff entry's page, the end-entry page and customer service's profile
    page list it, saying it gives no access (in Spanish on a Spanish page); a grant that fits
    reads as before."""
    (school_entry,), profile = teacher(world.school_a1)
    for app, code in (("DROPBOX", "user"), ("MDCS", "submitter")):
        directory.do_grant_access(
            profile=profile, role=world.role(app, code), organization=world.school_a1, staff_entry=school_entry,
            ctx=CTX,
        )  # fmt: skip
    with_kinds(world.role("DROPBOX", "user"), [OrgType.DISTRICT])
    end_url = reverse("backoffice:org_end", kwargs={"code": world.school_a1.code, "entry": school_entry.pk})
    profile_url = reverse("backoffice:service_profile", kwargs={"profile": profile.pk})
    for client, url in (
        (console_client(world.da_school_a1), entry_url(school_entry)),
        (console_client(world.da_school_a1), end_url),
        (console_client(world.service), profile_url),
    ):
        page = client.get(url)
        assert page.status_code == 200
        found = re.finditer(r"<(tr|li)\b.*?</\1>", page.content.decode(), re.S)
        rows = [text_of(row[0]) for row in found if "Dropbox" in row[0] or "MDCS" in row[0]]
        assert [row for row in rows if MISFIT in row] == [row for row in rows if "Dropbox" in row] != [], url
        assert any("MDCS" in row for row in rows), url
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
        spanish = text_of(client.get(url).content.decode())
        with translation.override("es"):
            assert translation.gettext(MISFIT) != MISFIT and translation.gettext(MISFIT) in spanish
