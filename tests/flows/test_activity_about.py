"""The console's activity list says what each event was about in a Directory Administrator's
words, for every kind of event it lists, in English and Spanish: the staff member's name, role
and organization, or the person's name and User Name; a plain sentence for a thing that no longer
exists. Never an internal id ("Staff entry 304")."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from edgate.accounts import actions as account_actions
from edgate.accounts.models import CodePurpose, Profile
from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.backoffice import org_forms
from edgate.directory import actions as directory_actions
from edgate.directory.models import OrgAdministrator, StaffEntry
from tests.backoffice import World, build_world, console_client
from tests.factories import CTX, on_file, someone, with_profile

pytestmark = pytest.mark.django_db

GONE_ID = 987654321


def about_cells(page: str) -> list[tuple[str, str]]:
    """(What, About) of every row of the activity table, as a reader sees them."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows.append((cells[2], cells[3]))
    return rows


def every_kind_of_event(world: World) -> tuple[str, str]:
    """Each event the activity filter offers, about one staff member of school A1, and two
    about things deleted since. Returns the staff member's name and User Name."""
    person = on_file(someone("Gideon", "Ashby"))
    profile = with_profile(person)
    school = world.school_a1
    entry = directory_actions.do_add_staff(person=person, organization=school, role_title="Teacher", ctx=CTX)
    entry = directory_actions.do_update_staff_entry(
        entry=entry, role_title="Lead Teacher", started_on=None, ctx=CTX
    )
    grant = directory_actions.do_grant_access(
        profile=profile, role=world.role("MDCS", "approver"), organization=school, ctx=CTX
    )
    directory_actions.do_revoke_access(grant=grant, ctx=CTX)
    directory_actions.do_appoint_admin(profile=profile, organization=school, ctx=CTX)
    directory_actions.do_remove_admin(
        appointment=OrgAdministrator.objects.get(profile=profile, organization=school), ctx=CTX
    )
    account_actions.do_issue_activation_code(
        profile=profile, purpose=CodePurpose.RECOVERY, organization=school.code, ctx=CTX
    )
    directory_actions.do_end_staff_entry(entry=entry, ctx=CTX)
    # Things that are gone (deleted in the admin site or the database): unsaved rows with ids
    # nothing has, as the events would name them.
    record_event(
        EventType.STAFF_ENDED, ctx=CTX, target=StaffEntry(pk=GONE_ID), detail={"organization": school.code}
    )
    record_event(
        EventType.ACCESS_REVOKED,
        ctx=CTX,
        target=Profile(pk=GONE_ID),
        detail={"organization": school.code, "staff_entry": GONE_ID},
    )
    return person.full_name, profile.username


@pytest.mark.parametrize("language", ["en", "es"])
def test_activity_says_what_each_event_was_about_in_words(language: str) -> None:
    world = build_world()
    name, username = every_kind_of_event(world)
    client = console_client(world.da_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("backoffice:org_activity", kwargs={"code": world.school_a1.code}))
    assert page.status_code == 200
    text = page.content.decode()
    rows = about_cells(text)
    with translation.override(language):
        label = {e.value: str(e.label) for e in EventType}
        staff = translation.gettext("%(name)s, %(title)s at %(organization)s") % {
            "name": name,
            "title": "Lead Teacher",
            "organization": world.school_a1.name,
        }
        person = translation.gettext("%(name)s, User Name %(username)s") % {
            "name": name,
            "username": username,
        }
        gone_entry = translation.gettext("A staff entry that no longer exists")
        gone_profile = translation.gettext("A Profile that no longer exists")
        entry_detail = translation.gettext("%(title)s at %(org)s") % {
            "title": "Lead Teacher",
            "org": world.school_a1.name,
        }
    about: dict[str, list[str]] = {}
    for what, said in rows:
        if not said.startswith("Sasha"):  # the school's own administrator, appointed by build_world
            about.setdefault(what, []).append(said)
    # Every kind the filter offers appears, each about Gideon Ashby in words.
    for kind in org_forms.ACTIVITY_EVENTS:
        assert label[kind.value] in about, (kind, rows)
    for kind in (EventType.STAFF_ADDED, EventType.STAFF_UPDATED):
        assert about[label[kind.value]] == [staff], rows
    assert about[label[EventType.STAFF_ENDED.value]] == [gone_entry, staff]  # newest first
    for kind in (EventType.ACCESS_GRANTED, EventType.ADMIN_APPOINTED, EventType.ADMIN_REMOVED):
        assert about[label[kind.value]] == [person], rows
    assert about[label[EventType.ACCESS_REVOKED.value]] == [gone_profile, person]
    assert about[label[EventType.ACTIVATION_CODE_ISSUED.value]] == [person]
    # The grant's staff entry in the details, in words too.
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    assert entry_detail in plain
    # No internal id anywhere in the list.
    assert str(GONE_ID) not in plain
    for entry_id in StaffEntry.objects.values_list("pk", flat=True):
        assert not re.search(rf"(Staff entry|Registro de personal|staffentry|profile)\W+{entry_id}\b", plain)
    if language == "es":  # the organization's English name is marked as English for a screen reader
        assert f'<span lang="en">{world.school_a1.name}</span>' in text
