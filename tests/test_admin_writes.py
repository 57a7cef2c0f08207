"""The admin site writes only through audited actions: one event per change, by the signed-in admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import reverse

from edgate.accounts import actions
from edgate.accounts.admin import ProfileAdmin
from edgate.accounts.models import Profile, Status
from edgate.audit.events import declared_events
from edgate.audit.models import AuditEvent, EventType
from edgate.core.admin import AuditedAdmin, parameters
from edgate.directory.actions import do_add_staff
from edgate.directory.models import Application, AppRole, OrgAdministrator, Organization, OrgType
from edgate.identity.records import Identity
from edgate.matching import service
from edgate.matching.models import CaseStatus
from edgate.people.models import Person
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile
from tests.second_factor import force_verified_login, pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> Profile:
    profile = with_profile(on_file(someone("Casey", "Service")))
    return actions.do_set_privileges(profile=profile, is_staff=True, is_superuser=True, groups=[], ctx=CTX)


@pytest.fixture
def signed_in(superuser: Profile) -> Client:
    """The admin signs in the way staff do: through the portal's sign-in page."""
    client = Client(REMOTE_ADDR="192.0.2.10")
    response = client.post(
        reverse("accounts:login"), {"username": superuser.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    pass_second_factor(client, superuser)
    return client


def events(event_type: EventType, target: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type, target_id=str(target.pk)).order_by("id"))


def profile_form(profile: Profile, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": profile.status,
        "groups": [g.pk for g in profile.groups.all()],
    }
    for flag in ("is_staff", "is_superuser"):
        if getattr(profile, flag):
            data[flag] = "on"
    return data | changes


def test_admin_profile_changes_are_one_event_each_by_the_admin(signed_in: Client, superuser: Profile) -> None:
    target = with_profile(on_file(someone("Drew", "Castellanos")))
    helpdesk = Group.objects.create(name="Help desk")
    url = reverse("admin:accounts_profile_change", args=[target.pk])
    steps = [
        {"status": Status.LOCKED},
        {"status": Status.ACTIVE},
        {"is_staff": "on"},
        {"is_staff": "on", "groups": [helpdesk.pk]},
    ]
    for change in steps:
        target.refresh_from_db()
        response = signed_in.post(url, profile_form(target, **change))
        assert response.status_code == 302, response.content[:2000]

    status = events(EventType.PROFILE_STATUS_CHANGED, target)
    privileges = events(EventType.PRIVILEGES_CHANGED, target)
    assert [(e.detail["status_old"], e.detail["status_new"]) for e in status] == [
        ("active", "locked"),
        ("locked", "active"),
    ]
    assert [e.detail["fields"] for e in privileges] == [["is_staff"], ["groups"]]
    assert (privileges[0].detail["is_staff_old"], privileges[0].detail["is_staff_new"]) == (False, True)
    assert (privileges[1].detail["groups_old"], privileges[1].detail["groups_new"]) == ([], ["Help desk"])
    for event in status + privileges:
        assert event.actor_id == superuser.pk and event.actor_label == superuser.username
        assert event.client_ip == "192.0.2.10"
    target.refresh_from_db()
    assert target.status == Status.ACTIVE and target.is_staff and list(target.groups.all()) == [helpdesk]


def test_a_locked_profile_cannot_sign_in_and_its_session_ends(signed_in: Client) -> None:
    target = with_profile(on_file(someone("Rowan", "Achterberg")))
    theirs = Client()
    theirs.post(reverse("accounts:login"), {"username": target.username, "password": PASSWORD})
    assert theirs.get(reverse("directory:applications")).status_code == 200
    url = reverse("admin:accounts_profile_change", args=[target.pk])
    assert signed_in.post(url, profile_form(target, status=Status.LOCKED)).status_code == 302
    assert theirs.get(reverse("directory:applications")).status_code == 302  # sent to sign in
    again = Client().post(reverse("accounts:login"), {"username": target.username, "password": PASSWORD})
    assert again.status_code == 200  # refused, reads like a wrong password


def test_an_activated_profile_cannot_be_put_back_to_awaiting_setup(signed_in: Client) -> None:
    """Otherwise whoever matched the identity on the registration page could choose its password."""
    target = with_profile(on_file(someone("Quinn", "Marchetti")))
    url = reverse("admin:accounts_profile_change", args=[target.pk])
    response = signed_in.post(url, profile_form(target, status=Status.AWAITING_SETUP))
    assert response.status_code == 200 and "cannot go back to awaiting setup" in response.content.decode()
    target.refresh_from_db()
    assert target.status == Status.ACTIVE
    assert not events(EventType.PROFILE_STATUS_CHANGED, target)


def test_staff_without_superuser_cannot_raise_privileges() -> None:
    clerk = with_profile(on_file(someone("Jules", "Okonkwo")))
    editors = Group.objects.create(name="Profile editors")
    editors.permissions.set(
        Permission.objects.filter(
            codename__in=["view_profile", "change_profile"], content_type__app_label="accounts"
        )
    )
    actions.do_set_privileges(profile=clerk, is_staff=True, is_superuser=False, groups=[editors], ctx=CTX)
    target = with_profile(on_file(someone("Remy", "Fairbanks")))
    client = Client()
    force_verified_login(client, clerk)
    url = reverse("admin:accounts_profile_change", args=[target.pk])
    assert set(client.get(url).context["adminform"].form.fields) == {"status"}
    client.post(url, {"status": Status.LOCKED, "is_staff": "on", "is_superuser": "on"})
    target.refresh_from_db()
    assert target.status == Status.LOCKED and not target.is_staff and not target.is_superuser
    # Nor change a privileged Profile at all (their own included).
    assert (
        client.post(
            reverse("admin:accounts_profile_change", args=[clerk.pk]), {"status": "locked"}
        ).status_code
        == 403
    )


def test_person_corrections_record_field_names_never_values(signed_in: Client) -> None:
    who = someone("Morgan", "Vasquez")
    person = on_file(who, city="Northfield")
    url = reverse("admin:people_person_change", args=[person.pk])
    data = {
        "first_name": "Morgan",
        "middle_name": "",
        "last_name": "Vasquez-Lind",
        "former_last_name": "",
        "date_of_birth": who.date_of_birth.isoformat(),
        "street": "",
        "city": "Lakeview",
        "state": "",
        "postcode": "",
        "email": "",
        "phone": "",
    }
    assert signed_in.post(url, data).status_code == 302
    (event,) = events(EventType.PERSON_UPDATED, person)
    assert event.detail == {"fields": ["last_name", "city"], "source": "admin"}
    person.refresh_from_db()
    assert person.last_name == "Vasquez-Lind" and person.last_name_key == "vasquezlind"
    assert "Lakeview" not in str(event.detail) and "Vasquez" not in str(event.detail)


def test_resolving_and_rerouting_a_case_in_the_admin_is_audited(
    signed_in: Client, superuser: Profile
) -> None:
    record = someone("Riley", "Haddad")
    person = on_file(record)
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5),
        ssn=record.ssn,
    )
    case = service.do_open_case(
        person=person, query=query, decision=service.match(query), source="test", ctx=CTX
    )
    district = Organization.objects.create(code="04560000", name="Riverside", org_type=OrgType.DISTRICT)
    url = reverse("admin:matching_matchcase_change", args=[case.pk])
    response = signed_in.post(url, {"status": CaseStatus.RESOLVED, "organizations": [district.pk]})
    assert response.status_code == 302, response.content[:2000]
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.resolved_by_id == superuser.pk and case.resolved_at
    (resolved,) = events(EventType.MATCH_CASE_STATUS_CHANGED, case)
    (routed,) = events(EventType.MATCH_CASE_ROUTED, case)
    assert (resolved.detail["status_old"], resolved.detail["status_new"]) == ("open", "resolved")
    assert (routed.detail["organizations_old"], routed.detail["organizations_new"]) == ([], ["04560000"])
    assert resolved.actor_id == routed.actor_id == superuser.pk


