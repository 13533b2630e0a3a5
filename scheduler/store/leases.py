"""Who holds a lease or a claim, and whether that holder is still alive.

A holder is named "host:boot:pidns:pid:token". A lease or claim left by a process that died on
this machine (a crash, a SIGKILL) is taken over at once; one held by a live process, or by a
process on another machine, only when it expires. The boot id and the PID namespace make the
liveness check sound in containers that share a host name or reuse PIDs across namespaces.

Leases expire by the wall clock, never by a simulated `--now`: they are about processes.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from scheduler.store import ops as store_ops
from scheduler.store.models import Lease
from scheduler.store.outages import through_outage

if TYPE_CHECKING:
    from scheduler.store.engine import Store


def holder_name() -> str:
    """A name for this process, unique for each call (a token tells two holders apart)."""
    return f"{_here()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def wall_clock() -> datetime:
    """The real time now, for expiries; tests of the program's calendar pass their own `now`."""
    return datetime.now(UTC)


def take_lease(s: Session, name: str, holder: str, *, ttl: timedelta) -> bool:
    """acquire_lease by the wall clock, after clearing the lease if its holder is a dead
    process of this machine."""
    current = s.scalar(select(Lease.holder).where(Lease.name == name))
    if current is not None and current != holder and is_dead(current):
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == current))
    return store_ops.acquire_lease(s, name, holder, now=wall_clock(), ttl=ttl)


def hold_lease(store: Store, name: str, holder: str, *, ttl: timedelta) -> bool:
    """take_lease in a transaction of its own. When the database fails to answer, the lease
    may be taken all the same (a commit whose answer was lost): it is let go, then the error
    goes on."""
    try:
        with store.session() as s:
            return take_lease(s, name, holder, ttl=ttl)
    except DBAPIError:
        let_go(store, name, holder)
        raise


def let_go(store: Store, name: str, holder: str) -> None:
    """Release `holder`'s lease, waiting out a database out of reach for a moment: a lease
    left to a run that is over keeps every later run out until it expires."""

    def release() -> None:
        with store.session() as s:
            store_ops.release_lease(s, name, holder)

    through_outage(f"letting go of lease {name}", release)


def is_dead(holder: str) -> bool:
    """True only when `holder` names a process of this machine and PID namespace that no
    longer runs; a holder elsewhere, or one we cannot check, counts as alive."""
    place, _, rest = holder.rpartition(":")[0].rpartition(":")
    if place != _here() or not rest.isdigit():
        return False
    try:
        os.kill(int(rest), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@cache
def _here() -> str:
    """host:boot:pidns, the place where a PID means one process."""
    boot = _read("/proc/sys/kernel/random/boot_id").replace("-", "")[:12] or "noboot"
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = "nons"
    host = socket.gethostname().replace(":", "_") or "nohost"
    return f"{host}:{boot}:{namespace}"


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""
