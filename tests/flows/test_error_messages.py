"""Errors people understand (issue 11): every form of the portal, empty and with wrong values,
answers in its own words — never Django's defaults, which are read from Django's field and
validator classes (`django_default_messages`), not listed here by hand — and every form page
shows them in one error summary that takes focus and links to each field."""

from __future__ import annotations

import html
import importlib
import inspect
import re
from typing import Any

import pytest
from django import forms
from django.core import validators
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext

from edgate.accounts.models import Profile
from edgate.core.forms import UswdsForm
from edgate.core.messages import CHOOSE, FILL_IN, django_default_messages
from edgate.directory.models import AppRole, Organization
from edgate.people.models import Person
from edgate.registration import forms as registration_forms
from tests.factories import CONTACT_POST, HINT_ANSWER, PASSWORD, on_file, security_post, someone, with_profile

from .helpers import flow_id, location, post_step, start, step

pytestmark = pytest.mark.django_db

FORM_MODULES = [
    "edgate.accounts.forms",
    "edgate.registration.forms",
    "edgate.recovery.forms",
    "edgate.mfa.forms",
    "edgate.backoffice.org_forms",
    "edgate.backoffice.service_forms",
    "edgate.backoffice.case_forms",
]
DEFAULTS = django_default_messages()


def defaults_in(text: str) -> list[str]:
    return [fragment for fragment in DEFAULTS if fragment in text]


def test_the_default_messages_are_read_from_django() -> None:
    """The list the other tests check against holds what issue 11 found on the pages."""
    for seen in (
        "This field is required",
        "Ensure this value is greater than or equal to",
        "Select a valid choice",
    ):
        assert seen in DEFAULTS
    assert any(fragment.startswith("Enter a valid email") for fragment in DEFAULTS)


def form_classes() -> list[type[forms.BaseForm]]:
    """Every concrete form the portal's pages use (mixins are tested through their forms)."""
    found: dict[str, type[forms.BaseForm]] = {}
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == name
                and not value.__name__.endswith("Mixin")
            ):
                found[f"{name}.{value.__name__}"] = value
    assert len(found) > 20, found
    return [found[key] for key in sorted(found)]


def kwargs_for(form_class: type[forms.BaseForm], profile: Profile) -> dict[str, Any]:
    """What each form is built with on its page. A new form that needs something fails here
    until it is taught: every form is walked."""
    person = profile.person
    organization = Organization.objects.create(
        code="01230000", name="Northfield Public Schools", org_type="district"
    )
    known: dict[str, dict[str, Any]] = {
        "StaffSearchForm": {"organization": organization},
        "PickStaffForm": {"choices": [(person.pk, "Someone")]},
        "GrantForm": {"roles": AppRole.objects.all(), "offered": AppRole.objects.all()},
        "AppointForm": {"organizations": Organization.objects.all()},
        "MergeForm": {"people": Person.objects.all()},
        "ConfirmMergeForm": {"people": Person.objects.all()},
        "ResolveForm": {"person": person},
        "ChangePasswordForm": {"user": profile},
        "ChangeHintForm": {"user": profile},
        "ResetPasswordForm": {"user": profile},
        "SecurityForm": {"first_name": "Avery", "last_name": "Lindqvist", "require_code": True},
    }
    parameters = inspect.signature(form_class.__init__).parameters
    needs = [n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    given = known.get(form_class.__name__, {})
    assert set(needs) <= set(given), f"teach kwargs_for how to build {form_class.__name__}: {needs}"
    return given


def wrong_value(field: forms.Field) -> str:
    if isinstance(field, forms.BooleanField):
        return ""
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return "no-such-choice"
    if isinstance(field, forms.DateField):
        return "2026-02-30"
    if isinstance(field, forms.IntegerField):
        return "twelve"
    if isinstance(field, forms.EmailField):
        return "not an email"
    return "x" * ((getattr(field, "max_length", None) or 300) + 1)


def short_value(field: forms.Field) -> str:
    """Too short where a minimum length applies, and a null character everywhere else."""
    if any(isinstance(v, validators.MinLengthValidator) for v in field.validators):
        return "a"
    return "A\x00b"


def messages_of(form: forms.BaseForm) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(someone("Emery", "Whitcombe")))


