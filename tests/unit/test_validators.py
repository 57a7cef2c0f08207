from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from edgate.accounts.hints import normalize_answer
from edgate.accounts.usernames import (
    MAX_BASE,
    NameBook,
    could_be_assigned,
    first_initial_last_name,
    next_free,
    taken_for,
)
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
        ("Ågot", "Ærø", "aaero"),
        ("Siobhán", "Mac Giolla Phádraig", "smacgiollaphadraig"),
        ("A", "B", "ab"),
        # Any script, transliterated (anyascii), never a placeholder.
        ("Ольга", "Петрова", "opetrova"),
        ("Γιώργος", "Παπαδόπουλος", "gpapadopoylos"),
        ("小明", "王", "xwang"),
        ("李", "王", "lwang"),
        ("محمد", "العلي", "mlly"),
        ("Văn", "Nguyễn", "vnguyen"),
        ("Thị Minh Khai", "Trần", "ttran"),
        # Long names are cut at a word boundary: whole words while the base stays within 30.
        ("Zoë", "D'Arcy-Ñúñez de la Torre y Montenegro", "zdarcynunezdelatorrey"),
        ("Mary", "St. John-Smythe", "mstjohnsmythe"),
        # ... and a first word longer than that alone is cut.
        ("Xavier", "Wolfeschlegelsteinhausenbergerdorff Smith", "xwolfeschlegelsteinhausenberge"),
        # No letters after transliteration: the other name, then the letters' Unicode names.
        ("ع", "Smith", "smith"),
        ("Ann", "ع", "ann"),
        ("ع", "ء", "ahamza"),
        ("A", "", "aa"),
    ],
)
def test_username_scheme(first: str, last: str, base: str) -> None:
    assert first_initial_last_name(first, last) == base
    assert could_be_assigned(base) and len(base) <= MAX_BASE


@given(st.text(max_size=40), st.text(max_size=80))
def test_every_name_gives_an_assignable_base(first: str, last: str) -> None:
    base = first_initial_last_name(first, last)
    assert next_free(base, set()) == base and len(base) <= MAX_BASE


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
