"""The User Name can never change; the audit log can never be rewritten — by any code path."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import Client, RequestFactory

from edgate.accounts import actions
from edgate.accounts.models import Profile, UsernameImmutableError
from edgate.audit.models import AppendOnlyError, AuditEvent, EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from tests.factories import CTX, on_file, someone, with_profile
from tests.second_factor import force_verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(someone("Blair", "Quintero")))


def test_model_save_refuses_a_new_user_name(profile: Profile) -> None:
    profile.username = "someoneelse"
    with pytest.raises(UsernameImmutableError):
        profile.save()
    fetched = Profile.objects.get(pk=profile.pk)
    fetched.username = "x"
    with pytest.raises(UsernameImmutableError):
        fetched.save(update_fields=["username"])


def test_queryset_update_and_bulk_update_refuse(profile: Profile) -> None:
    with pytest.raises(UsernameImmutableError):
        Profile.objects.filter(pk=profile.pk).update(username="x")
    profile.username = "y"
    with pytest.raises(UsernameImmutableError):
        Profile.objects.bulk_update([profile], ["username"])


def test_raw_sql_is_refused_by_the_database(profile: Profile) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_profile SET username = %s WHERE id = %s", ["x", profile.pk])
    assert Profile.objects.get(pk=profile.pk).username == "bquintero"
    # Updating another column through raw SQL still works.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_profile SET hint_question = %s WHERE id = %s", ["Q?", profile.pk])


def test_user_names_are_unique_without_regard_to_case(profile: Profile) -> None:
    other = on_file(someone("Bo", "QUINTERO"))
    assert actions.do_precreate_profile(person=other, ctx=CTX).username == "bquintero2"


def test_admin_cannot_edit_the_user_name(profile: Profile) -> None:
    model_admin = site._registry[Profile]
    request = RequestFactory().get("/")
    request.user = profile
    assert "username" in model_admin.get_readonly_fields(request, profile)
    form = model_admin.get_form(request, profile)
    assert "username" not in form.base_fields


def test_admin_post_with_a_user_name_or_hint_question_changes_neither(profile: Profile) -> None:
    """Changing the hint question needs the current password, which only the person has: the
    admin shows it read-only, and a forged post of it (or of a User Name) changes nothing."""
    staff = with_profile(on_file(someone("Casey", "Admin")))
    actions.do_set_privileges(profile=staff, is_staff=True, is_superuser=True, groups=[], ctx=CTX)
    client = Client()
    force_verified_login(client, staff)
    url = f"/admin/accounts/profile/{profile.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200  # really signed in to the admin
    assert "hint_question" not in page.context["adminform"].form.fields
    question = profile.hint_question
    response = client.post(url, {"username": "hijacked", "status": "active", "hint_question": "Q changed"})
    assert response.status_code == 302, response.content[:3000]
    profile.refresh_from_db()
    assert profile.username == "bquintero" and profile.hint_question == question
    assert not AuditEvent.objects.filter(
        event_type=EventType.HINT_CHANGED, target_id=str(profile.pk)
    ).exists()


def test_no_form_has_a_user_name_field_except_sign_in_and_recovery() -> None:
    from edgate.accounts import forms as account_forms
    from edgate.recovery import forms as recovery_forms
    from edgate.registration import forms as registration_forms

    allowed = {"SignInForm", "UsernameForm", "CodeForm"}  # each only types a User Name in
    for module in (account_forms, registration_forms, recovery_forms):
        for name in dir(module):
            cls = getattr(module, name)
            if isinstance(cls, type) and hasattr(cls, "base_fields") and name not in allowed:
                assert "username" not in cls.base_fields, name


def test_audit_events_cannot_be_changed_or_deleted() -> None:
    event = record_event(EventType.SIGN_OUT, ctx=Ctx(client_ip="192.0.2.1"))
    event.outcome = "failure"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(outcome="failure")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET outcome = 'failure' WHERE id = %s", [event.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).outcome == "success"


def test_audit_detail_cannot_forge_lines() -> None:
    event = record_event(
        EventType.SIGN_OUT, ctx=Ctx(actor_label="evil\r\nFAKE EVENT"), detail={"note": "a\nb"}
    )
    assert "\n" not in event.actor_label and "\r" not in event.actor_label
    assert event.detail["note"] == "a\ufffdb"
    with pytest.raises(TypeError):
        record_event(EventType.SIGN_OUT, ctx=CTX, detail={"person": object()})


@pytest.mark.parametrize(
    ("action", "event"),
    [
        ("create", EventType.PROFILE_CREATED),
        ("precreate", EventType.PROFILE_PRECREATED),
        ("setup", EventType.PROFILE_SETUP_COMPLETED),
        ("password", EventType.PASSWORD_CHANGED),
        ("hint", EventType.HINT_CHANGED),
        ("contact", EventType.CONTACT_UPDATED),
        ("person", EventType.PERSON_CREATED),
    ],
)
def test_each_account_action_writes_its_audit_event(action: str, event: EventType) -> None:
    person = on_file(someone())
    if action == "create":
        target = with_profile(person)
    elif action == "precreate":
        target = actions.do_precreate_profile(person=person, ctx=CTX)
    elif action == "person":
        target = person
    else:
        profile = (
            actions.do_precreate_profile(person=person, ctx=CTX)
            if action == "setup"
            else with_profile(person)
        )
        if action == "setup":
            actions.do_complete_setup(
                profile=profile,
                password_hash=actions.hash_password("x"),
                hint_question="Q",
                hint_answer_hash="h",
                ctx=CTX,
            )
        elif action == "password":
            actions.do_change_password(profile=profile, new_password="lantern meadow copper", ctx=CTX)
        elif action == "hint":
            actions.do_change_hint(profile=profile, question="Q", answer="A", ctx=CTX)
        else:
            actions.do_update_contact(profile=profile, contact={"city": "Lakeview"}, ctx=CTX)
        target = profile
    assert (
        AuditEvent.objects.filter(event_type=event, target_id=str(target.pk), client_ip=CTX.client_ip).count()
        == 1
    )
