"""OpenID Connect: which application each client signs people in to, the subject identifiers
handed to clients, and the keys that sign ID tokens.

Clients themselves are django-oauth-toolkit's `oauth2_provider.Application` rows (client id,
hashed secret, redirect URIs); tokens and codes are its models too.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from oauth2_provider.models import Application as Client
from oauth2_provider.models import Grant

from edgate.directory.models import Application


class ClientApplication(models.Model):
    """An OIDC client and the agency application it signs people in to.

    First-party clients (the agency's own applications) skip the consent page; third-party
    ones (vendors') show it."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="edgate")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="clients")
    first_party = models.BooleanField(default=True)
    # The scopes the client may ask for, space-separated (`openid` always among them); a
    # request for any other is refused with invalid_scope (sso/validators.py validate_scopes).
    scopes = models.CharField(max_length=200, default="openid profile email")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client__name"]

    def __str__(self) -> str:
        return f"{self.client.name} → {self.application.code}"

    def allowed_scopes(self) -> set[str]:
        return set(self.scopes.split())


class Subject(models.Model):
    """The `sub` claim of a Profile: random, stable, and telling nothing (not the Profile's
    number, not the SSN). Made on the first sign-in to any client."""

    profile = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sub = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return str(self.sub)


class SigningKey(models.Model):
    """An RSA key that signs ID tokens, its private part encrypted with the PII keys.

    The newest key not retired signs; older ones not retired stay in the JWKS so tokens they
    signed still verify; a retired key is gone from the JWKS."""

    kid = models.CharField(max_length=64, unique=True)
    private_key = models.BinaryField(editable=False)  # PEM (PKCS#8), Fernet-encrypted
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.kid


class TokenFamily(models.Model):
    """A refresh-token family (django-oauth-toolkit's `token_family`: the tokens one code
    exchange began and every rotation since), with the code it came from and when it ends.

    The library deletes a code once it is exchanged and keeps nothing of it, so a second
    exchange could only be refused, not traced to the tokens the first one gave; and it gives a
    rotated family no absolute end. This row answers both (`sso/families.py`). Only a SHA-256 of
    the code is kept: the row outlives the code, and must not be usable as one."""

    family = models.UUIDField(unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_digest = models.CharField(max_length=64, db_index=True, blank=True)
    authorized_at = models.DateTimeField()  # when the code was issued (the person's "Allow")
    ends_at = models.DateTimeField(db_index=True)  # no refresh at or after this moment
    # How the person signed in to the portal session that authorized the code (CodeSignIn),
    # told again in the ID token of every refresh. Null for families begun before these were
    # kept (the library's Profile.last_login is used for them, as it was). Both have a database
    # default: a node still on the code before them inserts rows naming neither (docs/deploy.md).
    auth_time = models.DateTimeField(null=True, blank=True)
    amr = models.CharField(max_length=40, blank=True, default="", db_default="")

    def __str__(self) -> str:
        return str(self.family)


class CodeSignIn(models.Model):
    """How the portal session that got an authorization code signed in: when (the session's own
    sign-in, not the Profile's last one on any device) and with what (`amr`, space-separated:
    `pwd`, or `pwd otp mfa` once the session passed its second factor). The ID token's
    `auth_time`, `amr` and `acr` come from here; the code exchange copies it to the family
    (TokenFamily) for refreshes. Goes with its code (django-oauth-toolkit deletes a code once
    exchanged, or `edgate cleartokens` once expired).

    No foreign-key constraint in the database: a node still on the code before this table
    (rolling upgrade, docs/deploy.md) deletes an exchanged code without knowing of its row here,
    and the constraint would fail that exchange at commit. Such a row is left without its code
    (harmless: code ids are never reused) until `edgate cleanup` removes it (purge_orphaned)."""

    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    auth_time = models.DateTimeField()
    amr = models.CharField(max_length=40)

    def __str__(self) -> str:
        return f"{self.grant_id}: {self.amr}"


class Consent(models.Model):
    """A person's "Allow" on the consent page for a client not run by the agency: the scopes
    allowed and when. It is remembered (the page is skipped, prompt=none answered) only for
    EDGATE_OIDC_REFRESH_MAX_SECONDS after it was given, and the families begun under it end
    then too (sso/families.py), so the consent page's "at most 12 hours" holds. A Disconnect
    deletes it."""

    profile = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    scopes = models.CharField(max_length=200)
    given_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["profile", "client"], name="sso_consent_once")]

    def __str__(self) -> str:
        return f"{self.profile_id} → {self.client_id}"
