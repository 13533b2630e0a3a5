"""One runtime per program file and worker thread, built at the first message that names the
file and kept for the process's life (rebuilt when the file changes): messages do not rebuild
the store, the providers and the templates, and never upgrade the schema.

Per thread rather than per process: a provider's client (an HTTP connection, the SMTP sent
log's read offset) is not promised to be thread-safe; with `tandem worker --threads 1` (the
default) it is one per process.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.runtime import Runtime

_local = threading.local()


def runtime_for(config: str) -> Runtime:
    """The runtime of the program file `config` for this thread; a schema that is not up to
    date raises SchemaBehind (a UserError) without touching the database."""
    from scheduler.bootstrap import build_runtime

    path = Path(config).resolve()
    stamp = path.stat().st_mtime_ns
    cache: dict[Path, tuple[int, Runtime]] = _local.__dict__.setdefault("runtimes", {})
    cached = cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    runtime = build_runtime(path, migrate=False)
    if cached is not None:
        cached[1].store.close()
    cache[path] = (stamp, runtime)
    return runtime


def forget_runtimes() -> None:
    """Close this thread's runtimes (tests; a worker keeps its own until it exits)."""
    cache: dict[Path, tuple[int, Runtime]] = _local.__dict__.pop("runtimes", {})
    for _, runtime in cache.values():
        runtime.store.close()
