"""The Microsoft identity platform's token service for the client credentials grant, and the
access-token checks Graph makes on every call.

What msal needs (measured with msal 1.3x, instance_discovery=False): GET
`/{tenant}/v2.0/.well-known/openid-configuration`, then POST to its `token_endpoint`. As in Entra
ID, a tenant given as a domain resolves to the tenant id, and the document's endpoints carry the
id. Token errors reproduce the AADSTS codes and texts users quote from production:

* unknown client: 400 `unauthorized_client` AADSTS700016 "Application with identifier ... was
  not found in the directory ..." (MicrosoftDocs/azure-docs#21690);
* wrong secret: 401 `invalid_client` AADSTS7000215 "Invalid client secret provided. Ensure the
  secret being sent in the request is the client secret value, not the client secret ID, ..."
  (OfficeDev/microsoft-365-agents-toolkit#8621);
* a scope that is not `<resource>/.default` in the client credentials flow: 400 `invalid_scope`
  AADSTS1002012 (MicrosoftDocs/azure-docs#99862); a malformed scope: AADSTS70011
  (laravel/socialite#315); another resource: AADSTS500011 (text assumed);
* certificate assertions: signature and thumbprint (`x5t` SHA-1 or `x5t#S256` SHA-256, base64url
  as msal's oauth2cli/assertion.py sends them), `aud` = token endpoint, `iss` = `sub` = client
  id (AADSTS700021), `exp`/`nbf` (AADSTS700024), unknown key (AADSTS700027).

Access tokens are RS256 JWTs shaped like v1 app-only Graph tokens (`aud`, `iss`
sts.windows.net, `appid`, `idtyp: app`, `roles`). Graph answers 401
`InvalidAuthenticationToken` for a missing, malformed, expired or revoked token ("Access token
is empty.", "CompactToken parsing failed with error code: 80049217", "Lifetime validation
failed, the token is expired.").
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import secrets
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


def _missing(name: str) -> IdentityError:
    return IdentityError(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
        invalid=True,
    )


def _check_scope(scope: str, graph_resources: tuple[str, ...], tenant: str) -> None:
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith("/.default"):
        if any("://" not in item and "/" not in item for item in scopes):
            raise IdentityError(
                400,
                "invalid_scope",
                70011,
                "The provided request must include a 'scope' input parameter. The provided "
                f"value for the input parameter 'scope' is not valid. The scope {scope} is not "
                "valid.",
                invalid=True,
            )
        raise IdentityError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
            invalid=True,
        )
    resource = scopes[0][: -len("/.default")].rstrip("/")
    if resource not in graph_resources:
        raise IdentityError(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named "
            f"{tenant}. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You might "
            "have sent your authentication request to the wrong tenant.",
            invalid=True,
        )


def _check_assertion(app: App, assertion: str, audience: str, now: datetime.datetime) -> None:
    def refuse(aadsts: int, text: str) -> IdentityError:
        return IdentityError(401, "invalid_client", aadsts, text)

    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise refuse(50027, "JWT token is invalid or malformed.") from None
    if header.get("alg") not in ("RS256", "PS256"):
        raise refuse(5002738, f"Invalid JWT token. '{header.get('alg')}' is not supported.")
    thumb = str(header.get("x5t#S256") or header.get("x5t") or "")
    pem = app.certificates.get(thumb.rstrip("=").replace("+", "-").replace("/", "_"))
    if pem is None:
        raise refuse(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{thumb}', Please visit the Azure Portal, "
            "Graph Explorer or directly use MS Graph to see configured keys for app Id "
            f"'{app.client_id}'.]",
        )
    public_key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    try:
        claims = jwt.decode(
            assertion,
            public_key,  # type: ignore[arg-type]
            algorithms=[str(header["alg"])],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
            },
        )
    except jwt.PyJWTError:
        raise refuse(700027, "Client assertion failed signature validation.") from None
    if claims.get("aud") != audience:
        raise refuse(
            50013,
            f"Assertion audience claim does not match the required value. "
            f"Expected: '{audience}', found: '{claims.get('aud')}'.",
        )
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        raise refuse(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        )
    stamp = now.timestamp()
    if float(claims.get("exp", 0)) < stamp or float(claims.get("nbf", 0)) > stamp + 300:
        raise refuse(700024, "Client assertion is not within its valid time range.")


def issue_token(
    state: State,
    tenant_id: str,
    token_endpoint: str,
    graph_resources: tuple[str, ...],
    form: dict[str, str],
    lifetime: int,
) -> dict[str, Any]:
    """Answer a token request, or raise the IdentityError the token service would give."""
    grant = form.get("grant_type")
    if not grant:
        raise _missing("grant_type")
    if grant != "client_credentials":
        raise IdentityError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant}'.",
            invalid=True,
        )
    client_id = form.get("client_id")
    if not client_id:
        raise _missing("client_id")
    app = state.apps.get(client_id.lower())
    if app is None:
        raise IdentityError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant_id}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may "
            "have sent your authentication request to the wrong tenant.",
        )
    scope = form.get("scope")
    if not scope:
        raise _missing("scope")
    _check_scope(scope, graph_resources, tenant_id)
    now = state.clock.now()
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _missing("client_assertion_type")
        # The assertion is stamped by the client's clock, not the fake's.
        _check_assertion(
            app, form["client_assertion"], token_endpoint, datetime.datetime.now(datetime.UTC)
        )
        credential_type = "2"
    elif form.get("client_secret") is not None:
        if app.secret is None or not secrets.compare_digest(form["client_secret"], app.secret):
            raise IdentityError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        credential_type = "1"
    else:
        raise IdentityError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        )
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "appid": app.client_id,
        "appidacr": credential_type,
        "idp": f"https://sts.windows.net/{tenant_id}/",
        "idtyp": "app",
        "oid": app.object_id,
        "roles": sorted(app.permissions),
        "sub": app.object_id,
        "tid": tenant_id,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
    }
    state.issued_tokens.add(str(claims["uti"]))
    token = jwt.encode(
        claims, signing_key(), algorithm="RS256", headers={"kid": key_id(), "x5t": key_id()}
    )
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }


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
