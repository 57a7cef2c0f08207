from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from edgate.core.forms import NoEchoInput, UswdsForm


def _compact(value: str) -> str:
    # People copy codes with spaces or dashes ("123 456", "abcd-efgh").
    return re.sub(r"[\s-]", "", value).lower()


class SecondFactorForm(UswdsForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={
            "required": _("Enter the 6-digit code from your authenticator app, or a recovery code.")
        },
    )

    def clean_code(self) -> str:
        code = _compact(self.cleaned_data["code"])
        if not code.isascii() or not code.isalnum():
            raise ValidationError(_("Enter the code with letters and digits only."))
        return code


class ConfirmDeviceForm(UswdsForm):
    # A password alone must not be enough to attach an app to a privileged Profile: whoever
    # knew it could enrol first and keep the owner out. Customer service gives the owner this.
    enrolment_code = forms.CharField(
        label=_("Enrolment code from customer service"),
        max_length=64,
        help_text=_("26 letters and digits. Dashes and spaces do not matter."),
        widget=NoEchoInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the enrolment code customer service gave you.")},
    )
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        help_text=_("The 6-digit code your authenticator app shows now."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": _("Enter the 6-digit code your authenticator app shows.")},
    )

    def clean_code(self) -> str:
        code = _compact(self.cleaned_data["code"])
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise ValidationError(_("Enter the 6 digits your app shows."))
        return code
