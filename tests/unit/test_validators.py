from datetime import date

import pytest
from django.core.exceptions import ValidationError

from edgate.accounts.hints import normalize_answer
from edgate.accounts.usernames import NameBook, first_initial_last_name, next_free, taken_for
from edgate.core.validators import (
    clean_birth_date,
    clean_name,
    clean_phone,
    clean_postcode,
    clean_ssn,
)


@pytest.mark.parametrize("raw", ["123-45-6789", "123 45 6789", "123456789", " 123-45-6789 "])
def test_ssn_accepts_dashes_and_spaces(raw: str) -> None:
    assert clean_ssn(raw) == "123456789"


@pytest.mark.parametrize(
    "raw",
    [
        "000-45-6789",
        "666-45-6789",
        "900-45-6789",
        "999-45-6789",
        "123-00-6789",
        "123-45-0000",
        "12345678",
        "1234567890",
        "",
        "abc-de-fghi",
        "١٢٣٤٥٦٧٨٩",
    ],
)
def test_ssn_refuses_impossible_numbers(raw: str) -> None:
    with pytest.raises(ValidationError):
        clean_ssn(raw)


@pytest.mark.parametrize(
    "name",
    [
        "José",
        "O'Brien",
        "O’Brien",
        "Nguyễn",
        "García-López",
        "St. John",
        "Zoë",
        "Владимир",
        "आदित्य",
        "李",
    ],
)
def test_real_names_are_accepted(name: str) -> None:
    assert clean_name(name) == name


@pytest.mark.parametrize("name", ["R2D2", "-Ann", "Ann\u200b", "Ann\x07", "<b>", "Ann_Lee", "'quoted'"])
def test_names_with_digits_controls_or_markup_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        clean_name(name)


def test_birth_date_bounds() -> None:
    today = date(2026, 11, 29)
    assert clean_birth_date(date(2012, 11, 29), today=today, min_age=14, max_age=110)
    for bad in (date(2012, 11, 30), date(2027, 1, 1), date(1915, 11, 28)):
        with pytest.raises(ValidationError):
            clean_birth_date(bad, today=today, min_age=14, max_age=110)


def test_phone_and_postcode() -> None:
    assert clean_phone("+1 (555) 201-4477") == "5552014477"
    assert clean_phone("") == ""
    assert clean_postcode("02148 1234") == "02148-1234"
    for bad in ("555-0100", "0552014477", "12"):
        with pytest.raises(ValidationError):
            clean_phone(bad)


def test_hint_answers_are_normalized() -> None:
    assert normalize_answer("  Quill\u00a0FEATHER   lane ") == "quill feather lane"
    assert normalize_answer("ﬁsh") == "fish"  # NFKC


@pytest.mark.parametrize(
    ("first", "last", "base"),
    [
        ("John", "Smith", "jsmith"),
        ("José", "O'Brien", "jobrien"),
        ("Ågot", "Ærø", "ar"),
        ("Siobhán", "Mac Giolla Phádraig", "smacgiollaphadraig"),
        ("李", "王", "user"),
        ("A", "B", "ab"),
    ],
)
def test_username_scheme(first: str, last: str, base: str) -> None:
    result = first_initial_last_name(first, last)
    assert result.startswith(base) and result.isascii() and result.isalnum() and len(result) <= 30


def test_username_takes_the_smallest_free_number() -> None:
    assert next_free("jsmith", set()) == "jsmith"
    assert next_free("jsmith", {"jsmith"}) == "jsmith2"
    assert next_free("jsmith", {"jsmith", "jsmith2", "jsmith4"}) == "jsmith3"
    assert taken_for("jsmith", ["JSmith", "jsmith2", "jsmithers", "jsmith2x"]) == {
        "jsmith",
        "jsmith2",
    }


def test_bulk_allocation_follows_the_same_rule_as_a_single_one() -> None:
    book = NameBook()
    for name in ("JSmith", "jsmith3", "alee2"):
        book.note(name)
    assert book.allocate("John", "Smith") == next_free("jsmith", {"jsmith", "jsmith3"}) == "jsmith2"
    assert book.allocate("Jane", "Smith") == "jsmith4"  # 3 is taken, and so is everything below
    assert book.allocate("Ann", "Lee") == "alee"
    assert book.allocate("Al", "Lee") == "alee3"
