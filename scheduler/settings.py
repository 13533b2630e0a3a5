"""Settings from TANDEM_* environment variables; a secret may come from NAME_FILE instead,
and setting both is refused so that nobody wonders which one won."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scheduler.errors import UserError


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret: bytes
    database_configured: bool  # given by TANDEM_DATABASE_URL(_FILE), not the default


def load_settings(program_folder: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings. Without TANDEM_SECRET(_FILE), the reply-address secret is made once
    and kept in `.tandem-secret` beside the program file (mode 0600)."""
    env = os.environ if env is None else env
    try:
        url = database_url(env, beside=program_folder)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    configured = bool(env.get("TANDEM_DATABASE_URL") or env.get("TANDEM_DATABASE_URL_FILE"))
    secret = read_secret("TANDEM_SECRET", env)
    if secret is None:
        secret = _local_secret(program_folder / ".tandem-secret")
    return Settings(url, secret.encode(), configured)


def peek_settings(program_folder: Path, env: Mapping[str, str] | None = None) -> Settings:
    """The settings as they are, for a dry run: no key is made when there is none (the
    secret is then empty)."""
    env = os.environ if env is None else env
    try:
        url = database_url(env, beside=program_folder)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    configured = bool(env.get("TANDEM_DATABASE_URL") or env.get("TANDEM_DATABASE_URL_FILE"))
    secret = read_secret("TANDEM_SECRET", env) or _read_key(program_folder / ".tandem-secret")
    return Settings(url, (secret or "").encode(), configured)


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
            text = Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(f"{name}_FILE: cannot read {file} ({exc.strerror})") from exc
        if not text:
            raise UserError(f"{name}_FILE: {file} is empty")
        return text
    return value or None


def _local_secret(path: Path) -> str:
    """The key in `path`, made once. It appears whole or not at all (written and synced under
    another name, then linked into place), so a crash while making it can never leave an
    empty key behind (issue 13, defect 7); when two processes make it at once, one wins and
    both use the winner's."""
    existing = _read_key(path)
    if existing is not None:
        return existing
    value = secrets.token_urlsafe(32)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it: theirs is the key
            os.link(draft, path)
        _sync_folder(path.parent)
    except OSError as exc:
        raise UserError(f"cannot write the reply-address key {path}: {exc.strerror}") from exc
    finally:
        draft.unlink(missing_ok=True)
    key = _read_key(path)
    assert key is not None  # linked just above, by us or by the winner
    return key


def _read_key(path: Path) -> str | None:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot read the reply-address key {path}: {exc.strerror}") from exc
    if not key:
        raise UserError(
            f"{path} is empty: restore it from a backup, or delete it to make a new key "
            "(the reply addresses in emails already sent then stop working)"
        )
    return key


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


DEFAULT_STORE = "tandem.db"  # the default store, beside the program file it belongs to


def database_url(env: Mapping[str, str], beside: Path | None = None) -> str:
    """The database URL from TANDEM_DATABASE_URL or the file TANDEM_DATABASE_URL_FILE names;
    without either, a SQLite file `tandem.db` in the folder `beside` (the program file's),
    so the state of a program never depends on the folder a command runs in.

    Raises:
        ValueError: both are set, or the file cannot be read or is empty.
    """
    url = env.get("TANDEM_DATABASE_URL", "")
    url_file = env.get("TANDEM_DATABASE_URL_FILE", "")
    if url and url_file:
        raise ValueError(
            "TANDEM_DATABASE_URL and TANDEM_DATABASE_URL_FILE are both set; unset one of them"
        )
    if url_file:
        try:
            url = Path(url_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ValueError(
                f"TANDEM_DATABASE_URL_FILE: cannot read {url_file}: {error.strerror}"
            ) from error
        if not url:
            raise ValueError(f"TANDEM_DATABASE_URL_FILE: {url_file} is empty")
    if not url:
        folder = (beside or Path.cwd()).resolve()
        return f"sqlite:///{folder / DEFAULT_STORE}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url
