from django.core.management.base import BaseCommand

from edgate.core import flowstate, throttle


class Command(BaseCommand):
    help = "Remove expired flows and throttle counters (run from cron, e.g. hourly)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        flows = flowstate.purge_expired()
        counters = throttle.purge_expired()
        self.stdout.write(f"Removed {flows} expired flows and {counters} expired throttle counters.")
