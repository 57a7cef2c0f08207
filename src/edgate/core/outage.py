"""Remembering, per process, that Redis is unreachable, so requests do not each wait on it.

Redis holds the throttle counters and a read cache of sessions (settings/base.py). When a call
fails with a connection error or a timeout, `REDIS.failed()` opens a short pause (5 s) during
which readers go straight to the database (sessions) or the database store (throttles), then
the next call tries Redis again. One warning is logged per outage, naming no key or value.
Only connection failures count: any other Redis error is a bug and is raised.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

logger = logging.getLogger("edgate.outage")

# What "Redis is unreachable" looks like to redis-py (refused, reset, timed out, DNS).
UNREACHABLE: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError)


class Outage:
    def __init__(self, name: str, pause_seconds: float = 5.0) -> None:
        self.name = name
        self.pause = pause_seconds
        self._until = 0.0
        self._reported = False
        self._lock = threading.Lock()

    def down(self) -> bool:
        """Within the pause after a failure: do not try the service."""
        return time.monotonic() < self._until

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._until = time.monotonic() + self.pause
            report, self._reported = not self._reported, True
        if report:
            logger.warning(
                "%s unreachable (%s); using the database until it answers", self.name, type(exc).__name__
            )

    def answered(self) -> None:
        if self._reported:
            with self._lock:
                report, self._reported = self._reported, False
                self._until = 0.0
            if report:
                logger.warning("%s answers again", self.name)

    def reset(self) -> None:
        """For tests."""
        with self._lock:
            self._until, self._reported = 0.0, False


REDIS = Outage("Redis")
