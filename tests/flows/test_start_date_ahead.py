"""A staff entry's start date more than a year ahead (09/15/2036 for 2026) is refused beside
the field, in the page's language; up to a year ahead (next school year) is kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from edgate.directory import actions as directory_actions
from edgate.directory.models import StaffEntry
from tests.backoffice import build_world
from tests.factories import CTX, on_file, someone

from .test_console_dates import in_language

pytestmark = pytest.mark.django_db


def test_a_start_date_years_ahead_is_refused_and_next_school_year_is_kept() -> None:
    world = build_world()
    entry = directory_actions.do_add_staff(
        person=on_file(someone("Imogen", "Strand")),
        organization=world.school_a1,
        role_title="Teacher",
        ctx=CTX,
    )
    edit = reverse("backoffice:org_edit", kwargs={"code": world.school_a1.code, "entry": entry.pk})
    far = (timezone.localdate() + timedelta(days=365 * 10)).strftime("%m/%d/%Y")
    for language in ("en", "es"):
        da = in_language(world.da_a, language)
        refused = da.post(edit, {"role_title": "Teacher", "started_on": far})
        assert refused.status_code == 200
        with translation.override(language):
            message = translation.gettext("The start date is more than a year from now. Check the year.")
        assert re.search(r'id="id_started_on_error">' + re.escape(message), refused.content.decode())
        assert StaffEntry.objects.get(pk=entry.pk).started_on is None
    soon = timezone.localdate() + timedelta(days=300)
    kept = in_language(world.da_a, "en").post(
        edit, {"role_title": "Teacher", "started_on": soon.strftime("%m/%d/%Y")}
    )
    assert kept.status_code == 302 and StaffEntry.objects.get(pk=entry.pk).started_on == soon
