"""django-oauth-toolkit's request validator, with the portal's rules: who may get tokens, and
the claims a client is told."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from . import access


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
            claims["email"] = person.email
        return claims

    # --- access is asked again at every step that hands out or honours a token -----------

    def validate_code(self, client_id, code, client, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Exchanging a code: the grant may have been revoked since the sign-in."""
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        return valid and access.may_sign_in(request.user, client)

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        """A refresh stops as soon as the grant is revoked, the staff entry ends, or the Profile
        is locked or disabled."""
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        return valid and access.may_sign_in(request.user, client)

    def validate_bearer_token(self, token, scopes, request):  # type: ignore[no-untyped-def]
        """userinfo (and any resource this provider serves): the same rule as sign-in."""
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if access.may_sign_in(request.user, request.client):
            return True
        request.oauth2_error = {"error": "invalid_token", "error_description": "Access has ended."}
        return False

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(self.oidc_claim_scope)
