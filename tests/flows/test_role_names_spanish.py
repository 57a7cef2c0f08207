"""Roles and grants on Spanish pages: a role's name is the Spanish one it was given (AppRole.name_es,
as an application's), else the name as written, marked lang="en"; an application is named as on
My applications (its Spanish name) in the consoles too. A staff entry's role title is what a
Directory Administrator typed: shown as typed."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from edgate.console import demo
from edgate.directory import actions as directory
from edgate.directory.models import AppRole
from tests.backoffice import build_world, console_client
from tests.factories import CTX, PASSWORD, on_file, someone, with_profile

pytestmark = pytest.mark.django_db


def spanish(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def test_my_applications_and_the_consoles_name_roles_in_spanish() -> None:
    world = build_world()
    mdcs = world.mdcs
    directory.do_save_application(
        application=mdcs,
        code="MDCS",
        name="MDCS — Data collection",
        name_es="MDCS — Recopilación de datos",
        ctx=CTX,
    )
    submitter = world.role("MDCS", "submitter")
    directory.do_save_app_role(
        role=submitter, application=mdcs, code="submitter", name="Submitter", name_es="Remitente", ctx=CTX
    )
    approver = world.role("MDCS", "approver")  # no Spanish name given
    teacher = on_file(someone("Lucia", "Ferreira"))
    profile = with_profile(teacher)
    entry = directory.do_add_staff(
        person=teacher, organization=world.school_a1, role_title="Teacher", ctx=CTX
    )
    for role in (submitter, approver):
        directory.do_grant_access(profile=profile, role=role, organization=world.school_a1, ctx=CTX)

    person = spanish(Client())
    person.post(reverse("accounts:login"), {"username": profile.username, "password": PASSWORD})
    page = html.unescape(person.get(reverse("directory:applications")).content.decode())
    school = f'<span lang="en">{world.school_a1.name}</span>'
    assert f"<li>Remitente — {school}</li>" in page
    assert f'<li><span lang="en">Approver</span> — {school}</li>' in page
    assert "Submitter" not in page

    da = spanish(console_client(world.da_a))
    a1 = world.school_a1.code
    page = html.unescape(da.get(reverse("backoffice:org_entry", args=[a1, entry.pk])).content.decode())
    with translation.override("es"):
        role, application = translation.gettext("Role"), translation.gettext("Application")
    assert f'<td data-label="{role}">Remitente</td>' in page
    assert f'<td data-label="{role}"><span lang="en">Approver</span></td>' in page
    assert f'<th scope="row" data-label="{application}">MDCS — Recopilación de datos</th>' in page
    assert "Submitter" not in page and "Data collection" not in page
    # The grant form's choices: text only, each name in Spanish where it has one.
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert "MDCS — Recopilación de datos: Remitente" in options
    assert "MDCS — Recopilación de datos: Approver" in options
    grant = profile.grants.get(role=submitter)
    for url in (
        reverse("backoffice:org_revoke", args=[a1, grant.pk]),
        reverse("backoffice:org_end", args=[a1, entry.pk]),
    ):
        page = html.unescape(da.get(url).content.decode())
        assert "MDCS — Recopilación de datos: Remitente" in page and "Submitter" not in page, url
    agent = spanish(console_client(world.service))
    page = html.unescape(agent.get(reverse("backoffice:service_profile", args=[profile.pk])).content.decode())
    assert "MDCS — Recopilación de datos: Remitente" in page and "Submitter" not in page
    # In English, the names as written.
    page = html.unescape(
        console_client(world.da_a).get(reverse("backoffice:org_entry", args=[a1, entry.pk])).content.decode()
    )
    assert '<td data-label="Role">Submitter</td>' in page and "Remitente" not in page


def test_the_demo_gives_every_role_a_spanish_name() -> None:
    """The demo's roles are words of the demo's own (not typed by an administrator): each has
    its Spanish name, as each demo application has."""
    _orgs, roles = demo._configuration(CTX)  # noqa: SLF001 - the demo's applications and roles
    assert len(roles) == 5
    for role in AppRole.objects.filter(pk__in=[r.pk for r in roles.values()]):
        assert role.name_es and role.name_es != role.name, role.code
