"""Database fixtures shared by every test layer: a store on SQLite and on PostgreSQL.

PostgreSQL comes from TANDEM_TEST_POSTGRES_URL; each test gets a database of its own. Without
a server the PostgreSQL cases are skipped locally and fail in CI, which must run everything.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from scheduler.settings import database_url
from scheduler.store.engine import Store, open_store

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# Speed is measured by bench/, never by tests: no per-example deadline that a busy CI machine
# could miss, and the same examples on every run so that CI results can be reproduced.
settings.register_profile("tandem", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("tandem")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tandem.db'}"
        return
    server: Engine = request.getfixturevalue("postgres_server")
    name = f"tandem_{secrets.token_hex(6)}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store on PostgreSQL alone, for what only PostgreSQL has (row locks between sessions)."""
    server: Engine = request.getfixturevalue("postgres_server")
    name = f"tandem_{secrets.token_hex(6)}"
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    opened = open_store(server.url.set(database=name).render_as_string(hide_password=False))
    try:
        yield opened
    finally:
        opened.close()
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An engine on the test server's maintenance database, in autocommit for CREATE DATABASE."""
    given = os.environ.get("TANDEM_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    url = make_url(database_url({"TANDEM_DATABASE_URL": given}))
    server = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with server.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        server.dispose()
        where = url.render_as_string(hide_password=True)
        reason = (
            f"PostgreSQL at {where} is unreachable ({error.orig}); set TANDEM_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield server
    server.dispose()
