"""Who a customer-service command acts as, for the audit log."""

from __future__ import annotations

from django.core.management.base import CommandError

from edgate.accounts.models import Profile
from edgate.core.context import Ctx


def profile_named(username: str) -> Profile:
    profile = Profile.objects.find_by_username(username)
    if profile is None:
        raise CommandError("No Profile has that User Name.")
    return profile


def agent_ctx(by: str, command: str) -> Ctx:
    """The agent named by --by (their User Name), or the command itself when none is named."""
    if not by:
        return Ctx.system(command)
    agent = Profile.objects.find_by_username(by)
    if agent is None:
        raise CommandError("--by names no Profile.")
    return Ctx(actor_id=agent.pk, actor_label=f"{agent.username} via {command}")
