"""The password policy at every place a password is chosen, through HTTP: page 3 of the
registration, the pre-created Profile's set-up, recovery by hint answer and by activation code,
and change password. Each refusal is read from the policy's own catalogue (its translation)."""

from __future__ import annotations

import json
import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from edgate.accounts.models import Profile
from edgate.accounts.passwords import MESSAGES
from edgate.core.forms import PasswordStrengthInput
from tests.factories import CONTACT_POST, HINT_ANSWER, PASSWORD, on_file, precreated, someone, with_profile
from tests.pii import register_secret

from .helpers import landed, location, post_step, recovery_at, recovery_step, start, step
from .helpers import url as step_url

pytestmark = pytest.mark.django_db

BORN = date(1991, 2, 17)
GOOD = register_secret("walnut ferry ochre lamp")
NAME_AND_BIRTH_DATE = register_secret("siobhankim19910217")
BIRTH_DATE_US = register_secret("walnut 02171991 ferry")
BIRTH_DATE_ISO = register_secret("1991-02-17 walnut ferry")
SEQUENCE = register_secret("123456789012345")
REPEAT = register_secret("aaaaaaaaaaaaaaaa")
KEYBOARD = register_secret("qwertyuiopasdfgh")
BREACHED = register_secret("iloveyou123456789")


def siobhan():  # type: ignore[no-untyped-def]
    return someone("Siobhan", "Kim", born=BORN)


def error_of(response, field: str = "new_password") -> str:  # type: ignore[no-untyped-def]
    return " ".join(response.context["form"].errors.get(field, []))


def message(code: str) -> str:
    return str(MESSAGES[code])


def registration_page_3(client: Client) -> None:
    start(client)
    assert location(post_step(client, "identity", siobhan().identity_post())) == step("contact")
    assert location(post_step(client, "contact", CONTACT_POST)) == step("security")


def security(password: str) -> dict[str, str]:
    return {
        "new_password": password,
        "confirm_password": password,
        "hint_question_choice": "1",
        "own_question": "",
        "hint_answer": HINT_ANSWER,
    }


REGISTRATION_CASES = [
    (NAME_AND_BIRTH_DATE, "password_first_name"),
    (BIRTH_DATE_US, "password_birth_date"),
    (BIRTH_DATE_ISO, "password_birth_date"),
    (SEQUENCE, "password_sequence"),
    (REPEAT, "password_repeat"),
    (KEYBOARD, "password_keyboard"),
    (BREACHED, "password_breached"),
]


@pytest.mark.parametrize(("password", "code"), REGISTRATION_CASES)
def test_registration_page_3_refuses_with_the_specific_reason(
    client: Client, password: str, code: str
) -> None:
    registration_page_3(client)
    refused = post_step(client, "security", security(password), follow=True)
    assert refused.status_code == 200 and landed(refused) == step("security")
    assert error_of(refused) == message(code)
    page = refused.content.decode()
    assert password not in page  # never sent back
    # The meter, without JavaScript: the server's verdict, in a polite live region.
    assert re.search(r'<p [^>]*id="id_new_password_strength_text" aria-live="polite">', page)
    assert str(PasswordStrengthInput.REFUSED) in page


def meter_words(response) -> set[str]:  # type: ignore[no-untyped-def]
    """The words the page gives the browser's strength meter (zxcvbn's user inputs)."""
    found = re.search(r'<script id="id_new_password_strength_words" type="application/json">(.*?)</script>',
                      response.content.decode(), re.S)  # fmt: skip
    assert found, "no word list for the meter"
    given = json.loads(found.group(1))
    assert set(given["refused"]) <= set(given["inputs"])
    return set(given["inputs"])


def test_page_3_gives_the_meter_the_words_the_server_checks(client: Client) -> None:
    """Names, the birth date as people type it and the e-mail address of page 2: the meter must
    not call "very strong" a password the server then refuses for the person's name."""
    registration_page_3(client)
    page = client.get(step_url(client, "security"))
    words = meter_words(page)
    assert {"siobhan", "kim", "02/17/1991", "1991-02-17", "19910217", CONTACT_POST["email"]} <= words
    assert str(PasswordStrengthInput.PERSONAL) in page.content.decode()  # the browser's word for it
    # The server's estimate uses the same words.
    from edgate.accounts.passwords import PasswordContext

    context = PasswordContext.from_identity(
        {"first_name": "Siobhan", "last_name": "Kim", "date_of_birth": BORN.isoformat()},
        email=CONTACT_POST["email"],
    )
    assert set(context.words()) == words


