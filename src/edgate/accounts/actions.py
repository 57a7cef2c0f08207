"""Every write to a Profile: one function each, one transaction, one audit event."""

from __future__ import annotations

import string
from collections.abc import Iterable

from django.contrib.auth.hashers import (
    UNUSABLE_PASSWORD_PREFIX,
    UNUSABLE_PASSWORD_SUFFIX_LENGTH,
    make_password,
)
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from edgate.audit.events import PendingEvent, audited, changes
from edgate.audit.models import EventType, Outcome
from edgate.audit.record import record_event
from edgate.core import throttle
from edgate.core.context import Ctx
from edgate.core.crypto import random_string
from edgate.people.models import Person

from . import codes, hints, signals, usernames
from .models import ActivationCode, CodePurpose, Profile, Status


def _allocate_and_save(profile: Profile, person: Person) -> Profile:
    base = usernames.scheme()(person.first_name, person.last_name)
    for _attempt in range(20):
        usernames.lock_base(base)
        existing = list(
            Profile.objects.annotate(lowered=Lower("username"))
            .filter(lowered__startswith=base)  # served by the varchar_pattern_ops index (0003)
            .values_list("username", flat=True)
        )
        profile.username = usernames.next_free(base, usernames.taken_for(base, existing))
        try:
            with transaction.atomic():
                profile.save()
            return profile
        except IntegrityError:
            # Another node took the name between our read and our insert (no advisory
            # lock on SQLite); or the person already has a profile, which re-raises below.
            if Profile.objects.filter(person=person).exists():
                raise
            profile.pk = None
            profile._saved_username = None
    raise IntegrityError(f"could not allocate a User Name for base {base!r}")


_UNUSABLE_ALPHABET = string.ascii_letters + string.digits  # get_random_string's


def unusable_password() -> str:
    """What Django's `set_unusable_password()` stores — "!" and 40 random letters and digits,
    never a valid hash — drawn from one read of the system's random source. Django reads it
    once per character (`get_random_string`), and each read is a system call: 40 of them for
    each of a million pre-created Profiles was the largest single cost of a bulk import."""
    return UNUSABLE_PASSWORD_PREFIX + random_string(UNUSABLE_PASSWORD_SUFFIX_LENGTH, _UNUSABLE_ALPHABET)


def build_precreated_profile(*, person: Person, username: str = "", is_staff: bool = False) -> Profile:
    """An unsaved Profile awaiting setup: no password anyone knows, no hint yet (bulk loaders
    give it a User Name from `usernames.NameBook`; `do_precreate_profile` allocates one)."""
    return Profile(
        person=person,
        username=username,
        status=Status.AWAITING_SETUP,
        is_staff=is_staff,
        password=unusable_password(),
    )


def profile_precreated_event(profile: Profile, *, ctx: Ctx) -> PendingEvent:
    return PendingEvent(EventType.PROFILE_PRECREATED, ctx=ctx, target=profile)


@audited(EventType.PROFILE_CREATED)
@transaction.atomic
def do_create_profile(
    *, person: Person, password_hash: str, hint_question: str, hint_answer_hash: str, ctx: Ctx
) -> Profile:
    """A new, active Profile whose password and hint answer were hashed by the caller's form."""
    profile = Profile(
        person=person,
        status=Status.ACTIVE,
        password=password_hash,
        hint_question=hint_question,
        hint_answer_hash=hint_answer_hash,
        activated_at=timezone.now(),
    )
    _allocate_and_save(profile, person)
    record_event(EventType.PROFILE_CREATED, ctx=ctx, target=profile)
    return profile


@audited(EventType.PROFILE_PRECREATED)
@transaction.atomic
def do_precreate_profile(*, person: Person, ctx: Ctx, is_staff: bool = False) -> Profile:
    profile = build_precreated_profile(person=person, is_staff=is_staff)
    _allocate_and_save(profile, person)
    profile_precreated_event(profile, ctx=ctx).record()
    return profile


@audited(EventType.PROFILE_SETUP_COMPLETED)
@transaction.atomic
def do_complete_setup(
    *, profile: Profile, password_hash: str, hint_question: str, hint_answer_hash: str, ctx: Ctx
) -> Profile:
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if profile.status != Status.AWAITING_SETUP:
        return profile  # a double submit: the first one did the work
    profile.password = password_hash
    profile.hint_question = hint_question
    profile.hint_answer_hash = hint_answer_hash
    profile.status = Status.ACTIVE
    profile.activated_at = timezone.now()
    profile.save(update_fields=["password", "hint_question", "hint_answer_hash", "status", "activated_at"])
    # A set-up code not used for this is of no further use: withdraw it.
    ActivationCode.objects.filter(
        profile=profile, purpose=CodePurpose.SETUP, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=profile.activated_at)
    record_event(EventType.PROFILE_SETUP_COMPLETED, ctx=ctx, target=profile)
    return profile


