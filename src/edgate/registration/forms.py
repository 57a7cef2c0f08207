from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.accounts.forms import HintMixin, NewPasswordMixin
from edgate.accounts.passwords import PasswordContext
from edgate.core.forms import IdentityCleaning, NoEchoInput, UswdsForm, birth_date_in_range, uswds_field

from .cases import normalize_reference

MONTHS = [
    ("", _("- Select -")),
    ("1", _("01 - January")),
    ("2", _("02 - February")),
    ("3", _("03 - March")),
    ("4", _("04 - April")),
    ("5", _("05 - May")),
    ("6", _("06 - June")),
    ("7", _("07 - July")),
    ("8", _("08 - August")),
    ("9", _("09 - September")),
    ("10", _("10 - October")),
    ("11", _("11 - November")),
    ("12", _("12 - December")),
]


def name_field(
    label: str,
    *,
    required: bool = True,
    max_length: int = 60,
    autocomplete: str = "off",
    help_text: str = "",
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
    )


class IdentityForm(IdentityCleaning, UswdsForm):
    first_name = name_field(_("First or given name"), autocomplete="given-name")
    middle_name = name_field(
        _("Middle name"), required=False, autocomplete="additional-name", help_text=_("Optional.")
    )
    last_name = name_field(_("Last or family name"), max_length=80, autocomplete="family-name")
    former_last_name = name_field(
        _("Former last name"),
        required=False,
        max_length=80,
        help_text=_("Optional. If you were licensed or employed under another last name."),
    )
    dob_month = forms.TypedChoiceField(label=_("Month"), choices=MONTHS, coerce=int)
    dob_day = forms.IntegerField(
        label=_("Day"),
        min_value=1,
        max_value=31,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2, "autocomplete": "bday-day"}),
    )
    dob_year = forms.IntegerField(
        label=_("Year"),
        min_value=1000,
        max_value=9999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4, "autocomplete": "bday-year"}),
    )
    ssn = forms.CharField(
        label=_("Social Security Number"),
        max_length=20,
        help_text=_("9 digits, like 123-45-6789. For your security it is never shown back to you in full."),
        widget=NoEchoInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    state_id = forms.CharField(
        label=_("State educator ID"),
        required=False,
        max_length=8,
        help_text=_("Optional. The 8-digit ID on your license, if you have one."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dob_month"].widget.attrs["autocomplete"] = "bday-month"

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        parts = (data.get("dob_year"), data.get("dob_month"), data.get("dob_day"))
        if all(parts):
            try:
                born = date(*parts)  # type: ignore[misc]
            except ValueError:
                self.add_error("dob_day", _("That date does not exist. Check the day and month."))
                return data
            try:
                data["date_of_birth"] = birth_date_in_range(born)
            except ValidationError as exc:
                self.add_error("dob_year", exc)
        return data


class SecurityForm(NewPasswordMixin, HintMixin, UswdsForm):
    field_order = [
        "new_password",
        "confirm_password",
        "hint_question_choice",
        "own_question",
        "hint_answer",
    ]

    def __init__(
        self,
        *args: Any,
        first_name: str = "",
        last_name: str = "",
        username: str = "",
        password_context: PasswordContext | None = None,
        require_code: bool = False,
        **kwargs: Any,
    ) -> None:
        # The person's names, User Name and birth date (PasswordContext.from_identity for a new
        # registration, .for_profile for a pre-created Profile); the names alone still work.
        self.user = password_context or PasswordContext(
            username=username, first_name=first_name, last_name=last_name
        )
        super().__init__(*args, **kwargs)
        self.fields["new_password"].label = _("Password")
        self.fields["confirm_password"].label = _("Type the password again")
        if require_code:
            # A pre-created Profile with administrator access (or one whose administrator issued
            # a set-up code) is not finished on the strength of a name, a birth date and an SSN
            # alone: its owner was given a one-time code.
            self.fields = {"code": uswds_field(SETUP_CODE_FIELD()), **self.fields}


def SETUP_CODE_FIELD() -> forms.CharField:  # noqa: N802 - a field factory, read like a class
    return forms.CharField(
        label=_("Activation code"),
        max_length=64,
        widget=NoEchoInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_(
            "The one-time activation code you were given for this Profile, by customer service "
            "or by your organization's Directory Administrator. Dashes and spaces do not matter."
        ),
    )


class ReviewForm(UswdsForm):
    confirm = forms.BooleanField(
        label=_("I have read the privacy statement, and the information I gave is true and complete."),
        error_messages={"required": _("Check the box to confirm before you create your Profile.")},
    )


class CaseStatusForm(UswdsForm):
    reference = forms.CharField(
        label=_("Case reference"),
        max_length=20,
        help_text=_("Like EG-ACDE-FGHJ, as shown on the page that gave it to you."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_reference(self) -> str:
        reference = normalize_reference(self.cleaned_data["reference"])
        if not reference:
            raise ValidationError(_("Enter the case reference as shown, like EG-ACDE-FGHJ."))
        return reference