def test_registration_page_3_accepts_a_good_passphrase_and_shows_the_meter(client: Client) -> None:
    registration_page_3(client)
    page = client.get(step_url(client, "security")).content.decode()
    assert '<meter class="edgate-strength__meter"' in page and 'aria-live="polite"' in page
    assert "zxcvbn/zxcvbn" in page and "edgate/password-strength" in page
    accepted = post_step(client, "security", security(GOOD))
    assert location(accepted) == step("review")


def test_registration_meter_shows_the_score_of_an_accepted_password_when_the_page_has_other_errors(
    client: Client,
) -> None:
    registration_page_3(client)
    data = security(GOOD) | {"hint_answer": ""}
    page = post_step(client, "security", data, follow=True)
    assert "hint_answer" in page.context["form"].errors
    text = page.content.decode()
    assert any(str(label) in text for label in PasswordStrengthInput.LABELS[2:])


def test_precreated_setup_refuses_the_user_name_and_birth_date(client: Client) -> None:
    who = siobhan()
    profile = precreated(on_file(who))
    start(client)
    assert location(post_step(client, "identity", who.identity_post())) == step("setup")
    setup_page = client.get(step_url(client, "setup"))
    assert setup_page.status_code == 200 and "Finish my Profile" in setup_page.content.decode()
    assert profile.username not in setup_page.content.decode()  # not before set-up
    with_user_name = register_secret(f"ochre {profile.username} ferry lamp")
    refused = post_step(client, "setup", security(with_user_name), follow=True)
    assert error_of(refused) == message("password_username")
    refused = post_step(client, "setup", security(BIRTH_DATE_US), follow=True)
    assert error_of(refused) == message("password_birth_date")
    done = post_step(client, "setup", security(GOOD), follow=True)
    assert landed(done) == step("setup_done")


@pytest.fixture
def profile() -> Profile:
    return with_profile(on_file(siobhan()))


def at_recovery_password_by_hint(client: Client, profile: Profile) -> None:
    client.get(reverse("recovery:start"))
    client.post(recovery_at(client, "username"), {"username": profile.username})
    answered = client.post(recovery_at(client, "answer"), {"answer": HINT_ANSWER})
    assert location(answered) == recovery_step("password")


