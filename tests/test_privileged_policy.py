"""recovery.policy.is_privileged: who is privileged, asked in one statement at every sign-in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from edgate.recovery.policy import is_privileged

from .backoffice import build_world, customer_service_group, person_with_profile

pytestmark = pytest.mark.django_db


def test_who_is_privileged() -> None:
    world = build_world()
    _, plain = person_with_profile("Plain", "Person")
    _, member = person_with_profile("Group", "Member")
    member.groups.add(customer_service_group())
    assert not is_privileged(plain)
    assert not is_privileged(world.educator)
    assert is_privileged(member)
    assert is_privileged(world.service)
    assert is_privileged(world.da_a) and is_privileged(world.da_school_a1)  # appointed, no group
    assert is_privileged(world.security)  # superuser with staff status: no query needed


def test_one_statement_for_groups_and_appointments() -> None:
    world = build_world()
    for profile in (world.educator, world.da_b, world.service):
        with CaptureQueriesContext(connection) as queries:
            is_privileged(profile)
        assert len(queries) == 1
