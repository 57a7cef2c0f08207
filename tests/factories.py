"""Synthetic people and Profiles. Every sensitive value is registered with the PII guard."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from datetime import date

from edgate.accounts import actions as account_actions
from edgate.accounts import hints
from edgate.accounts.models import Profile
from edgate.core.context import Ctx
from edgate.people.actions import PersonData, do_create_person
from edgate.people.models import Person

from .pii import register_dob, register_secret, register_ssn

PASSWORD = register_secret("tangerine orbit velvet canyon")
HINT_ANSWER = register_secret("Quillfeather Lane")
HINT_QUESTION = str(hints.SUGGESTED_QUESTIONS[4])
CTX = Ctx(client_ip="198.51.100.7", actor_label="test")
_counter = itertools.count(1)
_rng = random.Random(7)


def new_ssn() -> str:
    n = next(_counter)
    return register_ssn(f"{_rng.randint(100, 665):03d}{_rng.randint(10, 99):02d}{1000 + n:04d}")


@dataclass(frozen=True)
class Someone:
    first_name: str
    last_name: str
    date_of_birth: date
    ssn: str
    middle_name: str = ""
    former_last_name: str = ""

    def with_(self, **changes: object) -> Someone:
        result = replace(self, **changes)  # type: ignore[arg-type]
        register_dob(result.date_of_birth)
        if result.ssn:
            register_ssn(result.ssn)
        return result

    def identity_post(self, **extra: str) -> dict[str, str]:
        return {
            "first_name": self.first_name,
            "middle_name": self.middle_name,
            "last_name": self.last_name,
            "former_last_name": self.former_last_name,
            "dob_month": str(self.date_of_birth.month),
            "dob_day": str(self.date_of_birth.day),
            "dob_year": str(self.date_of_birth.year),
            "ssn": f"{self.ssn[:3]}-{self.ssn[3:5]}-{self.ssn[5:]}",
            "state_id": "",
            **extra,
        }


def someone(first: str = "Avery", last: str = "Lindqvist", born: date | None = None, **kw: str) -> Someone:
    dob = register_dob(born or date(1984, 3, 9 + next(_counter) % 19))
    return Someone(
        first_name=first,
        last_name=last,
        date_of_birth=dob,
        ssn=kw.pop("ssn", "") or new_ssn(),
        **kw,
    )


def on_file(who: Someone, **contact: str) -> Person:
    return do_create_person(
        data=PersonData(
            first_name=who.first_name,
            last_name=who.last_name,
            middle_name=who.middle_name,
            former_last_name=who.former_last_name,
            date_of_birth=who.date_of_birth,
            ssn=who.ssn,
            **contact,
        ),
        source="test",
        ctx=CTX,
    )


def with_profile(person: Person, *, password: str = PASSWORD, answer: str = HINT_ANSWER) -> Profile:
    return account_actions.do_create_profile(
        person=person,
        password_hash=account_actions.hash_password(password),
        hint_question=HINT_QUESTION,
        hint_answer_hash=hints.hash_answer(answer),
        ctx=CTX,
    )


def precreated(person: Person) -> Profile:
    return account_actions.do_precreate_profile(person=person, ctx=CTX)


CONTACT_POST = {
    "street": "12 Juniper Ct",
    "city": "Northfield",
    "state": "MA",
    "postcode": "01360",
    "email": "avery@example.org",
    "phone": "(555) 201-4477",
}


def security_post(password: str = PASSWORD, answer: str = HINT_ANSWER) -> dict[str, str]:
    register_secret(password)
    register_secret(answer)
    return {
        "new_password": password,
        "confirm_password": password,
        "hint_question_choice": "4",
        "own_question": "",
        "hint_answer": answer,
    }
