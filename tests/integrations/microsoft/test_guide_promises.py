"""Promises of docs/admin/microsoft.md that no other test held: each test quotes the guide's
sentence (with its line) and fails if the code stops keeping it."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.microsoft.auth import TokenSource
from integrations.microsoft.graph import Graph
from integrations.microsoft.settings import MicrosoftSection, endpoints
from tests.fakes.graph import FakeGraph, client_certificate
from tests.integrations.microsoft.test_auth_and_check import section


def test_a_thumbprint_with_colons_and_spaces_signs_in(fake: FakeGraph, tmp_path: Path) -> None:
    """microsoft.md:135: "`certificate_thumbprint` | with `certificate_file` | the certificate's
    SHA-1 thumbprint, hex, as the portal shows it (colons and spaces are ignored)"."""
    cert = client_certificate()
    fake.add_app("cert-app", certificate=cert.certificate_pem, permissions={"User.Read.All"})
    pem = tmp_path / "app.pem"
    pem.write_text(cert.private_key_pem + cert.certificate_pem, encoding="utf-8")
    plain = cert.sha1_thumbprint
    pairs = [plain[i : i + 2] for i in range(0, len(plain), 2)]
    spaced = ":".join(pairs[:10]) + " " + " ".join(pairs[10:]).lower()
    keys = section(fake, certificate_file=str(pem), certificate_thumbprint=spaced)
    tokens = TokenSource(keys.model_copy(update={"client_id": "cert-app"}), {})
    assert Graph(tokens, fake.base_url).request("GET", "/users", params={"$top": "1"})


CLOUD_HOSTS = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}


def keys(**extra: str) -> MicrosoftSection:
    return MicrosoftSection.model_validate(
        {
            "tenant_id": "contoso.com",
            "client_id": "0a1b2c3d-0000-4000-8000-000000000002",
            "client_secret_env": "TANDEM_GRAPH_SECRET",
            **extra,
        }
    )


@pytest.mark.parametrize("cloud", sorted(CLOUD_HOSTS))
def test_cloud_picks_the_sign_in_host_the_graph_host_and_the_token_scope(cloud: str) -> None:
    """microsoft.md:136: "`cloud` | no | `global` (default), `usgov` (GCC High), `usgov-dod`
    (DoD) or `china` (21Vianet): picks the sign-in host and the Graph host, and so the token
    scope `<graph_endpoint>/.default`"."""
    section = keys(cloud=cloud) if cloud != "global" else keys()
    assert endpoints(section) == CLOUD_HOSTS[cloud]
    tokens = TokenSource(section, {"TANDEM_GRAPH_SECRET": "s"})
    assert tokens.scope == CLOUD_HOSTS[cloud][1] + "/.default"


def test_authority_and_graph_endpoint_override_the_cloud_and_the_scope_follows() -> None:
    """microsoft.md:137-138: "`authority` | no | the sign-in host, overriding the cloud's ...;
    a trailing `/` is removed" and "`graph_endpoint` | no | the Graph host, overriding the
    cloud's; the token's scope follows it"."""
    section = keys(
        cloud="china", authority="https://login.proxy.example/", graph_endpoint="https://g.example"
    )
    assert endpoints(section) == ("https://login.proxy.example", "https://g.example")
    tokens = TokenSource(section, {"TANDEM_GRAPH_SECRET": "s"})
    assert tokens.scope == "https://g.example/.default"
