"""Forgot password through the hint question; forgot User Name through the identity page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from edgate.accounts.models import Profile
from edgate.audit.models import AuditEvent, EventType
from tests.factories import HINT_ANSWER, PASSWORD, on_file, someone, with_profile
from tests.pii import register_secret

from .helpers import landed, location, post_step, recovery_at, recovery_step, start, step
from .helpers import url as step_url

pytestmark = pytest.mark.django_db
NEW = register_secret("copper lighthouse window seed")


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(someone("Emery", "Whitcombe")))


def begin(client: Client, username: str):  # type: ignore[no-untyped-def]
    client.get(reverse("recovery:start"))
    return client.post(recovery_at(client, "username"), {"username": username}, follow=True)


def test_full_recovery_without_automatic_sign_in(client: Client, profile: Profile) -> None:
    other_session = Client()
    other_session.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    page = begin(client, profile.username)
    assert profile.hint_question in page.content.decode()
    assert location(
        client.post(recovery_at(client, "answer"), {"answer": f"  {HINT_ANSWER.lower()}  "})
    ) == recovery_step("password")
    done = client.post(
        recovery_at(client, "password"), {"new_password": NEW, "confirm_password": NEW}, follow=True
    )
    assert landed(done) == recovery_step("done")
    assert "_auth_user_id" not in client.session  # no automatic sign-in
    assert other_session.get(reverse("directory:applications")).status_code == 302  # ended
    profile.refresh_from_db()
    assert profile.check_password(NEW)
    assert AuditEvent.objects.filter(event_type=EventType.PASSWORD_RESET, target_id=str(profile.pk)).exists()


def test_password_step_cannot_be_reached_without_the_answer(client: Client, profile: Profile) -> None:
    begin(client, profile.username)
    assert location(client.get(recovery_at(client, "password"))) == recovery_step("answer")
    client.post(recovery_at(client, "password"), {"new_password": NEW, "confirm_password": NEW})
    profile.refresh_from_db()
    assert profile.check_password(PASSWORD)


def test_wrong_answers_lock_recovery_after_five_in_a_day(profile: Profile) -> None:
    for i in range(4):
        client = Client(REMOTE_ADDR=f"198.51.100.{i}")
        begin(client, profile.username)
        response = client.post(recovery_at(client, "answer"), {"answer": "wrong"}, follow=True)
        assert "does not match" in response.content.decode()
    client = Client(REMOTE_ADDR="198.51.100.50")
    begin(client, profile.username)
    locking = client.post(
        recovery_at(client, "answer"), {"answer": "wrong"}, follow=True
    )  # the fifth wrong answer locks
    assert locking.status_code == 429 and "too many attempts" in locking.content.decode()
    # The five fade out of the 24-hour sliding window during the next one.
    assert 0 < int(locking["Retry-After"]) <= 48 * 3600
    # Now even the right answer is refused, from anywhere...
    client = Client(REMOTE_ADDR="198.51.100.60")
    begin(client, profile.username)
    refused = client.post(recovery_at(client, "answer"), {"answer": HINT_ANSWER}, follow=True)
    assert refused.status_code == 429 and "too many attempts" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert AuditEvent.objects.filter(event_type=EventType.RECOVERY_LOCKED).count() == 2
    # ...until the 24-hour window has passed.
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        client = Client(REMOTE_ADDR="198.51.100.70")
        begin(client, profile.username)
        assert location(client.post(recovery_at(client, "answer"), {"answer": HINT_ANSWER})) == recovery_step(
            "password"
        )


def test_unknown_user_name_reads_like_a_real_one(client: Client, profile: Profile) -> None:
    unknown = begin(Client(), "no-such-person")
    again = begin(Client(), "no-such-person")
    assert unknown.status_code == 200 and unknown.context["question"] == again.context["question"]
    assert unknown.context["question"]  # a plausible decoy question
    response = Client().post(recovery_step("answer"), {"answer": "anything"})  # without a flow: starts over
    assert response.status_code == 303 and location(response) == recovery_step("username")
    c = Client()
    begin(c, "no-such-person")
    assert (
        "does not match"
        in c.post(recovery_at(c, "answer"), {"answer": HINT_ANSWER}, follow=True).content.decode()
    )


def test_forgot_user_name_goes_through_the_identity_page(client: Client) -> None:
    who = someone("Sasha", "Ilyin")
    profile = with_profile(on_file(who))
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("exact")
    assert profile.username in client.get(step_url(client, "exact")).content.decode()
    assert AuditEvent.objects.filter(
        event_type=EventType.USERNAME_REMINDED, target_id=str(profile.pk)
    ).exists()


def test_each_recovery_step_is_audited(profile: Profile) -> None:
    client = Client(REMOTE_ADDR="198.51.100.80")
    begin(client, profile.username)
    client.post(recovery_at(client, "answer"), {"answer": "not it"}, follow=True)
    assert location(client.post(recovery_at(client, "answer"), {"answer": HINT_ANSWER})) == recovery_step(
        "password"
    )
    mine = AuditEvent.objects.filter(target_id=str(profile.pk), client_ip="198.51.100.80").order_by("id")
    assert [(e.event_type, e.outcome) for e in mine] == [
        (EventType.RECOVERY_STARTED, "success"),
        (EventType.RECOVERY_HINT_FAILED, "failure"),
        (EventType.RECOVERY_HINT_PASSED, "success"),
    ]
    # An unknown User Name is recorded too, without a target (and without what was typed).
    begin(Client(REMOTE_ADDR="198.51.100.81"), "no-such-person")
    (unknown,) = AuditEvent.objects.filter(event_type=EventType.RECOVERY_STARTED, client_ip="198.51.100.81")
    assert unknown.target_id == "" and "no-such-person" not in str(unknown.detail)


def test_an_address_out_of_attempts_does_not_blame_the_profile(profile: Profile) -> None:
    for i in range(20):
        client = Client(REMOTE_ADDR="198.51.100.99")
        begin(client, f"someone-else-{i}")
        client.post(recovery_at(client, "answer"), {"answer": "wrong"}, follow=True)
    client = Client(REMOTE_ADDR="198.51.100.99")
    begin(client, profile.username)
    page = client.post(recovery_at(client, "answer"), {"answer": HINT_ANSWER}, follow=True).content.decode()
    assert "from your network" in page and "for this Profile" not in page
    elsewhere = Client(REMOTE_ADDR="198.51.100.100")
    begin(elsewhere, profile.username)
    assert location(
        elsewhere.post(recovery_at(elsewhere, "answer"), {"answer": HINT_ANSWER})
    ) == recovery_step("password")
