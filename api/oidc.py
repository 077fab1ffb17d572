"""Bearer JWTs from an identity provider, for deployments that have one: verified against the
issuer's published keys (JWKS), their expiry and audience, and mapped by one claim to a user
of the directory (whose role and team apply, and who must be active)."""

from __future__ import annotations

from datetime import datetime

import jwt

from api.settings import Settings
from api.users import User, UserDirectory

LEEWAY_SECONDS = 30  # clocks of the provider and the service differ a little


class IdentityProvider:
    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_jwks_url
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.claim = settings.oidc_user_claim
        self.keys = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True)

    @staticmethod
    def looks_like_jwt(token: str) -> bool:
        return token.count(".") == 2

    def user_of(self, token: str, users: UserDirectory, now: datetime) -> tuple[User | None, str]:
        """The token's user at `now` (the service's clock), or None and why it is refused."""
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key.key, algorithms=["RS256", "ES256", "PS256", "EdDSA"],
                issuer=self.issuer, audience=self.audience,
                options={"require": ["exp", "iss"], "verify_aud": self.audience is not None,
                         "verify_exp": False},  # against the service's clock, below
            )  # fmt: skip
        except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
            return None, f"the identity provider's token is not valid: {error}"
        if float(claims["exp"]) + LEEWAY_SECONDS <= now.timestamp():
            return None, "the identity provider's token has expired"
        name = claims.get(self.claim)
        user = users.get(str(name)) if isinstance(name, str) else None
        if user is None:
            return None, f"no SalesLedger user named by the token's {self.claim} claim"
        if not user.active:
            return None, f"{user.name} is deactivated"
        return user, ""
