"""The Microsoft provider. Light to import: its client libraries load when a program uses it."""

from __future__ import annotations

from integrations.microsoft.provider import build, calendar, check
from integrations.microsoft.settings import REQUIRED, MicrosoftSettings
from scheduler.providers import ProviderSpec

PROVIDER = ProviderSpec(
    kind="microsoft",
    settings=MicrosoftSettings,
    build=build,
    calendar=calendar,
    check=check,
    required=REQUIRED,
    organizer_peer=True,
    extra="microsoft",
)
