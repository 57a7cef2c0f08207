"""Error messages in plain words for every form field, instead of Django's defaults.

Django's own wording ("This field is required.", "Ensure this value has at most 60 characters
(it has 61).", "Select a valid choice. 13 is not one of the available choices.", "Enter a
valid email address.") says neither which field nor what to do. Each form gives its required
fields their own message ("Enter your last name"); `plain_messages` replaces whatever default is
left with one that names the field and says what is expected. `django_default_messages` lists
Django's defaults, read from the field and validator classes themselves, for the test that walks
every form and fails on any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms import models as model_forms
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

# Messages that name the field: %(label)s is the field's label, as on the page.
FILL_IN = _("Fill in “%(label)s”.")
CHOOSE = _("Choose “%(label)s”.")
CHOOSE_LISTED = _("Choose “%(label)s” from the list.")
WHOLE_NUMBER = _("“%(label)s” must be a whole number, like 12.")
NUMBER = _("“%(label)s” must be a number, like 12.5.")
REAL_DATE = _("“%(label)s” must be a real date, like 02/17/1991.")
EMAIL = _("Enter an email address in the correct format, like name@example.com.")
TOO_LONG = _("“%(label)s” must be %(limit_value)d characters or fewer. You entered %(show_value)d.")
TOO_SHORT = _("“%(label)s” must be at least %(limit_value)d characters.")
TOO_LOW = _("“%(label)s” must be %(limit_value)s or more.")
TOO_HIGH = _("“%(label)s” must be %(limit_value)s or less.")
NULL_CHARACTERS = _("Remove the special or invisible characters.")

_CHOICE_FIELDS = (forms.ChoiceField, model_forms.ModelChoiceField)


def _label_in(template: Promise, label: Any) -> str:
    return str(template) % {"label": label}


# One lazy wrapper for the module: Django's `lazy()` builds a new proxy class at every call
# (~0.05 ms), and every form built calls this for each message of each field.
_label_in_lazy = lazy(_label_in, str)


def _named(template: Promise, label: Any) -> Promise:
    """`template` with the field's label, translated when the message is shown."""
    return _label_in_lazy(template, label)  # type: ignore[no-any-return]


class _Labelled:
    """A limit validator whose message names the field (Django's gives only the limit)."""

    message: Any
    code: str
    compare: Callable[[Any, Any], bool]
    clean: Callable[[Any], Any]
    limit_value: Any

    def __init__(self, limit_value: Any, label: Any, message: Promise) -> None:
        super().__init__(limit_value, message=message)  # type: ignore[call-arg]
        self.label = label

    def __call__(self, value: Any) -> None:
        cleaned = self.clean(value)
        limit = self.limit_value() if callable(self.limit_value) else self.limit_value
        if self.compare(cleaned, limit):
            params = {"limit_value": limit, "show_value": cleaned, "value": value, "label": self.label}
            raise ValidationError(self.message, code=self.code, params=params)


class LabelledMaxLength(_Labelled, validators.MaxLengthValidator):
    pass


class LabelledMinLength(_Labelled, validators.MinLengthValidator):
    pass


class LabelledMinValue(_Labelled, validators.MinValueValidator):
    pass


class LabelledMaxValue(_Labelled, validators.MaxValueValidator):
    pass


_LIMITS: list[tuple[type[validators.BaseValidator], type[_Labelled], Promise]] = [
    (validators.MaxLengthValidator, LabelledMaxLength, TOO_LONG),
    (validators.MinLengthValidator, LabelledMinLength, TOO_SHORT),
    (validators.MinValueValidator, LabelledMinValue, TOO_LOW),
    (validators.MaxValueValidator, LabelledMaxValue, TOO_HIGH),
]


def _defaults_of(field: forms.Field) -> list[Any]:
    return [
        message
        for klass in type(field).__mro__
        for message in vars(klass).get("default_error_messages", {}).values()
    ]


def plain_messages(field: forms.Field) -> forms.Field:
    """Replace every Django default message `field` would give with one in plain words.

    A message the form set itself (`error_messages=...`) is kept."""
    label = field.label or ""
    defaults = _defaults_of(field)
    messages = field.error_messages

    def is_default(code: str) -> bool:
        return code in messages and any(messages[code] is d for d in defaults)

    if is_default("required"):
        choice = isinstance(field, _CHOICE_FIELDS)
        messages["required"] = _named(CHOOSE if choice else FILL_IN, label)
    if is_default("invalid_choice"):
        messages["invalid_choice"] = _named(CHOOSE_LISTED, label)
    if is_default("invalid"):
        if isinstance(field, forms.IntegerField):
            messages["invalid"] = _named(WHOLE_NUMBER, label)
        elif isinstance(field, (forms.FloatField, forms.DecimalField)):
            messages["invalid"] = _named(NUMBER, label)
        elif isinstance(field, (forms.DateField, forms.DateTimeField)):
            messages["invalid"] = _named(REAL_DATE, label)
        elif isinstance(field, forms.EmailField):
            messages["invalid"] = EMAIL
    field.validators = list(_plain_validators(field.validators, label))
    if isinstance(field, model_forms.ModelChoiceField):
        # Django checks a chosen value for null characters with its own message, before the
        # choice itself: a value no option has is answered like any other unknown choice.
        invalid_choice = messages["invalid_choice"]

        def validate_no_null_characters(value: Any) -> None:
            if "\x00" in str(value):
                raise ValidationError(invalid_choice, code="invalid_choice", params={"value": value})

        field.validate_no_null_characters = validate_no_null_characters  # type: ignore[method-assign]
    return field


def _plain_validators(found: list[Any], label: Any) -> Iterator[Any]:
    for validator in found:
        if isinstance(validator, _Labelled):
            yield validator
            continue
        if getattr(validator, "message", None) is not getattr(type(validator), "message", None):
            yield validator  # the form gave it a message of its own
            continue
        for kind, labelled, message in _LIMITS:
            if type(validator) is kind:
                yield labelled(validator.limit_value, label, message)
                break
        else:
            if type(validator) is validators.EmailValidator:
                yield validators.EmailValidator(message=EMAIL)
            elif type(validator) is validators.ProhibitNullCharactersValidator:
                yield validators.ProhibitNullCharactersValidator(message=NULL_CHARACTERS)
            else:
                yield validator


def django_default_messages() -> list[str]:
    """Fragments of every message Django's form fields and validators give by default, for
    tests that fail on any of them. Read from the classes (not a hand-kept list), with each
    placeholder filled and cut out: "Ensure this value has at most ", " characters (it has"."""
    found: list[Any] = []
    for klass in _all_subclasses(forms.Field):
        found.extend(vars(klass).get("default_error_messages", {}).values())
    for value in vars(validators).values():
        message = getattr(value, "message", None) if isinstance(value, type) else None
        if message is not None:
            found.append(message)
    marker = 987654
    fragments: set[str] = set()
    for message in found:
        try:
            text = message % _Everything(marker)
        except (TypeError, ValueError, KeyError):
            text = str(message)
        for piece in str(text).split(str(marker)):
            piece = piece.strip(" .,:()")
            if len(piece) >= 10:
                fragments.add(piece)
    return sorted(fragments)


class _Everything(dict):  # type: ignore[type-arg]
    """A mapping with every key, for filling any message's placeholders."""

    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value

    def __getitem__(self, key: Any) -> int:
        return self.value

    def __contains__(self, key: object) -> bool:
        return True


def _all_subclasses(klass: type) -> Iterator[type]:
    yield klass
    for sub in klass.__subclasses__():
        yield from _all_subclasses(sub)
