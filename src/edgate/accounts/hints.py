"""Password Hint Question and Answer.

The answer is normalized (NFKC, case-folded, inner whitespace collapsed) and then hashed
like a password; it is never shown, logged or recoverable.
"""

from __future__ import annotations

import hmac
import unicodedata
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from edgate.core import crypto

SUGGESTED_QUESTIONS = [
    _("What was the name of the first school you taught at or attended?"),
    _("What is the name of a teacher who influenced you?"),
    _("In what city did you meet your closest friend?"),
    _("What was the make and model of your first car?"),
    _("What street did you live on in third grade?"),
    _("What was the name of your childhood best friend?"),
]
OWN_QUESTION = "own"


@cache
def _suggested_by_text() -> dict[str, int]:
    """Each suggested question's text in every language of the portal, to its index."""
    found: dict[str, int] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for index, question in enumerate(SUGGESTED_QUESTIONS):
                found[str(question)] = index
    return found


def shown(question: str) -> str:
    """A question as a page shows it: a suggested one in the page's language, whichever language
    it was chosen in (a Profile keeps the text of that moment); one the person wrote, as typed."""
    index = _suggested_by_text().get(question)
    return question if index is None else str(SUGGESTED_QUESTIONS[index])


def suggested_index(question: str) -> int | None:
    """Which suggested question this is (in any language), or None for one the person wrote."""
    return _suggested_by_text().get(question)


@cache
def _dummy_hash() -> str:
    """A valid hash verified against when there is no real one, so the work is the same."""
    return make_password("edgate-dummy-hint-answer")


@sensitive_variables()
def normalize_answer(answer: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", answer).casefold().split())


@sensitive_variables()
def hash_answer(answer: str) -> str:
    return make_password(normalize_answer(answer))


@sensitive_variables()
def check_answer(answer: str, answer_hash: str | None) -> bool:
    """Always runs the hasher once, whether or not there is a stored answer."""
    if not answer_hash:
        check_password(normalize_answer(answer), _dummy_hash())
        return False
    return check_password(normalize_answer(answer), answer_hash)


def decoy_question(username: str) -> str:
    """A stable question for a User Name that does not exist, so the page reads the same."""
    digest = crypto.lookup_hash("decoy-question", username.casefold())
    index = int(digest[:8], 16) % len(SUGGESTED_QUESTIONS)
    return str(SUGGESTED_QUESTIONS[index])


@sensitive_variables()
def same_text(a: str, b: str) -> bool:
    return hmac.compare_digest(normalize_answer(a).encode(), normalize_answer(b).encode())
