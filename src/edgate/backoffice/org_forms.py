"""Forms of the Directory Administrator console: they validate, they never save."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.audit.models import EventType
from edgate.core.forms import (
    DateOfBirthParts,
    IdentityCleaning,
    NoEchoInput,
    UswdsForm,
    date_part_field,
    month_field,
    their_birth_date_in_range,
    typed_date_field,
    uswds_field,
)
from edgate.core.validators import clean_phone
from edgate.directory.models import AppRole, Organization

from .case_forms import REASON_MAX, with_limit

# Profile status filter of the staff list ("none": a staff member without a Profile).
STATUS_CHOICES = [
    ("", _("Any")),
    ("active", _("Profile active")),
    ("awaiting_setup", _("Awaiting setup")),
    ("locked", _("Locked")),
    ("disabled", _("Disabled")),
    ("none", _("No Profile")),
]

# The events an organization's activity page offers as a filter (those that name it).
ACTIVITY_EVENTS = [
    EventType.STAFF_ADDED,
    EventType.STAFF_UPDATED,
    EventType.STAFF_ENDED,
    EventType.ACCESS_GRANTED,
    EventType.ACCESS_REVOKED,
    EventType.ADMIN_APPOINTED,
    EventType.ADMIN_REMOVED,
    EventType.ACTIVATION_CODE_ISSUED,
]


def role_title_field() -> forms.CharField:
    return forms.CharField(
        label=_("Role title"),
        max_length=80,
        help_text=_("For example Teacher, Principal or Data Manager."),
        error_messages={"required": _("Enter the role title, like Teacher.")},
    )


SSN_AGAIN = _("Type the SSN again: it is not shown back.")


class TheirDateOfBirth(DateOfBirthParts):
    """A date of birth typed by an administrator about someone else, in three boxes (month,
    day, year: no order to guess in either language). Shown back in the boxes when the page
    asks to correct something (only to the administrator who typed it, in the form, on a page
    never cached), so one wrong email address does not cost the date; the SSN is never shown
    back, and its field then says to type it again (`ask_ssn_again`)."""

    data: Any
    is_bound: bool
    __getitem__: Any
    date_of_birth_missing = _("Enter their date of birth.")

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        self.clean_date_of_birth_parts(data)
        return data

    @sensitive_variables()
    def check_birth_date(self, born: date) -> date:
        return their_birth_date_in_range(born)

    def ask_ssn_again(self) -> None:
        """The form is shown again with what was typed: an SSN that was typed is not, and its
        field says so in place of the usual help text."""
        if self.is_bound and str(self.data.get("ssn", "")).strip() and "ssn" in self.fields:
            field = self.fields["ssn"]
            field.help_text = f"{SSN_AGAIN} {getattr(field, 'retyped_help_text', '')}".strip()
            self["ssn"].help_text = field.help_text  # the bound field, made by validation, keeps a copy


def their_date_of_birth_parts() -> tuple[forms.Field, forms.Field, forms.Field]:
    return (
        month_field(),
        date_part_field(_("Day"), length=2, autocomplete="off"),
        date_part_field(_("Year"), length=4, autocomplete="off"),
    )


def ssn_field(help_text: Any) -> forms.CharField:
    """An SSN typed by an administrator about someone else: never echoed back."""
    field = forms.CharField(
        label=_("Social Security Number"),
        max_length=20,
        help_text=help_text,
        widget=NoEchoInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Enter their Social Security Number.")},
    )
    field.retyped_help_text = _("9 digits.")  # type: ignore[attr-defined]  # after SSN_AGAIN
    return field


def ask_reason(form: forms.Form, *, required: bool) -> forms.Form:
    """Customer service (and security administrators) say why they change an organization's
    staff or access: the reason goes into the audit event. A Directory Administrator is not asked."""
    if required:
        form.fields["reason"] = uswds_field(
            forms.CharField(
                label=_("Reason"),
                max_length=REASON_MAX,
                help_text=with_limit(
                    _("Why you are making this change for the organization (kept in the audit log).")
                ),
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("Give the reason for this change.")},
            )
        )
    return form


class ConfirmForm(UswdsForm):
    """A confirmation page's form: nothing to fill in but, for customer service, a reason."""


# Search boxes are plain text inputs (usa-input): USWDS styles every input[type=search] as half
# of its search component (2rem high, no right border, floated left), which breaks a form grid.


