"""Forms of the match-case console: the queue's filter, resolving, escalating, reassigning."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.core.forms import UswdsForm, birth_date_in_range, date_widget
from edgate.core.validators import clean_name
from edgate.directory.models import Organization
from edgate.matching.actions import CORRECTABLE_FIELDS
from edgate.matching.models import CaseOutcome, CaseStatus
from edgate.people.models import Person

# The reason is kept whole in the audit event (whose texts are cut at 200 characters).
REASON_MAX = 200


def reason_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason: it is kept with the case.")},
    )


class CaseFilterForm(UswdsForm):
    """GET: the queue's filter. A case reference is not personal data."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *CaseStatus.choices],
        error_messages={"invalid_choice": _("Choose a status from the list.")},
    )
    reference = forms.CharField(label=_("Case reference"), required=False, max_length=20)


class ResolveForm(UswdsForm):
    """Same person (correcting the record where it was wrong) or different people, with a reason.

    The correction fields start with the record's values. Only those the resolver changed are
    validated, compared and written: a field left as it was is the record's value, whatever it
    is (a record without a date of birth, or with one the registration form would refuse), and
    never stands in the way of "different people"."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=CaseOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether they are the same person or different people."),
            "invalid_choice": _("Choose whether they are the same person or different people."),
        },
    )
    first_name = forms.CharField(
        label=_("First name on the record"),
        max_length=60,
        error_messages={"required": _("Enter the first name for the record.")},
    )
    middle_name = forms.CharField(label=_("Middle name on the record"), max_length=60, required=False)
    last_name = forms.CharField(
        label=_("Last name on the record"),
        max_length=80,
        error_messages={"required": _("Enter the last name for the record.")},
    )
    former_last_name = forms.CharField(
        label=_("Former last name on the record"), max_length=80, required=False
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth on the record"),
        help_text=_("Month/day/year, like 02/17/1991."),
        widget=date_widget(),
        required=False,
        error_messages={
            "required": _("Enter the date of birth for the record: it can be corrected, not removed."),
            "invalid": _("Enter the date of birth as a real date, like 02/17/1991."),
        },
    )
    reason = reason_field(
        _("Reason"),
        _("Why you decided this, for example what you checked. Kept with the case and in the audit log."),
    )

    def __init__(self, *args: Any, person: Person, show_birth_date: bool = True, **kwargs: Any) -> None:
        initial = {name: getattr(person, name) for name in CORRECTABLE_FIELDS}
        if not show_birth_date:
            # A Directory Administrator is not shown the record's date of birth: the field starts
            # empty, and left empty keeps the record's.
            initial["date_of_birth"] = None
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.person = person
        dob = self.fields["date_of_birth"]
        dob.widget.attrs["autocomplete"] = "off"
        # A record's date of birth may be corrected, not removed; one without may stay without.
        dob.required = show_birth_date and person.date_of_birth is not None
        # The order to type it in first (the field's own hint), then what this record asks.
        if person.date_of_birth is None:
            dob.help_text = "{} {}".format(
                dob.help_text, _("The record has no date of birth. Leave this empty unless you checked it.")
            )
        elif not show_birth_date:
            dob.help_text = "{} {}".format(
                dob.help_text,
                _(
                    "Not shown here. Leave this empty to keep the record's date of birth, or type the "
                    "one you checked against a document."
                ),
            )

    def _touched(self, name: str) -> bool:
        return name in self.changed_data

    def clean_first_name(self) -> str:
        if not self._touched("first_name"):
            return self.person.first_name
        return clean_name(self.cleaned_data["first_name"])

    def clean_middle_name(self) -> str:
        if not self._touched("middle_name"):
            return self.person.middle_name
        return clean_name(self.cleaned_data["middle_name"])

    def clean_last_name(self) -> str:
        if not self._touched("last_name"):
            return self.person.last_name
        return clean_name(self.cleaned_data["last_name"])

    def clean_former_last_name(self) -> str:
        if not self._touched("former_last_name"):
            return self.person.former_last_name
        return clean_name(self.cleaned_data["former_last_name"])

    @sensitive_variables()
    def clean_date_of_birth(self) -> Any:
        typed = self.cleaned_data["date_of_birth"]
        # Untouched, or typed as the record has it (a Directory Administrator is not shown it),
        # it is the record's value, whatever that is.
        if not self._touched("date_of_birth") or typed == self.person.date_of_birth:
            return self.person.date_of_birth
        if typed is None and not self.fields["date_of_birth"].required:
            return self.person.date_of_birth  # left empty where the record's is not shown: kept
        return birth_date_in_range(typed)

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(_("Give the reason: it is kept with the case."))
        return reason

    def corrections(self) -> dict[str, Any]:
        """The record's fields the resolver changed, with their new values (valid forms only)."""
        return {
            name: self.cleaned_data[name]
            for name in CORRECTABLE_FIELDS
            if self._touched(name)
            and name in self.cleaned_data
            and self.cleaned_data[name] != getattr(self.person, name)
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == CaseOutcome.DIFFERENT_PEOPLE and self.corrections():
            raise ValidationError(
                _("Corrections to the record go with “same person” only. Undo them, or choose “same person”.")
            )
        return data


class EscalateForm(UswdsForm):
    note = reason_field(
        _("Note for customer service"),
        _("What you found and why you cannot decide. Kept with the case and in the audit log."),
    )

    def clean_note(self) -> str:
        note = " ".join(self.cleaned_data["note"].split())
        if not note:
            raise ValidationError(_("Give the reason: it is kept with the case."))
        return note


class RouteForm(UswdsForm):
    """Customer service: which organizations' Directory Administrators get the case."""

    codes = forms.CharField(
        label=_("Organization codes"),
        max_length=400,
        help_text=_("The 8-digit codes, separated by commas or spaces."),
        error_messages={"required": _("Enter at least one organization code.")},
    )
    reason = reason_field(_("Reason"), _("Why the case goes to these organizations."))

    def clean_codes(self) -> list[Organization]:
        codes = sorted(set(self.cleaned_data["codes"].replace(",", " ").split()))
        if not codes:
            raise ValidationError(_("Enter at least one organization code."))
        found = {org.code: org for org in Organization.objects.filter(code__in=codes, active=True)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise ValidationError(
                _("No active organization has the code %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return [found[code] for code in codes]

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(_("Give the reason: it is kept with the case."))
        return reason