@audited(EventType.PASSWORD_CHANGED, EventType.PASSWORD_RESET)
@transaction.atomic
@sensitive_variables()
def do_change_password(
    *, profile: Profile, new_password: str, ctx: Ctx, via_recovery: bool = False
) -> Profile:
    """Changing the hash also ends every other session: Django checks the session's
    password-hash fingerprint on each request. The view re-signs the current session. The
    Profile's tokens at every single sign-on client end too (`signals.password_changed`; the
    number ended is in the event as `tokens_ended` when there were any)."""
    profile.set_password(new_password)
    profile.save(update_fields=["password"])
    answers = signals.password_changed.send(sender=Profile, profile=profile)
    ended = sum(answer for _receiver, answer in answers if isinstance(answer, int))
    event = EventType.PASSWORD_RESET if via_recovery else EventType.PASSWORD_CHANGED
    record_event(event, ctx=ctx, target=profile, detail={"tokens_ended": ended} if ended else None)
    return profile


@audited(EventType.HINT_CHANGED)
@transaction.atomic
@sensitive_variables()
def do_change_hint(*, profile: Profile, question: str, answer: str, ctx: Ctx) -> Profile:
    profile.hint_question = question
    profile.hint_answer_hash = hints.hash_answer(answer)
    profile.save(update_fields=["hint_question", "hint_answer_hash"])
    record_event(EventType.HINT_CHANGED, ctx=ctx, target=profile)
    return profile


CONTACT_FIELDS = ("street", "city", "state", "postcode", "email", "phone")


@audited(EventType.CONTACT_UPDATED)
@transaction.atomic
def do_update_contact(*, profile: Profile, contact: dict[str, str], ctx: Ctx) -> Person:
    person = Person.objects.select_for_update().get(pk=profile.person_id)
    changed = [name for name in CONTACT_FIELDS if getattr(person, name) != contact.get(name, "")]
    for name in changed:
        setattr(person, name, contact.get(name, ""))
    if changed:
        person.save(update_fields=changed)
        record_event(EventType.CONTACT_UPDATED, ctx=ctx, target=profile, detail={"fields": changed})
    return person


class StatusChangeRefused(ValueError):
    pass


def status_change_problem(profile: Profile, status: str) -> str | None:
    """Why `profile` cannot take `status` (None when it can).

    A Profile that was ever activated never goes back to awaiting setup: whoever matched its
    identity on the registration page could then choose its password. One that was never set up
    cannot be made active: it has no password and no hint; unlocking it returns it to setup.
    """
    if status not in Status.values:
        return _("Unknown status.")
    if status == Status.AWAITING_SETUP and profile.activated_at is not None:
        return _("This Profile has been set up; it cannot go back to awaiting setup.")
    if status == Status.ACTIVE and profile.activated_at is None:
        return _("This Profile was never set up; choose “Awaiting setup” to let its owner finish it.")
    return None


@audited(EventType.PROFILE_STATUS_CHANGED)
@transaction.atomic
def do_set_status(*, profile: Profile, status: str, reason: str, ctx: Ctx) -> Profile:
    """Lock, unlock, disable or re-enable. A Profile that is not active cannot sign in, and its
    open sessions end: leaving the active state raises its session epoch, so a session made
    before fails Django's auth-hash check (and is flushed, its second factor's verification
    with it) at its first request once the Profile is active again. Refusing the inactive user
    alone only suspended them: Django answers AnonymousUser without flushing, and an enable,
    an unlock or an undone merge brought them back signed in. Its tokens at every single
    sign-on client end too (`signals.sessions_ended`; `tokens_ended` in the event)."""
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    if profile.status == status:
        return profile
    if problem := status_change_problem(profile, status):
        raise StatusChangeRefused(problem)
    before = {"status": profile.status}
    profile.status = status
    fields = ["status"]
    ended = 0
    if status != Status.ACTIVE:
        profile.session_epoch += 1
        fields.append("session_epoch")
    profile.save(update_fields=fields)
    if status != Status.ACTIVE:
        answers = signals.sessions_ended.send(sender=Profile, profile=profile)
        ended = sum(answer for _receiver, answer in answers if isinstance(answer, int))
    detail = changes(before, {"status": status}) | {"reason": reason}
    detail |= {"tokens_ended": ended} if ended else {}
    record_event(EventType.PROFILE_STATUS_CHANGED, ctx=ctx, target=profile, detail=detail)
    return profile


def _privileges(profile: Profile) -> dict[str, object]:
    return {
        "is_staff": profile.is_staff,
        "is_superuser": profile.is_superuser,
        "groups": sorted(profile.groups.values_list("name", flat=True)),
    }


