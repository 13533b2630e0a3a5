"""Settings from TANDEM_* environment variables; a secret may come from NAME_FILE instead,
and setting both is refused so that nobody wonders which one won."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scheduler.errors import UserError
from scheduler.store import database_url


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: bytes


def load_settings(program_folder: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings. Without TANDEM_SECRET(_FILE), the reply-address secret is made once
    and kept in `.tandem-secret` beside the program file (mode 0600)."""
    env = os.environ if env is None else env
    try:
        url = database_url(env)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    secret = read_secret("TANDEM_SECRET", env)
    if secret is None:
        secret = _local_secret(program_folder / ".tandem-secret")
    return Settings(url, secret.encode())


def redis_url(env: Mapping[str, str]) -> str | None:
    """TANDEM_REDIS_URL (or _FILE): the broker of the workers and the lock of the clocks."""
    return read_secret("TANDEM_REDIS_URL", env)


def read_secret(name: str, env: Mapping[str, str]) -> str | None:
    """NAME, or the first line of the file NAME_FILE names; None when neither is set."""
    value, file = env.get(name), env.get(f"{name}_FILE")
    if value and file:
        raise UserError(f"both {name} and {name}_FILE are set; set only one")
    if file:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(f"{name}_FILE: cannot read {file} ({exc.strerror})") from exc
    return value or None


def _local_secret(path: Path) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
