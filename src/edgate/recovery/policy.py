"""Who may recover a forgotten password by hint question.

Lives above accounts and directory because the answer needs both: staff flags and groups are
on the Profile, Directory Administrator appointments in the directory.
"""

from __future__ import annotations

from edgate.accounts.models import Profile
from edgate.directory.models import OrgAdministrator


def is_privileged(profile: Profile) -> bool:
    """Agency staff, superusers, members of any administrative group, Directory Administrators."""
    return (
        profile.is_staff
        or profile.is_superuser
        or profile.groups.exists()
        or OrgAdministrator.objects.filter(profile=profile).exists()
    )