def test_directory_administrators_are_appointed_and_removed_through_actions(
    signed_in: Client, superuser: Profile
) -> None:
    district = Organization.objects.create(code="01230000", name="Northfield", org_type=OrgType.DISTRICT)
    dana = with_profile(on_file(someone("Dana", "Adebayo")))
    response = signed_in.post(
        reverse("admin:directory_orgadministrator_add"), {"profile": dana.pk, "organization": district.pk}
    )
    assert response.status_code == 302, response.content[:2000]
    row = OrgAdministrator.objects.get()
    (appointed,) = events(EventType.ADMIN_APPOINTED, dana)
    assert appointed.actor_id == superuser.pk and appointed.detail == {"organization": "01230000"}
    response = signed_in.post(
        reverse("admin:directory_orgadministrator_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not OrgAdministrator.objects.exists()
    (removed,) = events(EventType.ADMIN_REMOVED, dana)
    assert removed.actor_id == superuser.pk and removed.detail == {"organization": "01230000"}


def test_organizations_and_staff_entries_are_changed_through_actions(
    signed_in: Client, superuser: Profile
) -> None:
    response = signed_in.post(
        reverse("admin:directory_organization_add"),
        {
            "code": "01230000",
            "name": "Northfield",
            "org_type": OrgType.DISTRICT,
            "parent": "",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    district = Organization.objects.get()
    (saved,) = events(EventType.ORGANIZATION_SAVED, district)
    assert saved.detail["created"] is True and saved.detail["code_new"] == "01230000"
    # A bad code is refused on the form, saving nothing.
    bad = signed_in.post(
        reverse("admin:directory_organization_change", args=[district.pk]),
        {
            "code": "01239999",
            "name": "Northfield",
            "org_type": OrgType.DISTRICT,
            "parent": "",
            "active": "on",
        },
    )
    assert bad.status_code == 200 and len(events(EventType.ORGANIZATION_SAVED, district)) == 1

    entry = do_add_staff(person=on_file(someone()), organization=district, role_title="Teacher", ctx=CTX)
    response = signed_in.post(
        reverse("admin:directory_staffentry_change", args=[entry.pk]),
        {"person": "999999", "organization": "", "role_title": "Principal", "started_on": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    entry.refresh_from_db()
    assert entry.role_title == "Principal" and entry.organization == district  # person, org read-only
    (updated,) = events(EventType.STAFF_UPDATED, entry)
    assert (updated.detail["role_title_old"], updated.detail["role_title_new"]) == ("Teacher", "Principal")
    assert updated.actor_id == superuser.pk


def test_nothing_is_deleted_outside_an_action(signed_in: Client, superuser: Profile) -> None:
    person, group = on_file(someone()), Group.objects.create(name="Auditors")
    for name, obj in (
        ("admin:people_person_delete", person),
        ("admin:accounts_profile_delete", superuser),
        ("admin:auth_group_delete", group),
    ):
        assert signed_in.post(reverse(name, args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert Person.objects.filter(pk=person.pk).exists() and Group.objects.filter(pk=group.pk).exists()
    assert Profile.objects.filter(pk=superuser.pk).exists()


def test_groups_applications_and_roles_are_configured_through_actions(
    signed_in: Client, superuser: Profile
) -> None:
    change = Permission.objects.get(content_type__app_label="accounts", codename="change_profile")
    view = Permission.objects.get(content_type__app_label="accounts", codename="view_profile")
    response = signed_in.post(
        reverse("admin:auth_group_add"), {"name": "Help desk", "permissions": [change.pk]}
    )
    assert response.status_code == 302, response.content[:2000]
    group = Group.objects.get()
    assert list(group.permissions.all()) == [change]
    # A group's permissions are every member's privileges: old and new values are recorded.
    signed_in.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Help desk", "permissions": [change.pk, view.pk]},
    )
    created, changed = events(EventType.GROUP_SAVED, group)
    assert created.detail["created"] is True and created.detail["permissions_new"] == [
        "accounts.change_profile"
    ]
    assert changed.detail["fields"] == ["permissions"] and changed.detail["permissions_new"] == [
        "accounts.change_profile",
        "accounts.view_profile",
    ]
    assert created.actor_id == changed.actor_id == superuser.pk

    no_inline_rows = {"roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0"}
    response = signed_in.post(
        reverse("admin:directory_application_add"),
        {"code": "MDCS", "name": "MDCS", "description": "", "url": "https://mdcs.example.org/"}
        | no_inline_rows,
    )
    assert response.status_code == 302, response.content[:2000]
    app = Application.objects.get()
    (app_saved,) = events(EventType.APPLICATION_SAVED, app)
    assert (
        app_saved.detail["url_new"] == "https://mdcs.example.org/"
        and app_saved.detail["open_to_all_new"] is False
    )
    response = signed_in.post(
        reverse("admin:directory_approle_add"),
        {"application": app.pk, "code": "approver", "name": "Approver"},
    )
    assert response.status_code == 302, response.content[:2000]
    (role_saved,) = events(EventType.APP_ROLE_SAVED, AppRole.objects.get())
    assert role_saved.detail["created"] is True and role_saved.detail["application_new"] == app.pk
    assert role_saved.actor_id == superuser.pk


# --- every editable field has an action behind it ------------------------------------------


def superuser_request() -> HttpRequest:
    request = RequestFactory().get("/admin/")
    request.user = Profile(is_staff=True, is_superuser=True, status=Status.ACTIVE)
    return request


def inline_can_write(inline: admin.options.InlineModelAdmin, request: HttpRequest) -> bool:  # type: ignore[type-arg]
    return (
        inline.has_add_permission(request, None)
        or inline.has_change_permission(request)
        or inline.has_delete_permission(request)
    )


def write_problems(model_admin: admin.ModelAdmin, request: HttpRequest) -> list[str]:  # type: ignore[type-arg]
    """What this ModelAdmin lets staff write without an audited action saying how."""
    name = type(model_admin).__name__
    can_add = model_admin.has_add_permission(request)
    can_change = model_admin.has_change_permission(request, None)
    can_delete = model_admin.has_delete_permission(request, None)
    problems = [
        f"{name}: inline {inline.__name__} can write"
        for inline in model_admin.inlines
        if inline_can_write(inline(model_admin.model, model_admin.admin_site), request)
    ]
    if not (can_add or can_change or can_delete):
        return problems
    if not isinstance(model_admin, AuditedAdmin):
        return [*problems, f"{name}: writes, but is not an AuditedAdmin"]
    declared = type(model_admin)
    if can_add:
        action = declared.add_action
        fields = set(model_admin.get_form(request, None, change=False).base_fields)
        if action is None or not declared_events(action):
            problems.append(f"{name}: adds without an audited action")
        elif missing := fields - parameters(action):
            problems.append(f"{name}: the add action {action.__name__} does not take {sorted(missing)}")
    if can_change:
        obj = model_admin.model()
        for field in model_admin.get_form(request, obj, change=True).base_fields:
            action = declared.change_actions.get(field)
            if action is None or not declared_events(action):
                problems.append(f"{name}.{field}: editable, but no audited action writes it")
            elif field not in parameters(action) and "changes" not in parameters(action):
                problems.append(f"{name}.{field}: {action.__name__} has no parameter for it")
    if can_delete and not declared_events(declared.delete_action):
        problems.append(f"{name}: deletes without an audited action")
    return problems


def test_every_editable_admin_field_is_written_by_an_audited_action() -> None:
    request = superuser_request()
    problems = [p for model_admin in site._registry.values() for p in write_problems(model_admin, request)]
    assert problems == []
    assert len(site._registry) >= 10  # every admin.py was loaded


def test_the_check_fails_when_an_editable_field_or_a_plain_admin_appears() -> None:
    class LooserProfileAdmin(ProfileAdmin):
        readonly_fields = [f for f in ProfileAdmin.readonly_fields if f != "hint_question"]

    class PlainOrgAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
        pass

    request = superuser_request()
    assert write_problems(LooserProfileAdmin(Profile, site), request) == [
        "LooserProfileAdmin.hint_question: editable, but no audited action writes it"
    ]
    assert write_problems(PlainOrgAdmin(Organization, site), request) == [
        "PlainOrgAdmin: writes, but is not an AuditedAdmin"
    ]
