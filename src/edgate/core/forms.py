"""Form base: USWDS classes on widgets, errors linked to fields, no control characters.

Forms validate and return cleaned data; they never save, send or log (STYLE.md).
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from . import conf
from .messages import plain_messages
from .validators import clean_birth_date, clean_name, clean_ssn, clean_state_id, reject_control_characters

WIDGET_CLASSES = {
    forms.Select: "usa-select",
    forms.Textarea: "usa-textarea",
    forms.CheckboxInput: "usa-checkbox__input",
    forms.RadioSelect: "usa-radio__input",
}


class NoEchoInput(forms.TextInput):
    """Never sends a submitted value back in the page (SSN, hint answer): typed, not shown."""

    def format_value(self, value: Any) -> None:
        return None


class PasswordInput(forms.PasswordInput):
    """A password box with a "Show password" button under it (core/widgets/password.html).

    The button is `hidden` until edgate/show-password.js runs, so without JavaScript the box is a
    plain password field and no button that does nothing is shown."""

    template_name = "core/widgets/password.html"


class PasswordStrengthInput(PasswordInput):
    """A new-password box with a strength meter (core/widgets/password_strength.html).

    Without JavaScript the meter shows the server's verdict on the password just submitted
    (`strength`, set by the form); with it, edgate/password-strength.js scores each change with
    zxcvbn in the browser. The text beside the meter is a polite live region, so a screen
    reader announces a new verdict when the typing pauses."""

    template_name = "core/widgets/password_strength.html"
    # zxcvbn's scores 0-4, as the meter says them; then the server's word for a refused password.
    LABELS = (
        gettext_lazy("Password strength: very weak"),
        gettext_lazy("Password strength: weak"),
        gettext_lazy("Password strength: fair"),
        gettext_lazy("Password strength: strong"),
        gettext_lazy("Password strength: very strong"),
    )
    REFUSED = gettext_lazy("Password strength: not accepted (see the message above)")
    # The browser's word when the password contains the person's name or date of birth.
    PERSONAL = gettext_lazy("Password strength: not accepted, it contains your name or date of birth")

    def __init__(self, attrs: dict[str, Any] | None = None, *, min_length: int = 0) -> None:
        super().__init__(attrs)
        self.min_length = min_length
        self.strength: dict[str, Any] | None = None  # {"score": 0-4, "label": text, "refused": bool}
        # What the browser's estimate is given (PasswordContext.browser_inputs): zxcvbn's user
        # inputs, and those that make the server refuse a password.
        self.user_inputs: dict[str, list[str]] = {"inputs": [], "refused": []}

    def show(self, score: int | None) -> None:
        """The server's verdict on the submitted password; None: refused by a rule."""
        if score is None:
            self.strength = {"score": 0, "label": str(self.REFUSED), "refused": True}
        else:
            self.strength = {"score": score, "label": str(self.LABELS[score]), "refused": False}

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(
            strength=self.strength,
            min_length=self.min_length,
            user_inputs=self.user_inputs,
            labels=[str(label) for label in self.LABELS],
            personal=str(self.PERSONAL),
            too_short=ngettext(
                "Too short: use at least %(min)d character",
                "Too short: use at least %(min)d characters",
                self.min_length,
            )
            % {"min": self.min_length},
        )
        return context


def uswds_field(field: forms.Field) -> forms.Field:
    """The USWDS class on its widget, no control characters in text, and error messages in
    plain words instead of Django's defaults (core/messages.py)."""
    css = next((c for kind, c in WIDGET_CLASSES.items() if isinstance(field.widget, kind)), "usa-input")
    classes = field.widget.attrs.get("class", "").split()
    if css not in classes:
        field.widget.attrs["class"] = " ".join([*classes, css])
    if isinstance(field, forms.CharField) and reject_control_characters not in field.validators:
        field.validators.append(reject_control_characters)
    plain_messages(field)
    field._uswds = True  # type: ignore[attr-defined]  # (copies of it, a form's fields, are done)
    return field


