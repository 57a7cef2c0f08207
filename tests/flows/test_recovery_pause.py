"""Recovery by hint question pauses after too many wrong answers: the page warns before the last
try, then says only that recovery is paused and for how long (no answer box, no judgement of an
answer, the right one included), the same for an unknown User Name; customer service sees the
pause beside the Profile's status."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from tests.backoffice import build_world, console_client
from tests.factories import HINT_ANSWER, on_file, someone, with_profile

from .helpers import recovery_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(someone("Emery", "Whitcombe")))


def begin(client: Client, username: str) -> str:
    client.get(reverse("recovery:start"))
    return client.post(recovery_at(client, "username"), {"username": username}, follow=True).content.decode()


def answer(client: Client, typed: str):  # type: ignore[no-untyped-def]
    return client.post(recovery_at(client, "answer"), {"answer": typed}, follow=True)


def has_answer_box(page: str) -> bool:
    return bool(re.search(r'<input[^>]*name="answer"', page))


def walk_to_the_pause(username: str) -> list[str]:
    """Five wrong answers for `username`, then a right one; the pages seen, without tokens."""
    client = Client(REMOTE_ADDR="198.51.100.7")
    pages = [begin(client, username)]
    for _ in range(5):
        pages.append(answer(client, "wrong guess").content.decode())
    right = answer(client, HINT_ANSWER)
    assert right.status_code == 429
    pages.append(right.content.decode())
    fresh = Client(REMOTE_ADDR="198.51.100.8")
    pages.append(begin(fresh, username))  # a new recovery for the same User Name
    return [re.sub(r'value="[^"]{20,}"|flow=[\w-]+|data-testid="hint-question">[^<]*', "", p) for p in pages]


def test_the_page_warns_before_the_last_try_then_says_only_that_recovery_is_paused(profile: Profile) -> None:
    start, *wrong, right, fresh = walk_to_the_pause(profile.username)
    assert "one more try" not in start and "one more try" not in wrong[2]
    assert "does not match" in wrong[3] and "You have one more try" in wrong[3]
    assert has_answer_box(wrong[3])
    # The fifth wrong answer: said, and that recovery is paused from now, for how long.
    assert "does not match" in wrong[4] and "now paused for this Profile for about" in wrong[4]
    assert not has_answer_box(wrong[4])
    # Then even the right answer (a stale tab) is not judged: paused, for how long, no box.
    assert "does not match" not in right and "paused for this Profile for about" in right
    assert not has_answer_box(right)
    assert "paused for this Profile for about" in fresh and not has_answer_box(fresh)
    assert "does not match" not in fresh


def test_an_unknown_user_name_pauses_the_same_way(profile: Profile) -> None:
    real = walk_to_the_pause(profile.username)
    unknown = walk_to_the_pause("no-such-person")
    assert "You have one more try" in unknown[4] and not has_answer_box(unknown[-1])
    for seen, decoy in zip(real, unknown, strict=True):
        # The same page but for the User Name's own decoy question, and the hours (within one)
        # and the time it resumes (within a minute).
        same = lambda page: re.sub(  # noqa: E731
            r"after \d+:\d\d [AP]M", "after T", re.sub(r"about \d+ hours", "about N hours", page)
        )
        assert same(seen) == same(decoy)


def test_customer_service_sees_the_pause_beside_the_status(profile: Profile) -> None:
    world = build_world()
    page = reverse("backoffice:service_profile", kwargs={"profile": profile.pk})
    agent = console_client(world.service)
    assert "Recovery paused until" not in agent.get(page).content.decode()
    walk_to_the_pause(profile.username)
    shown = agent.get(page).content.decode()
    assert re.search(r'data-testid="recovery-paused">Recovery paused until \w{3} \d+, \d{4}, ', shown), shown


def test_a_question_never_chosen_leads_back_to_check_the_user_name(profile: Profile) -> None:
    """A mistyped User Name is shown a decoy question (no User Name enumeration): the page
    offers the way back to everyone, in both languages, and it starts a new recovery."""
    link = re.compile(
        r'<a class="usa-link edgate-tap" href="/recover/" data-testid="check-username">([^<]+)</a>'
    )
    for username in (profile.username, "no-such-persn"):
        found = link.search(begin(Client(), username))
        assert found and found.group(1) == "Not the question you chose? Check your User Name"
    spanish = Client(HTTP_ACCEPT_LANGUAGE="es")
    found = link.search(begin(spanish, "no-such-persn"))
    assert found and found.group(1) == "¿No es la pregunta que eligió? Revise su Nombre de usuario"
    back = spanish.get("/recover/", follow=True)
    assert back.status_code == 200 and 'name="username"' in back.content.decode()


def test_a_stranger_is_not_told_of_wrong_answers_given_in_another_browser(profile: Profile) -> None:
    """review2 L2: the last-try warning was shown to any browser that typed the User Name,
    telling it that four wrong answers had been given within the day before it answered anything.
    The browser that gave them is still warned."""
    other = Client(REMOTE_ADDR="198.51.100.7")
    begin(other, profile.username)
    for _ in range(3):
        answer(other, "wrong guess")
    assert "one more try" not in begin(Client(REMOTE_ADDR="203.0.113.9"), profile.username)
    warned = answer(other, "wrong guess").content.decode()
    assert "one more try" in warned
    assert "one more try" not in begin(Client(REMOTE_ADDR="203.0.113.10"), profile.username)
