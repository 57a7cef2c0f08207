"""Who may recover a forgotten password by hint question.

Lives above accounts and directory because the answer needs both: staff flags and groups are
on the Profile, Directory Administrator appointments in the directory.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from edgate.accounts.models import Profile
from edgate.directory.models import OrgAdministrator


def is_privileged(profile: Profile) -> bool:
    """Agency staff, superusers, members of any administrative group, Directory Administrators.
    (One query for the last two: every sign-in asks, edgate.mfa.session.)"""
    if profile.is_staff or profile.is_superuser:
        return True
    in_group = Profile.groups.through.objects.filter(profile=OuterRef("pk"))
    administers = OrgAdministrator.objects.filter(profile=OuterRef("pk"))
    return Profile.objects.filter(pk=profile.pk).filter(Exists(in_group) | Exists(administers)).exists()
