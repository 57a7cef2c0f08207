"""A date typed into a form reads month first on a Spanish page too, as every page says ("like
02/17/1991", "mes/día/año"): Django's Spanish formats would read 09/01/2026 as January 9."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from tests.backoffice import World, build_world, console_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_typed_date_is_month_first_in_every_language(language: str) -> None:
    world: World = build_world()
    client = console_client(world.da_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse("backoffice:org_activity", kwargs={"code": world.district_a.code})
    assert client.post(url, {"date_from": "09/01/2026", "date_to": "11/30/2026"}).status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (
        date(2026, 9, 1),
        date(2026, 11, 30),
    )
