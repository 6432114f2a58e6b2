"""What the shop's API endpoints and admin jobs call.

Each endpoint function takes the request's Session and returns ``(status,
body)``, ready for whatever web framework serves it: the JSON body is plain
data. bakery_io's errors map onto statuses: :class:`~bakery_io.NotFoundError`
is 404, :class:`~bakery_io.SourceError` 422 with every problem, each naming
where in the body it is.
"""

from __future__ import annotations

from os import PathLike
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bakery_io import (
    LoadReport,
    Manifest,
    NotFoundError,
    SourceError,
    create_schema,
    dump_all,
    dump_records,
    load_all,
    load_records,
)
from hostapp.bakery import REGISTRY
from hostapp.models import Base

Response = tuple[int, dict[str, Any]]


def create_tables(engine: Engine) -> None:
    """The shop's tables and bakery_io's, for a database without Alembic (tests, demos).

    A database run by Alembic gets them from ``alembic upgrade heads`` instead
    (see ``migrations/``).
    """
    Base.metadata.create_all(engine)
    create_schema(engine, registry=REGISTRY)


def backup(engine: Engine, target: str | PathLike[str]) -> Manifest:
    """The nightly backup: everything bakery_io stores for the shop, as one snapshot."""
    return dump_all(engine, target, registry=REGISTRY)


def restore(engine: Engine, source: str | PathLike[str]) -> LoadReport:
    """Restore a backup, all or nothing; records already there are left as they are."""
    return load_all(engine, source, registry=REGISTRY)


def get_recipe(session: Session, slug: str) -> Response:
    """``GET /recipes/<slug>``: the recipe and everything it needs, to copy it elsewhere."""
    try:
        document = dump_records(
            session, {"recipes": [slug]}, with_dependencies=True, registry=REGISTRY
        )
    except NotFoundError:
        return 404, {"error": f"no recipe {slug!r}"}
    return 200, document


def get_customer(session: Session, slug: str) -> Response:
    """``GET /customers/<slug>``: a customer with their orders' format, as a document."""
    try:
        return 200, dump_records(session, {"recipients": [slug]}, registry=REGISTRY)
    except NotFoundError:
        return 404, {"error": f"no customer {slug!r}"}


def put_records(session: Session, body: bytes, *, dry_run: bool = False) -> Response:
    """``PUT /records``: create or update the records of a document, all or nothing.

    The caller's Session is committed on success; on a problem nothing of the
    body is kept and each problem says where (``pointer``) and what was expected.
    """
    try:
        report = load_records(
            session,
            body,
            name="request body",
            on_conflict="update",
            dry_run=dry_run,
            registry=REGISTRY,
        )
    except SourceError as exc:
        session.rollback()
        return 422, {"problems": [problem.to_dict() for problem in exc.problems]}
    session.commit()
    return 200, {"counts": report.to_dict()["counts"], "dry_run": report.dry_run}
