"""Forms of the customer-service console."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from edgate.accounts.models import Profile
from edgate.core.forms import UswdsForm, uswds_field
from edgate.directory.models import Organization
from edgate.people.models import Person

from .case_forms import REASON_MAX, with_limit

REASON_HELP = _("Required. Recorded in the audit log with the change.")


class ReasonForm(UswdsForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        help_text=with_limit(REASON_HELP),
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
        error_messages={"required": _("Give the reason for this change.")},
    )


class SearchForm(UswdsForm):
    """Posted, never put in a URL: names, e-mail addresses and SSN digits stay out of access
    logs and browser history."""

    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=120,
        help_text=_("First, last or former last name, or both (the beginning of each is enough)."),
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "off"}),
    )
    username = forms.CharField(
        label=_("User Name"),
        required=False,
        max_length=40,
        help_text=_("The whole User Name, or its beginning."),
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "off", "spellcheck": "false"}),
    )
    ssn_last4 = forms.CharField(
        label=_("Last four digits of the SSN"),
        required=False,
        max_length=4,
        help_text=_("Exactly 4 digits."),
        widget=forms.TextInput(
            attrs={"class": "usa-input usa-input--small", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "usa-input", "autocomplete": "off"}),
    )

    def clean_ssn_last4(self) -> str:
        value: str = self.cleaned_data["ssn_last4"].strip()
        if value and not re.fullmatch(r"\d{4}", value):
            raise forms.ValidationError(_("Type exactly the last 4 digits, nothing else."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not any(data.get(name) for name in self.fields):
            raise forms.ValidationError(_("Fill in at least one of the fields to search."))
        return data


class OrganizationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return f"{obj.code} — {obj.name}"


class AppointForm(ReasonForm):
    field_order = ["organization", "reason"]
    organization = OrganizationChoice(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        empty_label=_("- Select -"),
        help_text=_("Active organizations by code: type the code's first digits to jump to it."),
        widget=forms.Select(attrs={"class": "usa-select"}),
        error_messages={
            "required": _("Choose the organization."),
            "invalid_choice": _("Choose the organization."),
        },
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


def find_person(people: QuerySet[Person], typed: str) -> Person | None:
    """A Person by state educator ID (8 digits) or by the User Name of their Profile."""
    typed = typed.strip()
    if re.fullmatch(r"\d{8}", typed):
        return people.filter(state_id=typed).first()
    profile = Profile.objects.find_by_username(typed)
    return people.filter(pk=profile.person_id).first() if profile is not None else None


class MergeForm(UswdsForm):
    survivor = forms.CharField(
        label=_("Survivor: User Name or state educator ID"),
        max_length=40,
        help_text=_("The record that stays and receives the other's staff entries, access and cases."),
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Type the survivor's User Name or state educator ID.")},
    )
    duplicate = forms.CharField(
        label=_("Duplicate: User Name or state educator ID"),
        max_length=40,
        help_text=_("The record merged away; its Profile is disabled but kept."),
        widget=forms.TextInput(attrs={"class": "usa-input", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Type the duplicate's User Name or state educator ID.")},
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people

    def _person(self, name: str) -> Person:
        person = find_person(self.people, self.cleaned_data[name])
        if person is None:
            raise forms.ValidationError(_("No Profile has this User Name and no person has this state ID."))
        return person

    def clean_survivor(self) -> Person:
        return self._person("survivor")

    def clean_duplicate(self) -> Person:
        return self._person("duplicate")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        survivor, duplicate = data.get("survivor"), data.get("duplicate")
        if survivor is not None and duplicate is not None and survivor.pk == duplicate.pk:
            raise forms.ValidationError(
                _(
                    "The survivor and the duplicate are the same person: "
                    "a person cannot be merged with themselves."
                )
            )
        return data


class ConfirmMergeForm(MergeForm, ReasonForm):
    field_order = ["survivor", "duplicate", "state_ids_checked", "reason"]

    def __init__(self, *args: Any, state_ids: tuple[str, str] | None = None, **kwargs: Any) -> None:
        """`state_ids`: the survivor's and the duplicate's, when they differ: the merge then needs
        a ticked confirmation, as the action does (actions.do_merge_persons)."""
        super().__init__(*args, **kwargs)
        if state_ids is not None:
            self.fields["state_ids_checked"] = uswds_field(
                forms.BooleanField(
                    label=_(
                        "The state educator IDs differ: the survivor's, %(survivor)s, stays and the "
                        "duplicate's, %(duplicate)s, is no longer used. I have checked that both "
                        "records are the same person."
                    )
                    % {"survivor": state_ids[0], "duplicate": state_ids[1]},
                    error_messages={
                        "required": _("Confirm that you checked the different state educator IDs.")
                    },
                )
            )
            self.order_fields(self.field_order)
