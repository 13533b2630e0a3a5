"""The identity platform's discovery documents and keys, and the access-token checks Graph
makes on every call (the token endpoint itself is in tokens.py).

What msal needs (measured with msal 1.3x, instance_discovery=False): GET
`/{tenant}/v2.0/.well-known/openid-configuration`, then POST to its `token_endpoint`. As in Entra
ID, a tenant given as a domain resolves to the tenant id, and the document's endpoints carry the
id; an unknown tenant answers 400 `invalid_tenant` AADSTS90002, which msal reports as a failed
OIDC discovery.

Graph answers 401 `InvalidAuthenticationToken` for a missing, malformed, expired or revoked
token ("Access token is empty.", "CompactToken parsing failed with error code: 80049217",
"Lifetime validation failed, the token is expired."), with a `WWW-Authenticate` challenge.
Token lifetimes follow the fake clock; a token's `iat` is not checked against wall time, so
`FakeGraph.advance()` never makes fresh tokens look premature.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import urllib.parse
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import GraphError, IdentityError
from .state import App, State

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@functools.cache
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def key_id() -> str:
    public = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return _b64url(hashlib.sha1(public).digest())


def jwks() -> dict[str, Any]:
    numbers = signing_key().public_key().public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "kid": key_id(),
                "x5t": key_id(),
                "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                "e": _b64url(numbers.e.to_bytes(3, "big")),
            }
        ]
    }


def thumbprints(certificate_pem: str) -> tuple[str, str]:
    """The base64url SHA-1 and SHA-256 thumbprints that appear in `x5t` and `x5t#S256`."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    return _b64url(cert.fingerprint(hashes.SHA1())), _b64url(cert.fingerprint(hashes.SHA256()))


def openid_configuration(base: str, tenant_id: str) -> dict[str, Any]:
    root = f"{base}/{tenant_id}"
    return {
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{root}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{root}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "ver", "oid"],
        "kerberos_endpoint": f"{root}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def unknown_tenant(tenant: str) -> IdentityError:
    return IdentityError(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may "
        "happen if there are no active subscriptions for the tenant.",
        invalid=True,
    )


def _unauthenticated(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers={
            "WWW-Authenticate": 'Bearer realm="", authorization_uri='
            '"https://login.microsoftonline.com/common/oauth2/authorize", '
            f'client_id="{GRAPH_APP_ID}"'
        },
    )


def authenticate(state: State, authorization: str | None) -> tuple[App, frozenset[str]]:
    """The app behind a Graph request's bearer token, and the roles the token carries."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("Access token is empty.")
    token = urllib.parse.unquote(token.strip())
    try:
        claims = jwt.decode(
            token,
            signing_key().public_key(),
            algorithms=["RS256"],
            audience=[GRAPH_AUDIENCE, GRAPH_APP_ID],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidAudienceError:
        raise _unauthenticated("Access token validation failure. Invalid audience.") from None
    except jwt.DecodeError:
        raise _unauthenticated("CompactToken parsing failed with error code: 80049217") from None
    except jwt.PyJWTError:
        raise _unauthenticated("Access token validation failure.") from None
    now = state.clock.now().timestamp()
    if float(claims["exp"]) <= now or claims.get("uti") in state.revoked_tokens:
        raise _unauthenticated("Lifetime validation failed, the token is expired.")
    app = state.apps.get(str(claims.get("appid", "")).lower())
    if app is None:
        raise _unauthenticated("Access token validation failure.")
    return app, frozenset(claims.get("roles", []))
