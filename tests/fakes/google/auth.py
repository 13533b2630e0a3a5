"""Service-account keys, the OAuth2 JWT-bearer token endpoint, and bearer-token checks.

How the real flow goes (google.oauth2.service_account.Credentials, google-auth 2.x): the client
POSTs ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<RS256 JWT>`` to the key
file's ``token_uri``. The JWT's ``aud`` is always ``https://oauth2.googleapis.com/token``
(``_GOOGLE_OAUTH2_TOKEN_ENDPOINT``) whatever ``token_uri`` says, ``iss`` is the client email,
``scope`` is space-separated and ``sub`` the impersonated user (domain-wide delegation); the
header's ``kid`` is the key's ``private_key_id``.

Google's answers, followed here:
- scopes not granted to the client id in the Admin console's delegation table: 401
  ``unauthorized_client`` "Client is unauthorized to retrieve access tokens using this method,
  or client not authorized for any of the scopes requested.";
- a subject that is no user of the domain: 400 ``invalid_grant`` "Invalid email or User ID";
- a bad signature: 400 ``invalid_grant`` "Invalid JWT Signature."; a wrong audience: "Invalid
  JWT: Failed audience check."; bad iat/exp: "Invalid JWT: Token must be a short-lived token (60
  minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
- success: ``{"access_token", "expires_in", "token_type": "Bearer"}``.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, or client not "
    "authorized for any of the scopes requested."
)
BAD_TIMES = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)


@dataclass
class ServiceAccount:
    """A registered service account: what the fake knows to verify its assertions."""

    client_email: str
    client_id: str
    private_key_id: str
    public_key_pem: bytes
    path: Path | None = None


@dataclass
class Token:
    """An opaque access token bound to a subject and scopes."""

    subject: str
    client_id: str
    scopes: frozenset[str]
    expires_at: datetime


class TokenError(Exception):
    """A token-endpoint refusal: HTTP status and the OAuth2 error body."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


def make_service_account_info(
    token_uri: str,
    *,
    client_email: str = "tandem@tandem-test.iam.gserviceaccount.com",
    project_id: str = "tandem-test",
) -> tuple[dict[str, str], bytes]:
    """A fresh RSA key as a service-account JSON dict, and the matching public key (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    info = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem,
        "client_email": client_email,
        "client_id": str(10**20 + secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }
    return info, public_pem


def write_service_account_file(path: Path, info: dict[str, str]) -> Path:
    """Write a key file as the Cloud console would (tests pass it to from_service_account_file)."""
    path.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return path


class TokenAuthority:
    """Delegation table, registered keys and issued tokens. Callers hold the fake's lock."""

    def __init__(self, token_uri: str, lifetime: timedelta) -> None:
        self.token_uri = token_uri
        self.lifetime = lifetime
        self.accounts: dict[str, ServiceAccount] = {}
        self.delegation: dict[str, set[str]] = {}
        self.tokens: dict[str, Token] = {}

    def register(self, account: ServiceAccount, scopes: list[str] | tuple[str, ...]) -> None:
        self.accounts[account.client_email] = account
        self.delegation.setdefault(account.client_id, set()).update(scopes)

    def expire_all(self) -> None:
        """Forget every issued token: the next API call answers 401 and the client refreshes."""
        self.tokens.clear()

    def grant(self, form_body: bytes, now: datetime, known_user: Any) -> tuple[str, Token]:
        """Check a JWT-bearer grant and issue a token; raise :class:`TokenError` like Google."""
        form = {k: v[0] for k, v in parse_qs(form_body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != JWT_BEARER:
            raise TokenError(400, "unsupported_grant_type", "Invalid grant_type: ")
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TokenError(400, "invalid_grant", "Invalid JWT Signature.") from exc
        account = self.accounts.get(str(claims.get("iss", "")))
        if account is None:
            raise TokenError(400, "invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or header.get("kid") not in (None, account.private_key_id):
            raise TokenError(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            jwt.decode(
                assertion,
                account.public_key_pem,
                algorithms=["RS256"],
                audience=[GOOGLE_TOKEN_URL, self.token_uri],
                options={"require": ["iat", "exp", "aud", "iss"]},
                leeway=300,
            )
        except jwt.InvalidAudienceError as exc:
            raise TokenError(400, "invalid_grant", "Invalid JWT: Failed audience check.") from exc
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise TokenError(400, "invalid_grant", BAD_TIMES) from exc
        except jwt.PyJWTError as exc:
            raise TokenError(400, "invalid_grant", "Invalid JWT Signature.") from exc
        if int(claims["exp"]) - int(claims["iat"]) > 3600 or int(claims["iat"]) > time.time() + 300:
            raise TokenError(400, "invalid_grant", BAD_TIMES)
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise TokenError(
                400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
            )
        subject = str(claims.get("sub") or account.client_email)
        if "sub" in claims:
            if not scopes <= self.delegation.get(account.client_id, set()):
                raise TokenError(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
            if not known_user(subject):
                raise TokenError(400, "invalid_grant", "Invalid email or User ID")
        token = Token(subject, account.client_id, scopes, now + self.lifetime)
        value = "ya29.fake-" + secrets.token_urlsafe(32)
        self.tokens[value] = token
        return value, token

    def check(self, value: str | None, now: datetime) -> Token | None:
        """The live token for a bearer value, or None when unknown or expired."""
        if not value:
            return None
        token = self.tokens.get(value)
        if token is None or token.expires_at <= now:
            return None
        return token
