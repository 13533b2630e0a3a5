"""The local provider: a people CSV, .ics busy calendars, iMIP invitations, and mail through
SMTP and IMAP or Maildir folders. Light to import: the parts load when a program uses them."""

from __future__ import annotations

from integrations.local.provider import build, calendar, check, people
from integrations.local.settings import REQUIRED, LocalSettings
from scheduler.providers import ProviderSpec

PROVIDER = ProviderSpec(
    kind="local",
    settings=LocalSettings,
    build=build,
    calendar=calendar,
    check=check,
    people=people,
    required=REQUIRED,
)
