"""`tandem check` for Microsoft 365: sign-in, then each application permission the program
needs, one by one: granted (the access token's `roles` claim) and working (a harmless read
that needs it). Nothing is written: Mail.Send and the write half of Calendars.ReadWrite are
judged by the grant alone. Last, whether the app reaches only the program mailbox (RBAC for
Applications or an application access policy), which is advised, not required."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.microsoft.provider import graph_of, groups_of
from scheduler.errors import UserError
from scheduler.ports import Check, ProviderError
from scheduler.program.schema import Program

# Each permission the provider needs, and the broader ones that also cover it.
COVERS = {
    "User.Read.All": ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
                      "Directory.ReadWrite.All"),
    "GroupMember.Read.All": ("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All",
                             "Directory.Read.All", "Directory.ReadWrite.All"),
    "Calendars.ReadWrite": ("Calendars.ReadWrite",),
    "Mail.ReadWrite": ("Mail.ReadWrite",),
    "Mail.Send": ("Mail.Send",),
}  # fmt: skip
WHY = {
    "User.Read.All": "read people, their managers and levels from the directory",
    "GroupMember.Read.All": "read the members of the groups the program selects by",
    "Calendars.ReadWrite": "read free/busy times and book meetings in the program's calendar",
    "Mail.ReadWrite": "make drafts, find sent mail by Message-ID, read replies",
    "Mail.Send": "send mail as the program mailbox",
}


def checks(program: Program, env: Mapping[str, str]) -> list[Check]:
    try:
        graph = graph_of(program, env)
        roles = graph.tokens.roles()
    except (UserError, ProviderError) as error:
        return [Check("sign-in (client credentials)", False, str(error))]
    signed_in = f"app {graph.tokens.client_id} signed in to {graph.tokens.authority}"
    found = [Check("sign-in (client credentials)", True, signed_in)]
    mailbox = program.provider.mailbox
    now = datetime.now(UTC).replace(microsecond=0)
    window = {
        "schedules": [mailbox],
        "startTime": {"dateTime": now.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "endTime": {
            "dateTime": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": "UTC",
        },
    }
    probes: dict[str, Callable[[], Any] | None] = {
        "User.Read.All": lambda: graph.request("GET", "/users", params={"$top": "1",
                                                                        "$select": "id"}),
        "Calendars.ReadWrite": lambda: graph.request(
            "POST", f"/users/{mailbox}/calendar/getSchedule", body=window
        ),
        "Mail.ReadWrite": lambda: graph.request(
            "GET", f"/users/{mailbox}/messages", params={"$top": "1", "$select": "id"}
        ),
        "Mail.Send": None,
    }  # fmt: skip
    if groups_of(program):
        probes["GroupMember.Read.All"] = lambda: graph.request(
            "GET", "/groups", params={"$top": "1", "$select": "id"}
        )
    for permission, probe in probes.items():
        found.append(_permission(permission, roles, probe))
    found.append(_scope(graph, mailbox))
    return found


def _permission(permission: str, roles: frozenset[str], probe: Callable[[], Any] | None) -> Check:
    name = f"{permission} (application)"
    granted = [role for role in COVERS[permission] if role in roles]
    if not granted:
        return Check(name, False, f"not granted: needed to {WHY[permission]}; add it as an "
                                  "application permission and grant admin consent")  # fmt: skip
    if probe is None:
        return Check(name, True, f"granted ({granted[0]}); not tried, so as to send nothing")
    try:
        probe()
    except ProviderError as error:
        return Check(name, False, f"granted ({granted[0]}) but refused: {error}")
    extra = "" if granted[0] == permission else f" (through {granted[0]}, more than needed)"
    return Check(name, True, f"granted and working{extra}")


def _scope(graph: Any, mailbox: str) -> Check:
    """Whether the app reaches another mailbox than the program's: it should not."""
    name = "limited to the program mailbox"
    try:
        users = graph.request("GET", "/users", params={"$top": "5", "$select": "id,mail"})
        others = [u for u in users.get("value") or [] if u.get("mail") and
                  str(u["mail"]).lower() != mailbox.lower()]  # fmt: skip
        if not others:
            return Check(name, True, "no other mailbox to try")
        graph.request(
            "GET", f"/users/{others[0]['id']}/messages", params={"$top": "1", "$select": "id"}
        )
    except ProviderError as error:
        if "403" in str(error) or "AccessDenied" in str(error):
            return Check(name, True, "yes: another mailbox is refused to the app")
        return Check(name, True, f"not known ({error})")
    return Check(name, True, "no: the app can read every mailbox; limit it with RBAC for "
                             "Applications in Exchange Online (see the admin guide)")  # fmt: skip
