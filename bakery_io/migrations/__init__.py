"""Alembic support for bakery_io's own tables (see docs/alembic.md).

A host that manages its database with Alembic has two ways to create and upgrade
bakery_io's tables:

* **bakery_io's migration history.** The package ships its tables' revisions as
  an Alembic branch labelled :data:`BRANCH_LABEL`. The host adds
  :data:`VERSION_LOCATION` to its ``version_locations``, passes
  :func:`configure_options` to ``context.configure`` in its ``env.py`` and runs
  ``alembic upgrade heads``. Each bakery_io release that changes its tables adds
  a revision to the branch.
* **The host's own history.** The host puts :data:`bakery_io.binding.models.metadata`
  into its ``target_metadata`` and passes :func:`autogenerate_options` to
  ``context.configure``, so that ``alembic revision --autogenerate`` writes a
  migration that runs on every backend bakery_io supports.

Importing this module needs Alembic (``pip install bakery-io[alembic]``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from alembic import op
from sqlalchemy import Boolean, CheckConstraint, Enum

from bakery_io.binding.dialects import without_native_boolean
from bakery_io.binding.models import metadata  # re-exported, for target_metadata
from bakery_io.binding.placement import Placement, is_own  # Placement for the revisions
from bakery_io.binding.sqltypes import ExactDecimal, StoredBoolean, UTCDateTime
from bakery_io.errors import UsageError
from bakery_io.registry import REGISTRY, Registry

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

#: The branch label of bakery_io's revisions: ``alembic upgrade bakery_io@head``.
BRANCH_LABEL = "bakery_io"

#: Where bakery_io's revisions are, as an entry of Alembic's ``version_locations``
#: (Alembic reads ``package:directory`` as a directory inside an installed package).
VERSION_LOCATION = "bakery_io.migrations:versions"

#: The key of :func:`configure_options`' result that carries the :class:`Placement`.
PLACEMENT_OPTION = "bakery_io_placement"

#: Alembic's ``include_object`` hook: ``(object, name, type_, reflected, compare_to)``.
IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]

_SQLTYPES = "bakery_io.binding.sqltypes"

#: The enum types of bakery_io's columns (by name and values: Alembic renders copies).
_MODEL_ENUMS = frozenset(
    (column.type.name, tuple(column.type.enums))
    for table in metadata.tables.values()
    for column in table.columns
    if isinstance(column.type, Enum)
)


def versions_directory() -> Path:
    """The directory of bakery_io's revision files, for a ``version_locations`` set in code."""
    return Path(str(resources.files(__name__) / "versions"))


