"""The demo's Dropbox application links to the demo application `make run` serves on port
8001: someone granted it sees "Open" on My applications, not "There is no link"."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from edgate.accounts.models import Profile
from edgate.directory import actions as directory_actions
from edgate.directory.models import Application, AppRole, Organization
from tests.backoffice import console_client
from tests.factories import CTX


@pytest.mark.django_db
def test_a_dropbox_grant_in_the_demo_opens_the_demo_application() -> None:
    call_command("demo", "--force", stdout=StringIO())
    dropbox = Application.objects.get(code="DROPBOX")
    district = Organization.objects.get(code="01230000")
    admin = Profile.objects.get(person__last_name="Administrator", person__first_name="Dana")
    directory_actions.do_grant_access(
        profile=admin,
        role=AppRole.objects.get(application=dropbox, code="user"),
        organization=district,
        ctx=CTX,
    )
    page = console_client(admin).get(reverse("directory:applications")).content.decode()
    assert 'href="http://127.0.0.1:8001/"' in page
    # A second run keeps it, and changes nothing.
    call_command("demo", "--force", stdout=StringIO())
    assert Application.objects.get(code="DROPBOX").url == "http://127.0.0.1:8001/"
