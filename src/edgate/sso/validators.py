"""django-oauth-toolkit's request validator, with the portal's rules: who may get tokens, and
the claims a client is told."""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import AccessToken, Grant
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError

from edgate.accounts.models import Status
from edgate.core.context import Ctx, ctx_from_request

from . import access, actions, authn, consent, families, keys
from .models import CodeSignIn

# The browser's request at the authorization endpoint (set by AuthorizeView while the library
# validates it): oauthlib asks about silent sign-in without handing the validator the person.
current_request: ContextVar[HttpRequest | None] = ContextVar("edgate_sso_request", default=None)


class EdgateValidator(OAuth2Validator):
    # Claims the scopes release; `sub` and the person's roles for the client's application
    # come with `openid` itself.
    oidc_claim_scope = {
        "sub": "openid",
        "roles": "openid",
        "preferred_username": "profile",
        "name": "profile",
        "given_name": "profile",
        "family_name": "profile",
        "email": "email",
        "email_verified": "email",
    }

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        profile = request.user
        person = profile.person
        claims: dict[str, Any] = {
            "sub": access.subject(profile),
            "roles": access.roles(profile, request.client),
            "preferred_username": profile.username,
            "name": f"{person.first_name} {person.last_name}",
            "given_name": person.first_name,
            "family_name": person.last_name,
        }
        if person.email:
            # The portal never confirms an address: the person types it on My Profile (or it
            # came with the agency's record) and no mail is ever sent to it. A client must not
            # take it for proof of anything: key accounts on `sub` (docs/sso.md).
            claims["email"] = person.email
            claims["email_verified"] = False
        return claims

    def get_id_token_dictionary(self, token, token_handler, request):  # type: ignore[no-untyped-def]
        """The library's claims, with `auth_time` the moment the portal session that authorized
        the code signed in (the library's is the Profile's last sign-in on any device), and
        `amr` and `acr`: whether that session passed a second factor. At a code exchange they
        come from the code (validate_code), at a refresh from its family (validate_refresh_token);
        a family begun before they were kept has neither (the library's auth_time then)."""
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        signed_in = getattr(request, "edgate_signed_in", None)
        if signed_in is not None:
            claims["auth_time"] = int(signed_in.auth_time.timestamp())
            claims["amr"] = list(signed_in.amr)
            claims["acr"] = signed_in.acr
        return claims, expiration_time

    def _create_authorization_code(self, request, code, expires=None):  # type: ignore[no-untyped-def]
        """The code, and how the session it was issued to signed in (CodeSignIn)."""
        grant = super()._create_authorization_code(request, code, expires)
        browser = current_request.get()
        if browser is not None:
            facts = authn.of_session(browser)
            CodeSignIn.objects.create(grant=grant, auth_time=facts.auth_time, amr=authn.amr_text(facts.amr))
        return grant

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Only the scopes the client is registered for (ClientApplication.scopes). A request
        for more is refused with invalid_scope rather than silently narrowed: RFC 6749 §3.3
        allows either, django-oauth-toolkit refuses (the client learns at once that it asked
        for what it may not have, instead of finding a claim missing later), and OIDC's "ignore
        scopes not understood" is about unknown values, not known ones withheld."""
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        link = access.link_of(client)
        return link is not None and set(scopes) <= link.allowed_scopes()

    # --- access is asked again at every step that hands out or honours a token -----------

    def validate_code(self, client_id, code, client, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Exchanging a code: the grant may have been revoked since the sign-in. A code that
        is gone may have been exchanged already: then what that exchange gave is revoked.

        The code is taken with a row lock (the token endpoint runs in one transaction,
        views.TokenView) until the exchange ends: a second exchange of it at the same moment
        waits here, then finds it gone and takes the reuse path instead of passing too."""
        self._lock_code(code, client)
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if not valid and not Grant.objects.filter(code=code, application=client).exists():
            self._end_reused_code(client, code, request)
            return False
        if valid:
            row = CodeSignIn.objects.filter(grant__code=code, grant__application=client).first()
            if row is not None:
                request.edgate_signed_in = authn.SignedIn(auth_time=row.auth_time, amr=tuple(row.amr.split()))
        return valid and access.may_sign_in(request.user, client)

    def _lock_code(self, code: str, client: Any) -> None:
        if transaction.get_connection().in_atomic_block:
            list(Grant.objects.select_for_update().filter(code=code, application=client).values_list("pk"))

    def _grant(self, code: str, request: Any) -> Grant:
        """The code being exchanged, which the library reads again after validate_code. Should
        it be gone (exchanged by another request the lock did not hold back), that is a reuse:
        what the other exchange gave ends, and this one is refused (never a 500)."""
        try:
            return Grant.objects.get(code=code, application=request.client)
        except Grant.DoesNotExist:
            self._end_reused_code(request.client, code, request)
            raise InvalidGrantError(request=request) from None

    def get_code_challenge(self, code, request):  # type: ignore[no-untyped-def]
        return self._grant(code, request).code_challenge or None

    def get_code_challenge_method(self, code, request):  # type: ignore[no-untyped-def]
        return self._grant(code, request).code_challenge_method or None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self._grant(code, request).redirect_uri_allowed(redirect_uri)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """An exchange that finds its code deleted by another one (possible only where the
        lock in validate_code did not hold) is a reuse too, and ends both families."""
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except InvalidGrantError:
            self._end_reused_code(request.client, code, request)
            raise

    def _end_reused_code(self, client: Any, code: str, request: Any) -> None:
        actions.do_end_reused_code(client=client, code=code, ctx=self._ctx(request))

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):  # type: ignore[no-untyped-def]
        """A code exchange begins a family: remember its code (hashed) and when it ends."""
        token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        if previous_refresh_token is None and request.code:
            families.begin(
                refresh_token=token,
                code=request.code,
                client=request.client,
                signed_in=getattr(request, "edgate_signed_in", None),
            )
        return token

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A refresh stops as soon as the grant is revoked, the staff entry ends, or the Profile
        is locked or disabled; and, however often it was refreshed, when its family ends
        (EDGATE_OIDC_REFRESH_MAX_SECONDS after the person authorized the client); and when the
        client may no longer ask for a scope the tokens were granted."""
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if valid and families.has_ended(request.refresh_token_instance.token_family):
            return False
        if valid:  # the new ID token tells how the person signed in, as the first one did
            request.edgate_signed_in = families.signed_in(request.refresh_token_instance.token_family)
        if valid and not self._scopes_still_allowed(refresh_token, client, request):
            return False
        return valid and access.may_sign_in(request.user, client)

    def _scopes_still_allowed(self, refresh_token: str, client: Any, request: Any) -> bool:
        """The scopes the tokens were granted are all still the client's (`edgate client
        scopes` may have narrowed them since)."""
        link = access.link_of(client)
        original = self.get_original_scopes(refresh_token, request)  # a string, or []
        granted = set(original.split() if isinstance(original, str) else original)
        return link is not None and granted <= link.allowed_scopes()

    def _ctx(self, request: Any) -> Ctx:
        """Who is asking at the token endpoint: the client, from the request's address."""
        return ctx_from_request(self.build_http_request(request))

    def validate_bearer_token(self, token, scopes, request):  # type: ignore[no-untyped-def]
        """userinfo (and any resource this provider serves): the same rule as sign-in, and
        not once the token's family has ended (a token rotated while it was being ended)."""
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if families.access_token_ended(request.access_token):  # a disconnect, a new password...
            request.oauth2_error = {"error": "invalid_token", "error_description": "The token has ended."}
            return False
        if access.may_sign_in(request.user, request.client):
            return True
        request.oauth2_error = {"error": "invalid_token", "error_description": "Access has ended."}
        return False

    # --- prompt=none: answered without a page, or login_required / consent_required --------

    def validate_silent_login(self, request: Any) -> bool:
        """A signed-in, active Profile. A privileged session that still owes its second factor
        is answered login_required after this (views.AuthorizeView._check_privileged)."""
        browser = current_request.get()
        user = getattr(browser, "user", None)
        return bool(user is not None and user.is_authenticated and user.status == Status.ACTIVE)

    def validate_silent_authorization(self, request: Any) -> bool:
        """A first-party client, or consent given to these scopes less than the longest
        sign-in ago (sso/consent.py) with a live token (the rule the consent page follows with
        REQUEST_APPROVAL_PROMPT "auto")."""
        browser = current_request.get()
        client = getattr(request, "client", None)
        if browser is None or client is None:
            return False
        link = access.link_of(client)
        if link is not None and link.first_party:
            return True
        if not consent.remembered(browser.user, client, request.scopes):  # "Allow" lapses
            return False
        tokens = AccessToken.objects.filter(user=browser.user, application=client, expires__gt=timezone.now())
        return any(token.allow_scopes(request.scopes) for token in tokens)

    # --- ID tokens presented back (logout's id_token_hint): any published key ------------

    def _get_key_for_token(self, token: str) -> jwk.JWK | None:
        """The published key the token names in its `kid` (the library would try only the
        signing key, so a token signed before a rotation could not end its session). None for
        anything that is not a token of a client of ours: a payload that is not a JSON object,
        an `aud` that is not a client id or a list of them, a `kid` that is not text (the
        library's own reading of these was a 500)."""
        unverified = jws.JWS()
        unverified.deserialize(token)  # InvalidJWSObject: the library answers "invalid token"
        try:
            claims = json.loads(unverified.objects["payload"].decode("utf-8"))
            kid = unverified.jose_header.get("kid")
        except (ValueError, UnicodeDecodeError, AttributeError, KeyError, TypeError):
            return None
        audience = claims.get("aud") if isinstance(claims, dict) else None
        if isinstance(audience, str):
            audience = [audience]
        if not isinstance(audience, list) or not audience or not all(isinstance(a, str) for a in audience):
            return None
        if self._get_client_by_audience(audience) is None or not isinstance(kid, str) or not kid:
            return None
        pem = keys.published_pem(kid)
        return jwk.JWK.from_pem(pem.encode()) if pem else None

    def validate_user_match(self, id_token_hint, scopes, claims, request):  # type: ignore[no-untyped-def]
        """An `id_token_hint` at the authorization endpoint names the person the client expects:
        if someone else is signed in (or the hint is not an ID token of ours), the answer is
        login_required (OIDC Core 3.1.2.1), audited; the library never compares. Without a
        session the sign-in page comes first and this is asked again after it."""
        browser = current_request.get()
        user = getattr(browser, "user", None)
        if not id_token_hint or browser is None or user is None or not user.is_authenticated:
            return True
        hinted = self._hinted_subject(id_token_hint)
        if hinted is not None and hinted == access.existing_subject(user):
            return True
        access.record_refusal(browser, getattr(request, "client", None), reason="id_token_hint")
        return False

    def _hinted_subject(self, token: str) -> str | None:
        """The `sub` of an ID token this provider signed (expired or not: a hint may be old)."""
        try:
            key = self._get_key_for_token(token)
            if key is None:
                return None
            claims = json.loads(jwt.JWT(key=key, jwt=token, check_claims={}).claims)
        except (JWException, ValueError, TypeError):
            return None
        sub = claims.get("sub") if isinstance(claims, dict) else None
        return sub if isinstance(sub, str) else None

    def get_discovery_claims(self, request: Any) -> list[str]:
        return [*self.oidc_claim_scope, "auth_time", "amr", "acr"]
