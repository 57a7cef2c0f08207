"""Customer service's own writes: unlocking a Profile, and merging (and unmerging) duplicate
Persons; and closing a match case whose record's person has their Profile (which reads merges,
the back office's own: `case_profile`). The other console actions call the actions of accounts,
directory, matching and mfa directly.

A merge re-points the duplicate Person's staff entries and match cases to the survivor, and its
Profile's access grants to the survivor's Profile; where the survivor already has the same
current staff entry (person + organization) or active grant (Profile + role + organization), the
duplicate's one is ended or revoked instead, and a grant that rode on an ended entry rides on
the survivor's entry. The duplicate's Profile is disabled. Every changed row is recorded in the
merge's snapshot as {model, id, field: [before, after]}; an unmerge puts each value back, and is
refused (with the reasons) when a row no longer holds the value the merge left in it, or when
putting it back would break a uniqueness rule because of something added since.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edgate.accounts import actions as account_actions
from edgate.accounts.models import Profile, Status
from edgate.audit.events import audited, changes
from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx
from edgate.directory.actions import GRANTABLE_STATUSES
from edgate.directory.models import AccessGrant, OrgAdministrator, StaffEntry
from edgate.matching.actions import CaseClosed
from edgate.matching.models import PENDING, CaseOutcome, CaseStatus, MatchCase
from edgate.people.models import Person
from edgate.recovery.policy import is_privileged

from . import case_profile
from .models import PersonMerge


@audited(EventType.PROFILE_STATUS_CHANGED, EventType.SIGN_IN_LOCK_LIFTED)
@transaction.atomic
def do_unlock_profile(*, profile: Profile, reason: str, ctx: Ctx) -> Profile:
    """A locked Profile becomes active again (or goes back to awaiting setup when it was never
    set up), and any sign-in lock and delay on its User Name is lifted."""
    profile = Profile.objects.get(pk=profile.pk)
    if profile.status == Status.LOCKED:
        status = Status.ACTIVE if profile.activated_at is not None else Status.AWAITING_SETUP
        profile = account_actions.do_set_status(profile=profile, status=status, reason=reason, ctx=ctx)
    return account_actions.do_lift_sign_in_lock(profile=profile, reason=reason, ctx=ctx)


# --- a case whose person has their Profile --------------------------------------------------


class NoProfileNow(Exception):
    """The person on the case's record does not have their Profile (`case_profile`) any more:
    disabled or locked meanwhile, the merge that showed it undone, or another attempt counted on
    the case since. Nothing is changed."""


class ReminderOnly(NoProfileNow):
    """Since the case's last attempt, only a User Name reminder: the Profile was active at that
    attempt, so nothing shows the attempt was its person's (`case_profile`). Nothing is changed."""


@audited(EventType.MATCH_CASE_CLOSED_HAS_PROFILE)
@transaction.atomic
def do_close_case_has_profile(*, case: MatchCase, ctx: Ctx, allowed: Iterable[str] = PENDING) -> MatchCase:
    """Close a case because the person on its record has their Profile by now
    (`case_profile.profile_now`, asked again under the case's lock), without deciding who the
    registrant was: the record is not corrected and no "different people" is remembered, so a
    registrant who was someone else is blocked again and a new case opens.

    `allowed`: the statuses the caller may act in, as for `matching.actions.do_resolve_case`;
    raises `CaseClosed` otherwise, `NoProfileNow` when the Profile no longer counts (asked of
    the locked row: an attempt counted on the case meanwhile is seen), `ReminderOnly` when only
    a reminder came since the last attempt."""
    case = MatchCase.objects.select_for_update().get(pk=case.pk)
    if case.status == CaseStatus.RESOLVED or case.status not in set(allowed):
        raise CaseClosed(case.reference)
    found = case_profile.profile_now(case)
    if found is None:
        raise NoProfileNow(case.reference)
    if not found.closable:
        raise ReminderOnly(case.reference)
    before = {"status": case.status}
    case.status = CaseStatus.RESOLVED
    case.outcome = CaseOutcome.HAS_PROFILE
    case.resolution_note = ""
    case.resolved_at = timezone.now()
    case.resolved_by_id = ctx.actor_id
    case.save(update_fields=["status", "outcome", "resolution_note", "resolved_at", "resolved_by"])
    detail = {"reference": case.reference} | changes(before, {"status": CaseStatus.RESOLVED.value})
    detail |= {"outcome": CaseOutcome.HAS_PROFILE.value, "profile": found.profile_id, "evidence": found.kinds}
    record_event(EventType.MATCH_CASE_CLOSED_HAS_PROFILE, ctx=ctx, target=case, detail=detail)
    return case


