"""`tandem check` for the local provider: each file and server the program needs, tried."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from integrations.local.settings import LocalSettings
from scheduler.errors import UserError
from scheduler.ports import Check, ProviderError
from scheduler.program.schema import Program


def checks(program: Program, env: Mapping[str, str]) -> list[Check]:
    """One Check per thing the program reads or writes, each tried on its own."""
    from integrations.local.provider import build

    settings = LocalSettings.of(program)
    found = [_people(program)]
    if settings.busy is not None:
        found.append(_folder("busy calendars", settings.busy, write=False))
    try:
        providers = build(program, env)
    except UserError as error:  # a secret named by the file is not set
        return [*found, Check("mail settings", False, str(error))]
    mailer, inbox = providers.mailer, providers.inbox
    smtp_check = getattr(mailer, "check", None)
    if callable(smtp_check):
        found.append(_tried("sending mail (SMTP)", smtp_check))
    else:
        outbox = settings.outbox or program.source.parent / "outbox"
        found.append(_folder("outbox folder", outbox, write=True))
    imap_check = getattr(inbox, "check", None)
    if callable(imap_check):
        found.append(_tried("reading replies (IMAP)", imap_check))
    else:
        inbox_folder = settings.inbox or program.source.parent / "inbox"
        found.append(_folder("inbox folder", inbox_folder, write=False, optional=True))
    return found


def _people(program: Program) -> Check:
    from integrations.local.provider import people

    try:
        roster = people(program)
    except (UserError, OSError) as error:
        return Check("people file", False, str(error))
    bad = len({(p.source, p.line) for p in roster.problems if p.skipped})
    detail = f"{len(roster.people)} people" + (f", {bad} row(s) with problems" if bad else "")
    return Check("people file", not bad, detail + (" (tandem validate lists them)" if bad else ""))


def _folder(name: str, path: os.PathLike[str], *, write: bool, optional: bool = False) -> Check:
    """A folder read or written; one that is only read may be `optional` (a Maildir inbox
    that no reply has reached yet)."""
    folder = os.fspath(path)
    if not os.path.isdir(folder):
        if optional:
            return Check(name, True, f"{folder} does not exist yet: no reply has arrived")
        ok = write and os.access(os.path.dirname(os.path.abspath(folder)) or ".", os.W_OK)
        return Check(name, ok, f"{folder} will be made" if ok else f"{folder} does not exist")
    mode = os.W_OK if write else os.R_OK
    ok = os.access(folder, mode)
    return Check(name, ok, f"{folder} is {'writable' if write else 'readable'}" if ok
                 else f"{folder} cannot be {'written' if write else 'read'}")  # fmt: skip


def _tried(name: str, attempt: Callable[[], str]) -> Check:
    try:
        return Check(name, True, attempt())
    except ProviderError as error:
        return Check(name, False, str(error))
