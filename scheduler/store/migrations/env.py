"""Alembic's entry point, run by `scheduler.store.models.upgrade` on a connection it passes in.

Without one (a developer running autogenerate), it connects to `sqlalchemy.url` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from scheduler.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: let later migrations copy and move tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (given := config.attributes.get("connection")) is not None:
    run_online(given)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    engine = create_engine(url)
    with engine.begin() as connection:
        run_online(connection)
    engine.dispose()
