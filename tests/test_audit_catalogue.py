"""Every action writes the audit event it declares, and every event type is asserted by some test.

The walk finds each `do_*` function of every `edgate.*.actions` module (and `do_open_case`) by
introspection; a new action without a recipe here fails the run, as does an event type that no
test names.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

import edgate
from edgate.accounts import actions as accounts
from edgate.accounts import hints
from edgate.accounts.models import CodePurpose, Status
from edgate.audit.events import declared_events
from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice import actions as backoffice
from edgate.core.context import Ctx
from edgate.directory import actions as directory
from edgate.directory.models import Application, AppRole, Organization, OrgType
from edgate.identity.records import Identity
from edgate.matching import actions as matching
from edgate.matching import service as matching_service
from edgate.mfa import actions as mfa
from edgate.people import actions as people
from edgate.sso import actions as sso
from edgate.sso import families
from edgate.sso.models import TokenFamily
from tests import oidc
from tests.factories import CTX, HINT_QUESTION, new_ssn, on_file, precreated, someone, with_profile
from tests.pii import register_secret
from tests.second_factor import current_code

NEW_PASSWORD = register_secret("lantern meadow copper orchard")
NEW_ANSWER = register_secret("Wrenfield Avenue")


def action_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(edgate.__path__):
        try:
            modules.append(importlib.import_module(f"edgate.{info.name}.actions"))
        except ModuleNotFoundError:
            continue
    return modules


def all_actions() -> dict[str, Callable[..., object]]:
    found = {"matching.do_open_case": matching_service.do_open_case}
    for module in action_modules():
        app = module.__name__.split(".")[1]
        for name, value in vars(module).items():
            if name.startswith("do_") and inspect.isfunction(value) and value.__module__ == module.__name__:
                found[f"{app}.{name}"] = value
    return found


# --- what each recipe sets up (with the tests' CTX) before the walker acts ---------------------


def district(code: str = "01230000") -> Organization:
    org, _ = Organization.objects.get_or_create(
        code=code, defaults={"name": "Northfield", "org_type": OrgType.DISTRICT}
    )
    return org


def role() -> AppRole:
    app = Application.objects.create(code="MDCS", name="MDCS")
    return AppRole.objects.create(application=app, code="submitter", name="Submitter")


def partial_match():  # type: ignore[no-untyped-def]
    record = someone("Riley", "Haddad")
    person = on_file(record)
    query = Identity(
        first_name=record.first_name,
        last_name=record.last_name,
        date_of_birth=record.date_of_birth.replace(year=record.date_of_birth.year - 5),
        ssn=record.ssn,
    )
    return person, query, matching_service.match(query)


def open_case():  # type: ignore[no-untyped-def]
    person, query, decision = partial_match()
    return matching_service.do_open_case(person=person, query=query, decision=decision, source="t", ctx=CTX)


def close_case_whose_person_has_a_profile(ctx: Ctx) -> None:
    case = open_case()
    with_profile(case.person)  # set up after the case was opened (backoffice.case_profile)
    backoffice.do_close_case_has_profile(case=case, ctx=ctx)


def change_password_both_ways(ctx: Ctx) -> None:
    profile = with_profile(on_file(someone()))
    accounts.do_change_password(profile=profile, new_password=NEW_PASSWORD, ctx=ctx)
    accounts.do_change_password(profile=profile, new_password=NEW_PASSWORD, ctx=ctx, via_recovery=True)


def end_staff_entry(ctx: Ctx) -> None:
    entry = directory.do_add_staff(
        person=on_file(someone()), organization=district(), role_title="T", ctx=CTX
    )
    directory.do_end_staff_entry(entry=entry, ctx=ctx)


def staff_with_profile():  # type: ignore[no-untyped-def]
    """A Profile whose person is on the district's staff (a grant needs the entry)."""
    person = on_file(someone())
    directory.do_add_staff(person=person, organization=district(), role_title="Teacher", ctx=CTX)
    return with_profile(person)


def revoke_access(ctx: Ctx) -> None:
    grant = directory.do_grant_access(
        profile=staff_with_profile(), role=role(), organization=district(), ctx=CTX
    )
    directory.do_revoke_access(grant=grant, ctx=ctx)


