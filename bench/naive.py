"""The naive baseline: importing a backup the way the old app's seed scripts did.

As ``import_production_history`` of the seeds: for each record a query for a
row with its key (a record that exists is skipped), a query per reference,
one ORM object added and flushed to get its id, its children added (flushed
by the next query's autoflush), plain type conversion by hand, no
marshmallow, one commit at the end. It reads the same bakery_io backup
directory that the ``dump`` step writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from sqlalchemy import Date, Engine, Enum, select
from sqlalchemy.orm import Session

from bakery_io.binding.sqltypes import ExactDecimal, UTCDateTime
from bakery_io.format.fields import Children, Reference
from bakery_io.format.schemas.base import declared_fields
from bakery_io.registry import REGISTRY, EntityType

Record = Mapping[str, Any]
#: An entity schema class (``EntityType.schema``, ``ChildType.schema``).
Schema = type[Any]


def _convert(column_type: Any, value: Any) -> Any:
    """A wire value as the column wants it, converted the way the seeds did it by hand."""
    if value is None:
        return None
    if isinstance(column_type, ExactDecimal):
        return Decimal(value)
    if isinstance(column_type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Enum):
        return column_type.enum_class(value)  # type: ignore[misc]
    return value


def _wire_fields(schema: Schema) -> Iterator[tuple[str, Any]]:
    for name, field in declared_fields(schema).items():
        yield field.data_key or name, field


def _criteria(session: Session, entity: EntityType, key: tuple[str, ...]) -> dict[str, Any]:
    """Column values that select the row with natural key ``key``."""
    fields = dict(_wire_fields(entity.schema))
    criteria: dict[str, Any] = {}
    for name, part in zip(entity.natural_key, key, strict=True):
        field = fields[name]
        if isinstance(field, Reference):
            # A composite key: the leading part is itself a reference (a material
            # unit's material product), resolved with a query of its own.
            criteria[str(field.attribute)] = _find_id(session, field.target, (part,))
        else:
            criteria[field.attribute or name] = part
    return criteria


def _find_id(session: Session, target: str, key: tuple[str, ...]) -> int:
    """The id of the ``target`` row with natural key ``key``: one query (more for a composite)."""
    entity = REGISTRY[target]
    criteria = _criteria(session, entity, key)
    found = session.scalars(select(entity.model).filter_by(**criteria)).first()
    if found is None:
        raise LookupError(f"no {target} with key {key}")
    return int(found.id)


def _exists(session: Session, entity: EntityType, record: Record) -> bool:
    """Whether a row with the record's natural key exists: the seeds' duplicate check."""
    key = tuple(record[name] for name in entity.natural_key)
    try:
        criteria = _criteria(session, entity, key)
    except LookupError:
        return False
    return session.scalars(select(entity.model).filter_by(**criteria)).first() is not None


def _build(session: Session, schema: Schema, record: Record) -> Any:
    """A new model object for ``record``; fields the record leaves out keep the model default."""
    model = schema.opts.model
    columns = model.__table__.columns
    values: dict[str, Any] = {}
    for name, field in _wire_fields(schema):
        if name not in record or isinstance(field, Children):
            continue
        value = record[name]
        if isinstance(field, Reference):
            key = (*(record[part] for part in field.scope), value)
            values[str(field.attribute)] = (
                None if value is None else _find_id(session, field.target, key)
            )
        elif (field.attribute or name) in columns:
            attribute = field.attribute or name
            values[attribute] = _convert(columns[attribute].type, value)
        # else: the leading part of a composite reference, used above
    return model(**values)


def _self_references(entity: EntityType, record: Record) -> set[str]:
    """Keys of the records of the same type that ``record`` (or one of its children) references."""
    found: set[str] = set()
    for name, field in _wire_fields(entity.schema):
        if isinstance(field, Reference) and field.target == entity.name and record.get(name):
            found.add(record[name])
    for child in entity.children:
        for child_record in record.get(child.name) or ():
            for name, field in _wire_fields(child.schema):
                own = isinstance(field, Reference) and field.target == entity.name
                if own and child_record.get(name):
                    found.add(child_record[name])
    return found


def _parents_first(entity: EntityType, records: list[Record]) -> list[Record]:
    """Records in an order in which each one's references to its own type are already written.

    Files are sorted by natural key, and a parent may come after its children;
    the seeds were ordered by hand. Only single-part keys refer to their own type.
    """
    if not entity.self_referencing:
        return records
    (key_name,) = entity.natural_key
    by_key = {record[key_name]: record for record in records}
    graph = {record[key_name]: _self_references(entity, record) for record in records}
    return [by_key[key] for key in TopologicalSorter(graph).static_order()]


def naive_load(engine: Engine, directory: Path) -> None:
    """Import the backup in ``directory`` record by record, committing once at the end."""
    with Session(engine) as session:
        _import(session, directory)
        session.commit()


def _import(session: Session, directory: Path) -> None:
    for entity in REGISTRY:
        document = json.loads((directory / entity.filename).read_text(encoding="utf-8"))
        for record in _parents_first(entity, document["records"]):
            if _exists(session, entity, record):
                continue
            parent = _build(session, entity.schema, record)
            session.add(parent)
            session.flush()  # for its id, as the seeds did
            for child in entity.children:
                parent_column = child.parent.key
                for child_record in record.get(child.name) or ():
                    item = _build(session, child.schema, child_record)
                    setattr(item, parent_column, parent.id)
                    session.add(item)
