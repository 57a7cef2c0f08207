"""ID-token signing keys, kept in the database (encrypted) and served to django-oauth-toolkit.

django-oauth-toolkit reads the signing key from its settings (`OIDC_RSA_PRIVATE_KEY`, and
`OIDC_RSA_PRIVATE_KEYS_INACTIVE` for older keys still published in the JWKS). Here those two
settings are answered from the `SigningKey` table on every read, so `edgate oidc keys rotate`
takes effect on every node at once, without a restart and without a key in a settings file.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk
from oauth2_provider import settings as dot_settings

from edgate.core import crypto

from .models import SigningKey

KEY_SIZE = 2048


def new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def kid_of(pem: str) -> str:
    """The key id django-oauth-toolkit puts in the JWKS and in ID-token headers: the RFC 7638
    thumbprint of the key."""
    return jwk.JWK.from_pem(pem.encode()).thumbprint()


def build_key(pem: str) -> SigningKey:
    return SigningKey(kid=kid_of(pem), private_key=crypto.encrypt(pem))


def _pem(row: SigningKey) -> str:
    return crypto.decrypt(bytes(row.private_key))


def published() -> list[SigningKey]:
    """Keys in the JWKS, the signing one (the newest) first."""
    return list(SigningKey.objects.filter(retired_at__isnull=True).order_by("-created_at", "-id"))


def published_pem(kid: str) -> str | None:
    """The private key of a published key, by its id."""
    row = SigningKey.objects.filter(kid=kid, retired_at__isnull=True).first()
    return _pem(row) if row else None


def signing_pem() -> str:
    keys = published()
    return _pem(keys[0]) if keys else ""


def inactive_pems() -> list[str]:
    return [_pem(row) for row in published()[1:]]


class _KeysFromDatabase(dot_settings.OAuth2ProviderSettings):
    @property
    def OIDC_RSA_PRIVATE_KEY(self) -> str:  # noqa: N802 - the library's setting name
        return signing_pem()

    @property
    def OIDC_RSA_PRIVATE_KEYS_INACTIVE(self) -> list[str]:  # noqa: N802
        return inactive_pems()


def serve_keys_from_database() -> None:
    """Make django-oauth-toolkit's settings object read the two key settings from the table."""
    dot_settings.oauth2_settings.__class__ = _KeysFromDatabase
