"""Password rules of SECURITY.md: length, no composition rules, no context words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from edgate.core import conf
from edgate.identity import normalize

MIN_LENGTH = 15  # accounts without a second factor
MIN_LENGTH_WITH_SECOND_FACTOR = 8
MAX_LENGTH = 256


@dataclass(frozen=True)
class PasswordContext:
    """Stands in for the Profile while it does not exist yet (registration, setup)."""

    username: str = ""
    first_name: str = ""
    last_name: str = ""


class LengthValidator:
    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        minimum = MIN_LENGTH
        if len(password) < minimum:
            raise ValidationError(
                ngettext("Use at least %(min)d character.", "Use at least %(min)d characters.", minimum)
                % {"min": minimum},
                code="password_too_short",
            )
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                _("Use at most %(max)d characters.") % {"max": MAX_LENGTH}, code="password_too_long"
            )

    def get_help_text(self) -> str:
        return _("At least %(min)d characters. A few unrelated words make a strong password.") % {
            "min": MIN_LENGTH
        }


SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "1q2w3e4r5t6y7u8i9o0p",
)


class PatternValidator:
    """Long but predictable: one part repeated (passwordpassword) or a straight run (abcdef…).

    The common-password list barely reaches 15 characters, so these shapes are checked here.
    """

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        compact = "".join(password.casefold().split())
        if not compact:
            return
        for size in range(1, len(compact) // 2 + 1):
            if len(compact) % size == 0 and compact[:size] * (len(compact) // size) == compact:
                raise ValidationError(
                    _("Your password repeats the same part; use a few unrelated words instead."),
                    code="password_repeats",
                )
        for run in SEQUENCES:
            if compact in run or compact in run[::-1]:
                raise ValidationError(
                    _("Your password is a run of keys or letters; use a few unrelated words instead."),
                    code="password_sequence",
                )

    def get_help_text(self) -> str:
        return ""


class ContextWordsValidator:
    """Refuse passwords built around the User Name, the person's names or the agency's name."""

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        words: list[str] = []
        if isinstance(user, PasswordContext):
            words += [user.username, user.first_name, user.last_name]
        elif user is not None:
            words.append(getattr(user, "username", "") or "")
            person = getattr(user, "person", None)
            if person is not None:
                words += [person.first_name, person.last_name]
        settings = conf.get()
        words += [settings.agency_name, settings.agency_short_name]
        folded = "".join(normalize.name_tokens(password))  # the whole password, not a key cut short
        for word in words:
            for token in normalize.name_tokens(word or ""):
                if len(token) >= 4 and token in folded and len(folded) - len(token) < 8:
                    raise ValidationError(
                        _("Your password is too close to your name, User Name or the agency's name."),
                        code="password_context",
                    )

    def get_help_text(self) -> str:
        return _("Do not base it on your name, User Name or the agency's name.")
