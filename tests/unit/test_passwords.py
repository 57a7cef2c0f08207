"""The password policy's rules, one by one (NIST SP 800-63B §3.1.1.2)."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict

from edgate.accounts import password_checks, passwords
from edgate.accounts.passwords import PasswordContext, validate_new_password
from edgate.core.forms import PasswordStrengthInput
from edgate.recovery.forms import ResetPasswordForm

SIOBHAN = PasswordContext(
    username="skim3",
    first_name="Siobhán",
    middle_name="Aoife",
    last_name="Kim",
    former_last_name="Gallagher",
    date_of_birth=date(1991, 2, 17),
)
GOOD = "walnut ferry ochre lamp"


def refusal_code(password: str, context: PasswordContext = SIOBHAN) -> str | None:
    try:
        validate_new_password(password, context)
    except ValidationError as error:
        assert len(error.messages) == 1, "one reason at a time"
        return error.error_list[0].code
    return None


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("123456789012345", "password_sequence"),
        ("abcdefghijklmnopq", "password_sequence"),
        ("987654321098765", "password_sequence"),
        ("aaaaaaaaaaaaaaaa", "password_repeat"),
        ("passwordpassword", "password_repeat"),
        ("abcabcabcabcabcabc", "password_repeat"),
        ("x" * 100, "password_repeat"),  # longer than zxcvbn sees
        ("qwertyuiopasdfgh", "password_keyboard"),
        ("1q2w3e4r5t6y7u8i", "password_keyboard"),
        ("zxcvbnm,./asdfgh", "password_keyboard"),
    ],
)
def test_repeats_sequences_and_keyboard_runs_are_refused(password: str, code: str) -> None:
    assert refusal_code(password, PasswordContext()) == code


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("siobhankim19910217", "password_first_name"),
        ("SIOBHAN walnut ferry", "password_first_name"),
        ("S1obh4n walnut ferry", "password_first_name"),  # leet
        ("walnut ferry 5iobhan", "password_first_name"),
        ("walnut ferry kim lamp", "password_last_name"),
        ("lampferrywalnutkim", "password_last_name"),
        ("walnut ferry K1m!", "password_last_name"),
        ("ferry gallagher walnut", "password_former_last_name"),
        ("ferry Ao1fe walnut ochre", "password_middle_name"),
        ("walnut skim3 ferry ochre", "password_username"),
    ],
)
def test_names_and_user_name_anywhere_in_the_password_are_refused(password: str, code: str) -> None:
    assert refusal_code(password) == code


@pytest.mark.parametrize(
    "written",
    [
        "19910217",
        "02171991",
        "17021991",
        "1991-02-17",
        "02/17/1991",
        "17.02.1991",
        "910217",
        "021791",
        "170291",
        "2171991",
        "feb171991",
        "February 17, 1991",
        "17 febrero 1991",
    ],
)
def test_the_birth_date_in_any_common_form_is_refused(written: str) -> None:
    assert refusal_code(f"walnut {written} ferry") == "password_birth_date"


def test_a_name_inside_an_unrelated_word_is_not_refused_for_three_letter_names() -> None:
    # "Kim" starts or ends a run of letters in "kimono" and "skim", not in "akimbo".
    assert refusal_code("akimbo walnut ferry") is None
    assert refusal_code("kimono walnut ferry") == "password_last_name"


def test_other_people_and_other_dates_are_not_refused() -> None:
    assert refusal_code("siobhankim19910217", PasswordContext(first_name="Ana", last_name="Lopez")) is None
    other_day = PasswordContext(date_of_birth=date(1985, 7, 4))
    assert refusal_code("walnut 19910217 ferry", other_day) is None


@pytest.mark.parametrize(
    "password",
    ["iloveyou123456789", "Iloveyou123456789", "  iloveyou123456789 ", "qwertyuiop123456"],
)
def test_breached_passwords_are_refused(password: str) -> None:
    assert refusal_code(password, PasswordContext()) in {"password_breached", "password_keyboard"}
    assert password_checks.is_breached(password)


def test_the_breached_list_is_the_installed_package_not_the_network() -> None:
    with mock.patch("socket.socket", side_effect=AssertionError("no network at validation")):
        assert password_checks.is_breached("iloveyou123456789")
        assert not password_checks.is_breached(GOOD)


def test_guessable_common_words_are_refused_by_the_estimate() -> None:
    assert refusal_code("monkeymonkey1234", PasswordContext()) is not None
    assert password_checks.estimate("monkeymonkey1234").score < 2


def test_the_agency_name_alone_is_refused_a_passphrase_containing_a_word_of_it_is_not() -> None:
    assert refusal_code("Department of Education", PasswordContext()) == "password_agency"
    assert refusal_code("state of mind walnut ferry", PasswordContext()) is None


def test_the_agency_name_in_spanish_is_refused_too() -> None:
    assert refusal_code("Departamento de Educación 1", PasswordContext()) == "password_agency"


def test_the_current_password_is_refused_by_hash_or_as_checked_text() -> None:
    by_hash = PasswordContext(current_password_hash=make_password(GOOD))
    assert refusal_code(GOOD, by_hash) == "password_reused"
    assert refusal_code("ochre walnut ferry lamp", by_hash) is None
    as_text = PasswordContext(current_password=GOOD)
    assert refusal_code(GOOD, as_text) == "password_reused"
    unusable = PasswordContext(current_password_hash=make_password(None))
    assert refusal_code(GOOD, unusable) is None


def test_length_limits() -> None:
    assert refusal_code("walnut ferry", PasswordContext()) == "password_too_short"
    assert refusal_code("walnut ferry " * 20, PasswordContext()) == "password_too_long"


@pytest.mark.parametrize(
    "password",
    [GOOD, "demo only: violet harbor lantern", "correct horse battery staple", "Tr0ub4dor&3 quokka"],
)
def test_good_passphrases_pass(password: str) -> None:
    assert refusal_code(password) is None


def test_context_from_flow_identity_and_from_profile() -> None:
    ident = {"first_name": "Siobhán", "last_name": "Kim", "date_of_birth": "1991-02-17"}
    context = PasswordContext.from_identity(ident, username="skim")
    assert context.date_of_birth == date(1991, 2, 17)
    assert refusal_code("walnut 02171991 ferry", context) == "password_birth_date"
    assert PasswordContext.from_identity({"date_of_birth": "garbage"}).date_of_birth is None


def test_the_context_never_shows_the_birth_date_or_current_password_in_its_repr() -> None:
    shown = repr(PasswordContext(date_of_birth=date(1991, 2, 17), current_password=GOOD))
    assert "1991" not in shown and GOOD not in shown


def test_estimate_scores_and_is_thread_safe_with_the_persons_words() -> None:
    # zxcvbn's own entry point keeps user inputs module-wide; ours does not leak between calls.
    with_name = password_checks.estimate("gallagherferry", ["gallagher"])
    without = password_checks.estimate("gallagherferry")
    assert with_name.score <= without.score
    assert with_name.guesses_log10 < without.guesses_log10
    assert password_checks.estimate("a" * 300).score == 0  # long input is cut, not an error


def test_messages_are_specific_and_one_per_code() -> None:
    assert len(set(map(str, passwords.MESSAGES.values()))) == len(passwords.MESSAGES)
    assert "last name" in str(passwords.MESSAGES["password_last_name"])


def test_errors_kept_across_a_redirect_show_the_refusal_on_the_meter() -> None:
    form = ResetPasswordForm(user=SIOBHAN)
    assert str(PasswordStrengthInput.REFUSED) not in str(form["new_password"])
    form._errors = ErrorDict(new_password=form.error_class([str(passwords.MESSAGES["password_repeat"])]))  # noqa: SLF001
    form.mark_errors()
    assert str(PasswordStrengthInput.REFUSED) in str(form["new_password"])


def test_the_leet_matcher_is_skipped_when_its_combinations_would_explode() -> None:
    # 64 characters drawn from nine leet characters took zxcvbn's leet matcher 4 seconds; the
    # repeated part of a repeat is matched the same bounded way.
    many = "4@31!05$7+|8962 walnut ferry ochre" * 2
    seen: list[str] = []

    def leet(text: str, **kwargs: object) -> list[object]:
        seen.append(text)
        return []

    with mock.patch("zxcvbn.matching.l33t_match", side_effect=leet):
        password_checks.estimate(many)
        password_checks.estimate("w4lnut f3rry ochre lamp")
    table = password_checks.matching.L33T_TABLE
    assert seen, "used where it is cheap"
    assert all(
        len(password_checks.matching.relevant_l33t_subtable(text, table))
        <= password_checks.MAX_LEET_CHARACTERS
        for text in seen
    )
