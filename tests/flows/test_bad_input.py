"""Bad input gets a clear message next to the field: never a 500 or a half-made record."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.utils.html import escape

from edgate.accounts import passwords
from edgate.people.models import Person
from edgate.registration import forms
from tests.factories import CONTACT_POST, someone

from .helpers import location, post_step, refused, register_new, start, step

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("José", "O'Brien", "jobrien"),
        ("Siobhán", "García-López", "sgarcialopez"),
        ("Nguyễn", "Van der Berg", "nvanderberg"),
        ("Zoë", "St. John", "zstjohn"),
        ("Владимир", "Иванов", "vivanov"),  # transliterated (anyascii), never a placeholder
        ("आदित्य", "शर्मा", "asrma"),  # anyascii writes no inherent vowel
    ],
)
def test_names_in_any_script_are_accepted(client: Client, first: str, last: str, expected: str) -> None:
    assert register_new(client, someone(first, last)).startswith(expected)


@pytest.mark.parametrize(
    ("ssn", "message"),
    [
        ("000-12-3456", "not a valid"),
        ("666-12-3456", "not a valid"),
        ("912-12-3456", "not a valid"),
        ("123-00-4567", "not a valid"),
        ("123-45-0000", "not a valid"),
        ("12345678", "9-digit"),
        ("1234567890", "9-digit"),
        ("12a-45-6789", "9-digit"),
        ("１２３４５６７８９", "9-digit"),
    ],
)
def test_impossible_ssns_are_refused_next_to_the_field(client: Client, ssn: str, message: str) -> None:
    start(client)
    response = refused(client, "identity", someone().identity_post(ssn=ssn))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["ssn"])
    assert 'href="#id_ssn"' in response.content.decode()  # the error summary links to the field


def test_ssn_with_spaces_is_accepted(client: Client) -> None:
    who = someone()
    start(client)
    spaced = f"{who.ssn[:3]} {who.ssn[3:5]} {who.ssn[5:]}"
    assert location(post_step(client, "identity", who.identity_post(ssn=spaced))) == step("contact")


@pytest.mark.parametrize(
    ("dob", "field", "message"),
    [
        ({"dob_month": "2", "dob_day": "30", "dob_year": "1990"}, "dob_day", str(forms.DOB_NOT_REAL)),
        (
            {"dob_month": "1", "dob_day": "1", "dob_year": str(date.today().year + 1)},
            "dob_year",
            "in the past",
        ),
        (
            {"dob_month": "1", "dob_day": "1", "dob_year": str(date.today().year - 5)},
            "dob_year",
            "at least 14",
        ),
        ({"dob_month": "1", "dob_day": "1", "dob_year": "1850"}, "dob_year", "Check the year"),
        ({"dob_month": "13", "dob_day": "1", "dob_year": "1990"}, "dob_month", str(forms.DOB_MONTH)),
        ({"dob_month": "1", "dob_day": "x", "dob_year": "1990"}, "dob_day", str(forms.DOB_DAY)),
        ({"dob_month": "1", "dob_day": "32", "dob_year": "1990"}, "dob_day", str(forms.DOB_DAY)),
        ({"dob_month": "1", "dob_day": "1", "dob_year": "85"}, "dob_year", str(forms.DOB_YEAR)),
        ({"dob_month": "1", "dob_day": "1", "dob_year": "19x5"}, "dob_year", str(forms.DOB_YEAR)),
        ({"dob_month": "", "dob_day": "", "dob_year": ""}, "dob_month", str(forms.DOB_MISSING)),
        (
            {"dob_month": "1", "dob_day": "", "dob_year": ""},
            "dob_day",
            str(forms.MISSING_PART[("dob_day", "dob_year")]),
        ),
    ],
)
def test_impossible_dates_of_birth_are_refused(
    client: Client, dob: dict[str, str], field: str, message: str
) -> None:
    """One message for the date, on the part at fault, saying what to do about it."""
    start(client)
    response = refused(client, "identity", someone().identity_post(**dob))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert len(errors[field]) == 1 and message in errors[field][0]
    assert not {"dob_month", "dob_day", "dob_year"} - {field} & set(errors)
    assert response.content.decode().count(escape(message)) == 2  # in the summary, by the date


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "Ann\x00e", "invisible"),
        ("first_name", "Ann\u202ee", "invisible"),
        ("last_name", "Smith\r\nX-Injected: 1", "invisible"),
        ("first_name", "A" * 61, "60 characters or fewer"),
        ("last_name", "R2D2", "letters"),
        ("first_name", "<script>", "letters"),
        ("first_name", "", "Enter your first name"),
    ],
)
def test_bad_names_are_refused(client: Client, field: str, value: str, message: str) -> None:
    start(client)
    response = refused(client, "identity", someone().identity_post(**{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert Person.objects.count() == 0


def test_bad_contact_details_are_refused(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone().identity_post())
    bad = CONTACT_POST | {
        "postcode": "ABCDE",
        "email": "not-an-email",
        "phone": "12",
        "state": "ZZ",
        "city": "x" * 500,
    }
    response = refused(client, "contact", bad)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"postcode", "email", "phone", "state", "city"}


def test_weak_passwords_are_refused_with_the_reason(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone("Evelyn", "Marchetti").identity_post())
    post_step(client, "contact", CONTACT_POST)
    for password, reason in [
        ("short pass", "at least 15"),
        ("1q2w3e4r5t6y7u8i", str(passwords.MESSAGES["password_keyboard"])),
        ("passwordpassword", str(passwords.MESSAGES["password_repeat"])),
        ("marchetti2024!!!", str(passwords.MESSAGES["password_last_name"])),
        ("x" * 257, "at most 256"),
    ]:
        response = refused(
            client,
            "security",
            {
                "new_password": password,
                "confirm_password": password,
                "hint_question_choice": "1",
                "hint_answer": "Ms Alvarez",
            },
        )
        assert reason in " ".join(response.context["form"].errors["new_password"]), password
    response = refused(
        client,
        "security",
        {
            "new_password": "a fine long passphrase",
            "confirm_password": "another",
            "hint_question_choice": "",
            "hint_answer": "",
        },
    )
    errors = response.context["form"].errors
    assert "do not match" in " ".join(errors["confirm_password"])
    assert {"hint_question_choice", "hint_answer"} <= set(errors)


def test_own_hint_question_needs_text(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone().identity_post())
    post_step(client, "contact", CONTACT_POST)
    response = refused(
        client,
        "security",
        {
            "new_password": "a fine long passphrase",
            "confirm_password": "a fine long passphrase",
            "hint_question_choice": "own",
            "own_question": "",
            "hint_answer": "whatever",
        },
    )
    assert "at least 10" in " ".join(response.context["form"].errors["own_question"])


def test_review_needs_confirmation(client: Client) -> None:
    start(client)
    post_step(client, "identity", someone().identity_post())
    post_step(client, "contact", CONTACT_POST)
    from tests.factories import security_post

    post_step(client, "security", security_post())
    response = refused(client, "review", {})
    assert "Check the box" in " ".join(response.context["form"].errors["confirm"])
    assert Person.objects.count() == 0
