from __future__ import annotations

from dataclasses import replace
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.core.forms import NoEchoInput, PasswordInput, PasswordStrengthInput, UswdsForm
from edgate.core.validators import clean_phone, clean_postcode
from edgate.people.states import STATE_CHOICES

from . import hints, password_checks, passwords
from .models import Profile
from .passwords import MAX_LENGTH, MIN_LENGTH, PasswordContext


def password_widget(autocomplete: str) -> PasswordInput:
    return PasswordInput(attrs={"autocomplete": autocomplete, "maxlength": MAX_LENGTH})


class SignInForm(UswdsForm):
    username = forms.CharField(
        label=_("User Name"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter your User Name.")},
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=MAX_LENGTH,
        strip=False,
        widget=password_widget("current-password"),
        error_messages={"required": _("Enter your password.")},
    )


def new_password_widget() -> PasswordStrengthInput:
    return PasswordStrengthInput(
        attrs={"autocomplete": "new-password", "maxlength": MAX_LENGTH}, min_length=MIN_LENGTH
    )


class NewPasswordMixin(forms.Form):
    """Password + confirmation, validated against the policy and the person's context words.

    `user` is the Profile, or a `PasswordContext` (names, User Name, birth date, current
    password) while the Profile does not exist yet; `password_context()` is what the policy sees.
    """

    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=new_password_widget(),
        error_messages={"required": _("Enter a new password.")},
    )
    confirm_password = forms.CharField(
        label=_("Type the new password again"),
        strip=False,
        widget=password_widget("new-password"),
        error_messages={"required": _("Type the password again, to be sure it is the one you meant.")},
    )

    user: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = passwords.help_text()
        # The browser's estimate is given the words the server's checks use (names, birth date,
        # e-mail), so the meter does not praise a password the server will refuse; a page the
        # person reached without signing in gets only what they typed (PasswordContext).
        self._meter().user_inputs = self.password_context().browser_inputs()

    def password_context(self) -> PasswordContext:
        return passwords.context_of(self.user)

    def _meter(self) -> PasswordStrengthInput:
        widget = self.fields["new_password"].widget
        assert isinstance(widget, PasswordStrengthInput)  # noqa: S101 - declared above
        return widget

    @sensitive_variables()
    def clean_new_password(self) -> str:
        password = self.cleaned_data["new_password"]
        context = self.password_context()
        try:
            passwords.validate_new_password(password, context)
        except ValidationError:
            self._meter().show(None)
            raise
        self._meter().show(password_checks.estimate(password, context.words()).score)
        return password

    def mark_errors(self) -> None:
        """A flow that redirects after a refused submission puts the kept errors on a fresh form
        and calls this: a refused new password then reads as refused on the meter too."""
        parent = getattr(super(), "mark_errors", None)
        if parent is not None:
            parent()
        # Not for a box left empty: nothing was measured, so the meter says nothing (a refused
        # verdict under an empty box reads as if a password had been typed and judged).
        required = str(self.fields["new_password"].error_messages["required"])
        errors = [str(error) for error in (self._errors or {}).get("new_password", [])]
        if any(error != required for error in errors) and self._meter().strength is None:
            self._meter().show(None)

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Compared as typed, so a mismatch is reported beside a refused password (every error at
        # once, not one per submission).
        typed, again = self.typed("new_password"), data.get("confirm_password")
        if typed and again is not None and typed != again:
            self.add_error("confirm_password", _("The two passwords do not match."))
        return data

    def typed(self, name: str) -> str:
        """A field as submitted, valid or not (a password refused by a rule is still what was
        typed)."""
        value = self.data.get(self.add_prefix(name), "") if self.is_bound else ""
        return value if isinstance(value, str) else ""


class OwnQuestionInput(forms.TextInput):
    """ "Your own question": hidden by edgate/own-question.js unless "I will write my own
    question" is chosen; always there without JavaScript (core/widgets/own_question.html)."""

    template_name = "core/widgets/own_question.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"data-own-question": hints.OWN_QUESTION, **(attrs or {})})


class HintMixin(forms.Form):
    hint_question_choice = forms.ChoiceField(
        label=_("Password Hint Question"),
        error_messages={
            "required": _("Choose a Password Hint Question, or choose to write your own."),
            "invalid_choice": _("Choose a Password Hint Question from the list."),
        },
    )
    own_question = forms.CharField(
        label=_("Your own question"),
        required=False,
        max_length=200,
        widget=OwnQuestionInput(),
        help_text=_("Only if you chose to write your own question above."),
    )
    hint_answer = forms.CharField(
        label=_("Answer"),
        max_length=100,
        widget=NoEchoInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        validators=[
            MinLengthValidator(3, message=_("Make the answer at least %(limit_value)d characters long."))
        ],
        error_messages={"required": _("Enter the answer to your Password Hint Question.")},
        help_text=_(
            "Capital letters and extra spaces do not matter. "
            "You will need this answer to reset a forgotten password."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hint_question_choice"].choices = (
            [("", _("- Select a question -"))]
            + [(str(i), q) for i, q in enumerate(hints.SUGGESTED_QUESTIONS)]
            + [(hints.OWN_QUESTION, _("I will write my own question"))]
        )

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        choice = data.get("hint_question_choice")
        if choice == hints.OWN_QUESTION:
            own = (data.get("own_question") or "").strip()
            if len(own) < 10:
                self.add_error("own_question", _("Write a question of at least 10 characters."))
            data["hint_question"] = own
        elif choice:
            data["hint_question"] = str(hints.SUGGESTED_QUESTIONS[int(choice)])
        answer = data.get("hint_answer")
        if (
            answer
            and data.get("hint_question")
            and hints.normalize_answer(answer) in hints.normalize_answer(data["hint_question"])
        ):
            self.add_error("hint_answer", _("The answer must not appear in the question."))
        has_password = self.is_bound and "new_password" in self.fields
        password = self.data.get(self.add_prefix("new_password"), "") if has_password else ""
        if answer and isinstance(password, str) and password and hints.same_text(answer, password):
            self.add_error("hint_answer", _("The answer must be different from your password."))
        return data


class CurrentPasswordMixin(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=password_widget("current-password"),
        error_messages={"required": _("Enter your current password.")},
    )

    @sensitive_variables()
    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if self.user is None or not self.user.check_password(password):
            raise ValidationError(_("That is not your current password."), code="wrong_password")
        return password


class ChangePasswordForm(CurrentPasswordMixin, NewPasswordMixin, UswdsForm):
    field_order = ["current_password", "new_password", "confirm_password"]

    def __init__(self, *args: Any, user: Profile, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def password_context(self) -> PasswordContext:
        """The current password, once checked (field order: it is cleaned first), is compared as
        typed. Unchecked, the new password is not compared with the stored hash at all: that
        would let anyone at an open session test guesses of the current password here, past the
        throttle that guards the current-password field."""
        verified = getattr(self, "cleaned_data", {}).get("current_password", "")
        context = PasswordContext.for_profile(self.user, current_password=verified)
        return context if verified else replace(context, current_password_hash="")


class ChangeHintForm(CurrentPasswordMixin, HintMixin, UswdsForm):
    field_order = ["current_password", "hint_question_choice", "own_question", "hint_answer"]

    def __init__(self, *args: Any, user: Profile, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)


class ContactForm(UswdsForm):
    street = forms.CharField(
        label=_("Street address"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        error_messages={"required": _("Enter your street address.")},
    )
    city = forms.CharField(
        label=_("City"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
        error_messages={"required": _("Enter your city or town.")},
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("- Select -")), *STATE_CHOICES],
        error_messages={
            "required": _("Choose your state."),
            "invalid_choice": _("Choose your state from the list."),
        },
        widget=forms.Select(attrs={"autocomplete": "address-level1"}),
    )
    postcode = forms.CharField(
        label=_("ZIP code"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
        error_messages={"required": _("Enter your ZIP code.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": _("Enter your email address.")},
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        help_text=_("Optional. A 10-digit US number."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_postcode(self) -> str:
        return clean_postcode(self.cleaned_data["postcode"])

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()
