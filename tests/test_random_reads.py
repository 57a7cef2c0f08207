"""Random strings from one read of the system's random source (core/crypto.py random_string).

Django draws its CSRF secrets and masks and its session keys one character at a time
(`get_random_string` → `secrets.choice`), and each character is a read of the system's random
source, a system call: 64 for a new visitor's page (the secret and the mask of its token), 64
more at sign-in (the CSRF rotation, the new session key). EdGate draws the same characters, from
the same source, without bias, a few dozen bytes at a read."""

from __future__ import annotations

import random
import re
import string
from collections import Counter
from collections.abc import Iterator

import pytest
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.test import Client

from edgate.core import crypto

from .factories import PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The sizes of the reads of the system's random source (`secrets` and `random.SystemRandom`
    both read through `random._urandom`) made while the test runs."""
    made: list[int] = []
    read = random._urandom  # type: ignore[attr-defined]

    def counted(size: int) -> bytes:
        made.append(size)
        return read(size)

    monkeypatch.setattr(random, "_urandom", counted)
    yield made


def test_a_new_visitor_s_page_reads_the_random_source_twice(reads: list[int]) -> None:
    """The CSRF secret (the cookie) and the mask of the token in the page: one read each."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    assert page.status_code == 200
    assert len(reads) == 2, reads  # Django's draw: 64
    secret = client.cookies["csrftoken"].value
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content)
    assert token and re.fullmatch(r"[A-Za-z0-9]{32}", secret)
    assert re.fullmatch(rb"[A-Za-z0-9]{64}", token.group(1))
    # And the token still does its work: a post with it is examined, one without is refused.
    refused = client.post("/login/", {"username": "nobody", "password": "wrong"})
    assert refused.status_code == 403
    examined = client.post(
        "/login/", {"username": "nobody", "password": "wrong", "csrfmiddlewaretoken": token.group(1).decode()}
    )
    assert examined.status_code in (200, 429)


def test_a_sign_in_draws_its_session_key_and_new_csrf_secret_in_one_read_each(reads: list[int]) -> None:
    profile = with_profile(on_file(someone()))
    client = Client()
    client.get("/login/")
    reads.clear()
    response = client.post("/login/", {"username": profile.username, "password": PASSWORD})
    assert response.status_code == 302
    assert len(reads) <= 2, reads  # the rotated CSRF secret and the session key (Django's: 64)
    assert re.fullmatch(r"[a-z0-9]{32}", client.cookies["sessionid"].value)
    assert re.fullmatch(r"[A-Za-z0-9]{32}", client.cookies["csrftoken"].value)


@pytest.mark.parametrize("alphabet", [CSRF_ALLOWED_CHARS, VALID_KEY_CHARS, string.digits + "ab"])
def test_every_character_is_drawn_alike(alphabet: str) -> None:
    drawn = "".join(crypto.random_string(40, alphabet) for _ in range(250 * len(alphabet) // 40 * 8))
    counts = Counter(drawn)
    assert set(counts) == set(alphabet)
    expected = len(drawn) / len(alphabet)  # 2,000 each; σ ≈ 44
    # Without the rejection of the bytes above the largest multiple of the alphabet's length,
    # the first 256 % len characters would be drawn ~1/60 (62), ~1/36 (36) more often: 6σ+.
    assert max(counts.values()) < expected + 5 * 45 and min(counts.values()) > expected - 5 * 45


def test_each_byte_is_read_by_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a 36-character alphabet: a byte below 252 is alphabet[b % 36], 252–255 are dropped."""
    reads = iter([bytes([252, 253, 254, 255, 0, 35, 36, 251]) + bytes(40), bytes([1] * 48)])
    monkeypatch.setattr(crypto.secrets, "token_bytes", lambda n: next(reads))
    drawn = crypto.random_string(50, VALID_KEY_CHARS)
    assert (
        drawn
        == VALID_KEY_CHARS[0]
        + VALID_KEY_CHARS[35]
        + VALID_KEY_CHARS[0]
        + VALID_KEY_CHARS[251 % 36]
        + (VALID_KEY_CHARS[0] * 40)
        + VALID_KEY_CHARS[1] * 6
    )


def test_an_alphabet_it_cannot_draw_from_without_bias_is_refused() -> None:
    for alphabet in ("", "a", "aab", "é" + string.ascii_letters):
        with pytest.raises(ValueError):
            crypto.random_string(8, alphabet)
