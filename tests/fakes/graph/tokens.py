"""The token endpoint of the identity platform, for the client credentials grant.

Token errors reproduce the AADSTS codes and texts users quote from production:

* unknown client: 400 `unauthorized_client` AADSTS700016 "Application with identifier ... was
  not found in the directory ..." (MicrosoftDocs/azure-docs#21690);
* wrong secret: 401 `invalid_client` AADSTS7000215 "Invalid client secret provided. Ensure the
  secret being sent in the request is the client secret value, not the client secret ID, ..."
  (OfficeDev/microsoft-365-agents-toolkit#8621);
* a scope that is not `<resource>/.default` in the client credentials flow: 400 `invalid_scope`
  AADSTS1002012 (MicrosoftDocs/azure-docs#99862); a malformed scope: AADSTS70011
  (laravel/socialite#315); another resource: AADSTS500011 (text assumed);
* certificate assertions: signature and thumbprint (`x5t` SHA-1 or `x5t#S256` SHA-256, base64url
  as msal's oauth2cli/assertion.py sends them, padded or not), `aud` = token endpoint, `iss` =
  `sub` = client id (AADSTS700021), `exp`/`nbf` against the client's wall clock (AADSTS700024),
  unknown key (AADSTS700027).

Access tokens are RS256 JWTs shaped like v1 app-only Graph tokens (`aud`, `iss`
sts.windows.net, `appid`, `idtyp: app`, `roles` = the app's granted application permissions).
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import jwt
from cryptography import x509

from .errors import IdentityError
from .identity import ASSERTION_TYPE, GRAPH_AUDIENCE, key_id, signing_key
from .state import App, State


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
