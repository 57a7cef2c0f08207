from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from edgate.accounts import codes
from edgate.core import flow, throttle
from edgate.matching import near_matches
from edgate.sso import families


def purge_expired_sessions() -> int:
    """Expired sessions of a database-backed engine (db, cached_db), counted; a cache-only
    engine's sessions expire in the cache by themselves (Django's clear_expired does nothing)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model_class = getattr(store, "get_model_class", None)
    if model_class is None:
        store.clear_expired()
        return 0
    deleted, _ = model_class().objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


class Command(BaseCommand):
    help = (
        "Remove expired sessions, flows, throttle counters and delay markers, near-match counts past "
        "their window, activation codes spent more than 30 days ago, and the records of single sign-on "
        "token families that have ended "
        "(run hourly: deploy/systemd/edgate-cleanup.timer)."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        sessions = purge_expired_sessions()
        flows = flow.purge_expired()
        counters = throttle.purge_expired()
        spent = codes.purge_spent()
        near = near_matches.purge_expired()
        ended = families.purge_ended()
        self.stdout.write(
            f"Removed {flows} expired flows, {counters} expired throttle counters, "
            f"{spent} spent activation codes, {near} near-match counts past their window, "
            f"{ended} ended token families and {sessions} expired sessions."
        )
