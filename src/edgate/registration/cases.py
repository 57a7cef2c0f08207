"""What a registrant blocked by a partial match may learn: whom to call, and a case's status.

Never anything of the record itself. The contacts are the Directory Administrators of the
organizations the case was routed to (the district's for a school without one), named only
when this submission typed the record's names and its SSN or state ID (`identity_shown`), and
never the record's own person. Otherwise the registrant is sent to customer service.

The reference a registrant holds is their own submission's (`matching.service.do_open_case`
`given`): the case's for the submission that opened it, another for each later one. The status
page answers open / being reviewed / resolved / unknown for a case's own reference, and only
open / resolved for a later submission's, so that it tells a stranger nothing about a case
someone else opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from edgate.accounts.models import Status
from edgate.directory.models import OrgAdministrator, Organization
from edgate.matching.models import REFERENCE_ALPHABET, CaseStatus
from edgate.matching.service import given_reference

# The fields that must agree (not merely be close) before an administrator is named.
NAMES_AGREE = ("first_name", "last_name")


@dataclass(frozen=True)
class Contact:
    name: str
    organization: str
    phone: str

    @property
    def tel(self) -> str:
        return tel_uri(self.phone)


def format_phone(digits: str) -> str:
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else digits


def tel_uri(phone: str) -> str:
    """`(555) 010-6600` → `tel:+15550106600` (a US number); other digits as they are."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 10:
        digits = f"1{digits}"
    return f"tel:+{digits}" if digits else ""


def _administrators(organization: Organization) -> list[OrgAdministrator]:
    return list(
        OrgAdministrator.objects.filter(organization=organization, profile__status=Status.ACTIVE)
        .select_related("profile__person", "organization")
        .order_by("appointed_at", "pk")
    )


IDENTIFIERS = ("ssn", "state_id")


def identity_shown(levels: dict[str, str]) -> bool:
    """The registrant typed the record's first and last names AND its SSN or state ID (the
    levels of one submission's decision): what the record's own person knows. Names and a birth
    date alone are what a colleague, a neighbour or a public record knows, and must not lead to
    who employs the record's person."""
    return all(levels.get(name) == "agree" for name in NAMES_AGREE) and any(
        levels.get(name) == "agree" for name in IDENTIFIERS
    )


def case_contacts(reference: str, *, shown: bool) -> list[Contact]:
    """The Directory Administrators to call about a case, with a phone number on their record:
    of each organization the case is routed to, or of its district when a school has none.

    None (customer service, then) unless `shown`: the submission that reached this page — this
    registrant's own, not the one that opened the case, since every later conflicting
    submission about the record lands on the same open case — typed the record's names and its
    SSN or state ID (`identity_shown`). A stranger who typed only someone's SSN learns no one's
    name, and one who typed someone's name and birth date does not learn where they work. Never
    the record's own person."""
    case, _ = given_reference(reference)
    if case is None or not shown:
        return []
    contacts: dict[tuple[str, str, str], Contact] = {}
    for organization in case.organizations.filter(active=True).select_related("parent").order_by("code"):
        admins = _administrators(organization)
        if not admins and organization.parent is not None and organization.parent.active:
            admins = _administrators(organization.parent)
        for admin in admins:
            person = admin.profile.person
            if person is None or not person.phone or person.pk == case.person_id:
                continue
            contact = Contact(
                f"{person.first_name} {person.last_name}", admin.organization.name, format_phone(person.phone)
            )
            contacts.setdefault((contact.name, contact.organization, contact.phone), contact)
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
    """How the case a reference was given for stands. A later submission's reference (one
    counted on a case someone else's submission opened) says only open or resolved: never
    "with customer service", which a fresh case would not be at once, so that neither the
    case's existence before the submission nor its progress can be read from it."""
    case, opened_it = given_reference(reference)
    if case is None:
        return CaseState.UNKNOWN
    status = CaseStatus(case.status)
    if not opened_it:
        return CaseState.RESOLVED if status == CaseStatus.RESOLVED else CaseState.OPEN
    return {
        CaseStatus.OPEN: CaseState.OPEN,
        CaseStatus.ESCALATED: CaseState.WITH_CUSTOMER_SERVICE,
        CaseStatus.RESOLVED: CaseState.RESOLVED,
    }[status]
