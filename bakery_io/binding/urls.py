"""Database URLs as people type them: what is wrong with one, and the form to use instead.

Messages never show a password: a URL is shown with it replaced by ``***``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sqlalchemy import URL

__all__ = ["FORMS", "missing_driver", "shown", "sqlite_problem", "unknown_kind"]

#: The URL forms bakery_io is tested with, one per backend.
FORMS = (
    "sqlite:///path/to/bakery.db",
    "postgresql+psycopg://user:password@host/database",
    "mysql+pymysql://user:password@host/database",
)

# Schemes people write from habit (Heroku, libpq, Django), and the form SQLAlchemy takes.
_INSTEAD = {
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "pgsql": "postgresql+psycopg",
    "psql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "sqlite3": "sqlite",
}
# The extra that installs the driver of each backend's tested form.
_EXTRAS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}
_PASSWORD = re.compile(r"(?P<head>://[^:/@]*:)[^@]*(?P<tail>@)")


def shown(url: str | URL) -> str:
    """``url`` for a message: its password replaced by ``***``, even when it does not parse."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    return _PASSWORD.sub(r"\g<head>***\g<tail>", url)


def _with_scheme(url: str, scheme: str) -> str:
    """``url`` shown with ``scheme`` in place of its own."""
    _, separator, rest = shown(url).partition("://")
    return f"{scheme}://{rest}" if separator else f"{scheme}://..."


def unknown_kind(url: str) -> str:
    """What to say of a URL whose database kind SQLAlchemy does not know."""
    scheme = url.partition("://")[0] if "://" in url else url.partition(":")[0]
    instead = _INSTEAD.get(scheme.lower())
    if instead is not None:
        return (
            f"{scheme}:// is not a database kind SQLAlchemy knows: use {_with_scheme(url, instead)}"
        )
    return f"unknown database kind {scheme!r} in {shown(url)}: use one of {', '.join(FORMS)}"


def missing_driver(url: URL, module: str | None) -> str:
    """What to say when the driver a URL names is not installed: the pip command to run
    (quoted for shells), or the tested form of the URL when it names another driver."""
    backend = url.get_backend_name()
    extra = _EXTRAS.get(backend)
    missing = f"the driver for {url.drivername} is not installed ({module or 'unknown module'})"
    if extra is None:
        return f"{missing}; install it, or use one of {', '.join(FORMS)}"
    tested = _INSTEAD[backend]
    if url.drivername != tested:
        return (
            f"{missing}; bakery_io's {backend} driver comes with "
            f"pip install 'bakery-io[{extra}]' and is named in the URL as "
            f"{_with_scheme(shown(url), tested)}"
        )
    return f"{missing}; install it with: pip install 'bakery-io[{extra}]'"


def sqlite_problem(url: URL) -> str | None:
    """Why SQLite could not open the file ``url`` names, said before it tries (SQLite
    itself only says "unable to open database file"); ``None`` when nothing stands in the
    way that can be seen."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    parent = path.parent if str(path.parent) else Path()
    if path.is_dir():
        return f"cannot open SQLite database {path}: it is a directory, not a file"
    if not parent.is_dir():
        return f"cannot open SQLite database {path}: the directory {parent} does not exist"
    if not path.exists() and not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create SQLite database {path}: the directory {parent} is not writable"
    return None
