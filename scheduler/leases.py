"""Leases whose holder is named "host:pid:token", so that a lease left by a process that died
on this machine (a crash, a SIGKILL) is taken over at once instead of when it expires."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scheduler import store_ops
from scheduler.store import Lease


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(s: Session, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    """acquire_lease, after clearing the lease if its holder is a dead process of this host."""
    current = s.scalar(select(Lease.holder).where(Lease.name == name))
    if current is not None and current != holder and _dead_here(current):
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == current))
    return store_ops.acquire_lease(s, name, holder, now=now, ttl=ttl)


def _dead_here(holder: str) -> bool:
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
