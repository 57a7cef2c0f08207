"""uxpub 6: a date of birth left empty marks all three boxes at fault (red, aria-invalid, described
by the message), as USWDS's memorable date does — not the month alone; a part typed is not marked
unless it is wrong itself."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import someone

from .helpers import refused, start

pytestmark = pytest.mark.django_db
PARTS = ("dob_month", "dob_day", "dob_year")


def control(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page)
    assert found, name
    return found.group(0)


def marked(page: str) -> dict[str, bool]:
    return {
        name: 'aria-invalid="true"' in control(page, name) and "usa-input--error" in control(page, name)
        for name in PARTS
    }


def test_an_empty_date_of_birth_marks_all_three_boxes() -> None:
    client = Client()
    start(client)
    page = refused(
        client, "identity", someone().identity_post(dob_month="", dob_day="", dob_year="")
    ).content.decode()
    assert "Enter your date of birth." in page
    assert marked(page) == dict.fromkeys(PARTS, True)
    for name in ("dob_day", "dob_year"):  # described by the message that says why
        assert "id_dob_month_error" in control(page, name)
    # Only the parts at fault: a part typed is not marked unless it is wrong itself.
    page = refused(client, "identity", someone().identity_post(dob_year="")).content.decode()
    assert marked(page) == {"dob_month": False, "dob_day": False, "dob_year": True}
    page = refused(client, "identity", someone().identity_post(dob_day="", dob_year="85")).content.decode()
    assert marked(page) == {"dob_month": False, "dob_day": True, "dob_year": True}
