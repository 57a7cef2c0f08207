"""Form base: USWDS classes on widgets, errors linked to fields, no control characters.

Forms validate and return cleaned data; they never save, send or log (STYLE.md).
"""

from __future__ import annotations

from typing import Any

from django import forms

from .validators import reject_control_characters

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


def uswds_field(field: forms.Field) -> forms.Field:
    """The USWDS class on its widget, and no control characters in text."""
    css = next((c for kind, c in WIDGET_CLASSES.items() if isinstance(field.widget, kind)), "usa-input")
    field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()
    if isinstance(field, forms.CharField):
        field.validators.append(reject_control_characters)
    return field


class UswdsForm(forms.Form):
    error_summary_title = "There is a problem"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            uswds_field(field)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                described = f"{self[name].auto_id}_error"
                if self.fields[name].help_text:
                    described += f" {self[name].auto_id}_helptext"
                widget.attrs["aria-describedby"] = described
                widget.attrs["class"] += " usa-input--error"


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d")