def remove_admin(ctx: Ctx) -> None:
    row = directory.do_appoint_admin(
        profile=with_profile(on_file(someone())), organization=district(), ctx=CTX
    )
    directory.do_remove_admin(appointment=row, ctx=ctx)


def issue_and_redeem_code(ctx: Ctx) -> None:
    profile = with_profile(on_file(someone()))
    code, _row = accounts.do_issue_activation_code(profile=profile, purpose=CodePurpose.RECOVERY, ctx=ctx)
    register_secret(code)
    accounts.do_redeem_activation_code(profile=profile, purpose=CodePurpose.RECOVERY, typed="0000", ctx=ctx)
    accounts.do_redeem_activation_code(profile=profile, purpose=CodePurpose.RECOVERY, typed=code, ctx=ctx)


def enrol_and_verify(ctx: Ctx) -> None:
    """Enrol, then a recovery code, a wrong code until the limit alerts, and a right code."""
    profile = with_profile(on_file(someone()))
    secret = mfa.new_secret()
    device = TOTPDevice(key=secret)
    enrolment_code, _row = accounts.do_issue_activation_code(
        profile=profile, purpose=CodePurpose.ENROL, ctx=CTX
    )
    register_secret(enrolment_code)
    refused = mfa.do_enrol_totp(
        profile=profile, secret=secret, code=current_code(device), enrolment_code="0", ctx=ctx
    )
    assert refused == mfa.EnrolmentRefused.ENROLMENT_CODE
    enrolment = mfa.do_enrol_totp(
        profile=profile, secret=secret, code=current_code(device), enrolment_code=enrolment_code, ctx=ctx
    )
    assert isinstance(enrolment, mfa.Enrolment)
    mfa.do_verify_second_factor(profile=profile, code=enrolment.recovery_codes[0], ctx=ctx)
    for _ in range(6):
        mfa.do_verify_second_factor(profile=profile, code="000000", ctx=ctx)
    other = with_profile(on_file(someone()))
    code = current_code(mfa.do_provision_totp(profile=other, ctx=ctx))
    mfa.do_verify_second_factor(profile=other, code=code, ctx=ctx)


def register_client(ctx: Ctx) -> sso.Registration:
    app = Application.objects.create(code="DROPBOX", name="Dropbox")
    sso.do_rotate_signing_key(ctx=CTX, pem=oidc.signing_pem())
    return sso.do_register_client(
        name="Dropbox", application=app, redirect_uris=["https://dropbox.example.test/cb"], ctx=ctx
    )


def remove_client(ctx: Ctx) -> None:
    sso.do_remove_client(client=register_client(CTX).client, ctx=ctx)


def end_reused_code(ctx: Ctx) -> None:
    """A family begun by a code exchange (its row, as the token endpoint writes it), then the
    same code presented again."""
    client = register_client(CTX).client
    TokenFamily.objects.create(
        family=uuid.uuid4(),
        client=client,
        profile=with_profile(on_file(someone())),
        code_digest=families.code_digest("a-code-exchanged-before"),
        authorized_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
    )
    assert sso.do_end_reused_code(client=client, code="a-code-exchanged-before", ctx=ctx) == 0


def disconnect_client(ctx: Ctx) -> None:
    client = register_client(CTX).client
    sso.do_disconnect_client(profile=with_profile(on_file(someone())), client=client, ctx=ctx)


def set_client_scopes(ctx: Ctx) -> None:
    sso.do_set_client_scopes(client=register_client(CTX).client, scopes=["email"], ctx=ctx)


def give_consent(ctx: Ctx) -> None:
    client = register_client(CTX).client
    sso.do_give_consent(profile=with_profile(on_file(someone())), client=client, scopes=["openid"], ctx=ctx)


def rotate_and_retire_key(ctx: Ctx) -> None:
    first = sso.do_rotate_signing_key(ctx=ctx, pem=oidc.signing_pem(0))
    sso.do_rotate_signing_key(ctx=ctx, pem=oidc.signing_pem(1))
    sso.do_retire_signing_key(key=first, ctx=ctx)


def unlock_profile(ctx: Ctx) -> None:
    profile = with_profile(on_file(someone()))
    accounts.do_set_status(profile=profile, status=Status.LOCKED, reason="test", ctx=CTX)
    backoffice.do_unlock_profile(profile=profile, reason="Called, identity checked", ctx=ctx)