def configure_options(
    registry: Registry | None = None, *, include_object: IncludeObject | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``context.configure`` in the host's ``env.py`` when
    bakery_io's branch manages bakery_io's tables.

    ``registry`` says where the tables are (its ``placement``: ``REGISTRY.derive(
    schema=..., prefix=...)``, see :class:`~bakery_io.Placement`); the revisions
    read it. The ``include_object`` hook returned keeps bakery_io's
    tables out of the host's autogenerate, which would otherwise drop them (they
    are not in the host's ``target_metadata``); the host's own ``include_object``,
    if any, decides about every other object.
    """
    chosen = REGISTRY if registry is None else registry
    placement = chosen.placement
    # A host table the registry binds may bear one of bakery_io's names (bake_tracker's
    # suppliers): it is the host's, and its autogenerate's.
    hosts = {(table.schema, table.name) for table in chosen.tables if not is_own(table)}
    ours = {(placement.schema, placement.table(name)) for name in metadata.tables} - hosts

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and (obj.schema, name) in ours:
            return False
        return include_object is None or include_object(obj, name, type_, reflected, compare_to)

    return {PLACEMENT_OPTION: placement, "include_object": include}


def current_placement() -> Placement:
    """Inside a revision: the :class:`Placement` the host's ``env.py`` passed
    (:func:`configure_options`), the default one if it passed none."""
    found = op.get_context().opts.get(PLACEMENT_OPTION, Placement())
    if not isinstance(found, Placement):
        raise UsageError(
            f"context.configure got {PLACEMENT_OPTION}={found!r}: pass "
            "**bakery_io.migrations.configure_options(registry) instead"
        )
    return found


def autogenerate_options() -> dict[str, Any]:
    """Keyword arguments for ``context.configure`` when the host's own history manages
    bakery_io's tables: a ``render_item`` hook (:func:`render_item`)."""
    return {"render_item": render_item}


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Alembic's ``render_item`` hook that makes autogenerated code for bakery_io's
    tables run on every backend.

    * bakery_io's column types are written with their module, which the migration
      imports.
    * A CHECK meant for some backends only keeps its condition (``.ddl_if(...)``):
      the SQLite GLOB and length checks, MySQL's REGEXP, PostgreSQL's ``~``.
    * The CHECK of an enum or boolean column is written out as a constraint with
      its final name (``ck_<table>_<column>``) instead of being left to the
      column's type, whose name the migration's naming convention (the host's,
      or none) would otherwise turn into a different one.

    Everything else is left to Alembic (``False``).
    """
    if type_ == "type":
        return _render_type(obj, autogen_context)
    if type_ == "check":
        return _render_check(obj, autogen_context)
    return False


def _prefixes(autogen_context: AutogenContext) -> tuple[str, str]:
    opts: Mapping[str, Any] = autogen_context.opts
    return opts.get("sqlalchemy_module_prefix") or "", opts.get("alembic_module_prefix") or ""


def _render_type(kind: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    sa, _ = _prefixes(autogen_context)
    if isinstance(kind, (ExactDecimal, UTCDateTime, StoredBoolean)):
        autogen_context.imports.add(f"import {_SQLTYPES}")
    if isinstance(kind, ExactDecimal):
        return f"{_SQLTYPES}.ExactDecimal({kind.precision}, {kind.scale})"
    if isinstance(kind, UTCDateTime):
        return f"{_SQLTYPES}.UTCDateTime()"
    # Enum and boolean types without their CHECK: _render_check writes it.
    if isinstance(kind, StoredBoolean):
        return f"{_SQLTYPES}.StoredBoolean()"
    if isinstance(kind, Enum) and (kind.name, tuple(kind.enums)) in _MODEL_ENUMS:
        values = ", ".join(repr(value) for value in kind.enums)
        return f"{sa}Enum({values}, native_enum=False, length={kind.length})"
    return False


def _render_check(copy: CheckConstraint, autogen_context: AutogenContext) -> str | Literal[False]:
    # Alembic renders a copy of each table, made without ddl_if conditions and without
    # the naming convention: bakery_io's model has them.
    constraint = _model_check(copy)
    if constraint is None:  # a CHECK of the host's: Alembic's business
        return False
    sa, alembic_op = _prefixes(autogen_context)
    sql = constraint.sqltext.compile(compile_kwargs={"literal_binds": True, "include_table": False})
    rendered = f"{sa}CheckConstraint({str(sql)!r}, name={alembic_op}f({str(constraint.name)!r}))"
    if getattr(constraint, "_type_bound", False):  # an enum's or a boolean's own CHECK
        # A boolean's CHECK exists only where booleans are integers; an enum's everywhere.
        if any(isinstance(column.type, Boolean) for column in constraint.columns):
            return rendered + _render_condition(without_native_boolean, None, autogen_context)
        return rendered
    condition = constraint._ddl_if
    if condition is None:
        return rendered
    return rendered + _render_condition(condition.callable_, condition.dialect, autogen_context)


def _model_check(copy: CheckConstraint) -> CheckConstraint | None:
    """The CHECK of bakery_io's models that ``copy`` was made from, if any."""
    table = metadata.tables.get(copy.table.key)
    for constraint in table.constraints if table is not None else ():
        if isinstance(constraint, CheckConstraint) and _same_check(constraint, copy):
            return constraint
    return None


def _same_check(one: CheckConstraint, other: CheckConstraint) -> bool:
    if getattr(one, "_type_bound", False) or getattr(other, "_type_bound", False):
        return (
            getattr(one, "_type_bound", False) == getattr(other, "_type_bound", False)
            and one.columns.keys() == other.columns.keys()
        )
    return str(one.name) == str(other.name) and str(one.sqltext) == str(other.sqltext)


def _render_condition(
    predicate: Callable[..., bool] | None, dialect: Any, autogen_context: AutogenContext
) -> str:
    """``.ddl_if(...)`` for a CHECK meant for some backends only."""
    args = []
    if dialect is not None:
        args.append(f"dialect={dialect!r}")
    if predicate is not None:
        module, name = predicate.__module__, predicate.__qualname__
        if name.startswith("_") or "." in name or name == "<lambda>":
            # The migration file must import it, in this release and in later ones.
            raise UsageError(
                f"cannot write the CHECK condition {module}.{name} into a migration: "
                "give ddl_if a public module-level function"
            )
        autogen_context.imports.add(f"import {module}")
        args.append(f"callable_={module}.{name}")
    return f".ddl_if({', '.join(args)})"


__all__ = [
    "BRANCH_LABEL",
    "PLACEMENT_OPTION",
    "VERSION_LOCATION",
    "IncludeObject",
    "Placement",
    "autogenerate_options",
    "configure_options",
    "current_placement",
    "metadata",
    "render_item",
    "versions_directory",
]