class UswdsBoundField(forms.BoundField):
    """A field with errors is drawn as one (USWDS `usa-input--error`, described by its error
    message) whenever it is rendered: errors found by `is_valid`, added afterwards by a view (a
    wrong hint answer) or kept from a refused submission and shown after a redirect."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        # A field without an error of its own that its group marks as at fault (an empty part of
        # a date of birth in error: DateOfBirthParts.invalid_marks): the ids of the messages
        # that say why.
        marks = getattr(self.form, "invalid_marks", None)
        group = None if self.errors or marks is None else marks(self.name)
        if (self.errors or group) and not widget.is_hidden:
            classes = f"{attrs.get('class') or widget.attrs.get('class', '')}".split()
            attrs["class"] = " ".join(
                [*classes, *(["usa-input--error"] if "usa-input--error" not in classes else [])]
            )
            attrs["aria-invalid"] = "true"
            own = str(widget.attrs.get("aria-describedby") or "")  # the widget's own (a shared hint)
            described = [*own.split(), *(group or [f"{self.auto_id}_error"])]
            if self.help_text:
                described.append(f"{self.auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described)
        return attrs


_USWDS_FIELDS_LOCK = threading.Lock()


class UswdsForm(forms.Form):
    error_summary_title = gettext_lazy("There is a problem")
    bound_field_class = UswdsBoundField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The class's declared fields once (Django copies them into every form's `fields`, the
        # changes with them): not the same work again for every form made, ~0.1 ms a field.
        # Under a lock, checked again inside: two threads making a class's first forms at once
        # would otherwise both add a validator (its error shown twice). One lock for all classes,
        # as a subclass shares its parent's field objects; taken only until a class is done.
        if not type(self).__dict__.get("_uswds_fields_done"):
            with _USWDS_FIELDS_LOCK:
                if not type(self).__dict__.get("_uswds_fields_done"):
                    for field in self.base_fields.values():
                        uswds_field(field)
                    type(self)._uswds_fields_done = True
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not getattr(field, "_uswds", False):  # one a subclass made or replaced
                uswds_field(field)

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_errors()

    def mark_errors(self) -> None:
        """Called once the form has its errors: after validation, and when a flow restores
        errors kept from a refused submission. The fields' error styling needs nothing here
        (UswdsBoundField draws it from the errors at render time); forms whose widgets show
        more about an error (the password strength meter) extend this."""


class TypedDateInput(forms.DateInput):
    """A date typed month first into one text box ("02/17/1991"), the order said by the field's
    hint in the page's language ("Month/day/year, like …"). Not <input type=date>: Chromium
    writes its own placeholder inside that box in the browser's language and order
    ("mm/dd/yyyy" on a Spanish page in an English browser, "dd/mm/aaaa" in a Spanish one),
    whatever the page's language, while the portal's hints and messages say month first and it
    reads a typed date month first in every language (core/formats/es). ISO dates are read too."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})}, format="%m/%d/%Y"
        )


# What a one-box date reads: month first or ISO, the year always in 4 digits. Not Django's
# DATE_INPUT_FORMATS, which read "05/12/60" (%y) as 2060 without a word.
TYPED_DATE_FORMATS = ["%m/%d/%Y", "%Y-%m-%d"]


def typed_date_field(label: Any, *, help_text: Any, invalid: Any, required: bool = False) -> forms.DateField:
    """A date (not of birth: that is DateOfBirthParts) in one box typed month first."""
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=TypedDateInput(),
        input_formats=TYPED_DATE_FORMATS,
        error_messages={"invalid": invalid},
    )


@sensitive_variables()
def birth_date_in_range(value: date) -> date:
    """A date of birth within the configured ages (MIN_AGE_YEARS … MAX_AGE_YEARS) as of today."""
    settings = conf.get()
    return clean_birth_date(
        value, today=timezone.localdate(), min_age=settings.min_age_years, max_age=settings.max_age_years
    )


# A name refused for its characters, said with the field's name: the error summary lists the
# messages alone, and two names refused alike must not read as one message twice.
NAME_CHARACTERS = {
    "first_name": gettext_lazy(
        "The first name can have letters, spaces, hyphens, apostrophes and periods only."
    ),
    "middle_name": gettext_lazy(
        "The middle name can have letters, spaces, hyphens, apostrophes and periods only."
    ),
    "last_name": gettext_lazy(
        "The last name can have letters, spaces, hyphens, apostrophes and periods only."
    ),
    "former_last_name": gettext_lazy(
        "The former last name can have letters, spaces, hyphens, apostrophes and periods only."
    ),
}


