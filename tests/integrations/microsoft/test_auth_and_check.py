"""Sign-in with a secret file or a certificate through the program file's keys, a revoked
token renewed, and `tandem check` reporting permission by permission."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.microsoft.auth import TokenSource, is_microsoft_host
from integrations.microsoft.check import checks
from integrations.microsoft.graph import Graph
from integrations.microsoft.settings import MicrosoftSection
from scheduler.errors import UserError
from scheduler.ports import ProviderError
from scheduler.program.load import load_program
from tests.contracts.harnesses.microsoft import CLIENT_ID, SECRET
from tests.fakes.graph import FakeGraph, client_certificate
from tests.integrations.microsoft.conftest import MAILBOX


def section(fake: FakeGraph, **keys: str) -> MicrosoftSection:
    return MicrosoftSection.model_validate(
        {
            "tenant_id": fake.tenant_id,
            "client_id": CLIENT_ID,
            "authority": fake.base_url + "/",
            "graph_endpoint": fake.base_url,
            **keys,
        }
    )


def test_a_certificate_signs_in(fake: FakeGraph, tmp_path: Path) -> None:
    cert = client_certificate()
    fake.add_app("cert-app", certificate=cert.certificate_pem, permissions={"User.Read.All"})
    pem = tmp_path / "app.pem"
    pem.write_text(cert.private_key_pem + cert.certificate_pem, encoding="utf-8")
    keys = section(fake, certificate_file=str(pem), certificate_thumbprint=cert.sha1_thumbprint)
    tokens = TokenSource(keys.model_copy(update={"client_id": "cert-app"}), {})
    assert Graph(tokens, fake.base_url).request("GET", "/users", params={"$top": "1"})
    assert tokens.roles() == frozenset({"User.Read.All"})


def test_a_revoked_token_is_renewed_once(fake: FakeGraph, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    graph = Graph(TokenSource(section(fake, client_secret_file=str(secret)), {}), fake.base_url)
    graph.request("GET", "/users")
    fake.expire_tokens()
    graph.request("GET", "/users")
    assert fake.requests["token"] == 2


def test_a_wrong_secret_and_a_missing_variable_say_what_is_wrong(fake: FakeGraph) -> None:
    wrong = TokenSource(section(fake, client_secret_env="S"), {"S": "not-it"})
    with pytest.raises(ProviderError, match="invalid_client") as refused:
        wrong.token()
    assert refused.value.permanent and "not-it" not in str(refused.value)
    with pytest.raises(UserError, match="TANDEM_GRAPH_SECRET"):
        TokenSource(section(fake, client_secret_env="TANDEM_GRAPH_SECRET"), {})


def test_instance_discovery_only_for_microsoft_hosts() -> None:
    assert is_microsoft_host("https://login.microsoftonline.com/contoso.com")
    assert is_microsoft_host("https://login.microsoftonline.us/x")
    assert not is_microsoft_host("https://127.0.0.1:8443/x")


PROGRAM = """\
program:
  name: Check
  owner: people@contoso.com
  start: 2027-01-11
provider:
  kind: microsoft
  mailbox: {mailbox}
  microsoft:
    tenant_id: {tenant}
    client_id: {client}
    client_secret_env: TANDEM_GRAPH_SECRET
    authority: {root}
    graph_endpoint: {root}
"""


def test_check_reports_each_permission(fake: FakeGraph, tmp_path: Path) -> None:
    fake.add_app(CLIENT_ID, secret=SECRET, permissions={"User.Read.All", "Mail.ReadWrite"})
    fake.add_user("other@contoso.com")
    path = tmp_path / "program.yaml"
    path.write_text(PROGRAM.format(mailbox=MAILBOX, tenant=fake.tenant_id, client=CLIENT_ID,
                                   root=fake.base_url), encoding="utf-8")  # fmt: skip
    program = load_program(path)
    found = {c.name: c for c in checks(program, {"TANDEM_GRAPH_SECRET": SECRET})}
    assert found["sign-in (client credentials)"].ok
    assert found["User.Read.All (application)"].ok
    assert found["Mail.ReadWrite (application)"].ok
    assert not found["Calendars.ReadWrite (application)"].ok
    assert "not granted" in found["Calendars.ReadWrite (application)"].detail
    assert not found["Mail.Send (application)"].ok
    assert found["limited to the program mailbox"].detail.startswith("no:")
    fake.limit_mailboxes(CLIENT_ID, [MAILBOX])
    scoped = {c.name: c for c in checks(program, {"TANDEM_GRAPH_SECRET": SECRET})}
    assert scoped["limited to the program mailbox"].detail.startswith("yes")
    bad = {c.name: c for c in checks(program, {"TANDEM_GRAPH_SECRET": "wrong"})}
    assert (
        list(bad) == ["sign-in (client credentials)"] and not bad["sign-in (client credentials)"].ok
    )
