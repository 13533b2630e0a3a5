"""The Microsoft provider's keys under `provider:` (a contract: HR guides and other tools are
written against this shape; issue 12). Relative paths are relative to the program file."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, PlainValidator, model_validator

from scheduler.program.fields import EnvName, LocalPath, Text, invalid, one_of
from scheduler.program.schema import Program, Section

Cloud = Literal["global", "usgov", "usgov-dod", "china"]


def _https_root(value: object) -> str:
    if isinstance(value, str) and re.fullmatch(r"https://[^\s/]+(:\d+)?(/\S*)?", value.strip()):
        return value.strip().rstrip("/")  # msal builds `//v2.0/...` from a trailing slash
    raise invalid("expected an https:// URL such as https://login.microsoftonline.com")


def _level_attribute(value: object) -> str:
    names = ("employeeType", *(f"extensionAttribute{n}" for n in range(1, 16)))
    if isinstance(value, str) and value.strip() in names:
        return value.strip()
    raise invalid("expected employeeType or extensionAttribute1 to extensionAttribute15")


HttpsRoot = Annotated[str, PlainValidator(_https_root)]


class MicrosoftSection(Section):
    tenant_id: Text = Field(examples=["7f3c1a52-0000-4000-8000-000000000001"])
    client_id: Text = Field(examples=["0a1b2c3d-0000-4000-8000-000000000002"])
    client_secret_file: LocalPath | None = None
    client_secret_env: EnvName | None = None
    certificate_file: LocalPath | None = None
    certificate_thumbprint: Text | None = None
    cloud: Annotated[Cloud, one_of(Cloud)] = "global"
    authority: HttpsRoot | None = None
    graph_endpoint: HttpsRoot | None = None
    level_attribute: Annotated[str, PlainValidator(_level_attribute)] | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> MicrosoftSection:
        given = [
            name
            for name, value in (
                ("client_secret_file", self.client_secret_file),
                ("client_secret_env", self.client_secret_env),
                ("certificate_file", self.certificate_file),
            )
            if value is not None
        ]
        if not given:
            raise invalid(
                "expected one of client_secret_file, client_secret_env or certificate_file",
                "for example: client_secret_env: TANDEM_GRAPH_SECRET",
            )
        if len(given) > 1:
            raise invalid(f"expected one credential, not {' and '.join(given)}", at=given[1])
        if (self.certificate_file is None) != (self.certificate_thumbprint is None):
            at = "certificate_thumbprint" if self.certificate_file else "certificate_file"
            raise invalid("certificate_file and certificate_thumbprint go together", at=at)
        return self


class MicrosoftSettings(Section):
    microsoft: MicrosoftSection

    @classmethod
    def of(cls, program: Program) -> MicrosoftSettings:
        settings = program.provider.settings
        assert isinstance(settings, cls), f"{program.provider.kind} is not the microsoft provider"
        return settings


REQUIRED = {"microsoft": "see the HR guide for its keys"}


# Each national cloud has its own sign-in host and Graph host (and so its own token scope).
CLOUDS: dict[str, tuple[str, str]] = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}


def endpoints(section: MicrosoftSection) -> tuple[str, str]:
    """The sign-in root (without the tenant) and the Graph root (without /v1.0) to use."""
    login, graph = CLOUDS[section.cloud]
    return (section.authority or login).rstrip("/"), (section.graph_endpoint or graph).rstrip("/")
