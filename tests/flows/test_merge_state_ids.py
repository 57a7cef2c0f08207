"""Customer service's merge comparison flags different state educator IDs as it flags a
different SSN or email, and a merge of two records whose state IDs differ needs a ticked
confirmation (the page and the action both ask for it)."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.urls import reverse

from edgate.audit.models import AuditEvent, EventType
from edgate.backoffice import actions as service_actions
from edgate.backoffice.models import PersonMerge
from edgate.people.models import Person
from tests.backoffice import build_world, console_client
from tests.factories import CTX, on_file, someone, with_profile

pytestmark = pytest.mark.django_db


def test_different_state_ids_are_flagged_and_the_merge_needs_them_confirmed() -> None:
    world = build_world()
    survivor = with_profile(on_file(someone("Harriet", "Okafor")))
    dup_person = on_file(someone("Harriet", "Okafor"))
    Person.objects.filter(pk=dup_person.pk).update(ssn_hash=None, ssn_ciphertext=None, ssn_last4="")
    duplicate = with_profile(Person.objects.get(pk=dup_person.pk))
    agent = console_client(world.service)
    url = reverse("backoffice:service_merge")
    picked = {"survivor": survivor.username, "duplicate": duplicate.username}
    preview = agent.post(url, picked)
    html = preview.content.decode()
    assert preview.status_code == 200 and preview.context["problem"] is None
    for side in (survivor, duplicate):
        assert re.search(rf"{side.person.state_id} <strong class=\"usa-tag\">differs</strong>", html), (
            side.person.state_id
        )
    assert "state_ids_checked" in preview.context["form"].fields
    assert f"the survivor's, {survivor.person.state_id}, stays" in html_lib.unescape(html)
    # A reason alone is not enough.
    unticked = agent.post(url, picked | {"reason": "Same person, registered twice"})
    assert unticked.status_code == 200 and not PersonMerge.objects.exists()
    assert "Confirm that you checked the different state educator IDs." in unticked.content.decode()
    # Nor for the action, called by anything else.
    with pytest.raises(service_actions.MergeRefused):
        service_actions.do_merge_persons(
            survivor=survivor.person,
            duplicate=duplicate.person,
            reason="r",
            allow_privileged=False,
            state_ids_checked=False,
            ctx=CTX,
        )
    ticked = agent.post(url, picked | {"reason": "Same person, registered twice", "state_ids_checked": "on"})
    assert ticked.status_code == 302 and PersonMerge.objects.filter(duplicate=duplicate.person).exists()
    event = AuditEvent.objects.get(event_type=EventType.PERSONS_MERGED)
    assert event.detail["state_ids_differed"] is True