# --- merging duplicate Persons ------------------------------------------------------------


class MergeRefused(Exception):
    """The two Persons cannot be merged; the message says why (shown to the agent)."""


class UnmergeRefused(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


SNAPSHOT_MODELS: dict[str, type[models.Model]] = {
    "staff": StaffEntry,
    "grants": AccessGrant,
    "cases": MatchCase,
    "appointments": OrgAdministrator,
}
# The columns a merge may change, per kind of row (attribute names: foreign keys by their id).
SNAPSHOT_FIELDS = {
    "staff": ("person_id", "ended_at"),
    "grants": ("profile_id", "revoked_at", "revoked_by_id", "staff_entry_id"),
    "cases": ("person_id",),
    "appointments": ("profile_id",),
}


def _stored(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _loaded(model: type[models.Model], attname: str, value: Any) -> Any:
    field = next(f for f in model._meta.concrete_fields if f.attname == attname)
    return field.to_python(value)


class _Snapshot:
    """Collects the rows a merge changes, with each changed column's value before and after."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SNAPSHOT_MODELS}
        self.profile: dict[str, Any] | None = None

    def change(self, kind: str, row: models.Model, **values: Any) -> None:
        entry: dict[str, Any] = {"id": row.pk}
        for attname, new in values.items():
            entry[attname] = [_stored(getattr(row, attname)), _stored(new)]
            setattr(row, attname, new)
        row.save(update_fields=[name.removesuffix("_id") for name in values])
        self.rows[kind].append(entry)

    def as_json(self) -> dict[str, Any]:
        return {**self.rows, "profile": self.profile}


def profile_of(person: Person) -> Profile | None:
    return Profile.objects.filter(person=person).first()


def standing_merge(person: Person) -> PersonMerge | None:
    """The merge that made `person` a duplicate, if it stands."""
    return PersonMerge.objects.filter(duplicate=person, undone_at__isnull=True).first()


def merge_problem(*, survivor: Person, duplicate: Person, allow_privileged: bool) -> str | None:
    """Why the two cannot be merged (None when they can)."""
    if survivor.pk == duplicate.pk:
        return _("A person cannot be merged with themselves: choose two different records.")
    if standing_merge(duplicate) is not None:
        return _("The duplicate has already been merged into another person; undo that merge first.")
    if standing_merge(survivor) is not None:
        return _(
            "The survivor was itself merged into another person as a duplicate; "
            "merge into the person it was merged into instead."
        )
    if survivor.ssn_hash and duplicate.ssn_hash and survivor.ssn_hash != duplicate.ssn_hash:
        return _(
            "Both records have a Social Security number and they differ: these are two different "
            "people, not a duplicate. Do not merge them; escalate to a security administrator."
        )
    if duplicate.ssn_hash and not survivor.ssn_hash:
        return _(
            "Only the duplicate has a Social Security number: merged away, it would send the person "
            "registering again to the disabled record. Choose the record with the Social Security "
            "number as the survivor."
        )
    survivor_profile, duplicate_profile = profile_of(survivor), profile_of(duplicate)
    if not allow_privileged and any(
        p is not None and is_privileged(p) for p in (survivor_profile, duplicate_profile)
    ):
        return _(
            "One of the two has a privileged Profile (agency staff or a Directory Administrator): "
            "only a security administrator may merge it."
        )
    if duplicate_profile is not None and survivor_profile is None and duplicate_profile.grants.exists():
        return _(
            "The duplicate's Profile has application access but the survivor has no Profile to "
            "receive it: choose the record with the Profile as the survivor."
        )
    if (
        duplicate_profile is not None
        and survivor_profile is None
        and OrgAdministrator.objects.filter(profile=duplicate_profile).exists()
    ):
        return _(
            "The duplicate's Profile is a Directory Administrator but the survivor has no Profile to "
            "take the appointment: choose the record with the Profile as the survivor."
        )
    if survivor_profile is not None and survivor_profile.status not in GRANTABLE_STATUSES:
        return _(
            "The survivor's Profile is %(status)s: access can only be moved to an active Profile or one "
            "awaiting setup. Unlock or enable it first."
        ) % {"status": survivor_profile.get_status_display().lower()}
    return None


def unmerge_privileged(merge: PersonMerge) -> bool:
    """Does undoing the merge touch a privileged Profile (then it is a security administrator's)?"""
    profiles = Profile.objects.filter(person__in=[merge.survivor_id, merge.duplicate_id])
    return any(is_privileged(profile) for profile in profiles)


def _lock_people(*people: Person) -> list[Person]:
    """The rows, fresh and locked (in the order of their ids, so two merges cannot deadlock)."""
    locked = {
        p.pk: p
        for p in Person.objects.select_for_update().filter(pk__in=[p.pk for p in people]).order_by("pk")
    }
    return [locked[p.pk] for p in people]


def state_ids_differ(survivor: Person, duplicate: Person) -> bool:
    """Both records carry a state educator ID and they are not the same: the duplicate's ID
    (perhaps the one on a license) stops being used, so a merge needs it confirmed."""
    return bool(survivor.state_id and duplicate.state_id and survivor.state_id != duplicate.state_id)


STATE_IDS_UNCHECKED = gettext_lazy(
    "The two records have different state educator IDs: confirm that you checked they are the same "
    "person before merging."
)


@audited(EventType.PERSONS_MERGED, EventType.PROFILE_STATUS_CHANGED)
@transaction.atomic
def do_merge_persons(
    *,
    survivor: Person,
    duplicate: Person,
    reason: str,
    allow_privileged: bool,
    state_ids_checked: bool,
    ctx: Ctx,
) -> PersonMerge:
    """Merge `duplicate` into `survivor` (see the module's notes). Raises MergeRefused. Two
    records with different state educator IDs are merged only with `state_ids_checked` (the
    agent ticked the confirmation beside the two IDs); the event says the IDs differed."""
    survivor, duplicate = _lock_people(survivor, duplicate)
    if problem := merge_problem(survivor=survivor, duplicate=duplicate, allow_privileged=allow_privileged):
        raise MergeRefused(problem)
    differ = state_ids_differ(survivor, duplicate)
    if differ and not state_ids_checked:
        raise MergeRefused(str(STATE_IDS_UNCHECKED))
    try:
        with transaction.atomic():
            return _merge(
                survivor=survivor, duplicate=duplicate, reason=reason, state_ids_differ=differ, ctx=ctx
            )
    except IntegrityError as clash:  # a staff entry or grant added to the survivor meanwhile
        raise MergeRefused(
            _(
                "The survivor's staff entries or access changed while merging: look at both records "
                "again and retry."
            )
        ) from clash


def _merge(
    *, survivor: Person, duplicate: Person, reason: str, state_ids_differ: bool, ctx: Ctx
) -> PersonMerge:
    now = timezone.now()
    snapshot = _Snapshot()
    survivor_profile = Profile.objects.select_for_update().filter(person=survivor).first()
    duplicate_profile = Profile.objects.select_for_update().filter(person=duplicate).first()

    survivor_current = {  # locked, so none is ended or moved while its duplicate is ended against it
        entry.organization_id: entry.pk
        for entry in StaffEntry.objects.select_for_update()
        .filter(person=survivor, ended_at=None)
        .order_by("pk")
    }
    replaced_entries: dict[int, int] = {}  # the duplicate's ended entry → the survivor's current one
    for entry in StaffEntry.objects.select_for_update().filter(person=duplicate).order_by("pk"):
        if entry.ended_at is None and entry.organization_id in survivor_current:
            snapshot.change("staff", entry, ended_at=now)
            replaced_entries[entry.pk] = survivor_current[entry.organization_id]
        else:
            snapshot.change("staff", entry, person_id=survivor.pk)

    if duplicate_profile is not None:
        for grant in AccessGrant.objects.select_for_update().filter(profile=duplicate_profile).order_by("pk"):
            same = (
                survivor_profile is not None
                and grant.revoked_at is None
                and AccessGrant.objects.active()
                .filter(
                    profile=survivor_profile, role_id=grant.role_id, organization_id=grant.organization_id
                )
                .exists()
            )
            if same:
                snapshot.change("grants", grant, revoked_at=now, revoked_by_id=ctx.actor_id)
                continue
            assert survivor_profile is not None  # merge_problem refuses grants without a receiver
            values: dict[str, Any] = {"profile_id": survivor_profile.pk}
            if grant.staff_entry_id in replaced_entries:
                values["staff_entry_id"] = replaced_entries[grant.staff_entry_id]
            snapshot.change("grants", grant, **values)

    for case in MatchCase.objects.select_for_update().filter(person=duplicate).order_by("pk"):
        snapshot.change("cases", case, person_id=survivor.pk)

    # Directory Administrator appointments go with the person, as grants do: left on the disabled
    # Profile, the organization would lose its administrator without anyone deciding it. Where the
    # survivor already administers the organization, the duplicate's row stays (on a disabled
    # Profile it gives nothing) and the undo has nothing to put back.
    if duplicate_profile is not None and survivor_profile is not None:
        survivor_orgs = set(
            OrgAdministrator.objects.select_for_update()
            .filter(profile=survivor_profile)
            .values_list("organization_id", flat=True)
        )
        for appointment in (
            OrgAdministrator.objects.select_for_update().filter(profile=duplicate_profile).order_by("pk")
        ):
            if appointment.organization_id not in survivor_orgs:
                snapshot.change("appointments", appointment, profile_id=survivor_profile.pk)

    merge = PersonMerge(survivor=survivor, duplicate=duplicate, reason=reason, merged_by_id=ctx.actor_id)
    merge.save()  # its id names it in the status change's reason
    if duplicate_profile is not None:
        snapshot.profile = {"id": duplicate_profile.pk, "status": [duplicate_profile.status, Status.DISABLED]}
        account_actions.do_set_status(
            profile=duplicate_profile,
            status=Status.DISABLED,
            reason=f"Merged into person {survivor.state_id} (merge {merge.pk}): {reason}",
            ctx=ctx,
        )
    merge.snapshot = snapshot.as_json()
    merge.save(update_fields=["snapshot"])
    detail = _event_detail(merge, reason) | {"state_ids_differed": state_ids_differ}
    record_event(EventType.PERSONS_MERGED, ctx=ctx, target=survivor, detail=detail)
    return merge


def _event_detail(merge: PersonMerge, reason: str) -> dict[str, Any]:
    """The merge's rows, listed by what happened to them (ids only: no personal data)."""
    snap = merge.snapshot
    staff, grants = snap.get("staff", []), snap.get("grants", [])
    profile = snap.get("profile")
    return {
        "merge": merge.pk,
        "survivor": merge.survivor_id,
        "duplicate": merge.duplicate_id,
        "duplicate_profile": profile["id"] if profile else None,
        "staff_moved": [row["id"] for row in staff if "person_id" in row],
        "staff_ended": [row["id"] for row in staff if "ended_at" in row],
        "grants_moved": [row["id"] for row in grants if "profile_id" in row],
        "grants_revoked": [row["id"] for row in grants if "revoked_at" in row],
        "grants_restaffed": [row["id"] for row in grants if "staff_entry_id" in row],
        "cases_moved": [row["id"] for row in snap.get("cases", [])],
        "appointments_moved": [row["id"] for row in snap.get("appointments", [])],
        "reason": reason,
    }


UNMERGE_PRIVILEGED = gettext_lazy(
    "One of the two has a privileged Profile (agency staff or a Directory Administrator): "
    "only a security administrator may undo this merge."
)

NAMES = {
    "staff": gettext_lazy("staff entry"),
    "grants": gettext_lazy("access grant"),
    "cases": gettext_lazy("match case"),
    "appointments": gettext_lazy("Directory Administrator appointment"),
}


def unmerge_problems(merge: PersonMerge) -> list[str]:
    """Why the merge cannot be undone exactly (empty when it can). Locks the rows it reads."""
    if merge.undone_at is not None:
        return [_("This merge was undone already.")]
    problems: list[str] = []
    snap = merge.snapshot
    restored: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in SNAPSHOT_MODELS}
    for kind, model in SNAPSHOT_MODELS.items():
        rows = snap.get(kind, [])
        current = {
            row.pk: row
            for row in model._default_manager.select_for_update().filter(pk__in=[r["id"] for r in rows])
        }
        for entry in rows:
            row = current.get(entry["id"])
            if row is None:
                problems.append(
                    _("The %(what)s %(id)s no longer exists.") % {"what": NAMES[kind], "id": entry["id"]}
                )
                continue
            changed = [
                name.removesuffix("_id").replace("_", " ")
                for name in SNAPSHOT_FIELDS[kind]
                if name in entry and _stored(getattr(row, name)) != entry[name][1]
            ]
            if changed:
                problems.append(
                    _("The %(what)s %(id)s was changed after the merge (%(fields)s).")
                    % {"what": NAMES[kind], "id": entry["id"], "fields": ", ".join(changed)}
                )
                continue
            restored[kind][row.pk] = {
                name: _loaded(model, name, entry[name][0]) if name in entry else getattr(row, name)
                for name in SNAPSHOT_FIELDS[kind]
            } | {"row": row}
    # Putting a row back must not make a second current entry / active grant next to one added since.
    staff_ids, grant_ids = set(restored["staff"]), set(restored["grants"])
    going_back = [
        pk for pk, values in restored["staff"].items() if values["row"].person_id != values["person_id"]
    ]
    for grant in (
        AccessGrant.objects.active()
        .filter(staff_entry_id__in=going_back)
        .exclude(pk__in=[entry["id"] for entry in snap.get("grants", [])])
        .select_related("role", "application", "organization")
        .order_by("pk")
    ):
        problems.append(
            _(
                "The access grant %(grant)s (%(application)s: %(role)s at %(organization)s) was given "
                "after the merge on the staff entry %(entry)s, which the undo gives back to the "
                "duplicate: revoke that grant first, or leave the merge in place."
            )
            % {
                "grant": grant.pk,
                "application": grant.application.name,
                "role": grant.role.name,
                "organization": grant.organization.code,
                "entry": grant.staff_entry_id,
            }
        )
    for values in restored["staff"].values():
        entry = values["row"]
        if values["ended_at"] is None and (
            StaffEntry.objects.filter(
                person_id=values["person_id"], organization_id=entry.organization_id, ended_at=None
            )
            .exclude(pk__in=staff_ids)
            .exists()
        ):
            problems.append(
                _(
                    "The staff entry %(entry)s cannot be made current again at %(organization)s: "
                    "the duplicate has another current entry there, added after the merge."
                )
                % {"entry": entry.pk, "organization": entry.organization.code}
            )
    for values in restored["grants"].values():
        grant = values["row"]
        if values["revoked_at"] is None and (
            AccessGrant.objects.active()
            .filter(
                profile_id=values["profile_id"], role_id=grant.role_id, organization_id=grant.organization_id
            )
            .exclude(pk__in=grant_ids)
            .exists()
        ):
            problems.append(
                _(
                    "The access grant %(grant)s cannot be active again: the duplicate's Profile was given "
                    "the same role at the same organization after the merge."
                )
                % {"grant": grant.pk}
            )
    for values in restored["appointments"].values():
        appointment = values["row"]
        if (
            OrgAdministrator.objects.filter(
                profile_id=values["profile_id"], organization_id=appointment.organization_id
            )
            .exclude(pk=appointment.pk)
            .exists()
        ):
            problems.append(
                _(
                    "The Directory Administrator appointment %(appointment)s cannot go back: the "
                    "duplicate's Profile was appointed at the same organization again after the merge."
                )
                % {"appointment": appointment.pk}
            )
    if profile := snap.get("profile"):
        now_status = (
            Profile.objects.select_for_update()
            .filter(pk=profile["id"])
            .values_list("status", flat=True)
            .first()
        )
        if now_status != profile["status"][1]:
            problems.append(
                _(
                    "The duplicate's Profile is now %(status)s, not disabled as the merge left it: "
                    "someone changed it after the merge."
                )
                % {"status": now_status or _("gone")}
            )
    return problems


@audited(EventType.PERSONS_UNMERGED, EventType.PROFILE_STATUS_CHANGED)
@transaction.atomic
def do_unmerge_persons(*, merge: PersonMerge, reason: str, allow_privileged: bool, ctx: Ctx) -> PersonMerge:
    """Put back every row the merge changed, exactly; raises UnmergeRefused (with every reason)
    when that is no longer possible, or when a privileged Profile is involved and the actor may
    not (`allow_privileged`: a security administrator) — as for the merge."""
    merge = PersonMerge.objects.select_for_update().select_related("survivor", "duplicate").get(pk=merge.pk)
    _lock_people(merge.survivor, merge.duplicate)
    if not allow_privileged and unmerge_privileged(merge):
        raise UnmergeRefused([UNMERGE_PRIVILEGED])
    if problems := unmerge_problems(merge):
        raise UnmergeRefused(problems)
    snap = merge.snapshot
    for kind, model in SNAPSHOT_MODELS.items():
        rows = snap.get(kind, [])
        current = {row.pk: row for row in model._default_manager.filter(pk__in=[r["id"] for r in rows])}
        for entry in rows:
            row = current[entry["id"]]
            names = [name for name in SNAPSHOT_FIELDS[kind] if name in entry]
            for name in names:
                setattr(row, name, _loaded(model, name, entry[name][0]))
            row.save(update_fields=[name.removesuffix("_id") for name in names])
    if profile := snap.get("profile"):
        account_actions.do_set_status(
            profile=Profile.objects.get(pk=profile["id"]),
            status=profile["status"][0],
            reason=f"Merge {merge.pk} undone: {reason}",
            ctx=ctx,
        )
    merge.undone_at = timezone.now()
    merge.undone_by_id = ctx.actor_id
    merge.undo_reason = reason
    merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    record_event(
        EventType.PERSONS_UNMERGED, ctx=ctx, target=merge.survivor, detail=_event_detail(merge, reason)
    )
    return merge
