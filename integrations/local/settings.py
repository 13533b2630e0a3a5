"""The local provider's keys under `provider:` in the program file: a people CSV, busy
calendars as .ics files, and mail through SMTP and IMAP or through Maildir folders."""

from __future__ import annotations

from pydantic import Field, model_validator

from scheduler.program.fields import Count1, EnvName, LocalPath, Port, Text, invalid
from scheduler.program.schema import Program, Section


class Smtp(Section):
    host: Text = Field(examples=["smtp.example.com"])
    port: Port = 587
    starttls: bool = True
    ssl: bool = False
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    timeout_seconds: Count1 = 30

    @model_validator(mode="before")
    @classmethod
    def _ssl_means_no_starttls(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("ssl") is True and "starttls" not in data:
            return {**data, "starttls": False}
        return data

    @model_validator(mode="after")
    def _one_encryption(self) -> Smtp:
        if self.ssl and self.starttls:
            raise invalid("use ssl (port 465) or starttls (port 587), not both", at="starttls")
        return self


class Imap(Section):
    host: Text = Field(examples=["imap.example.com"])
    port: Port = 993
    ssl: bool = True
    username_env: EnvName = Field(examples=["TANDEM_IMAP_USER"])
    password_env: EnvName = Field(examples=["TANDEM_IMAP_PASSWORD"])
    folder: Text = "INBOX"


class LocalSettings(Section):
    people: LocalPath = Field(examples=["org.csv"])
    busy: LocalPath | None = None
    outbox: LocalPath | None = None
    inbox: LocalPath | None = None
    smtp: Smtp | None = None
    imap: Imap | None = None

    @classmethod
    def of(cls, program: Program) -> LocalSettings:
        settings = program.provider.settings
        assert isinstance(settings, cls), f"{program.provider.kind} is not the local provider"
        return settings


REQUIRED = {"people": "for example: people: org.csv (a CSV export of the directory)"}