def new_password(client: Client, url: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(url, {"new_password": password, "confirm_password": password, **extra}, follow=True)


def test_recovery_by_hint_refuses_names_and_birth_date_but_never_tells_the_current_password(
    client: Client, profile: Profile
) -> None:
    """Reuse is not checked in recovery: "this is your current password" would tell whoever
    passed the hint the old password, guess by guess, without changing it."""
    at_recovery_password_by_hint(client, profile)
    url = recovery_at(client, "password")
    guess = client.post(url, {"new_password": PASSWORD, "confirm_password": "not the same"}, follow=True)
    assert message("password_reused") not in guess.content.decode()
    assert error_of(guess, "confirm_password")  # only the confirmation is refused
    assert error_of(new_password(client, url, NAME_AND_BIRTH_DATE)) == message("password_first_name")
    assert error_of(new_password(client, url, BIRTH_DATE_ISO)) == message("password_birth_date")
    assert error_of(new_password(client, url, SEQUENCE)) == message("password_sequence")
    assert meter_words(client.get(url)) >= {"siobhan", "kim", "02/17/1991", "19910217"}
    profile.refresh_from_db()
    assert profile.check_password(PASSWORD)
    done = new_password(client, url, GOOD)
    assert landed(done) == recovery_step("done")
    profile.refresh_from_db()
    assert profile.check_password(GOOD)


def test_recovery_by_activation_code_refuses_a_breached_password(client: Client, profile: Profile) -> None:
    out = StringIO()
    call_command("activation", "issue", "--username", profile.username, stdout=out)
    found = re.search(r"^code=(\S+)$", out.getvalue(), re.M)
    assert found
    code = register_secret(found.group(1))
    client.get(reverse("recovery:with_code"))
    redeemed = client.post(
        recovery_at(client, "activation-code"), {"username": profile.username, "code": code}
    )
    assert location(redeemed) == recovery_step("password")
    url = recovery_at(client, "password")
    assert error_of(new_password(client, url, BREACHED)) == message("password_breached")
    assert landed(new_password(client, url, GOOD)) == recovery_step("done")


def test_recovery_sets_no_password_once_the_profile_was_disabled(client: Client, profile: Profile) -> None:
    from edgate.accounts.models import Status

    at_recovery_password_by_hint(client, profile)
    Profile.objects.filter(pk=profile.pk).update(status=Status.DISABLED)  # customer service, meanwhile
    refused = new_password(client, recovery_at(client, "password"), GOOD)
    assert "can no longer be changed here" in refused.content.decode()
    profile.refresh_from_db()
    assert profile.check_password(PASSWORD)


def test_the_setup_page_shows_no_name_of_the_record_the_person_did_not_type(client: Client) -> None:
    """An exact match by rule E2 (the surname changed): the record's former surname must not reach
    the page (the strength meter's word list) of someone who typed another."""
    who = siobhan()
    precreated(on_file(who))
    start(client)
    typed = who.identity_post() | {"last_name": "Parker"}
    assert location(post_step(client, "identity", typed)) == step("setup")
    page = client.get(step_url(client, "setup"))
    assert page.status_code == 200 and "Finish my Profile" in page.content.decode()
    assert not re.search(r"\bKim\b", page.content.decode())  # a word, so a random CSRF token cannot match


def signed_in(profile: Profile) -> Client:
    client = Client()
    client.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    return client


def test_change_password_refuses_the_current_one_names_and_birth_date(profile: Profile) -> None:
    client = signed_in(profile)
    url = reverse("accounts:change_password")
    current = {"current_password": PASSWORD}
    assert error_of(new_password(client, url, PASSWORD, **current)) == message("password_reused")
    assert error_of(new_password(client, url, NAME_AND_BIRTH_DATE, **current)) == message(
        "password_first_name"
    )
    assert error_of(new_password(client, url, BIRTH_DATE_US, **current)) == message("password_birth_date")
    assert error_of(new_password(client, url, KEYBOARD, **current)) == message("password_keyboard")
    changed = new_password(client, url, GOOD, **current)
    assert changed.redirect_chain, "accepted"
    profile.refresh_from_db()
    assert profile.check_password(GOOD)


def test_change_password_does_not_tell_whether_a_guess_is_the_current_password(profile: Profile) -> None:
    """With a wrong current password, the new one is not compared with the stored hash: the
    new-password box must not become a way round the current-password throttle."""
    client = signed_in(profile)
    url = reverse("accounts:change_password")
    guess = new_password(client, url, PASSWORD, current_password=register_secret("not it at all, sorry"))
    assert error_of(guess, "current_password")
    assert error_of(guess) != message("password_reused")
    assert message("password_reused") not in guess.content.decode()


def test_the_password_help_mentions_the_user_name_only_once_the_person_has_one(client: Client) -> None:
    """Page 3 and the set-up page come before the person is given a User Name."""
    registration_page_3(client)
    security_help = client.get(step_url(client, "security")).context["form"]["new_password"].help_text
    assert "User Name" not in security_help and "date of birth" in security_help
    setup_client = Client()
    who = someone("Imani", "Okafor")
    precreated(on_file(who))
    start(setup_client)
    assert location(post_step(setup_client, "identity", who.identity_post())) == step("setup")
    setup_help = setup_client.get(step_url(setup_client, "setup")).context["form"]["new_password"].help_text
    assert "User Name" not in setup_help and "date of birth" in setup_help
    changing = signed_in(with_profile(on_file(someone("Imani", "Adeyemi"))))
    change_help = changing.get(reverse("accounts:change_password")).context["form"]["new_password"].help_text
    assert "User Name" in change_help


def test_a_password_box_left_empty_is_not_drawn_as_a_refused_password(client: Client) -> None:
    """Nothing typed, nothing measured: the page asks for a password and the meter says nothing
    (registration page 3, whose errors come back through a redirect, and change password)."""
    registration_page_3(client)
    empty = post_step(client, "security", security("") | {"confirm_password": ""}, follow=True)
    page = empty.content.decode()
    assert landed(empty) == step("security") and "new_password" in empty.context["form"].errors
    assert str(PasswordStrengthInput.REFUSED) not in page
    assert re.search(r'<div class="edgate-strength" id="id_new_password_strength"[^>]* hidden>', page)
    refused = post_step(client, "security", security("aaaaaaaaaaaaaaaa"), follow=True)
    assert str(PasswordStrengthInput.REFUSED) in refused.content.decode()

    profile = with_profile(on_file(someone("Rowan", "Achterberg")))
    client.force_login(profile)
    url = reverse("accounts:change_password")
    data = {"current_password": PASSWORD, "new_password": "", "confirm_password": ""}
    response = client.post(url, data)
    assert list(response.context["form"].errors["new_password"]) == ["Enter a new password."]
    assert str(PasswordStrengthInput.REFUSED) not in response.content.decode()
