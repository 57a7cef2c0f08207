"""Concurrent registrations on a real PostgreSQL: one Profile per person, distinct User Names."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.utils import timezone

from edgate.accounts import actions, hints
from edgate.accounts.models import Profile
from edgate.core import flow
from edgate.core.context import Ctx
from edgate.core.flow import Run
from edgate.core.models import Flow
from edgate.people.models import Person
from edgate.registration import flows, steps
from edgate.registration.steps import KIND, State
from tests.factories import CONTACT_POST, HINT_ANSWER, PASSWORD, new_ssn
from tests.pii import register_dob

# Dozens of PostgreSQL connections at once: never beside another such test (tests/conftest.py).
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("many_connections"),
]
N = 50


def review_flow(first: str, last: str, dob: date, ssn: str, security: dict[str, str]) -> str:
    flow = Flow(kind=KIND, state=State.REVIEW, expires_at=timezone.now() + timedelta(minutes=30))
    flow.data = {
        "identity": {
            "first_name": first,
            "middle_name": "",
            "last_name": last,
            "former_last_name": "",
            "date_of_birth": dob.isoformat(),
            "ssn": ssn,
            "state_id": "",
        },
        "contact": {k: CONTACT_POST[k] for k in flows.CONTACT_FIELDS} | {"phone": "5552014477"},
        "security": security,
    }
    flow.save()
    return flow.pk


def confirm(flow_id: str, ctx: Ctx) -> object:
    """Page 4 confirmed, as the step view runs it: prepare, then the engine's locked step."""
    run = Run(flow_id=flow_id, state=State.REVIEW, data={}, ctx=ctx)
    steps.REVIEW_ACTION.prepare(run, {})  # type: ignore[misc]
    result = flow.advance(steps.GRAPH, flow_id, steps.STEPS[State.REVIEW], steps.REVIEW_ACTION, {}, ctx)
    return State(result.state) if isinstance(result, flow.Moved) else result


def run_all(flow_ids: list[str]) -> list[object]:
    barrier = threading.Barrier(len(flow_ids))
    results: list[object] = [None] * len(flow_ids)

    def worker(i: int, flow_id: str) -> None:
        try:
            barrier.wait()
            results[i] = confirm(flow_id, Ctx(client_ip=f"203.0.113.{i % 250}"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(flow_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.fixture
def security() -> dict[str, str]:
    return {
        "password_hash": actions.hash_password(PASSWORD),
        "hint_question": "Q?",
        "hint_answer_hash": hints.hash_answer(HINT_ANSWER),
    }


def test_fifty_concurrent_registrations_of_one_person_make_one_profile(
    security: dict[str, str],
) -> None:
    dob, ssn = register_dob(date(1988, 6, 17)), new_ssn()
    results = run_all([review_flow("Marisol", "Ferreira", dob, ssn, security) for _ in range(N)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Person.objects.count() == 1 and Profile.objects.count() == 1
    assert results.count(State.CREATED) == 1
    assert results.count(State.EXACT) == N - 1  # everyone else is reminded of the one User Name


def test_fifty_different_john_smiths_get_fifty_user_names(security: dict[str, str]) -> None:
    ids = [
        review_flow(
            "John",
            "Smith",
            register_dob(date(1960, 1, 1) + timedelta(days=97 * i)),
            new_ssn(),
            security,
        )
        for i in range(N)
    ]
    results = run_all(ids)
    assert results == [State.CREATED] * N, [r for r in results if r != State.CREATED][:3]
    names = sorted(Profile.objects.values_list("username", flat=True))
    assert len(set(names)) == N
    assert set(names) == {"jsmith"} | {f"jsmith{i}" for i in range(2, N + 1)}
