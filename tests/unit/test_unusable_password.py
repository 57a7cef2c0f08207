"""A pre-created Profile's password: Django's unusable form, made with one random read."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password, is_password_usable

from edgate.accounts.actions import build_precreated_profile, unusable_password
from edgate.people.models import Person


def test_it_has_django_s_unusable_form_and_never_verifies() -> None:
    made = [unusable_password() for _ in range(200)]
    assert all(re.fullmatch(r"![A-Za-z0-9]{40}", p) for p in made)
    assert not any(is_password_usable(p) for p in made)
    assert not check_password("", made[0]) and not check_password(made[0][1:], made[0])
    assert len(set(made)) == len(made)


def test_every_letter_and_digit_is_drawn_alike() -> None:
    counts = Counter("".join(unusable_password()[1:] for _ in range(2000)))  # 80,000 characters
    assert len(counts) == 62
    # Each of the 62 is expected 1,290 times (σ ≈ 36); a byte taken modulo 62 without rejection
    # would give the first 8 characters (256 % 62) about 1,560 each. Bounds at 5σ.
    assert max(counts.values()) < 1470 and min(counts.values()) > 1110


@pytest.mark.django_db
def test_a_precreated_profile_has_no_usable_password() -> None:
    profile = build_precreated_profile(person=Person(first_name="Ann", last_name="Lee"), username="alee")
    assert not profile.has_usable_password()
    assert profile.check_password("") is False


def test_each_random_byte_is_read_by_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every byte value, in every position: a byte below the unbiased bound is its letter or
    digit (b % 62), a byte at or above it is dropped and the next read continues."""
    import string

    from edgate.core import crypto

    alphabet = string.ascii_letters + string.digits
    # Reads of 56 dropped bytes (248–255) and 8 kept ones: five of them make the 40 characters.
    reads = [bytes([*range(248, 256)] * 7 + [(i * 8 + k) * 6 % 248 for k in range(8)]) for i in range(6)]
    expected = "".join(alphabet[b % 62] for read in reads for b in read if b < 248)[:40]
    given = iter(reads)
    monkeypatch.setattr(crypto.secrets, "token_bytes", lambda n: next(given))
    assert unusable_password() == "!" + expected
