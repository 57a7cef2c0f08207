"""The consoles in Spanish: a Directory Administrator's and customer service's pages show no
catalogue string left in English (what `english_left_in` finds: text translated at import time,
or rendered outside the active language)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from edgate.directory.models import StaffEntry
from tests.backoffice import World, build_world, console_client, district_case

from .test_spanish import english_left_in

pytestmark = pytest.mark.django_db


def in_spanish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def assert_all_spanish(client: Client, urls: list[str]) -> None:
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert '<html lang="es">' in page, url
        assert english_left_in(page) == [], url


@pytest.fixture
def world() -> World:
    return build_world()


def test_a_directory_administrators_pages_in_spanish(world: World) -> None:
    code = world.district_a.code
    entry = StaffEntry.objects.filter(organization=world.district_a, ended_at=None).first()
    urls = [
        reverse("backoffice:home"),
        reverse("backoffice:orgs"),
        reverse("backoffice:org", args=[code]),
        reverse("backoffice:org_activity", args=[code]),
        reverse("backoffice:org_add", args=[code]),
        reverse("backoffice:org_add_pick", args=[code]),
        reverse("backoffice:org_add_known", args=[code]),
        reverse("backoffice:org_add_new", args=[code]),
        reverse("backoffice:cases"),
    ]
    if entry is not None:
        urls.append(reverse("backoffice:org_entry", args=[code, entry.pk]))
    assert_all_spanish(in_spanish(console_client(world.da_a)), urls)


def test_customer_services_pages_in_spanish(world: World) -> None:
    profile = world.educator.pk
    urls = [
        reverse("backoffice:service"),
        reverse("backoffice:service") + "?last_name=a",
        reverse("backoffice:service_profile", args=[profile]),
        reverse("backoffice:service_appoint", args=[profile]),
        reverse("backoffice:service_merge"),
        reverse("backoffice:cases"),
    ]
    assert_all_spanish(in_spanish(console_client(world.service)), urls)


def test_organization_names_in_spanish_sentences_keep_their_own_language(world: World) -> None:
    """An organization's name inside a Spanish sentence of the console carries lang="en"."""
    code, name = world.district_a.code, html.escape(world.district_a.name)
    client = in_spanish(console_client(world.da_a))
    page = client.get(reverse("backoffice:org_add", args=[code])).content.decode()
    assert f'<span lang="en">{name}</span>' in page
    english = console_client(world.da_a).get(reverse("backoffice:org_add", args=[code])).content.decode()
    assert '<span lang="en">' not in english and name in english


# A month's abbreviation capitalized, as Django's "M" writes it ("Dic"): Spanish writes "dic".
CAPITALIZED_MONTH = re.compile(r"\b(?:Ene|Feb|Mar|Abr|May|Jun|Jul|Ago|Sep|Oct|Nov|Dic)\b")


def test_dates_in_spanish_write_the_month_in_lower_case() -> None:
    """The portal's short date formats (core/templatetags/edgate_format.py, translated in the
    catalogue): a day, a moment, and a moment with seconds (the audit trail's)."""
    with time_machine.travel(datetime(2026, 12, 3, 19, 5, tzinfo=UTC)):
        world = build_world()
        reference = district_case(world)
        client = in_spanish(console_client(world.da_a))
        agent = in_spanish(console_client(world.service))
        pages = {
            "day": client.get(reverse("backoffice:cases")).content.decode(),
            "moment": client.get(reverse("backoffice:case", args=[reference])).content.decode(),
            "activity": client.get(
                reverse("backoffice:org_activity", args=[world.district_a.code])
            ).content.decode(),
            "seconds": agent.get(
                reverse("backoffice:service_profile", args=[world.da_a.pk])
            ).content.decode(),
        }
        english = console_client(world.da_a).get(reverse("backoffice:cases")).content.decode()
    assert ">3 dic 2026<" in pages["day"]
    assert re.search(r"3 dic 2026, 14:05 EST", pages["moment"])
    assert re.search(r"3 dic 2026, 14:05:\d\d EST", pages["seconds"])
    for name, page in pages.items():
        assert CAPITALIZED_MONTH.findall(page) == [], name
    assert ">Dec 3, 2026<" in english  # English as it was
