"""Alembic's env.py of the shop: its own tables, and bakery_io's through bakery_io's
migration history, placed where the shop's registry places them (prefix ``bakery_``)."""

from __future__ import annotations

import os

from alembic import context
from hostapp.bakery import REGISTRY
from hostapp.models import Base
from sqlalchemy import create_engine, pool

import bakery_io.migrations

config = context.config
url = (
    context.get_x_argument(as_dictionary=True).get("url")
    or os.environ.get("SHOP_DATABASE_URL")
    or config.get_main_option("sqlalchemy.url")
)
if not url:
    raise SystemExit("give the database: alembic -x url=... (or SHOP_DATABASE_URL)")
options = {
    **bakery_io.migrations.configure_options(REGISTRY),
    # The shop's own columns of bakery_io's types (orders.total) written with their import.
    **bakery_io.migrations.autogenerate_options(),
}


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