def merge_two(ctx: Ctx):  # type: ignore[no-untyped-def]
    survivor = with_profile(on_file(someone("Ash", "Merger")))
    duplicate = on_file(someone("Ash", "Merger"))
    type(duplicate).objects.filter(pk=duplicate.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    with_profile(duplicate)
    directory.do_add_staff(person=duplicate, organization=district(), role_title="T", ctx=CTX)
    return backoffice.do_merge_persons(
        survivor=survivor.person,
        duplicate=duplicate,
        reason="Same person",
        allow_privileged=False,
        state_ids_checked=True,
        ctx=ctx,
    )


def merge_and_unmerge(ctx: Ctx) -> None:
    merge = merge_two(CTX)
    backoffice.do_unmerge_persons(
        merge=merge, reason="Not the same person after all", allow_privileged=False, ctx=ctx
    )


def reset_second_factor(ctx: Ctx) -> None:
    profile = with_profile(on_file(someone()))
    mfa.do_provision_totp(profile=profile, ctx=CTX)
    register_secret(mfa.do_reset_second_factor(profile=profile, reason="Lost phone", ctx=ctx))


def open_case_twice_as_walker(ctx: Ctx) -> None:
    person, query, decision = partial_match()
    for _ in range(2):
        matching_service.do_open_case(person=person, query=query, decision=decision, source="t", ctx=ctx)


RECIPES: dict[str, tuple[set[EventType], Callable[[Ctx], object]]] = {
    "accounts.do_lift_sign_in_lock": (
        {EventType.SIGN_IN_LOCK_LIFTED},
        lambda ctx: accounts.do_lift_sign_in_lock(profile=with_profile(on_file(someone())), ctx=ctx),
    ),
    "accounts.do_issue_activation_code": ({EventType.ACTIVATION_CODE_ISSUED}, issue_and_redeem_code),
    "accounts.do_redeem_activation_code": (
        {EventType.ACTIVATION_CODE_REDEEMED, EventType.ACTIVATION_CODE_FAILED},
        issue_and_redeem_code,
    ),
    "accounts.do_create_profile": (
        {EventType.PROFILE_CREATED},
        lambda ctx: accounts.do_create_profile(
            person=on_file(someone()),
            password_hash=accounts.hash_password(NEW_PASSWORD),
            hint_question=HINT_QUESTION,
            hint_answer_hash=hints.hash_answer(NEW_ANSWER),
            ctx=ctx,
        ),
    ),
    "accounts.do_precreate_profile": (
        {EventType.PROFILE_PRECREATED},
        lambda ctx: accounts.do_precreate_profile(person=on_file(someone()), ctx=ctx),
    ),
    "accounts.do_complete_setup": (
        {EventType.PROFILE_SETUP_COMPLETED},
        lambda ctx: accounts.do_complete_setup(
            profile=precreated(on_file(someone())),
            password_hash=accounts.hash_password(NEW_PASSWORD),
            hint_question=HINT_QUESTION,
            hint_answer_hash=hints.hash_answer(NEW_ANSWER),
            ctx=ctx,
        ),
    ),
    "accounts.do_change_password": (
        {EventType.PASSWORD_CHANGED, EventType.PASSWORD_RESET},
        change_password_both_ways,
    ),
    "accounts.do_change_hint": (
        {EventType.HINT_CHANGED},
        lambda ctx: accounts.do_change_hint(
            profile=with_profile(on_file(someone())), question="Q?", answer=NEW_ANSWER, ctx=ctx
        ),
    ),
    "accounts.do_update_contact": (
        {EventType.CONTACT_UPDATED},
        lambda ctx: accounts.do_update_contact(
            profile=with_profile(on_file(someone())), contact={"city": "Lakeview"}, ctx=ctx
        ),
    ),
    "accounts.do_set_status": (
        {EventType.PROFILE_STATUS_CHANGED},
        lambda ctx: accounts.do_set_status(
            profile=with_profile(on_file(someone())), status="disabled", reason="test", ctx=ctx
        ),
    ),
    "accounts.do_set_privileges": (
        {EventType.PRIVILEGES_CHANGED},
        lambda ctx: accounts.do_set_privileges(
            profile=with_profile(on_file(someone())), is_staff=True, is_superuser=False, groups=[], ctx=ctx
        ),
    ),
    "accounts.do_save_group": (
        {EventType.GROUP_SAVED},
        lambda ctx: accounts.do_save_group(
            name="Walkers", permissions=Permission.objects.filter(codename="view_profile"), ctx=ctx
        ),
    ),
    "people.do_create_person": (
        {EventType.PERSON_CREATED},
        lambda ctx: people.do_create_person(
            data=people.PersonData(first_name="Ash", last_name="Walker", ssn=new_ssn()),
            source="t",
            ctx=ctx,
        ),
    ),
    "people.do_update_person": (
        {EventType.PERSON_UPDATED},
        lambda ctx: people.do_update_person(
            person=on_file(someone()), changes={"city": "Riverside"}, source="t", ctx=ctx
        ),
    ),
    "people.do_add_ssn": (
        {EventType.PERSON_SSN_ADDED},
        lambda ctx: people.do_add_ssn(
            person=people.do_create_person(
                data=people.PersonData(first_name="Ash", last_name="Walker"), source="t", ctx=CTX
            ),
            ssn=(ssn := new_ssn()),
            typed_again=ssn,
            source="t",
            ctx=ctx,
        ),
    ),
    "directory.do_add_staff": (
        {EventType.STAFF_ADDED},
        lambda ctx: directory.do_add_staff(
            person=on_file(someone()), organization=district(), role_title="Teacher", ctx=ctx
        ),
    ),
    "directory.do_update_staff_entry": (
        {EventType.STAFF_UPDATED},
        lambda ctx: directory.do_update_staff_entry(
            entry=directory.do_add_staff(
                person=on_file(someone()), organization=district(), role_title="Teacher", ctx=CTX
            ),
            role_title="Counselor",
            started_on=None,
            ctx=ctx,
        ),
    ),
    "directory.do_end_staff_entry": ({EventType.STAFF_ENDED}, end_staff_entry),
    "directory.do_grant_access": (
        {EventType.ACCESS_GRANTED},
        lambda ctx: directory.do_grant_access(
            profile=staff_with_profile(), role=role(), organization=district(), ctx=ctx
        ),
    ),
    "directory.do_revoke_access": ({EventType.ACCESS_REVOKED}, revoke_access),
    "directory.do_appoint_admin": (
        {EventType.ADMIN_APPOINTED},
        lambda ctx: directory.do_appoint_admin(
            profile=with_profile(on_file(someone())), organization=district(), ctx=ctx
        ),
    ),
    "directory.do_remove_admin": ({EventType.ADMIN_REMOVED}, remove_admin),
    "directory.do_save_organization": (
        {EventType.ORGANIZATION_SAVED},
        lambda ctx: directory.do_save_organization(
            code="04560000", name="Riverside", org_type=OrgType.DISTRICT, ctx=ctx
        ),
    ),
    "directory.do_save_application": (
        {EventType.APPLICATION_SAVED},
        lambda ctx: directory.do_save_application(code="ELAR", name="ELAR", ctx=ctx),
    ),
    "directory.do_save_app_role": (
        {EventType.APP_ROLE_SAVED},
        lambda ctx: directory.do_save_app_role(
            application=Application.objects.create(code="DROPBOX", name="Dropbox"),
            code="user",
            name="User",
            ctx=ctx,
        ),
    ),
    "mfa.do_enrol_totp": (
        {EventType.OTP_ENROLLED, EventType.ACTIVATION_CODE_REDEEMED, EventType.ACTIVATION_CODE_FAILED},
        enrol_and_verify,
    ),
    "mfa.do_provision_totp": ({EventType.OTP_ENROLLED}, enrol_and_verify),
    "mfa.do_verify_second_factor": (
        {
            EventType.OTP_PASSED,
            EventType.OTP_FAILED,
            EventType.OTP_RECOVERY_CODE_USED,
            EventType.THROTTLE_ALERT,
        },
        enrol_and_verify,
    ),
    "mfa.do_reset_second_factor": (
        {EventType.OTP_RESET, EventType.ACTIVATION_CODE_ISSUED},
        reset_second_factor,
    ),
    "backoffice.do_unlock_profile": (
        {EventType.PROFILE_STATUS_CHANGED, EventType.SIGN_IN_LOCK_LIFTED},
        unlock_profile,
    ),
    "backoffice.do_merge_persons": ({EventType.PERSONS_MERGED, EventType.PROFILE_STATUS_CHANGED}, merge_two),
    "backoffice.do_unmerge_persons": (
        {EventType.PERSONS_UNMERGED, EventType.PROFILE_STATUS_CHANGED},
        merge_and_unmerge,
    ),
    "backoffice.do_close_case_has_profile": (
        {EventType.MATCH_CASE_CLOSED_HAS_PROFILE},
        close_case_whose_person_has_a_profile,
    ),
    "matching.do_open_case": (
        {EventType.MATCH_CASE_OPENED, EventType.MATCH_CASE_REPEATED},
        open_case_twice_as_walker,
    ),
    "sso.do_register_client": ({EventType.SSO_CLIENT_REGISTERED}, register_client),
    "sso.do_remove_client": ({EventType.SSO_CLIENT_REMOVED}, remove_client),
    "sso.do_rotate_signing_key": ({EventType.SSO_KEY_ROTATED}, rotate_and_retire_key),
    "sso.do_end_reused_code": ({EventType.SSO_CODE_REUSED}, end_reused_code),
    "sso.do_disconnect_client": ({EventType.SSO_CONSENT_WITHDRAWN}, disconnect_client),
    "sso.do_give_consent": ({EventType.SSO_CONSENT_GIVEN}, give_consent),
    "sso.do_set_client_scopes": ({EventType.SSO_CLIENT_SCOPES_CHANGED}, set_client_scopes),
    "sso.do_retire_signing_key": ({EventType.SSO_KEY_RETIRED}, rotate_and_retire_key),
    "matching.do_set_case_status": (
        {EventType.MATCH_CASE_STATUS_CHANGED},
        lambda ctx: matching.do_set_case_status(case=open_case(), status="resolved", ctx=ctx),
    ),
    "matching.do_route_case": (
        {EventType.MATCH_CASE_ROUTED},
        lambda ctx: matching.do_route_case(case=open_case(), organizations=[district()], ctx=ctx),
    ),
    "matching.do_resolve_case": (
        {EventType.MATCH_CASE_RESOLVED, EventType.PERSON_UPDATED},
        lambda ctx: matching.do_resolve_case(
            case=open_case(),
            outcome="same_person",
            note="record corrected",
            corrections={"first_name": "Rylee"},
            ctx=ctx,
        ),
    ),
    "matching.do_escalate_case": (
        {EventType.MATCH_CASE_ESCALATED},
        lambda ctx: matching.do_escalate_case(case=open_case(), note="cannot tell", ctx=ctx),
    ),
}


def test_every_action_has_a_recipe() -> None:
    found = all_actions()
    assert len(found) > 20  # the modules were really found
    assert sorted(set(found) - set(RECIPES)) == [], "new actions: add a recipe to RECIPES"
    assert sorted(set(RECIPES) - set(found)) == [], "recipes for actions that are gone"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_each_action_writes_the_event_it_declares(name: str) -> None:
    expected, recipe = RECIPES[name]
    assert declared_events(all_actions()[name]) == expected
    walker = with_profile(on_file(someone("Wren", "Walker")))
    ctx = Ctx(client_ip="203.0.113.77", actor_id=walker.pk, actor_label="walker")
    recipe(ctx)
    written = AuditEvent.objects.filter(actor_label=ctx.actor_label)
    assert expected <= set(written.values_list("event_type", flat=True))
    for event in written:
        assert (event.actor_id, event.client_ip) == (ctx.actor_id, ctx.client_ip)


# --- every event type is asserted somewhere ----------------------------------------------------


def test_every_event_type_is_asserted_by_some_test() -> None:
    here = Path(__file__)
    sources = "\n".join(
        path.read_text(encoding="utf-8") for path in here.parent.rglob("*.py") if path != here
    )
    unasserted = [
        member.name
        for member in EventType
        if not re.search(rf"EventType\.{member.name}\b", sources) and f'"{member.value}"' not in sources
    ]
    assert unasserted == [], "event types no test asserts (add a behaviour test)"
