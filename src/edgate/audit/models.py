"""The audit log: a closed catalogue of events, append-only.

Rows refer to people and profiles by id; personal data (SSN, date of birth, names,
answers) is never copied into an event. UPDATE and DELETE are refused by the model,
by its queryset, and by a database trigger (migration 0002). Each event is linked into a
keyed hash chain (`chain`, `seq`, `prev_hash`, `hash`; see chain.py), so a change made
behind those guards shows up in `edgate audit verify`.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class EventType(models.TextChoices):
    # accounts
    SIGN_IN = "accounts.sign_in", gettext_lazy("Signed in")
    SIGN_IN_FAILED = "accounts.sign_in_failed", gettext_lazy("Sign-in failed")
    SIGN_IN_THROTTLED = "accounts.sign_in_throttled", gettext_lazy("Sign-in refused by throttle")
    SIGN_IN_LOCK_LIFTED = (
        "accounts.sign_in_lock_lifted",
        gettext_lazy("Sign-in lock lifted by customer service"),
    )
    REAUTH_THROTTLED = "accounts.reauth_throttled", gettext_lazy("Current-password check refused by throttle")
    SIGN_IN_DELAYED = (
        "accounts.sign_in_delayed",
        gettext_lazy("Sign-in refused (too soon after earlier attempts)"),
    )
    SIGN_OUT = "accounts.sign_out", gettext_lazy("Signed out")
    SESSIONS_ENDED = (
        "accounts.sessions_ended",
        gettext_lazy("Every session of the Profile ended (a signed-out session stayed in the session cache)"),
    )
    PROFILE_CREATED = "accounts.profile_created", gettext_lazy("Profile created")
    PROFILE_PRECREATED = "accounts.profile_precreated", gettext_lazy("Profile pre-created")
    PROFILE_SETUP_COMPLETED = (
        "accounts.profile_setup_completed",
        gettext_lazy("Pre-created Profile completed"),
    )
    PASSWORD_CHANGED = "accounts.password_changed", gettext_lazy("Password changed")
    HINT_CHANGED = "accounts.hint_changed", gettext_lazy("Hint question and answer changed")
    CONTACT_UPDATED = "accounts.contact_updated", gettext_lazy("Contact details updated")
    PROFILE_STATUS_CHANGED = (
        "accounts.status_changed",
        gettext_lazy("Profile locked, unlocked, disabled or re-enabled"),
    )
    PRIVILEGES_CHANGED = "accounts.privileges_changed", gettext_lazy("Staff privileges changed")
    GROUP_SAVED = "accounts.group_saved", gettext_lazy("Permission group saved")
    # recovery
    RECOVERY_STARTED = "recovery.started", gettext_lazy("Password recovery started")
    RECOVERY_HINT_FAILED = "recovery.hint_failed", gettext_lazy("Wrong hint answer")
    RECOVERY_LOCKED = "recovery.locked", gettext_lazy("Recovery refused by throttle")
    RECOVERY_HINT_PASSED = "recovery.hint_passed", gettext_lazy("Hint answer accepted")
    PASSWORD_RESET = "recovery.password_reset", gettext_lazy("Password reset after hint answer")
    # registration and matching
    MATCH_OUTCOME = "registration.match", gettext_lazy("Identity matched")
    MATCH_THROTTLED = "registration.match_throttled", gettext_lazy("Identity match refused by throttle")
    MATCH_CASE_OPENED = "registration.case_opened", gettext_lazy("Match case opened")
    MATCH_CASE_REPEATED = (
        "registration.case_repeated",
        gettext_lazy("Conflicting submission counted on an open case"),
    )
    USERNAME_REMINDED = "registration.username_reminded", gettext_lazy("User Name reminder shown")
    PERSON_CREATED = "people.person_created", gettext_lazy("Person record created")
    PERSON_UPDATED = "people.person_updated", gettext_lazy("Person record updated")
    PERSON_SSN_ADDED = "people.ssn_added", gettext_lazy("SSN added to a person record")
    MATCH_CASE_STATUS_CHANGED = (
        "matching.case_status_changed",
        gettext_lazy("Match case resolved or reopened"),
    )
    MATCH_CASE_ROUTED = "matching.case_routed", gettext_lazy("Match case organizations changed")
    MATCH_CASE_RESOLVED = (
        "matching.case_resolved",
        gettext_lazy("Match case resolved (same person or different people)"),
    )
    MATCH_CASE_ESCALATED = "matching.case_escalated", gettext_lazy("Match case escalated to customer service")
    MATCH_CASE_CLOSED_HAS_PROFILE = (
        "matching.case_closed_has_profile",
        gettext_lazy("Match case closed (the person on its record has their Profile)"),
    )
    # directory and access
    STAFF_ADDED = "directory.staff_added", gettext_lazy("Staff entry added")
    STAFF_ENDED = "directory.staff_ended", gettext_lazy("Staff entry ended")
    ACCESS_GRANTED = "directory.access_granted", gettext_lazy("Application access granted")
    ACCESS_REVOKED = "directory.access_revoked", gettext_lazy("Application access revoked")
    ADMIN_APPOINTED = "directory.admin_appointed", gettext_lazy("Directory Administrator appointed")
    ADMIN_REMOVED = "directory.admin_removed", gettext_lazy("Directory Administrator removed")
    STAFF_UPDATED = "directory.staff_updated", gettext_lazy("Staff entry changed")
    ORGANIZATION_SAVED = "directory.organization_saved", gettext_lazy("Organization created or changed")
    APPLICATION_SAVED = "directory.application_saved", gettext_lazy("Application created or changed")
    APP_ROLE_SAVED = "directory.role_saved", gettext_lazy("Application role created or changed")
    STAFF_SEARCH_THROTTLED = (
        "directory.staff_search_throttled",
        gettext_lazy("Staff search by SSN refused by throttle"),
    )
    # second factor (privileged people)
    OTP_ENROLLED = "mfa.enrolled", gettext_lazy("Second factor (authenticator app) enrolled")
    OTP_PASSED = "mfa.passed", gettext_lazy("Second factor passed")
    OTP_FAILED = "mfa.failed", gettext_lazy("Wrong second-factor code, or one refused by throttle")
    OTP_RECOVERY_CODE_USED = "mfa.recovery_code_used", gettext_lazy("Recovery code used as the second factor")
    OTP_RESET = "mfa.reset", gettext_lazy("Second factor removed by customer service (to enrol again)")
    # security monitoring
    THROTTLE_ALERT = (
        "security.throttle_alert",
        gettext_lazy("A throttle limit was reached (for customer service)"),
    )
    FLOW_REFUSED = (
        "security.flow_refused",
        gettext_lazy(
            "Registration or recovery page refused (another browser's, asked for without a session, "
            "tampered with, or a step skipped)"
        ),
    )
    FLOW_ADOPTED = (
        "security.flow_adopted",
        gettext_lazy("Registration page 1 sent twice (double click), continued with the second click"),
    )
    FLOW_REFUSALS_SUPPRESSED = (
        "security.flow_refusals_suppressed",
        gettext_lazy("Refused registration or recovery pages over the site's recording limit (count)"),
    )
    # activation codes (issued by customer service)
    ACTIVATION_CODE_ISSUED = "recovery.code_issued", gettext_lazy("Activation code issued")
    ACTIVATION_CODE_REDEEMED = "recovery.code_redeemed", gettext_lazy("Activation code redeemed")
    ACTIVATION_CODE_FAILED = "recovery.code_failed", gettext_lazy("Wrong or expired activation code")
    # single sign-on (OpenID Connect clients and signing keys)
    SSO_CLIENT_REGISTERED = "sso.client_registered", gettext_lazy("OpenID Connect client registered")
    SSO_CLIENT_REMOVED = "sso.client_removed", gettext_lazy("OpenID Connect client removed")
    SSO_CLIENT_SCOPES_CHANGED = (
        "sso.client_scopes_changed",
        gettext_lazy("OpenID Connect client's scopes changed"),
    )
    SSO_KEY_ROTATED = "sso.key_rotated", gettext_lazy("ID-token signing key rotated")
    SSO_KEY_RETIRED = "sso.key_retired", gettext_lazy("ID-token signing key retired")
    SSO_SIGN_IN = "sso.sign_in", gettext_lazy("Signed in to an application (authorization code issued)")
    SSO_ACCESS_DENIED = "sso.access_denied", gettext_lazy("Sign-in to an application refused (no access)")
    SSO_SIGN_IN_REFUSED = (
        "sso.sign_in_refused",
        gettext_lazy(
            "Sign-in to an application refused (it required a fresh sign-in, the same person, or a "
            "second factor)"
        ),
    )
    SSO_CONSENT_GIVEN = (
        "sso.consent_given",
        gettext_lazy("Application allowed by the person on the consent page"),
    )
    SSO_CONSENT_WITHDRAWN = (
        "sso.consent_withdrawn",
        gettext_lazy("Application disconnected by the person (its tokens and consent ended)"),
    )
    SSO_CLIENT_AUTH_FAILED = (
        "sso.client_auth_failed",
        gettext_lazy("Client authentication failed at the token or revocation endpoint"),
    )
    SSO_CODE_REUSED = (
        "sso.code_reused",
        gettext_lazy("Authorization code used again (the tokens it gave were revoked)"),
    )
    # customer service
    PERSONS_MERGED = "service.persons_merged", gettext_lazy("Duplicate person merged into another")
    PERSONS_UNMERGED = "service.persons_unmerged", gettext_lazy("Merge of duplicate persons undone")
    CONSOLE_REFUSED = (
        "service.console_refused",
        gettext_lazy("Console page refused (no role for it, or the object not found or not in scope)"),
    )


class Outcome(models.TextChoices):
    SUCCESS = "success", gettext_lazy("Success")
    FAILURE = "failure", gettext_lazy("Failure")
    DENIED = "denied", gettext_lazy("Denied")


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class EventTypeField(models.CharField):
    """The catalogue lives in code (EventType); leaving its choices out of migrations means
    adding an event type never needs a schema migration."""

    def deconstruct(self):  # type: ignore[no-untyped-def]
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, path, args, kwargs


class AuditEvent(models.Model):
    # Set before the insert (not auto_now_add) because the hash covers it.
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    event_type = EventTypeField(max_length=64, choices=EventType.choices, db_index=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    target_type = models.CharField(max_length=32, blank=True)
    # No index of its own: every query of a target's events gives its type too (Meta.indexes).
    target_id = models.CharField(max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # No defaults: a row written around record_event / chained_rows fails instead of
    # joining no chain.
    chain = models.PositiveSmallIntegerField(editable=False)
    seq = models.PositiveBigIntegerField(editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"])]
        # Also the index that finds a chain's head and walks a chain in order.
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event_type} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")