def clean_name_field(name: str, value: str) -> str:
    """`clean_name`, its refusal of characters worded for the field `name`."""
    try:
        return clean_name(value)
    except ValidationError as exc:
        if exc.code == "name" and name in NAME_CHARACTERS:
            raise ValidationError(NAME_CHARACTERS[name], code="name") from exc
        raise


# A date of birth typed about someone else (the consoles): the range's refusals say "their".
THEIR_BIRTH_DATE = {
    "dob_old": gettext_lazy("Check the year of their date of birth."),
    "dob_young": gettext_lazy("They must be at least %(age)s years old to have a Profile."),
}


@sensitive_variables()
def their_birth_date_in_range(value: date) -> date:
    """`birth_date_in_range`, worded for someone else's date of birth."""
    try:
        return birth_date_in_range(value)
    except ValidationError as exc:
        if exc.code in THEIR_BIRTH_DATE:
            message = str(THEIR_BIRTH_DATE[exc.code])
            if exc.code == "dob_young":
                message %= {"age": conf.get().min_age_years}
            raise ValidationError(message, code=exc.code) from None
        raise


class IdentityCleaning:
    """The cleaners of a person's identifying fields, for every form that asks for them (the
    wizard's page 1, adding staff in the console). Django calls `clean_<name>` only for the
    fields a form has, so a form with fewer fields simply uses fewer of these."""

    cleaned_data: dict[str, Any]

    def clean_first_name(self) -> str:
        return clean_name_field("first_name", self.cleaned_data["first_name"])

    def clean_middle_name(self) -> str:
        return clean_name_field("middle_name", self.cleaned_data["middle_name"])

    def clean_last_name(self) -> str:
        return clean_name_field("last_name", self.cleaned_data["last_name"])

    def clean_former_last_name(self) -> str:
        return clean_name_field("former_last_name", self.cleaned_data["former_last_name"])

    @sensitive_variables()
    def clean_ssn(self) -> str:
        return clean_ssn(self.cleaned_data["ssn"])

    def clean_state_id(self) -> str:
        return clean_state_id(self.cleaned_data["state_id"])

    @sensitive_variables()
    def clean_date_of_birth(self) -> date:
        return birth_date_in_range(self.cleaned_data["date_of_birth"])


# The date of birth as three boxes (month, day, year): the wizard's page 1 and the console's
# forms that ask for someone's date of birth. Never one box typed in an order: in a bilingual
# console a day-first typist's 05/03/1991 would be read as May 3 without a word.
MONTHS = [
    ("", gettext_lazy("- Select -")),
    ("1", gettext_lazy("01 - January")),
    ("2", gettext_lazy("02 - February")),
    ("3", gettext_lazy("03 - March")),
    ("4", gettext_lazy("04 - April")),
    ("5", gettext_lazy("05 - May")),
    ("6", gettext_lazy("06 - June")),
    ("7", gettext_lazy("07 - July")),
    ("8", gettext_lazy("08 - August")),
    ("9", gettext_lazy("09 - September")),
    ("10", gettext_lazy("10 - October")),
    ("11", gettext_lazy("11 - November")),
    ("12", gettext_lazy("12 - December")),
]

DOB_MISSING = gettext_lazy("Enter your date of birth.")
DOB_MONTH = gettext_lazy("Enter a month from 1 to 12.")
DOB_DAY = gettext_lazy("Enter a day from 1 to 31.")
DOB_YEAR = gettext_lazy("Enter the year as 4 digits, like 1985.")
DOB_NOT_REAL = gettext_lazy("The date of birth must be a real date. Check the day and the month.")

MISSING_PART = {
    ("dob_month",): gettext_lazy("The date of birth must include a month."),
    ("dob_day",): gettext_lazy("The date of birth must include a day."),
    ("dob_year",): gettext_lazy("The date of birth must include a year."),
    ("dob_month", "dob_day"): gettext_lazy("The date of birth must include a month and a day."),
    ("dob_month", "dob_year"): gettext_lazy("The date of birth must include a month and a year."),
    ("dob_day", "dob_year"): gettext_lazy("The date of birth must include a day and a year."),
}


class NoEchoSelect(forms.Select):
    """A choice never sent back selected (a month of someone else's date of birth)."""

    def format_value(self, value: Any) -> list[str]:
        return []


