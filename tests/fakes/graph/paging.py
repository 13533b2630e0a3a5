"""Server-driven paging and delta rounds, with opaque tokens kept on the server.

A collection answer carries at most one page and an `@odata.nextLink` holding a `$skiptoken`
(or `$skip` for Outlook lists); a delta round ends with an `@odata.deltaLink` holding a
`$deltatoken` (concepts/delta-query-overview.md). The fake snapshots what remains of a round when
it hands out a nextLink, so following it never skips or repeats an item; changes made meanwhile
show up in the next round, which starts from the sequence number taken when this round began.

An expired token (see `FakeGraph.expire_delta`) is answered per workload: Outlook says 410
`SyncStateNotFound` "The sync state generation is not found; ..." (captured in
microsoftgraph/microsoft-graph-docs#2350); the directory asks for a full resync, 410 with a
`Location` header holding the initial query ("Synchronization reset", delta-query-overview.md;
code `resyncRequired` from concepts/errors.md, message assumed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import GraphError, bad_request
from .state import Cursor, State


@dataclass
class Page:
    items: list[Any]
    next_link: str | None = None
    delta_link: str | None = None

    def annotate(self, document: dict[str, Any]) -> dict[str, Any]:
        if self.next_link:
            document["@odata.nextLink"] = self.next_link
        if self.delta_link:
            document["@odata.deltaLink"] = self.delta_link
        document["value"] = self.items
        return document


def serve(
    state: State,
    kind: str,
    scope: str,
    items: list[Any],
    size: int,
    options: dict[str, Any],
    next_url: Callable[[str], str],
    delta_url: Callable[[str], str] | None = None,
    round_seq: int | None = None,
) -> Page:
    """The first page of `items`; the rest waits behind a skip token, then a delta token."""
    head, rest = items[:size], items[size:]
    seq = state.seq if round_seq is None else round_seq
    if rest:
        token = state.cursor(Cursor(kind, scope, seq, state.epoch, dict(options), list(rest)))
        return Page(head, next_link=next_url(token))
    if delta_url is None:
        return Page(head)
    token = state.cursor(Cursor(kind + ".delta", scope, seq, state.epoch, dict(options)))
    return Page(head, delta_link=delta_url(token))


def resume(
    state: State,
    kind: str,
    scope: str,
    token: str,
    expired: Callable[[Cursor], GraphError],
) -> Cursor:
    """The cursor behind a token from a previous answer, or the refusal Graph would give."""
    cursor = state.cursors.get(token)
    if cursor is None or cursor.kind != kind or cursor.scope != scope:
        raise bad_request("BadRequest", "The specified paging or delta token is not valid.")
    if cursor.epoch != state.epoch:
        raise expired(cursor)
    return cursor


def outlook_expired(cursor: Cursor) -> GraphError:
    return GraphError(
        410,
        "SyncStateNotFound",
        f"The sync state generation is not found; generation={cursor.seq};"
        f"[highest={cursor.seq + 1}][{cursor.seq + 1}].",
    )


def directory_expired(location: str) -> Callable[[Cursor], GraphError]:
    def refuse(cursor: Cursor) -> GraphError:
        return GraphError(
            410,
            "resyncRequired",
            "The delta token is no longer valid. Replace any local cached entities with the "
            "ones returned by a full sync from the Location header.",
            headers={"Location": location},
        )

    return refuse
