"""Ending every session of a Profile at once (its session epoch)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from edgate.audit.models import EventType
from edgate.audit.record import record_event
from edgate.core.context import Ctx

from .models import Profile


def end_every_session(profile_pk: Any, *, reason: str, ctx: Ctx) -> bool:
    """Raise the Profile's session epoch: every session made before fails Django's auth-hash check
    on its next request, wherever it is stored (database row or a cached copy)."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update().filter(pk=profile_pk).first()
        if profile is None:
            return False
        Profile.objects.filter(pk=profile.pk).update(session_epoch=F("session_epoch") + 1)
        record_event(EventType.SESSIONS_ENDED, ctx=ctx, target=profile, detail={"reason": reason})
    return True


def on_cached_copy_kept(sender: object, user_pk: Any, **kwargs: Any) -> None:
    """core.sessions.cached: a sign-out could not remove the session's copy from Redis."""
    end_every_session(
        user_pk, reason="cached session copy could not be removed", ctx=Ctx.system("session store")
    )
