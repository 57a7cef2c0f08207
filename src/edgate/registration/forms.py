from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.accounts import passwords
from edgate.accounts.forms import HintMixin, NewPasswordMixin
from edgate.accounts.passwords import PasswordContext
from edgate.core.forms import (  # noqa: F401 - DOB_* and MONTHS are read from here too (tests)
    DOB_DAY,
    DOB_MISSING,
    DOB_MONTH,
    DOB_NOT_REAL,
    DOB_YEAR,
    MISSING_PART,
    MONTHS,
    DateOfBirthParts,
    IdentityCleaning,
    NoEchoInput,
    UswdsForm,
    date_part_field,
    month_field,
    uswds_field,
)
from edgate.core.validators import clean_ssn

from .cases import normalize_reference


def name_field(
    label: str,
    *,
    required: bool = True,
    max_length: int = 60,
    autocomplete: str = "off",
    help_text: str = "",
    required_message: str = "",
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
        error_messages={"required": required_message} if required_message else None,
    )


class IdentityForm(IdentityCleaning, DateOfBirthParts, UswdsForm):
    first_name = name_field(
        _("First or given name"),
        autocomplete="given-name",
        required_message=_("Enter your first name."),
    )
    middle_name = name_field(
        _("Middle name"), required=False, autocomplete="additional-name", help_text=_("Optional.")
    )
    last_name = name_field(
        _("Last or family name"),
        max_length=80,
        autocomplete="family-name",
        required_message=_("Enter your last name."),
    )
    former_last_name = name_field(
        _("Former last name"),
        required=False,
        max_length=80,
        help_text=_("Optional. If you were licensed or employed under another last name."),
    )
    dob_month = month_field()
    dob_day = date_part_field(_("Day"), length=2, autocomplete="bday-day")
    dob_year = date_part_field(_("Year"), length=4, autocomplete="bday-year")
    ssn = forms.CharField(
        label=_("Social Security Number"),
        max_length=20,
        help_text=_("9 digits, like 123-45-6789. For your security it is never shown back to you in full."),
        widget=NoEchoInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter your Social Security Number.")},
    )
    # Where the page says the SSN must be typed again (core.flowview.ask_again), that note says
    # it is not shown: the help text then gives the format alone, so it is said once.
    ssn.retyped_help_text = _("9 digits, like 123-45-6789.")  # type: ignore[attr-defined]
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
        self.clean_date_of_birth_parts(data)
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
        confirm_ssn: bool = False,
        first_ssn: str = "",
        **kwargs: Any,
    ) -> None:
        # The person's names, User Name and birth date (PasswordContext.from_identity for a new
        # registration, .for_profile for a pre-created Profile); the names alone still work.
        self.user = password_context or PasswordContext(
            username=username, first_name=first_name, last_name=last_name
        )
        # The SSN the person typed on page 1 (confirm_ssn): `ssn_again` must match it.
        self._first_ssn = first_ssn
        super().__init__(*args, **kwargs)
        # The person is given their User Name only once this page is done.
        self.fields["new_password"].help_text = passwords.help_text(username_known=False)
        self.fields["new_password"].label = _("Password")
        self.fields["confirm_password"].label = _("Type the password again")
        if require_code:
            # A pre-created Profile with administrator access (or one whose administrator issued
            # a set-up code) is not finished on the strength of a name, a birth date and an SSN
            # alone: its owner was given a one-time code.
            self.fields = {"code": uswds_field(SETUP_CODE_FIELD()), **self.fields}
        if confirm_ssn:
            # The code proves the person, not the digits they typed on page 1: the SSN they
            # typed joins their record only when typed the same twice (flows.submit_setup).
            code = {"code": self.fields.pop("code")} if "code" in self.fields else {}
            self.fields = {**code, "ssn_again": uswds_field(SSN_AGAIN_FIELD()), **self.fields}

    @sensitive_variables()
    def clean_ssn_again(self) -> str:
        # Compared with what this person typed on their own page 1, not with the record (which
        # has no SSN): an error they can correct, and no oracle of anyone else's number.
        typed = clean_ssn(self.cleaned_data["ssn_again"])
        if not constant_time_compare(typed, self._first_ssn):
            raise ValidationError(SSN_DIFFERS, code="ssn_differs")
        return typed


SSN_DIFFERS = _("This does not match the number you typed on the first page.")


def SSN_AGAIN_FIELD() -> forms.CharField:  # noqa: N802 - a field factory, read like a class
    return forms.CharField(
        label=_("Your Social Security Number, again"),
        max_length=20,
        widget=NoEchoInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter your Social Security Number.")},
        help_text=_("Type it again; we add it to your record only if both match."),
    )


def SETUP_CODE_FIELD() -> forms.CharField:  # noqa: N802 - a field factory, read like a class
    return forms.CharField(
        label=_("Activation code"),
        max_length=64,
        widget=NoEchoInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the activation code you were given.")},
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
        error_messages={"required": _("Enter your case reference, like EG-ACDE-FGHJ.")},
    )

    def clean_reference(self) -> str:
        reference = normalize_reference(self.cleaned_data["reference"])
        if not reference:
            raise ValidationError(_("Enter the case reference as shown, like EG-ACDE-FGHJ."))
        return reference
