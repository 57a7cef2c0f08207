"""uxpub 2: the page of a paused recovery is headed "Password recovery is paused" (not "Answer
your Password Hint Question" above no answer box); "that answer does not match" is said by the
page that answers the wrong answer only, and a reload shows the plain notice; and the notice
says when recovery resumes on the agency's clock (TIME_ZONE), besides how long."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from edgate.accounts.models import Profile
from edgate.recovery.flows import recovery_paused_until
from tests.factories import on_file, someone, with_profile

from .helpers import recovery_at, shows
from .test_recovery_pause import answer, begin, has_answer_box

pytestmark = pytest.mark.django_db
AGENCY = ZoneInfo("America/New_York")  # settings.TIME_ZONE


def text(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def heading(response) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)
    assert found, response.content.decode()
    return html.unescape(found.group(1)).strip()


def title(response) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert found
    return html.unescape(found.group(1))


def paused_in(language: str, profile: Profile):  # type: ignore[no-untyped-def]
    """Five wrong answers in `language`: the client and the page answering the fifth."""
    client = Client(REMOTE_ADDR="198.51.100.9", HTTP_ACCEPT_LANGUAGE=language)
    begin(client, profile.username)
    for _ in range(4):
        answer(client, "wrong guess")
    return client, answer(client, "wrong guess")


@pytest.mark.parametrize(
    ("language", "paused", "no_match"),
    [
        ("en", "Password recovery is paused", "That answer does not match"),
        ("es", "La recuperación de la contraseña está en pausa", "Esa respuesta no coincide"),
    ],
)
def test_the_paused_page_says_so_and_the_wrong_answer_only_once(
    language: str, paused: str, no_match: str
) -> None:
    profile = with_profile(on_file(someone("Emery", "Whitcombe")))
    client, fifth = paused_in(language, profile)
    assert heading(fifth) == paused and paused in title(fifth) and not has_answer_box(fifth.content.decode())
    assert shows(text(fifth), no_match)
    # Reloaded: the same heading, the plain notice, nothing said about an answer nobody typed.
    again = client.get(recovery_at(client, "answer"))
    assert heading(again) == paused and not has_answer_box(again.content.decode())
    assert not shows(text(again), no_match)
    assert 'data-testid="recovery-paused"' in again.content.decode()


WORDS = {
    ("en", False): "you can try again after {time}",
    ("en", True): "you can try again tomorrow after {time}",
    ("es", False): "puede volver a intentarlo después de las {time}",
    ("es", True): "puede volver a intentarlo mañana después de las {time}",
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "now",
    # On the agency's clock: the afternoon (it resumes the same evening), and a minute before
    # midnight (the next day).
    [datetime(2026, 12, 1, 16, 12, 30, tzinfo=AGENCY), datetime(2026, 12, 1, 23, 59, 10, tzinfo=AGENCY)],
)
def test_the_notice_says_when_recovery_resumes_on_the_agency_s_clock(language: str, now: datetime) -> None:
    profile = with_profile(on_file(someone("Emery", "Whitcombe")))
    with time_machine.travel(now, tick=False):
        client, _fifth = paused_in(language, profile)
        until = recovery_paused_until(profile)
        assert until is not None
        page = text(client.get(recovery_at(client, "answer")))
    # Rounded up to the minute, so that "after" holds.
    at = (until.astimezone(AGENCY) + timedelta(seconds=59)).replace(second=0, microsecond=0)
    clock = f"{at:%-I:%M} {at:%p}" if language == "en" else f"{at:%H:%M}"
    words = WORDS[(language, at.date() != now.date())].format(time=clock)
    assert shows(page, words), page
    hours = r"about \d+ hours" if language == "en" else r"alrededor de \d+ horas"
    assert re.search(rf"{hours}: {re.escape(words)}\.", page), page