def month_field(*, echo: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=gettext_lazy("Month"),
        choices=MONTHS,
        required=False,
        widget=forms.Select if echo else NoEchoSelect,
        error_messages={"invalid_choice": DOB_MONTH},
    )


def date_part_field(label: Any, *, length: int, autocomplete: str, echo: bool = True) -> forms.CharField:
    # Checked in DateOfBirthParts, as a whole: each part alone is optional here.
    widget = forms.TextInput if echo else NoEchoInput
    return forms.CharField(
        label=label,
        required=False,
        widget=widget(attrs={"inputmode": "numeric", "maxlength": length, "autocomplete": autocomplete}),
    )


class DateOfBirthParts:
    """The date of birth as three boxes, checked together so the person is told at once what is
    wrong with each part at fault ("Enter a day from 1 to 31", "Enter the year as 4 digits, like
    1985"), in one submission, not one part a time; missing parts are one message. The parts
    are read as typed (text), so "85", "x" or "13" get these words rather than Django's number
    and choice messages. The form's clean() calls clean_date_of_birth_parts;
    core/includes/date_of_birth.html draws the group (fields.html draws it in place of
    dob_month)."""

    cleaned_data: dict[str, Any]
    add_error: Any
    has_error: Any
    fields: dict[str, forms.Field]

    PARTS = ("dob_month", "dob_day", "dob_year")
    date_of_birth_label: Any = gettext_lazy("Date of birth")
    date_of_birth_hint: Any = gettext_lazy("For example: January 19 2000")
    date_of_birth_missing: Any = DOB_MISSING
    date_of_birth_required = True  # all three empty: the missing message, else date_of_birth None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for part in self.PARTS:  # the group's hint
            self.fields[part].widget.attrs["aria-describedby"] = "dob-hint"

    @property
    def date_of_birth_has_errors(self) -> bool:
        """Whether a part is at fault: the page marks the date's whole group, as it marks a field."""
        return any(self.has_error(name) for name in self.PARTS)

    def invalid_marks(self, name: str) -> list[str] | None:
        """A part of a date of birth in error that is empty, though the error is another part's
        (all three empty: the one message is the month's) is marked at fault too, as USWDS's
        memorable date marks each box to fill: the ids of the group's error messages, which
        describe it. None for any other field."""
        if name not in self.PARTS or not self.date_of_birth_has_errors or self.has_error(name):
            return None
        if str(self[name].value() or "").strip():  # type: ignore[index]
            return None
        return [f"{self[part].auto_id}_error" for part in self.PARTS if self.has_error(part)]  # type: ignore[index]

    @sensitive_variables()
    def check_birth_date(self, born: date) -> date:
        return birth_date_in_range(born)

    @sensitive_variables()
    def clean_date_of_birth_parts(self, data: dict[str, Any]) -> None:
        month, day, year = (str(data.get(name) or "").strip() for name in self.PARTS)
        already = {name for name in self.PARTS if self.has_error(name)}  # a month not in the list
        if "dob_month" in already:
            month = "0"  # said already; the other parts are still checked
        missing = [name for name, value in zip(self.PARTS, (month, day, year), strict=True) if not value]
        if len(missing) == 3:
            if self.date_of_birth_required:
                self.add_error("dob_month", self.date_of_birth_missing)
            else:
                data["date_of_birth"] = None
            return
        # Every part at fault is said at once (a missing part and a 2-digit year together),
        # not one a submission.
        problems: dict[str, Any] = {}
        if missing:
            problems[missing[0]] = MISSING_PART[tuple(missing)]
        if month and not (month.isascii() and month.isdigit() and 1 <= int(month) <= 12):
            problems["dob_month"] = DOB_MONTH
        if day and not (day.isascii() and day.isdigit() and 1 <= int(day) <= 31):
            problems["dob_day"] = DOB_DAY
        if year and not (year.isascii() and year.isdigit() and len(year) == 4):
            problems["dob_year"] = DOB_YEAR
        for name in self.PARTS:
            if name in problems and name not in already:
                self.add_error(name, problems[name])
        if problems or already:
            return
        try:
            born = date(int(year), int(month), int(day))
        except ValueError:
            self.add_error("dob_day", DOB_NOT_REAL)
            return
        try:
            data["date_of_birth"] = self.check_birth_date(born)
        except ValidationError as exc:
            self.add_error("dob_year", exc)