@audited(EventType.PRIVILEGES_CHANGED)
@transaction.atomic
def do_set_privileges(
    *, profile: Profile, is_staff: bool, is_superuser: bool, groups: Iterable[Group], ctx: Ctx
) -> Profile:
    """Admin site access, every permission, and permission groups: old and new values recorded."""
    profile = Profile.objects.select_for_update().get(pk=profile.pk)
    new_groups = list(set(groups))
    before = _privileges(profile)
    after = {"is_staff": is_staff, "is_superuser": is_superuser, "groups": sorted(g.name for g in new_groups)}
    if before == after:
        return profile
    profile.is_staff, profile.is_superuser = is_staff, is_superuser
    profile.save(update_fields=["is_staff", "is_superuser"])
    profile.groups.set(new_groups)
    record_event(EventType.PRIVILEGES_CHANGED, ctx=ctx, target=profile, detail=changes(before, after))
    return profile


def _permission_names(permissions: Iterable[Permission]) -> list[str]:
    return sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions)


@audited(EventType.GROUP_SAVED)
@transaction.atomic
def do_save_group(
    *, name: str, permissions: Iterable[Permission], ctx: Ctx, group: Group | None = None
) -> Group:
    """Create or change a permission group: every member's privileges change with it."""
    current = Group.objects.select_for_update().get(pk=group.pk) if group and group.pk else Group()
    new_permissions = list(set(permissions))
    before = (
        {"name": current.name, "permissions": _permission_names(current.permissions.all())}
        if current.pk
        else {}
    )
    after = {"name": name, "permissions": _permission_names(new_permissions)}
    if before == after:
        return current
    created = current.pk is None
    current.name = name
    current.save()
    current.permissions.set(new_permissions)
    detail = {"created": created} | changes(before, after)
    record_event(EventType.GROUP_SAVED, ctx=ctx, target=current, detail=detail)
    return current


@sensitive_variables()
def hash_password(password: str) -> str:
    return make_password(password)


@sensitive_variables()
@audited(EventType.ACTIVATION_CODE_ISSUED)
@transaction.atomic
def do_issue_activation_code(
    *, profile: Profile, purpose: CodePurpose, ctx: Ctx, organization: str = "", reason: str = ""
) -> tuple[str, ActivationCode]:
    """A new code for the Profile; any earlier unused code for the same purpose is withdrawn.
    Returns the code itself, which is shown once and never stored. `organization`: the code of
    the organization a Directory Administrator issued it for (its audit view shows the event)."""
    now = timezone.now()
    ActivationCode.objects.filter(
        profile=profile, purpose=purpose, used_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    code = codes.new_code()
    row = ActivationCode.objects.create(
        profile=profile,
        purpose=purpose,
        code_hash=codes.code_hash(code),
        expires_at=now + codes.lifetime(purpose),
        issued_by_id=ctx.actor_id,
    )
    record_event(
        EventType.ACTIVATION_CODE_ISSUED,
        ctx=ctx,
        target=profile,
        detail={"purpose": str(purpose), "expires_at": row.expires_at.isoformat()}
        | ({"organization": organization} if organization else {})
        | ({"reason": reason} if reason else {}),
    )
    return code, row


@sensitive_variables()
@audited(EventType.ACTIVATION_CODE_REDEEMED, EventType.ACTIVATION_CODE_FAILED)
@transaction.atomic
def do_redeem_activation_code(
    *, profile: Profile | None, purpose: CodePurpose, typed: str, ctx: Ctx
) -> ActivationCode | None:
    """Uses the code up if it is the Profile's current, unexpired code for the purpose.
    A wrong, used, withdrawn or expired code (or no Profile) gives None and an audit event."""
    row = None
    if profile is not None:
        row = (
            ActivationCode.objects.select_for_update()
            .filter(
                profile=profile,
                purpose=purpose,
                code_hash=codes.code_hash(typed),
                used_at__isnull=True,
                withdrawn_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
    if row is None:
        record_event(
            EventType.ACTIVATION_CODE_FAILED,
            ctx=ctx,
            target=profile,
            outcome=Outcome.FAILURE,
            detail={"purpose": str(purpose)},
        )
        return None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    record_event(
        EventType.ACTIVATION_CODE_REDEEMED, ctx=ctx, target=profile, detail={"purpose": str(purpose)}
    )
    return row


@audited(EventType.SIGN_IN_LOCK_LIFTED)
def do_lift_sign_in_lock(*, profile: Profile, ctx: Ctx, reason: str = "") -> Profile:
    """Customer service ends a sign-in lock and delay (someone kept an account locked by typing
    wrong passwords for it). The counters live in the throttle store, not in a table: the event
    is the record."""
    key = usernames.canonical(profile.username)
    limit = throttle.named("sign_in_profile")
    was_held = throttle.count(limit, key)
    throttle.clear(limit, key)
    throttle.release(limit, key)
    detail = {"attempts_cleared": int(was_held)} | ({"reason": reason} if reason else {})
    record_event(EventType.SIGN_IN_LOCK_LIFTED, ctx=ctx, target=profile, detail=detail)
    return profile
