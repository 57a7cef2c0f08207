"""What a registrant blocked by a partial match may learn: whom to call, and a case's status.

Never anything of the record itself: the contacts are the Directory Administrators of the
organizations the case was routed to (the district's for a school without one), and the
status page answers only open / being reviewed / resolved / unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from edgate.accounts.models import Status
from edgate.directory.models import OrgAdministrator, Organization
from edgate.matching.models import REFERENCE_ALPHABET, CaseStatus, MatchCase


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


def format_phone(digits: str) -> str:
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits


def _administrators(organization: Organization) -> list[OrgAdministrator]:
    return list(
        OrgAdministrator.objects.filter(organization=organization, profile__status=Status.ACTIVE)
        .select_related("profile__person")
        .order_by("appointed_at", "pk")
    )


def case_contacts(reference: str) -> list[Contact]:
    """The Directory Administrators to call about a case, with a phone number on their record:
    of each organization the case is routed to, or of its district when a school has none."""
    case = MatchCase.objects.filter(reference=reference).first()
    if case is None:
        return []
    contacts: dict[tuple[str, str], Contact] = {}
    for organization in case.organizations.filter(active=True).select_related("parent").order_by("code"):
        admins = _administrators(organization)
        if not admins and organization.parent is not None and organization.parent.active:
            admins = _administrators(organization.parent)
        for admin in admins:
            person = admin.profile.person
            if person is None or not person.phone:
                continue
            contact = Contact(f"{person.first_name} {person.last_name}", format_phone(person.phone))
            contacts.setdefault((contact.name, contact.phone), contact)
    return list(contacts.values())


class CaseState(StrEnum):
    OPEN = "open"
    WITH_CUSTOMER_SERVICE = "customer_service"
    RESOLVED = "resolved"
    UNKNOWN = "unknown"


def normalize_reference(typed: str) -> str:
    """`eg-acde-fghj`, `EG ACDE FGHJ`, `acdefghj` → `EG-ACDE-FGHJ`; '' if it cannot be one."""
    letters = re.sub(r"[^A-Za-z0-9]", "", typed).upper()
    if letters.startswith("EG") and len(letters) == 10:
        letters = letters[2:]
    if len(letters) != 8 or any(ch not in REFERENCE_ALPHABET for ch in letters):
        return ""
    return f"EG-{letters[:4]}-{letters[4:]}"


def case_state(reference: str) -> CaseState:
    status = MatchCase.objects.filter(reference=reference).values_list("status", flat=True).first()
    if status is None:
        return CaseState.UNKNOWN
    return {
        CaseStatus.OPEN: CaseState.OPEN,
        CaseStatus.ESCALATED: CaseState.WITH_CUSTOMER_SERVICE,
        CaseStatus.RESOLVED: CaseState.RESOLVED,
    }[CaseStatus(status)]
