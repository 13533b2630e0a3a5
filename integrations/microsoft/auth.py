"""Tokens for Microsoft Graph: msal's ConfidentialClientApplication with the client-credentials
grant, a secret (from a file or the environment) or a certificate, and the scope
`<graph_endpoint>/.default`. msal caches the token and renews it (it never hands out one that
expires within five minutes).

When the authority's host is not one of Microsoft's sign-in hosts, msal's instance discovery is
turned off: it would ask Microsoft's global host first, which a private endpoint or a test
double cannot answer. TLS trust comes from REQUESTS_CA_BUNDLE / SSL_CERT_FILE, which msal's
HTTP client (requests) reads itself."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from integrations.microsoft.settings import MicrosoftSection, endpoints
from scheduler.errors import UserError
from scheduler.ports import ProviderError
from scheduler.settings import read_secret

MICROSOFT_SIGN_IN_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "sts.windows.net",
        "login.microsoftonline.us",
        "login.usgovcloudapi.net",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.microsoftonline.de",
    }
)


def credential(section: MicrosoftSection, env: Mapping[str, str]) -> str | dict[str, str]:
    """The app's credential as msal takes it; the secret is read, never logged."""
    if section.client_secret_file is not None:
        return _first_line(section.client_secret_file, "client_secret_file")
    if section.client_secret_env is not None:
        value = read_secret(section.client_secret_env, env)
        if not value:
            name = section.client_secret_env
            raise UserError(f"the environment variable {name} (or {name}_FILE) is not set")
        return value.strip()
    assert section.certificate_file is not None and section.certificate_thumbprint is not None
    try:
        pem = section.certificate_file.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(
            f"provider.microsoft.certificate_file: {section.certificate_file} cannot be read "
            f"({error.strerror})"
        ) from None
    if "PRIVATE KEY-----" not in pem:
        raise UserError(
            f"provider.microsoft.certificate_file: {section.certificate_file} holds no PEM "
            "private key (it needs the key, and may hold the certificate too)"
        )
    thumbprint = section.certificate_thumbprint.replace(":", "").replace(" ", "")
    return {"private_key": pem, "thumbprint": thumbprint}


def _first_line(path: Path, key: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UserError(
            f"provider.microsoft.{key}: {path} cannot be read ({error.strerror})"
        ) from None
    secret = text.strip().splitlines()[0].strip() if text.strip() else ""
    if not secret:
        raise UserError(f"provider.microsoft.{key}: {path} is empty")
    return secret


def is_microsoft_host(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host in MICROSOFT_SIGN_IN_HOSTS


class TokenSource:
    """Access tokens for Graph, from one msal application per process (its cache with it).
    The application is made on first use, so building the provider contacts nothing."""

    def __init__(self, section: MicrosoftSection, env: Mapping[str, str]) -> None:
        authority_root, graph_root = endpoints(section)
        self.authority = f"{authority_root}/{section.tenant_id.strip().strip('/')}"
        self.scope = f"{graph_root}/.default"
        self.client_id = section.client_id.strip()
        self._credential = credential(section, env)
        self._app: Any = None
        self._lock = threading.Lock()

    def _application(self) -> Any:
        import msal
        import requests

        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._credential,
                    authority=self.authority,
                    instance_discovery=is_microsoft_host(self.authority),
                )
            except (ValueError, requests.RequestException) as error:
                raise ProviderError(
                    f"the sign-in authority {self.authority} cannot be used: "
                    f"{type(error).__name__}: {error}",
                    permanent=isinstance(error, ValueError),
                ) from None
        return self._app

    def token(self) -> str:
        """A valid access token; msal serves it from its cache while it lasts."""
        import requests

        with self._lock:
            app = self._application()
            try:
                result = app.acquire_token_for_client(scopes=[self.scope])
            except requests.RequestException as error:
                raise ProviderError(
                    f"the sign-in service at {self.authority} did not answer: "
                    f"{type(error).__name__}",
                    permanent=False,
                ) from None
        if "access_token" not in result:
            error_name = str(result.get("error", "unknown_error"))
            codes = ",".join(f"AADSTS{c}" for c in result.get("error_codes") or [])
            description = str(result.get("error_description", "")).splitlines()[0:1]
            permanent = error_name in {
                "invalid_client",
                "unauthorized_client",
                "invalid_request",
                "invalid_scope",
                "invalid_grant",
            }
            raise ProviderError(
                f"sign-in as app {self.client_id} refused: {error_name} {codes} "
                f"{description[0] if description else ''}".strip(),
                permanent=permanent,
            )
        return str(result["access_token"])

    def forget(self) -> None:
        """Drop the cached token (Graph said it is no longer valid): the next is new."""
        with self._lock:
            if self._app is not None:
                self._app.remove_tokens_for_client()

    def roles(self) -> frozenset[str]:
        """The application permissions granted, as the access token's `roles` claim says."""
        import base64
        import json

        payload = self.token().split(".")[1]
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return frozenset()
        return frozenset(str(role) for role in claims.get("roles") or [])
