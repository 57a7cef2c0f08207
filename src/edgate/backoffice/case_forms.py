"""Forms of the match-case console: the queue's filter, resolving, escalating, reassigning."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.core.forms import (
    DateOfBirthParts,
    UswdsForm,
    clean_name_field,
    date_part_field,
    month_field,
    their_birth_date_in_range,
)
from edgate.directory.models import Organization
from edgate.matching.actions import CORRECTABLE_FIELDS
from edgate.matching.models import DECISIONS, CaseOutcome, CaseStatus
from edgate.people.models import Person

# Every reason or note box of the consoles (cases, customer service, organizations): kept whole
# in its audit event (audit.record.DETAIL_TEXT_MAX) and its row, and said under the box.
REASON_MAX = 1000


def with_limit(help_text: Any) -> Any:
    """The box's help text and its limit, in the page's language ("… Up to 1000 characters.")."""
    return format_lazy("{} {}", help_text, REASON_LIMIT)


REASON_LIMIT = lazy(lambda: gettext("Up to %(count)s characters.") % {"count": REASON_MAX}, str)()


def reason_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASON_MAX,
        help_text=with_limit(help_text),
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


class ResolveForm(DateOfBirthParts, UswdsForm):
    """Same person (correcting the record where it was wrong) or different people, with a reason.

    The correction fields start with the record's values. Only those the resolver changed are
    validated, compared and written: a field left as it was is the record's value, whatever it
    is (a record without a date of birth, or with one the registration form would refuse), and
    never stands in the way of "different people"."""

    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[(outcome.value, outcome.label) for outcome in DECISIONS],
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
    # The record's date of birth in three boxes (month, day, year): no order to guess.
    dob_month = month_field()
    dob_day = date_part_field(_("Day"), length=2, autocomplete="off")
    dob_year = date_part_field(_("Year"), length=4, autocomplete="off")
    date_of_birth_label = _("Date of birth on the record")
    date_of_birth_hint = _("For example: January 19 1991.")
    date_of_birth_missing = _("Enter the date of birth for the record: it can be corrected, not removed.")
    reason = reason_field(
        _("Reason"),
        _("Why you decided this, for example what you checked. Kept with the case and in the audit log."),
    )

    def __init__(
        self,
        *args: Any,
        person: Person,
        show_birth_date: bool = True,
        birth_date_by_service: bool = False,
        **kwargs: Any,
    ) -> None:
        initial: dict[str, Any] = {name: getattr(person, name) for name in CORRECTABLE_FIELDS}
        born = initial.pop("date_of_birth")
        # A Directory Administrator is not shown the record's date of birth: the boxes start
        # empty, and left empty keep the record's.
        if show_birth_date and born is not None:
            initial.update(dob_month=str(born.month), dob_day=str(born.day), dob_year=str(born.year))
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.person = person
        self.show_birth_date = show_birth_date
        # A record's date of birth may be corrected, not removed; one without may stay without.
        self.date_of_birth_required = show_birth_date and born is not None
        # The order to type it in first (the group's own hint), then what this record asks.
        if born is None:
            self.date_of_birth_hint = "{} {}".format(
                self.date_of_birth_hint,
                _("The record has no date of birth. Leave this empty unless you checked it."),
            )
        elif birth_date_by_service:
            self.date_of_birth_hint = "{} {}".format(
                self.date_of_birth_hint,
                _(
                    "Not shown here. Leave this empty to keep the record's date of birth: only customer "
                    "service may correct it on a case from Create a Profile (escalate the case)."
                ),
            )
        elif not show_birth_date:
            self.date_of_birth_hint = "{} {}".format(
                self.date_of_birth_hint,
                _(
                    "Not shown here. Leave this empty to keep the record's date of birth, or type the "
                    "one you checked against a document."
                ),
            )

    def _touched(self, name: str) -> bool:
        if name == "date_of_birth":
            return any(part in self.changed_data for part in self.PARTS)
        return name in self.changed_data

    def clean_first_name(self) -> str:
        if not self._touched("first_name"):
            return self.person.first_name
        return clean_name_field("first_name", self.cleaned_data["first_name"])

    def clean_middle_name(self) -> str:
        if not self._touched("middle_name"):
            return self.person.middle_name
        return clean_name_field("middle_name", self.cleaned_data["middle_name"])

    def clean_last_name(self) -> str:
        if not self._touched("last_name"):
            return self.person.last_name
        return clean_name_field("last_name", self.cleaned_data["last_name"])

    def clean_former_last_name(self) -> str:
        if not self._touched("former_last_name"):
            return self.person.former_last_name
        return clean_name_field("former_last_name", self.cleaned_data["former_last_name"])

    @sensitive_variables()
    def check_birth_date(self, born: date) -> date:
        # Left as the page showed it: the record's value, whatever that is. Where the page does
        # not show it (a Directory Administrator), every typed date is checked alike: an answer
        # that depended on whether it is the record's would tell a right guess from a wrong one.
        if self.show_birth_date and born == self.person.date_of_birth:
            return born
        return their_birth_date_in_range(born)

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError(_("Give the reason: it is kept with the case."))
        return reason

    def corrections(self) -> dict[str, Any]:
        """The record's fields the resolver changed, with their new values (valid forms only).

        A date of birth typed where the record's is not shown is a correction whether or not it
        is the record's: the resolver cannot know, and every answer (refusals, the case's history)
        must be the same for a right guess and a wrong one (docs/security.md, "deciding a case")."""
        return {
            name: self.cleaned_data[name]
            for name in CORRECTABLE_FIELDS
            if self._touched(name)
            and name in self.cleaned_data
            and (
                self.cleaned_data[name] != getattr(self.person, name)
                or (name == "date_of_birth" and not self.show_birth_date)
            )
        }

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Untouched, or left empty where the record's is not shown: the record's value.
        data["date_of_birth"] = self.person.date_of_birth
        if self._touched("date_of_birth"):
            data.pop("date_of_birth")
            self.clean_date_of_birth_parts(data)
            if "date_of_birth" in data and data["date_of_birth"] is None:
                data["date_of_birth"] = self.person.date_of_birth
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
    reason = reason_field(_("Reason for reassigning"), _("Why the case goes to these organizations."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the case page beside the resolve form, which has a `reason` too: ids of their
        # own, so a label, a hint and the error summary's link each reach this form's field.
        kwargs.setdefault("auto_id", "id_route_%s")
        super().__init__(*args, **kwargs)

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
