"""Who may recover a forgotten password by hint question.

Lives above accounts and directory because the answer needs both: staff flags and groups are
on the Profile, Directory Administrator appointments in the directory.
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from edgate.accounts.models import Profile
from edgate.directory.models import OrgAdministrator


def is_privileged(profile: Profile) -> bool:
    """Agency staff, superusers, members of any administrative group, Directory Administrators.
    (One statement for the last two: every sign-in asks, edgate.mfa.session.)"""
    if profile.is_staff or profile.is_superuser:
        return True
    with connection.cursor() as cursor:
        cursor.execute(_MEMBER_OR_ADMINISTRATOR_SQL(), [profile.pk, profile.pk])
        return cursor.fetchone() is not None


@cache
def _MEMBER_OR_ADMINISTRATOR_SQL() -> str:  # noqa: N802 - a constant, made once the models are ready
    """A group membership or a Directory Administrator appointment of one Profile, by index.

    Written out, not composed with the ORM: the queryset (Exists | Exists) cost ~2 ms of CPU to
    compile at every sign-in, the statement itself a fraction of that. Table and column names
    come from the models, so a rename follows."""
    quote = connection.ops.quote_name
    groups = Profile.groups.through._meta
    administrators = OrgAdministrator._meta
    member = groups.get_field("profile").column
    administrator = administrators.get_field("profile").column
    return (
        f"SELECT 1 FROM {quote(groups.db_table)} WHERE {quote(member)} = %s "  # noqa: S608 - names from the models, quoted; the value a parameter
        f"UNION ALL SELECT 1 FROM {quote(administrators.db_table)} WHERE {quote(administrator)} = %s "
        "LIMIT 1"
    )
