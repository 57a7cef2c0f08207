"""Core rows: expiring flow state and shared throttle counters."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from django.db import models
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import crypto


def new_flow_id() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class Flow(models.Model):
    """Server-side state of a multi-step self-service flow (registration, recovery).

    The browser holds only the id (in its session). Data is whitelisted by the flow's
    steps and encrypted, because it carries the registrant's SSN and password hash.
    """

    id = models.CharField(primary_key=True, max_length=64, default=new_flow_id, editable=False)
    kind = models.CharField(max_length=32)
    state = models.CharField(max_length=32)
    data_ciphertext = models.BinaryField(default=b"")
    attempts = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A flow made by its first submission (core.flow.create): keyed hashes of the CSRF cookie of
    # the browser that submitted it and of its address (an IPv6 one by its /64), so that the
    # same browser's second click is known for one when the first click's answer (and the
    # session cookie in it) never reached the browser (core.flow.adopt; `browser` is cleared
    # when it is used, so it is used once). A database default as well as Django's: a node
    # still on the code before these columns, during a rolling upgrade (docs/deploy.md), writes
    # rows without them.
    browser = models.CharField(max_length=64, blank=True, default="", db_default="")
    address = models.CharField(max_length=64, blank=True, default="", db_default="")
    # ... and a keyed hash of that first submission itself (every field as posted, the masked CSRF
    # token included): only the same form sent again, a double click, is handed the flow; cleared
    # when it is, so it is handed over once.
    submission = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        indexes = [models.Index(fields=["kind", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} flow at {self.state}"

    def __repr__(self) -> str:
        return f"<Flow {self.kind}:{self.state}>"

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._data = None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def data(self) -> dict[str, Any]:
        """Decrypted once per instance (a wizard request reads it several times); a copy is
        returned so callers cannot change the cache behind the ciphertext's back."""
        if getattr(self, "_data", None) is None:
            self._data = crypto.decrypt_json(self.data_ciphertext) if self.data_ciphertext else {}
        return copy.deepcopy(self._data)

    @data.setter
    @sensitive_variables()
    def data(self, value: dict[str, Any]) -> None:
        self.data_ciphertext = crypto.encrypt_json(value)
        self._data = copy.deepcopy(value)


class ThrottleCounter(models.Model):
    """One fixed window of one throttle key, when counters live in the database."""

    key = models.CharField(max_length=96)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="throttle_key_window")]

    def __str__(self) -> str:
        return f"{self.count} since {self.window_start:%Y-%m-%d %H:%M}"
