"""Signals the accounts layer sends to layers above it (which it must not import)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by `actions.do_change_password` inside its transaction, with `profile`. A receiver
# answers how many of the Profile's credentials elsewhere it ended (single sign-on's tokens:
# edgate.sso.tokens.on_password_changed); the total goes into the audit event.
password_changed = Signal()

# Sent by `actions.do_set_status` inside its transaction, with `profile`, when the Profile
# leaves the active state (locked, disabled, merged away): its portal sessions end (the session
# epoch); a receiver answers how many of its credentials elsewhere it ended (single sign-on's
# tokens: edgate.sso.tokens.on_sessions_ended), lest an enable bring them back.
sessions_ended = Signal()