class StaffSearchForm(UswdsForm):
    q = forms.CharField(
        label=_("Name or User Name"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off", "enterkeyhint": "search"}),
    )
    role_title = forms.CharField(label=_("Role title"), required=False, max_length=80)
    status = forms.ChoiceField(label=_("Profile status"), required=False, choices=STATUS_CHOICES)
    school = forms.ChoiceField(label=_("Organization"), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = list(organization.children.filter(active=True).order_by("name"))
        if schools:
            choices = [("", _("This district and its schools")), (organization.code, organization.name)]
            self.fields["school"].choices = choices + [(s.code, s.name) for s in schools]
        else:
            del self.fields["school"]


class PickStaffSearchForm(UswdsForm):
    q = forms.CharField(
        label=_("Name or User Name"),
        max_length=80,
        error_messages={"required": _("Enter a name or User Name to search for.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "enterkeyhint": "search"}),
    )


class PickStaffForm(UswdsForm):
    person = forms.TypedChoiceField(
        label=_("Person"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose the person to add."),
            "invalid_choice": _("Choose one of the people listed."),
        },
    )
    role_title = role_title_field()

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = choices


class KnownPersonForm(IdentityCleaning, TheirDateOfBirth, UswdsForm):
    """Searched by POST: the SSN and date of birth never go into a URL. Names, date of birth
    and SSN must all agree with the record (`staffing.find_known_person`)."""

    first_name = forms.CharField(
        label=_("First name"), max_length=60, error_messages={"required": _("Enter their first name.")}
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=80, error_messages={"required": _("Enter their last name.")}
    )
    dob_month, dob_day, dob_year = their_date_of_birth_parts()
    date_of_birth_hint = _("For example: January 19 1991")
    ssn = ssn_field(_("9 digits. It is not shown back in full."))


class RoleTitleForm(UswdsForm):
    role_title = role_title_field()


class EditEntryForm(UswdsForm):
    role_title = role_title_field()
    started_on = typed_date_field(
        _("Started on"),
        help_text=_("Optional. Month/day/year, like 09/15/2026."),
        invalid=_("Enter the start date as a real date with a 4-digit year, like 09/15/2026."),
    )

    def clean_started_on(self) -> date | None:
        """A start up to a year ahead (a hire for next school year); further is a typo (2036 for
        2026), refused beside the field rather than shown as "since Sep 15, 2036"."""
        started = self.cleaned_data.get("started_on")
        today = timezone.localdate()
        if started is not None and started > today + timedelta(days=366):
            raise forms.ValidationError(
                _("The start date is more than a year from now. Check the year."), code="too_far"
            )
        return started


class NewStaffForm(IdentityCleaning, TheirDateOfBirth, UswdsForm):
    first_name = forms.CharField(
        label=_("First or given name"),
        max_length=60,
        error_messages={"required": _("Enter their first name.")},
    )
    middle_name = forms.CharField(label=_("Middle name"), max_length=60, required=False)
    last_name = forms.CharField(
        label=_("Last or family name"),
        max_length=80,
        error_messages={"required": _("Enter their last name.")},
    )
    dob_month, dob_day, dob_year = their_date_of_birth_parts()
    date_of_birth_hint = _("For example: January 19 1991")
    ssn = ssn_field(
        _("9 digits. It is not shown back: type it again if the page asks you to correct something.")
    )
    email = forms.EmailField(label=_("Email address"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=20)
    role_title = role_title_field()

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])


class RoleChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: AppRole) -> str:
        # In the page's language (each name's Spanish when it has one): an option holds text
        # only, so without the lang="en" mark shown_name gives a name that has no Spanish.
        return f"{obj.application.shown_text}: {obj.shown_text}"


class GrantForm(UswdsForm):
    """`roles`: what a POST may name; `offered`: the options shown, those that may be granted at
    this kind of organization. A role of `roles` that is not offered (a page left open while the
    security administrator changed the role, a hand-made POST) is not a field error here:
    `do_grant_access` refuses it and says why (the action is the gate, not this form)."""

    role = RoleChoiceField(
        label=_("Application and role"),
        queryset=AppRole.objects.none(),
        empty_label=_("Choose an application role"),
        error_messages={
            "required": _("Choose the application and role to grant."),
            "invalid_choice": _("Choose one of the application roles listed."),
        },
    )

    def __init__(
        self, *args: Any, roles: QuerySet[AppRole], offered: QuerySet[AppRole], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        field.queryset = roles  # type: ignore[attr-defined]
        shown = field.iterator(field)  # type: ignore[attr-defined]
        shown.queryset = offered
        field.widget.choices = shown  # type: ignore[attr-defined]


class ActivityFilterForm(UswdsForm):
    event_type = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("Any"))] + [(e.value, e.label) for e in ACTIVITY_EVENTS],
    )
    actor = forms.CharField(label=_("By (User Name)"), required=False, max_length=40)
    date_from = typed_date_field(
        _("From"),
        help_text=_("Month/day/year, like 11/15/2026."),
        invalid=_("Enter the first day as a real date with a 4-digit year, like 11/15/2026."),
    )
    date_to = typed_date_field(
        _("To"),
        help_text=_("Month/day/year, like 11/30/2026."),
        invalid=_("Enter the last day as a real date with a 4-digit year, like 11/30/2026."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
