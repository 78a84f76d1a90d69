"""Alembic environment: the engine comes from the caller (see witness/store/migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import witness.store.accounts  # noqa: F401  (registers the users and assignments tables)
import witness.store.logins  # noqa: F401  (registers the wall sign-in sessions)
import witness.store.models  # noqa: F401  (registers the tables)
import witness.store.state_rows  # noqa: F401  (snapshots and released projects)

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from witness.config import Settings
        from witness.store.store import make_engine

        engine = make_engine(Settings.from_env().database_url)
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
