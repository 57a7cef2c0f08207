"""Validation of identity input: pure functions that return a clean value or raise."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

NAME_PUNCTUATION = frozenset(" '’.-")
SSN_SEPARATORS = re.compile(r"[\s\-]")


def reject_control_characters(value: str) -> None:
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in value):
        raise ValidationError(_("Remove the special or invisible characters."), code="control")


def clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", " ".join(value.split()))
    reject_control_characters(value)
    if value and not _is_name(value):
        raise ValidationError(_("Use letters, spaces, hyphens, apostrophes and periods only."), code="name")
    return value


def _is_name(value: str) -> bool:
    """Letters and combining marks of any script, with the punctuation real names use."""
    if not unicodedata.category(value[0]).startswith("L"):
        return False
    return all(unicodedata.category(ch)[0] in "LM" or ch in NAME_PUNCTUATION for ch in value)


@sensitive_variables()
def clean_ssn(value: str) -> str:
    """Return 9 digits. Refuses numbers the Social Security Administration never issues."""
    digits = SSN_SEPARATORS.sub("", value or "")
    if not digits.isascii() or not digits.isdigit() or len(digits) != 9:
        raise ValidationError(
            _("Enter a 9-digit Social Security Number, like 123-45-6789."), code="ssn_format"
        )
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in {"000", "666"} or area.startswith("9") or group == "00" or serial == "0000":
        raise ValidationError(
            _("That is not a valid Social Security Number. Check the digits and try again."),
            code="ssn_invalid",
        )
    return digits


@sensitive_variables()
def clean_birth_date(value: date, *, today: date, min_age: int, max_age: int) -> date:
    if value > today:
        raise ValidationError(_("Date of birth must be in the past."), code="dob_future")
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if age < min_age:
        raise ValidationError(
            _("You must be at least %(age)s years old to create a Profile.") % {"age": min_age},
            code="dob_young",
        )
    if age > max_age:
        raise ValidationError(_("Check the year of your date of birth."), code="dob_old")
    return value


def clean_state_id(value: str) -> str:
    digits = (value or "").strip()
    if digits and (not digits.isascii() or not digits.isdigit() or len(digits) != 8):
        raise ValidationError(_("A state educator ID has 8 digits."), code="state_id")
    return digits


def clean_phone(value: str) -> str:
    """US numbers to 10 digits; empty stays empty."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits:
        return ""
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or not digits.isascii() or digits[0] in "01":
        raise ValidationError(_("Enter a 10-digit US phone number, like (555) 123-4567."), code="phone")
    return digits


def clean_postcode(value: str) -> str:
    compact = value.replace(" ", "")
    if not re.fullmatch(r"\d{5}(-?\d{4})?", compact):
        raise ValidationError(_("Enter a 5-digit ZIP code, like 02148."), code="postcode")
    return compact[:5] + ("-" + compact[-4:] if len(compact) > 5 else "")
