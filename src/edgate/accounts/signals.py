"""Signals the accounts layer sends to layers above it (which it must not import)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `actions.do_change_password` inside its transaction, with `profile`. A receiver
# answers how many of the Profile's credentials elsewhere it ended (single sign-on's tokens:
# edgate.sso.tokens.on_password_changed); the total goes into the audit event.
password_changed = Signal()
