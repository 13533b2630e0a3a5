"""Conflicts between overlapping runs that the database resolves by failing one of them.

PostgreSQL ends one of two deadlocked transactions (SQLSTATE 40P01) and may fail a transaction
that cannot be serialized (40001); its manual asks the application to run the work again. Every
step is idempotent, so running the step again is always safe.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable_conflict(error: BaseException) -> bool:
    """True for a deadlock or a serialization failure: the work may simply be done again."""
    if not isinstance(error, DBAPIError):
        return False
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
