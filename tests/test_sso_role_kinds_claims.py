"""review8 H2: a grant whose role no longer fits its organization's kind (a kind ticked on the
role after the grant, the organization's kind changed in the admin site, or a grant from before
role kinds) gives no access and is not in the `roles` claim; it is not revoked either."""

from __future__ import annotations

import pytest

from edgate.core import conf
from edgate.directory import actions as directory
from edgate.directory.models import AccessGrant, OrgType
from edgate.sso import access

from .factories import CTX
from .oidc import World, grant
from .test_oidc import person, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    from .oidc import signing_key, world

    conf.reset()
    signing_key()
    return world()


def test_a_kind_ticked_on_the_role_later_takes_the_grant_out_of_the_claims(w: World) -> None:
    who = person()
    made = grant(who, w)  # Dropbox "user" at the school, any kind then
    client = register(w).client
    assert [r["organization"] for r in access.roles(who, client)] == [w.school.code]
    assert access.may_sign_in(who, client)
    directory.do_save_app_role(
        role=w.dropbox_user,
        application=w.dropbox,
        code="user",
        name="User",
        org_types=[OrgType.DISTRICT],
        ctx=CTX,
    )
    assert access.roles(who, client) == []
    assert not access.may_sign_in(who, client)
    assert list(AccessGrant.objects.active().not_fitting()) == [made]  # kept, and found
    made.refresh_from_db()
    assert made.revoked_at is None
    # The kind ticked back: the same grant counts again.
    directory.do_save_app_role(
        role=w.dropbox_user,
        application=w.dropbox,
        code="user",
        name="User",
        org_types=[OrgType.DISTRICT, OrgType.SCHOOL],
        ctx=CTX,
    )
    assert [r["organization"] for r in access.roles(who, client)] == [w.school.code]
    assert list(AccessGrant.objects.active().not_fitting()) == []


def test_an_organization_s_kind_changed_takes_the_grant_out_of_the_claims(w: World) -> None:
    who = person()
    grant(who, w)
    client = register(w).client
    directory.do_save_app_role(
        role=w.dropbox_user,
        application=w.dropbox,
        code="user",
        name="User",
        org_types=[OrgType.SCHOOL],
        ctx=CTX,
    )
    assert [r["organization"] for r in access.roles(who, client)] == [w.school.code]
    directory.do_save_organization(
        organization=w.school,
        code=w.school.code,
        name=w.school.name,
        org_type=OrgType.CHARTER,
        parent=w.district,
        ctx=CTX,
    )
    assert access.roles(who, client) == []
    assert not access.may_sign_in(who, client)
