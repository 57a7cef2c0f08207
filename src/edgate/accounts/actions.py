"""Every write to a Profile: one function each, one transaction, one audit event."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.people.models import Person

from . import hints, usernames
from .models import Profile, Status


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


@transaction.atomic
def do_precreate_profile(*, person: Person, ctx: Ctx, is_staff: bool = False) -> Profile:
    """A Profile awaiting setup: no password anyone knows, no hint yet."""
    profile = Profile(person=person, status=Status.AWAITING_SETUP, is_staff=is_staff)
    profile.set_unusable_password()
    _allocate_and_save(profile, person)
    record_event(EventType.PROFILE_PRECREATED, ctx=ctx, target=profile)
    return profile


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
    record_event(EventType.PROFILE_SETUP_COMPLETED, ctx=ctx, target=profile)
    return profile


@transaction.atomic
@sensitive_variables()
def do_change_password(
    *, profile: Profile, new_password: str, ctx: Ctx, via_recovery: bool = False
) -> Profile:
    """Changing the hash also ends every other session: Django checks the session's
    password-hash fingerprint on each request. The view re-signs the current session."""
    profile.set_password(new_password)
    profile.save(update_fields=["password"])
    event = EventType.PASSWORD_RESET if via_recovery else EventType.PASSWORD_CHANGED
    record_event(event, ctx=ctx, target=profile)
    return profile


@transaction.atomic
@sensitive_variables()
def do_change_hint(*, profile: Profile, question: str, answer: str, ctx: Ctx) -> Profile:
    profile.hint_question = question
    profile.hint_answer_hash = hints.hash_answer(answer)
    profile.save(update_fields=["hint_question", "hint_answer_hash"])
    record_event(EventType.HINT_CHANGED, ctx=ctx, target=profile)
    return profile


CONTACT_FIELDS = ("street", "city", "state", "postcode", "email", "phone")


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


@sensitive_variables()
def hash_password(password: str) -> str:
    return make_password(password)
