"""Alembic environment: uses the connection handed over by ``broadcaster.db.migrate``."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from broadcaster.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("Thiếu địa chỉ cơ sở dữ liệu (sqlalchemy.url) cho Alembic")
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