@pytest.mark.parametrize("form_class", form_classes(), ids=lambda c: c.__name__)
def test_every_form_answers_in_its_own_words(form_class: type[forms.BaseForm], profile: Profile) -> None:
    kwargs = kwargs_for(form_class, profile)
    fields = form_class(**kwargs).fields
    for data in (
        {},
        {name: wrong_value(field) for name, field in fields.items()},
        {name: short_value(field) for name, field in fields.items()},
    ):
        form = form_class(data=data, **kwargs)
        form.is_valid()
        for message in messages_of(form):
            assert not defaults_in(message), f"{form_class.__name__} {data!r}: {message}"
    # Every required field says what to do in words of its own, not the label in a template.
    for name, field in form_class(**kwargs).fields.items():
        if field.required:
            generic = {str(template) % {"label": field.label} for template in (FILL_IN, CHOOSE)}
            assert str(field.error_messages["required"]) not in generic, f"{form_class.__name__}.{name}"


def test_every_portal_form_is_a_uswds_form() -> None:
    """The plain messages, error styling and control-character check come with UswdsForm."""
    for form_class in form_classes():
        assert issubclass(form_class, UswdsForm), form_class


# --- Through the pages: the summary, the fields, no default wording -------------------------


def error_page_checks(page: str, expected_fields: set[str]) -> None:
    text = html.unescape(page)
    assert not defaults_in(text), defaults_in(text)
    summary = re.search(r'<div[^>]*id="error-summary"[^>]*>(.*?)</ul>', page, re.S)
    assert summary, "no error summary"
    opening = summary.group(0)[: summary.group(0).index(">") + 1]
    assert 'tabindex="-1"' in opening and "autofocus" in opening and "usa-alert--error" in opening
    linked = set(re.findall(r'href="#id_(\w+?)(?:_0)?"', summary.group(1)))
    assert expected_fields <= linked, (expected_fields, linked)
    for name in expected_fields:
        tag = re.search(rf'<(?:input|select|textarea)[^>]*id="id_{name}(?:_0)?"[^>]*>', page)
        assert tag, name
        assert "usa-input--error" in tag.group(0), tag.group(0)
        described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
        assert described and f"id_{name}_error" in described.group(1).split(), tag.group(0)
        assert f'id="id_{name}_error"' in page
        assert "usa-form-group--error" in page
    # The messages speak for themselves: no "Label: message" in the summary.
    for label in re.findall(r'<label[^>]*for="id_\w+"[^>]*>([^<]+)</label>', page):
        assert f">{label}:" not in summary.group(1), label
    assert re.search(r"<title>\s*" + re.escape(html.escape(gettext("Error:"))), page)  # said first


def test_wizard_pages_empty_and_wrong(client: Client) -> None:
    start(client)
    page = post_step(client, "identity", {}, follow=True).content.decode()
    error_page_checks(page, {"first_name", "last_name", "dob_month", "ssn"})
    # One line for the date of birth, however many of its parts are empty.
    assert html.unescape(page).count(str(registration_forms.DOB_MISSING)) == 2
    wrong = someone().identity_post(dob_year="85", first_name="x" * 61)
    page = post_step(client, "identity", wrong, follow=True).content.decode()
    error_page_checks(page, {"first_name", "dob_year"})
    assert str(registration_forms.DOB_YEAR) in html.unescape(page)

    assert location(post_step(client, "identity", someone().identity_post())) == step("contact")
    error_page_checks(
        post_step(client, "contact", {}, follow=True).content.decode(),
        {"street", "city", "state", "postcode", "email"},
    )
    bad = CONTACT_POST | {"email": "not an email", "state": "ZZ", "phone": "12", "city": "x" * 61}
    error_page_checks(
        post_step(client, "contact", bad, follow=True).content.decode(), {"email", "state", "phone", "city"}
    )
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")
    error_page_checks(
        post_step(client, "security", {}, follow=True).content.decode(),
        {"new_password", "confirm_password", "hint_question_choice", "hint_answer"},
    )
    short = security_post() | {"hint_answer": "ab", "hint_question_choice": "99"}
    error_page_checks(
        post_step(client, "security", short, follow=True).content.decode(),
        {"hint_question_choice", "hint_answer"},
    )
    assert location(post_step(client, "security", security_post())) == step("review")
    page = post_step(client, "review", {}, follow=True).content.decode()
    error_page_checks(page, {"confirm"})


