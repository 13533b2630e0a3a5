"""What `tandem status` shows of the workers' Redis: how many messages wait, how many wait
for a retry, and the dead letters (messages that used up their retries or failed for good),
by actor and the ids they carry (never personal data: messages hold ids only)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import redis

QUEUE = "tandem"  # as scheduler.workers.actors.QUEUE, without importing dramatiq
SHOWN = 20


def namespace_of(env: Mapping[str, str]) -> str:
    """TANDEM_REDIS_NAMESPACE: the prefix of every Redis key of one installation (two may
    share a Redis under two names)."""
    return env.get("TANDEM_REDIS_NAMESPACE") or "tandem"


def queue_lines(url: str, namespace: str) -> list[str]:
    """Lines for `tandem status`; one line saying so when Redis does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    base = f"{namespace}:{QUEUE}"
    try:
        waiting = client.llen(base)
        held = client.hlen(f"{base}.msgs")
        retrying = client.hlen(f"{base}.DQ.msgs")
        dead = client.zcard(f"{base}.XQ")
        letters = client.hvals(f"{base}.XQ.msgs")[:SHOWN] if dead else []
    except redis.RedisError as error:
        return [f"workers: Redis did not answer ({type(error).__name__})"]
    finally:
        client.close()
    lines = [
        f"queue {QUEUE}: {waiting} waiting, {max(held - waiting, 0)} running, "
        f"{retrying} waiting to retry, {dead} dead letter(s)"
    ]
    return lines + [f"  dead letter: {_said(raw)}" for raw in letters]


def _said(raw: bytes | str) -> str:
    """A dead letter as `actor(args after the program file)`, its tries and its last error."""
    try:
        message = json.loads(raw)
    except ValueError:
        return "(unreadable message)"
    args = ", ".join(repr(a) for a in message.get("args", [])[1:] if a is not None)
    options = message.get("options", {})
    tries = int(options.get("retries", 0))
    error = str(options.get("traceback", "")).strip().splitlines()[-1:] or ["no error recorded"]
    return f"{message.get('actor_name', '?')}({args}) after {tries} retr(ies): {error[0]}"
