from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from edgate.accounts import codes
from edgate.audit import refusals
from edgate.core import flow, throttle
from edgate.matching import near_matches
from edgate.sso import consent, families


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
        "their window, activation codes spent more than 30 days ago, the records of single sign-on "
        "token families that have ended, the sign-in records of codes an older node removed and single "
        "sign-on consents that have lapsed; write the "
        "number of flow refusal events a past minute did not record one by one (the site's ceiling) "
        "if no later refusal has (run hourly: deploy/systemd/edgate-cleanup.timer)."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        # First: the counts it reads are throttle counters, which expire (a day after the minute).
        suppressed = refusals.report_suppressed()
        sessions = purge_expired_sessions()
        flows = flow.purge_expired()
        counters = throttle.purge_expired()
        spent = codes.purge_spent()
        near = near_matches.purge_expired()
        ended = families.purge_ended()
        orphaned = families.purge_orphaned_sign_ins()
        lapsed = consent.purge_lapsed()
        self.stdout.write(
            f"Removed {flows} expired flows, {counters} expired throttle counters, "
            f"{spent} spent activation codes, {near} near-match counts past their window, "
            f"{ended} ended token families, {orphaned} sign-in records of codes already gone, "
            f"{lapsed} lapsed single sign-on consents and "
            f"{sessions} expired sessions."
        )
        for summary in suppressed:
            self.stdout.write(
                f"Recorded {summary.detail['suppressed']} refusal events beyond the site's ceiling "
                f"({summary.detail['from']} to {summary.detail['until']})."
            )
