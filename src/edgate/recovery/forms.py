from django import forms
from django.utils.translation import gettext_lazy as _

from edgate.accounts.forms import NewPasswordMixin
from edgate.accounts.passwords import PasswordContext
from edgate.core.forms import NoEchoInput, UswdsForm


class UsernameForm(UswdsForm):
    username = forms.CharField(
        label=_("User Name"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter your User Name.")},
    )


class AnswerForm(UswdsForm):
    answer = forms.CharField(
        label=_("Answer"),
        max_length=100,
        widget=NoEchoInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Capital letters and extra spaces do not matter."),
        error_messages={"required": _("Enter the answer to your Password Hint Question.")},
    )


class CodeForm(UsernameForm):
    code = forms.CharField(
        label=_("Activation code"),
        max_length=64,
        widget=NoEchoInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text=_(
            "26 letters and digits, as customer service gave it to you. Dashes and spaces do not matter."
        ),
        error_messages={"required": _("Enter the activation code customer service gave you.")},
    )


class ResetPasswordForm(NewPasswordMixin, UswdsForm):
    def __init__(self, *args, user=None, **kwargs):  # type: ignore[no-untyped-def]
        self.user = user
        super().__init__(*args, **kwargs)

    def password_context(self) -> PasswordContext:
        # No reuse check here (an oracle for the old password to whoever passed the hint or held
        # a code). The meter in the browser is given the Profile's names, birth date and e-mail:
        # the person proved who they are to reach this page.
        if self.user is None:
            return PasswordContext()
        return PasswordContext.for_profile(self.user, reuse=False)
