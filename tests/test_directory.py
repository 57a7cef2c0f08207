from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from edgate.audit.models import AuditEvent, EventType
from edgate.directory import actions
from edgate.directory.models import AccessGrant, Application, AppRole, Organization, OrgType
from tests.factories import CTX, on_file, someone, with_profile
from tests.second_factor import force_verified_login

pytestmark = pytest.mark.django_db


def test_organization_codes_follow_the_district_rule() -> None:
    district = Organization(code="01230000", name="D", org_type=OrgType.DISTRICT)
    district.full_clean()
    district.save()
    Organization(code="01230010", name="S", org_type=OrgType.SCHOOL, parent=district).full_clean()
    with pytest.raises(ValidationError):
        Organization(code="01230001", name="D2", org_type=OrgType.DISTRICT).full_clean()
    with pytest.raises(ValidationError):
        Organization(code="09990010", name="S2", org_type=OrgType.SCHOOL, parent=district).full_clean()
    with pytest.raises(ValidationError):
        Organization(code="1234", name="short", org_type=OrgType.CHARTER).full_clean()


def test_ending_a_staff_entry_revokes_its_grants() -> None:
    district = Organization.objects.create(code="01230000", name="D", org_type=OrgType.DISTRICT)
    app = Application.objects.create(code="MDCS", name="MDCS")
    role = AppRole.objects.create(application=app, code="submitter", name="Submitter")
    person = on_file(someone())
    profile = with_profile(person)
    entry = actions.do_add_staff(person=person, organization=district, role_title="Teacher", ctx=CTX)
    grant = actions.do_grant_access(
        profile=profile, role=role, organization=district, staff_entry=entry, ctx=CTX
    )
    assert (
        actions.do_grant_access(profile=profile, role=role, organization=district, ctx=CTX) == grant
    )  # idempotent
    actions.do_end_staff_entry(entry=entry, ctx=CTX)
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert not AccessGrant.objects.active().filter(profile=profile).exists()
    kinds = list(AuditEvent.objects.order_by("id").values_list("event_type", flat=True))
    assert kinds[-4:] == [
        EventType.STAFF_ADDED,
        EventType.ACCESS_GRANTED,
        EventType.STAFF_ENDED,
        EventType.ACCESS_REVOKED,
    ]


def test_admin_grants_and_revocations_go_through_audited_actions() -> None:
    from django.test import Client

    from edgate.accounts.actions import do_set_privileges

    staff = with_profile(on_file(someone("Casey", "Service")))
    do_set_privileges(profile=staff, is_staff=True, is_superuser=True, groups=[], ctx=CTX)
    client = Client()
    force_verified_login(client, staff)
    district = Organization.objects.create(code="01230000", name="D", org_type=OrgType.DISTRICT)
    role = AppRole.objects.create(
        application=Application.objects.create(code="MDCS", name="MDCS"), code="s", name="S"
    )
    teacher = with_profile(on_file(someone("Dev", "Teacher")))
    form = {"profile": teacher.pk, "role": role.pk, "organization": district.pk, "staff_entry": ""}
    # Not on the district's staff: the admin form refuses it (the rule lives in the action).
    refused = client.post("/admin/directory/accessgrant/add/", form)
    assert refused.status_code == 200 and "not on the staff of D" in refused.content.decode()
    assert not AccessGrant.objects.exists()
    entry = actions.do_add_staff(person=teacher.person, organization=district, role_title="Teacher", ctx=CTX)
    response = client.post("/admin/directory/accessgrant/add/", form)
    assert response.status_code == 302, response.content[:2000]
    grant = AccessGrant.objects.get()
    assert grant.staff_entry == entry
    event = AuditEvent.objects.get(event_type=EventType.ACCESS_GRANTED)
    assert event.actor_id == staff.pk and event.target_id == str(teacher.pk)
    client.post("/admin/directory/accessgrant/", {"action": "revoke", "_selected_action": [grant.pk]})
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by_id == staff.pk
    assert AuditEvent.objects.filter(event_type=EventType.ACCESS_REVOKED, actor_id=staff.pk).count() == 1
