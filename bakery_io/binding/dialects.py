"""Which backend a piece of DDL is for: the conditions of bakery_io's backend-specific CHECKs.

They are ``ddl_if(callable_=...)`` predicates, named by the models and by migrations
(:mod:`bakery_io.migrations`, and migrations Alembic autogenerates for a host), so they
live where both can import them. A migration already released keeps calling them: change
what one answers only together with a new migration revision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect


def on_mysql(*_args: Any, dialect: Dialect, **_kw: Any) -> bool:
    """Whether the DDL is for MySQL or MariaDB."""
    return dialect.name in ("mysql", "mariadb")


def not_on_mysql(*_args: Any, dialect: Dialect, **_kw: Any) -> bool:
    """Whether the DDL is for neither MySQL nor MariaDB."""
    return not on_mysql(dialect=dialect)


def not_on_mysql_itself(*_args: Any, dialect: Dialect, **_kw: Any) -> bool:
    """Whether the DDL is for anything but MySQL proper (MariaDB included).

    MySQL (8.0.16 on, not MariaDB) refuses a CHECK on a column that a foreign
    key's ON DELETE CASCADE or SET NULL changes.
    """
    return not on_mysql(dialect=dialect) or bool(getattr(dialect, "is_mariadb", False))


def without_native_boolean(*_args: Any, dialect: Dialect, **_kw: Any) -> bool:
    """Whether the backend stores booleans as integers (SQLite, MySQL, MariaDB), so that a
    boolean column needs a CHECK that keeps it to 0 and 1."""
    return not dialect.supports_native_boolean
