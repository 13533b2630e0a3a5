"""The Google provider's keys under `provider:` (a contract: HR guides and other tools are
written against this shape; issue 11)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, PlainValidator

from scheduler.program.fields import Count1, Email, LocalPath, Text, invalid
from scheduler.program.schema import Program, Section

_SCHEMA_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")


def _schema_field(value: object) -> str:
    if isinstance(value, str) and _SCHEMA_FIELD.fullmatch(value.strip()):
        return value.strip()
    raise invalid("expected a custom schema field as Schema.field, such as Employment.level")


def _root(value: object) -> str:
    if isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
        text = value.strip()
        return text if text.endswith("/") else text + "/"
    raise invalid("expected the root URL of the Google APIs, such as https://proxy.example/")


SchemaField = Annotated[str, PlainValidator(_schema_field)]
ApiRoot = Annotated[str, PlainValidator(_root)]


class GoogleSection(Section):
    credentials_file: LocalPath | None = Field(default=None, examples=["service-account.json"])
    admin_email: Email = Field(examples=["it-admin@example.com"])
    customer: Text = "my_customer"
    level_field: SchemaField | None = None
    timezone_field: SchemaField | None = None
    api_endpoint: ApiRoot | None = None
    daily_send_limit: Count1 = 2000


class GoogleSettings(Section):
    google: GoogleSection

    @classmethod
    def of(cls, program: Program) -> GoogleSettings:
        settings = program.provider.settings
        assert isinstance(settings, cls), f"{program.provider.kind} is not the google provider"
        return settings


REQUIRED = {"google": "see the HR guide for its keys"}
