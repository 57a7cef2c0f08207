from django.core.management.base import BaseCommand

from edgate.accounts import codes
from edgate.core import flowstate, throttle


class Command(BaseCommand):
    help = (
        "Remove expired flows, throttle counters and delay markers, and activation codes spent more "
        "than 30 days ago (run from cron, e.g. hourly)."
    )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        flows = flowstate.purge_expired()
        counters = throttle.purge_expired()
        spent = codes.purge_spent()
        self.stdout.write(
            f"Removed {flows} expired flows, {counters} expired throttle counters "
            f"and {spent} spent activation codes."
        )