def test_sign_in_and_profile_pages_empty_and_wrong(client: Client, profile: Profile) -> None:
    error_page_checks(
        client.post(reverse("accounts:login"), {"username": "", "password": ""}).content.decode(),
        {"username", "password"},
    )
    client.force_login(profile)
    for name, fields in [
        ("accounts:change_password", {"current_password", "new_password", "confirm_password"}),
        ("accounts:change_hint", {"current_password", "hint_question_choice", "hint_answer"}),
    ]:
        error_page_checks(client.post(reverse(name), {}, follow=True).content.decode(), fields)
    wrong = client.post(
        reverse("accounts:change_hint"),
        {"current_password": "not it", "hint_question_choice": "x", "hint_answer": "a"},
        follow=True,
    )
    error_page_checks(wrong.content.decode(), {"current_password", "hint_question_choice", "hint_answer"})


def test_recovery_pages_and_a_wrong_hint_answer(client: Client, profile: Profile) -> None:
    client.get(reverse("recovery:start"))
    flow = flow_id(client, "recovery")
    username = f"{reverse('recovery:step', args=['username'])}?flow={flow}"
    error_page_checks(client.post(username, {}, follow=True).content.decode(), {"username"})
    client.post(username, {"username": profile.username}, follow=True)
    answer = f"{reverse('recovery:step', args=['answer'])}?flow={flow}"
    error_page_checks(client.post(answer, {}, follow=True).content.decode(), {"answer"})
    # A wrong answer is found after the form is valid: its input gets the error border all the same.
    page = client.post(answer, {"answer": f"not {HINT_ANSWER}"}, follow=True).content.decode()
    error_page_checks(page, {"answer"})
    assert PASSWORD not in page


def test_case_status_empty_and_wrong(client: Client) -> None:
    url = reverse("registration:case_status")
    error_page_checks(client.post(url, {}).content.decode(), {"reference"})
    error_page_checks(client.post(url, {"reference": "???"}).content.decode(), {"reference"})


def test_the_date_of_birth_parts_are_described_by_the_example_and_by_their_error(client) -> None:  # type: ignore[no-untyped-def]
    import re

    from django.urls import reverse

    page = client.get(reverse("registration:start"), follow=True).content.decode()
    for part in ("dob_month", "dob_day", "dob_year"):
        tag = re.search(rf'<(?:input|select)[^>]*id="id_{part}"[^>]*>', page)
        assert tag and 'aria-describedby="dob-hint"' in tag.group(0), part
    form = __import__("edgate.registration.forms", fromlist=["IdentityForm"]).IdentityForm(
        {"first_name": "Ann", "last_name": "Lee", "dob_month": "2", "dob_day": "17", "dob_year": "85"}
    )
    assert not form.is_valid()
    year = str(form["dob_year"])
    assert 'aria-describedby="dob-hint id_dob_year_error"' in year


def test_a_date_of_birth_at_fault_is_marked_as_a_whole_like_any_field(client) -> None:  # type: ignore[no-untyped-def]
    """Page 1 sent with the year as "85": the date's group carries USWDS's error mark (the red
    bar at its side, the legend in bold) as the name and SSN fields do; sent right, it does not."""
    start(client)
    wrong = post_step(client, "identity", someone().identity_post(dob_year="85"), follow=True)
    group = re.search(
        r'<div class="([^"]*)" data-testid="date-of-birth">\s*<fieldset[^>]*>\s*<legend class="([^"]*)"',
        wrong.content.decode(),
    )
    assert group, "no date-of-birth group"
    assert "usa-form-group--error" in group.group(1).split() and "usa-label--error" in group.group(2).split()
    name_wrong = post_step(client, "identity", someone().identity_post(first_name=""), follow=True)
    group = re.search(r'<div class="([^"]*)" data-testid="date-of-birth">', name_wrong.content.decode())
    assert group and "usa-form-group--error" not in group.group(1)
