"""The Google provider. Light to import: its client libraries load when a program uses it."""

from __future__ import annotations

from integrations.google.provider import build, calendar, check
from integrations.google.settings import REQUIRED, GoogleSettings
from scheduler.providers import ProviderSpec

PROVIDER = ProviderSpec(
    kind="google",
    settings=GoogleSettings,
    build=build,
    calendar=calendar,
    check=check,
    required=REQUIRED,
    organizer_peer=True,
    extra="google",
)
