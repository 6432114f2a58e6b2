"""bakery_io's tables as bakery_io 0.1.0 made them: the base of the ``bakery_io`` branch.

Frozen: written once from the models of that release and never changed since; a later
release that changes the tables adds a revision after this one. The tables go where the
host's env.py places them (:func:`bakery_io.migrations.configure_options`).

Revision ID: bakery_io_0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from bakery_io.binding import dialects
from bakery_io.migrations import Placement, current_placement

revision = "bakery_io_0001"
down_revision: str | None = None
branch_labels = ("bakery_io",)
depends_on: str | None = None

# MySQL/MariaDB default to case-insensitive collations; keys must not fold case.
_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mariadb_engine": "InnoDB",
    "mariadb_charset": "utf8mb4",
    "mariadb_collate": "utf8mb4_bin",
}

#: The tables in the order they are created (each after those it refers to).
_TABLES = (
    "events",
    "finished_goods",
    "ingredients",
    "material_categories",
    "packages",
    "recipes",
    "recipients",
    "suppliers",
    "assembly_runs",
    "event_assembly_targets",
    "event_production_targets",
    "event_recipient_packages",
    "finished_units",
    "material_subcategories",
    "package_contents",
    "products",
    "recipe_components",
    "recipe_ingredients",
    "assembly_finished_unit_consumptions",
    "assembly_packaging_consumptions",
    "materials",
    "production_runs",
    "purchases",
    "inventory_items",
    "material_products",
    "production_consumptions",
    "production_losses",
    "inventory_depletions",
    "material_purchases",
    "material_units",
    "finished_good_components",
)


def _key(length: int) -> sa.String:
    """Text of a natural key: the "C" collation on PostgreSQL (code-point order)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _slug_rule(at: Placement, table: str) -> list[sa.CheckConstraint]:
    """The slug rule (SLUG_PATTERN) in each backend's spelling: SQLite has no REGEXP."""
    name = at.name("ck", table, "slug_rule")
    glob = (
        "slug <> '' AND slug NOT GLOB '*[^a-z0-9_-]*' AND slug NOT GLOB '[_-]*'"
        " AND slug NOT GLOB '*[_-]' AND slug NOT GLOB '*[_-][_-]*'"
    )
    regex = "^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
    return [
        sa.CheckConstraint(glob, name=name).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(f"slug ~ '{regex}'", name=name).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(f"slug REGEXP '{regex}'", name=name).ddl_if(callable_=dialects.on_mysql),
    ]


def _moment() -> sa.DateTime:
    """A UTC point in time, with microseconds on MySQL/MariaDB too."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Create bakery_io's tables and their indexes."""
    at = current_placement()
    _create_events(at)
    _create_finished_goods(at)
    _create_ingredients(at)
    _create_material_categories(at)
    _create_packages(at)
    _create_recipes(at)
    _create_recipients(at)
    _create_suppliers(at)
    _create_assembly_runs(at)
    _create_event_assembly_targets(at)
    _create_event_production_targets(at)
    _create_event_recipient_packages(at)
    _create_finished_units(at)
    _create_material_subcategories(at)
    _create_package_contents(at)
    _create_products(at)
    _create_recipe_components(at)
    _create_recipe_ingredients(at)
    _create_assembly_finished_unit_consumptions(at)
    _create_assembly_packaging_consumptions(at)
    _create_materials(at)
    _create_production_runs(at)
    _create_purchases(at)
    _create_inventory_items(at)
    _create_material_products(at)
    _create_production_consumptions(at)
    _create_production_losses(at)
    _create_inventory_depletions(at)
    _create_material_purchases(at)
    _create_material_units(at)
    _create_finished_good_components(at)


def downgrade() -> None:
    """Drop bakery_io's tables, each before those it refers to."""
    at = current_placement()
    for name in reversed(_TABLES):
        op.drop_table(at.table(name), schema=at.schema)


def _create_events(at: Placement) -> None:
    op.create_table(
        at.table("events"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "output_mode",
            sa.Enum(
                "bulk_count",
                "bundled",
                name=at.name("ck", "events", "output_mode"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("expected_attendees", sa.Integer(), nullable=True),
        sa.Column(
            "plan_state",
            sa.Enum(
                "draft",
                "locked",
                "in_production",
                "completed",
                name=at.name("ck", "events", "plan_state"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "events")),
        sa.UniqueConstraint("slug", name=at.name("uq", "events", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "events", "uuid")),
        *_slug_rule(at, "events"),
        sa.CheckConstraint(
            "expected_attendees > 0", name=at.name("ck", "events", "expected_attendees_pos")
        ),
        sa.CheckConstraint("length(name) <= 200", name=at.name("ck", "events", "name_len")).ddl_if(
            dialect="sqlite"
        ),
        sa.CheckConstraint("length(slug) <= 100", name=at.name("ck", "events", "slug_len")).ddl_if(
            dialect="sqlite"
        ),
        sa.CheckConstraint("length(uuid) <= 36", name=at.name("ck", "events", "uuid_len")).ddl_if(
            dialect="sqlite"
        ),
        schema=at.schema,
        **_OPTIONS,
    )


def _create_finished_goods(at: Placement) -> None:
    op.create_table(
        at.table("finished_goods"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "assembly_type",
            sa.Enum(
                "bare",
                "bundle",
                name=at.name("ck", "finished_goods", "assembly_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("packaging_instructions", sa.Text(), nullable=True),
        sa.Column("inventory_count", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "finished_goods")),
        sa.UniqueConstraint("slug", name=at.name("uq", "finished_goods", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "finished_goods", "uuid")),
        *_slug_rule(at, "finished_goods"),
        sa.CheckConstraint(
            "length(display_name) <= 200", name=at.name("ck", "finished_goods", "display_name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "inventory_count >= 0", name=at.name("ck", "finished_goods", "inventory_count_nonneg")
        ),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "finished_goods", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "finished_goods", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )


def _create_ingredients(at: Placement) -> None:
    op.create_table(
        at.table("ingredients"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(200), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("hierarchy_level", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("density_volume_value", sa.Numeric(10, 4), nullable=True),
        sa.Column("density_volume_unit", sa.String(20), nullable=True),
        sa.Column("density_weight_value", sa.Numeric(10, 4), nullable=True),
        sa.Column("density_weight_unit", sa.String(20), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "ingredients")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            [at.column("ingredients", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "ingredients", "parent_id"),
        ),
        sa.UniqueConstraint("display_name", name=at.name("uq", "ingredients", "display_name")),
        sa.UniqueConstraint("slug", name=at.name("uq", "ingredients", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "ingredients", "uuid")),
        *_slug_rule(at, "ingredients"),
        sa.CheckConstraint(
            "length(category) <= 100", name=at.name("ck", "ingredients", "category_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            (
                "(density_volume_value IS NULL"
                " AND density_volume_unit IS NULL"
                " AND density_weight_value IS NULL"
                " AND density_weight_unit IS NULL)"
                " OR (density_volume_value IS NOT NULL"
                " AND density_volume_unit IS NOT NULL"
                " AND density_weight_value IS NOT NULL"
                " AND density_weight_unit IS NOT NULL)"
            ),
            name=at.name("ck", "ingredients", "density_all_or_none"),
        ),
        sa.CheckConstraint(
            "length(density_volume_unit) <= 20",
            name=at.name("ck", "ingredients", "density_volume_unit_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "density_volume_value > 0",
            name=at.name("ck", "ingredients", "density_volume_value_pos"),
        ),
        sa.CheckConstraint(
            "length(density_weight_unit) <= 20",
            name=at.name("ck", "ingredients", "density_weight_unit_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "density_weight_value > 0",
            name=at.name("ck", "ingredients", "density_weight_value_pos"),
        ),
        sa.CheckConstraint(
            "length(display_name) <= 200", name=at.name("ck", "ingredients", "display_name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "hierarchy_level >= 0 AND hierarchy_level <= 2",
            name=at.name("ck", "ingredients", "hierarchy_level"),
        ),
        sa.CheckConstraint(
            "parent_id <> id", name=at.name("ck", "ingredients", "not_own_parent")
        ).ddl_if(callable_=dialects.not_on_mysql),
        sa.CheckConstraint(
            (
                "(hierarchy_level = 0"
                " AND parent_id IS NULL)"
                " OR (hierarchy_level > 0"
                " AND parent_id IS NOT NULL)"
            ),
            name=at.name("ck", "ingredients", "root_has_no_parent"),
        ),
        sa.CheckConstraint(
            "length(slug) <= 200", name=at.name("ck", "ingredients", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "ingredients", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "ingredients", "parent_id"),
        at.table("ingredients"),
        ["parent_id"],
        unique=False,
        schema=at.schema,
    )


def _create_material_categories(at: Placement) -> None:
    op.create_table(
        at.table("material_categories"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "material_categories")),
        sa.UniqueConstraint("name", name=at.name("uq", "material_categories", "name")),
        sa.UniqueConstraint("slug", name=at.name("uq", "material_categories", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "material_categories", "uuid")),
        *_slug_rule(at, "material_categories"),
        sa.CheckConstraint(
            "length(name) <= 100", name=at.name("ck", "material_categories", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "material_categories", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "sort_order >= 0", name=at.name("ck", "material_categories", "sort_order_nonneg")
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "material_categories", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )


def _create_packages(at: Placement) -> None:
    op.create_table(
        at.table("packages"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "is_template",
            sa.Boolean(create_constraint=True, name=at.name("ck", "packages", "is_template")),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "packages")),
        sa.UniqueConstraint("slug", name=at.name("uq", "packages", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "packages", "uuid")),
        *_slug_rule(at, "packages"),
        sa.CheckConstraint(
            "length(name) <= 200", name=at.name("ck", "packages", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "packages", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint("length(uuid) <= 36", name=at.name("ck", "packages", "uuid_len")).ddl_if(
            dialect="sqlite"
        ),
        schema=at.schema,
        **_OPTIONS,
    )


def _create_recipes(at: Placement) -> None:
    op.create_table(
        at.table("recipes"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("source", sa.String(500), nullable=True),
        sa.Column("estimated_time_minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "is_archived",
            sa.Boolean(create_constraint=True, name=at.name("ck", "recipes", "is_archived")),
            nullable=False,
        ),
        sa.Column("base_recipe_id", sa.Integer(), nullable=True),
        sa.Column("variant_name", sa.String(100), nullable=True),
        sa.Column(
            "is_production_ready",
            sa.Boolean(
                create_constraint=True, name=at.name("ck", "recipes", "is_production_ready")
            ),
            nullable=False,
        ),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "recipes")),
        sa.ForeignKeyConstraint(
            ["base_recipe_id"],
            [at.column("recipes", "id")],
            ondelete="SET NULL",
            name=at.name("fk", "recipes", "base_recipe_id"),
        ),
        sa.UniqueConstraint("slug", name=at.name("uq", "recipes", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "recipes", "uuid")),
        *_slug_rule(at, "recipes"),
        sa.CheckConstraint(
            "length(category) <= 100", name=at.name("ck", "recipes", "category_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "estimated_time_minutes >= 0",
            name=at.name("ck", "recipes", "estimated_time_minutes_nonneg"),
        ),
        sa.CheckConstraint("length(name) <= 200", name=at.name("ck", "recipes", "name_len")).ddl_if(
            dialect="sqlite"
        ),
        sa.CheckConstraint(
            "base_recipe_id <> id", name=at.name("ck", "recipes", "not_own_base")
        ).ddl_if(callable_=dialects.not_on_mysql),
        sa.CheckConstraint("length(slug) <= 200", name=at.name("ck", "recipes", "slug_len")).ddl_if(
            dialect="sqlite"
        ),
        sa.CheckConstraint(
            "length(source) <= 500", name=at.name("ck", "recipes", "source_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint("length(uuid) <= 36", name=at.name("ck", "recipes", "uuid_len")).ddl_if(
            dialect="sqlite"
        ),
        sa.CheckConstraint(
            "length(variant_name) <= 100", name=at.name("ck", "recipes", "variant_name_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "recipes", "base_recipe_id"),
        at.table("recipes"),
        ["base_recipe_id"],
        unique=False,
        schema=at.schema,
    )


def _create_recipients(at: Placement) -> None:
    op.create_table(
        at.table("recipients"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("household_name", sa.String(200), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "recipients")),
        sa.UniqueConstraint("slug", name=at.name("uq", "recipients", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "recipients", "uuid")),
        *_slug_rule(at, "recipients"),
        sa.CheckConstraint(
            "length(household_name) <= 200", name=at.name("ck", "recipients", "household_name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(name) <= 200", name=at.name("ck", "recipients", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "recipients", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "recipients", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )


def _create_suppliers(at: Placement) -> None:
    op.create_table(
        at.table("suppliers"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "supplier_type",
            sa.Enum(
                "physical",
                "online",
                name=at.name("ck", "suppliers", "supplier_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("website_url", sa.String(500), nullable=True),
        sa.Column("street_address", sa.String(200), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("state", sa.String(2), nullable=True),
        sa.Column("zip_code", sa.String(10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "is_active",
            sa.Boolean(create_constraint=True, name=at.name("ck", "suppliers", "is_active")),
            nullable=False,
        ),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "suppliers")),
        sa.UniqueConstraint("slug", name=at.name("uq", "suppliers", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "suppliers", "uuid")),
        *_slug_rule(at, "suppliers"),
        sa.CheckConstraint(
            "length(city) <= 100", name=at.name("ck", "suppliers", "city_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(name) <= 200", name=at.name("ck", "suppliers", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "supplier_type <> 'physical' OR city IS NOT NULL",
            name=at.name("ck", "suppliers", "physical_city"),
        ),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "suppliers", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "state GLOB '[A-Z][A-Z]'", name=at.name("ck", "suppliers", "state_code")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "state REGEXP '^[A-Z]{2}$'", name=at.name("ck", "suppliers", "state_code")
        ).ddl_if(callable_=dialects.on_mysql),
        sa.CheckConstraint(
            "state ~ '^[A-Z]{2}$'", name=at.name("ck", "suppliers", "state_code")
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "length(state) <= 2", name=at.name("ck", "suppliers", "state_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(street_address) <= 200", name=at.name("ck", "suppliers", "street_address_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "suppliers", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(website_url) <= 500", name=at.name("ck", "suppliers", "website_url_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(zip_code) <= 10", name=at.name("ck", "suppliers", "zip_code_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )


def _create_assembly_runs(at: Placement) -> None:
    op.create_table(
        at.table("assembly_runs"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("finished_good_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("quantity_assembled", sa.Integer(), nullable=False),
        sa.Column("assembled_at", _moment(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("total_component_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("per_unit_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column(
            "packaging_bypassed",
            sa.Boolean(
                create_constraint=True, name=at.name("ck", "assembly_runs", "packaging_bypassed")
            ),
            nullable=False,
        ),
        sa.Column("packaging_bypass_notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "assembly_runs")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [at.column("events", "id")],
            ondelete="SET NULL",
            name=at.name("fk", "assembly_runs", "event_id"),
        ),
        sa.ForeignKeyConstraint(
            ["finished_good_id"],
            [at.column("finished_goods", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "assembly_runs", "finished_good_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "assembly_runs", "uuid")),
        sa.CheckConstraint(
            "per_unit_cost >= 0", name=at.name("ck", "assembly_runs", "per_unit_cost_nonneg")
        ),
        sa.CheckConstraint(
            "quantity_assembled > 0", name=at.name("ck", "assembly_runs", "quantity_assembled_pos")
        ),
        sa.CheckConstraint(
            "total_component_cost >= 0",
            name=at.name("ck", "assembly_runs", "total_component_cost_nonneg"),
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "assembly_runs", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "assembly_runs", "event_id"),
        at.table("assembly_runs"),
        ["event_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "assembly_runs", "finished_good_id"),
        at.table("assembly_runs"),
        ["finished_good_id"],
        unique=False,
        schema=at.schema,
    )


def _create_event_assembly_targets(at: Placement) -> None:
    op.create_table(
        at.table("event_assembly_targets"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("finished_good_id", sa.Integer(), nullable=False),
        sa.Column("target_quantity", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "event_assembly_targets")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [at.column("events", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "event_assembly_targets", "event_id"),
        ),
        sa.ForeignKeyConstraint(
            ["finished_good_id"],
            [at.column("finished_goods", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "event_assembly_targets", "finished_good_id"),
        ),
        sa.UniqueConstraint(
            "event_id",
            "finished_good_id",
            name=at.name("uq", "event_assembly_targets", "event_id_finished_good_id"),
        ),
        sa.CheckConstraint(
            "target_quantity > 0",
            name=at.name("ck", "event_assembly_targets", "target_quantity_pos"),
        ),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "event_assembly_targets", "event_id"),
        at.table("event_assembly_targets"),
        ["event_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "event_assembly_targets", "finished_good_id"),
        at.table("event_assembly_targets"),
        ["finished_good_id"],
        unique=False,
        schema=at.schema,
    )


def _create_event_production_targets(at: Placement) -> None:
    op.create_table(
        at.table("event_production_targets"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("target_batches", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "event_production_targets")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [at.column("events", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "event_production_targets", "event_id"),
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            [at.column("recipes", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "event_production_targets", "recipe_id"),
        ),
        sa.UniqueConstraint(
            "event_id",
            "recipe_id",
            name=at.name("uq", "event_production_targets", "event_id_recipe_id"),
        ),
        sa.CheckConstraint(
            "target_batches > 0",
            name=at.name("ck", "event_production_targets", "target_batches_pos"),
        ),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "event_production_targets", "event_id"),
        at.table("event_production_targets"),
        ["event_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "event_production_targets", "recipe_id"),
        at.table("event_production_targets"),
        ["recipe_id"],
        unique=False,
        schema=at.schema,
    )


def _create_event_recipient_packages(at: Placement) -> None:
    op.create_table(
        at.table("event_recipient_packages"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "fulfillment_status",
            sa.Enum(
                "pending",
                "ready",
                "delivered",
                name=at.name("ck", "event_recipient_packages", "fulfillment_status"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("delivered_to", sa.String(500), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "event_recipient_packages")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [at.column("events", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "event_recipient_packages", "event_id"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            [at.column("packages", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "event_recipient_packages", "package_id"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            [at.column("recipients", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "event_recipient_packages", "recipient_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "event_recipient_packages", "uuid")),
        sa.CheckConstraint(
            "length(delivered_to) <= 500",
            name=at.name("ck", "event_recipient_packages", "delivered_to_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "quantity > 0", name=at.name("ck", "event_recipient_packages", "quantity_pos")
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "event_recipient_packages", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "event_recipient_packages", "event_id"),
        at.table("event_recipient_packages"),
        ["event_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "event_recipient_packages", "package_id"),
        at.table("event_recipient_packages"),
        ["package_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "event_recipient_packages", "recipient_id"),
        at.table("event_recipient_packages"),
        ["recipient_id"],
        unique=False,
        schema=at.schema,
    )


def _create_finished_units(at: Placement) -> None:
    op.create_table(
        at.table("finished_units"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "yield_mode",
            sa.Enum(
                "discrete_count",
                "batch_portion",
                name=at.name("ck", "finished_units", "yield_mode"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "yield_type",
            sa.Enum(
                "EA",
                "SERVING",
                name=at.name("ck", "finished_units", "yield_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("items_per_batch", sa.Integer(), nullable=True),
        sa.Column("item_unit", sa.String(50), nullable=True),
        sa.Column("batch_percentage", sa.Numeric(5, 2), nullable=True),
        sa.Column("portion_description", sa.String(200), nullable=True),
        sa.Column("inventory_count", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("production_notes", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "finished_units")),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            [at.column("recipes", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "finished_units", "recipe_id"),
        ),
        sa.UniqueConstraint(
            "id", "recipe_id", name=at.name("uq", "finished_units", "id_recipe_id")
        ),
        sa.UniqueConstraint("slug", name=at.name("uq", "finished_units", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "finished_units", "uuid")),
        *_slug_rule(at, "finished_units"),
        sa.CheckConstraint(
            "yield_mode <> 'batch_portion' OR batch_percentage IS NOT NULL",
            name=at.name("ck", "finished_units", "batch_portion_fields"),
        ),
        sa.CheckConstraint(
            "length(category) <= 100", name=at.name("ck", "finished_units", "category_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            (
                "yield_mode <> 'discrete_count'"
                " OR (items_per_batch IS NOT NULL"
                " AND item_unit IS NOT NULL)"
            ),
            name=at.name("ck", "finished_units", "discrete_count_fields"),
        ),
        sa.CheckConstraint(
            "length(display_name) <= 200", name=at.name("ck", "finished_units", "display_name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "inventory_count >= 0", name=at.name("ck", "finished_units", "inventory_count_nonneg")
        ),
        sa.CheckConstraint(
            "length(item_unit) <= 50", name=at.name("ck", "finished_units", "item_unit_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "items_per_batch > 0", name=at.name("ck", "finished_units", "items_per_batch_pos")
        ),
        sa.CheckConstraint(
            "batch_percentage > 0 AND batch_percentage <= 100",
            name=at.name("ck", "finished_units", "percentage"),
        ),
        sa.CheckConstraint(
            "length(portion_description) <= 200",
            name=at.name("ck", "finished_units", "portion_description_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "finished_units", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "finished_units", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "finished_units", "recipe_id"),
        at.table("finished_units"),
        ["recipe_id"],
        unique=False,
        schema=at.schema,
    )


def _create_material_subcategories(at: Placement) -> None:
    op.create_table(
        at.table("material_subcategories"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(100), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "material_subcategories")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            [at.column("material_categories", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "material_subcategories", "category_id"),
        ),
        sa.UniqueConstraint(
            "category_id", "name", name=at.name("uq", "material_subcategories", "category_id_name")
        ),
        sa.UniqueConstraint("slug", name=at.name("uq", "material_subcategories", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "material_subcategories", "uuid")),
        *_slug_rule(at, "material_subcategories"),
        sa.CheckConstraint(
            "length(name) <= 100", name=at.name("ck", "material_subcategories", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 100", name=at.name("ck", "material_subcategories", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "sort_order >= 0", name=at.name("ck", "material_subcategories", "sort_order_nonneg")
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "material_subcategories", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "material_subcategories", "category_id"),
        at.table("material_subcategories"),
        ["category_id"],
        unique=False,
        schema=at.schema,
    )


def _create_package_contents(at: Placement) -> None:
    op.create_table(
        at.table("package_contents"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("finished_good_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "package_contents")),
        sa.ForeignKeyConstraint(
            ["finished_good_id"],
            [at.column("finished_goods", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "package_contents", "finished_good_id"),
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            [at.column("packages", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "package_contents", "package_id"),
        ),
        sa.UniqueConstraint(
            "package_id",
            "finished_good_id",
            name=at.name("uq", "package_contents", "package_id_finished_good_id"),
        ),
        sa.CheckConstraint("quantity > 0", name=at.name("ck", "package_contents", "quantity_pos")),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "package_contents", "finished_good_id"),
        at.table("package_contents"),
        ["finished_good_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "package_contents", "package_id"),
        at.table("package_contents"),
        ["package_id"],
        unique=False,
        schema=at.schema,
    )


def _create_products(at: Placement) -> None:
    op.create_table(
        at.table("products"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(200), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("brand", sa.String(200), nullable=True),
        sa.Column("product_name", sa.String(200), nullable=True),
        sa.Column("package_size", sa.String(100), nullable=True),
        sa.Column("package_type", sa.String(50), nullable=True),
        sa.Column("package_unit", sa.String(50), nullable=False),
        sa.Column("package_unit_quantity", sa.Numeric(12, 4), nullable=False),
        sa.Column("gtin", sa.String(20), nullable=True),
        sa.Column("supplier_sku", sa.String(100), nullable=True),
        sa.Column(
            "preferred",
            sa.Boolean(create_constraint=True, name=at.name("ck", "products", "preferred")),
            nullable=False,
        ),
        sa.Column("preferred_supplier_id", sa.Integer(), nullable=True),
        sa.Column(
            "is_hidden",
            sa.Boolean(create_constraint=True, name=at.name("ck", "products", "is_hidden")),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "products")),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            [at.column("ingredients", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "products", "ingredient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["preferred_supplier_id"],
            [at.column("suppliers", "id")],
            ondelete="SET NULL",
            name=at.name("fk", "products", "preferred_supplier_id"),
        ),
        sa.UniqueConstraint("gtin", name=at.name("uq", "products", "gtin")),
        sa.UniqueConstraint("slug", name=at.name("uq", "products", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "products", "uuid")),
        *_slug_rule(at, "products"),
        sa.CheckConstraint(
            "length(brand) <= 200", name=at.name("ck", "products", "brand_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint("length(gtin) <= 20", name=at.name("ck", "products", "gtin_len")).ddl_if(
            dialect="sqlite"
        ),
        sa.CheckConstraint(
            "length(package_size) <= 100", name=at.name("ck", "products", "package_size_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(package_type) <= 50", name=at.name("ck", "products", "package_type_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(package_unit) <= 50", name=at.name("ck", "products", "package_unit_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "package_unit_quantity > 0", name=at.name("ck", "products", "package_unit_quantity_pos")
        ),
        sa.CheckConstraint(
            "length(product_name) <= 200", name=at.name("ck", "products", "product_name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 200", name=at.name("ck", "products", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(supplier_sku) <= 100", name=at.name("ck", "products", "supplier_sku_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint("length(uuid) <= 36", name=at.name("ck", "products", "uuid_len")).ddl_if(
            dialect="sqlite"
        ),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "products", "ingredient_id"),
        at.table("products"),
        ["ingredient_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "products", "preferred_supplier_id"),
        at.table("products"),
        ["preferred_supplier_id"],
        unique=False,
        schema=at.schema,
    )


def _create_recipe_components(at: Placement) -> None:
    op.create_table(
        at.table("recipe_components"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("component_recipe_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(10, 4), nullable=False),
        sa.Column("notes", sa.String(500), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "recipe_components")),
        sa.ForeignKeyConstraint(
            ["component_recipe_id"],
            [at.column("recipes", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "recipe_components", "component_recipe_id"),
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            [at.column("recipes", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "recipe_components", "recipe_id"),
        ),
        sa.UniqueConstraint(
            "recipe_id",
            "component_recipe_id",
            name=at.name("uq", "recipe_components", "recipe_id_component_recipe_id"),
        ),
        sa.CheckConstraint(
            "component_recipe_id <> recipe_id",
            name=at.name("ck", "recipe_components", "not_own_component"),
        ).ddl_if(callable_=dialects.not_on_mysql_itself),
        sa.CheckConstraint(
            "length(notes) <= 500", name=at.name("ck", "recipe_components", "notes_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint("quantity > 0", name=at.name("ck", "recipe_components", "quantity_pos")),
        sa.CheckConstraint(
            "sort_order >= 0", name=at.name("ck", "recipe_components", "sort_order_nonneg")
        ),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "recipe_components", "component_recipe_id"),
        at.table("recipe_components"),
        ["component_recipe_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "recipe_components", "recipe_id"),
        at.table("recipe_components"),
        ["recipe_id"],
        unique=False,
        schema=at.schema,
    )


def _create_recipe_ingredients(at: Placement) -> None:
    op.create_table(
        at.table("recipe_ingredients"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(10, 4), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("notes", sa.String(500), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "recipe_ingredients")),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            [at.column("ingredients", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "recipe_ingredients", "ingredient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            [at.column("recipes", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "recipe_ingredients", "recipe_id"),
        ),
        sa.CheckConstraint(
            "length(notes) <= 500", name=at.name("ck", "recipe_ingredients", "notes_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "quantity > 0", name=at.name("ck", "recipe_ingredients", "quantity_pos")
        ),
        sa.CheckConstraint(
            "sort_order >= 0", name=at.name("ck", "recipe_ingredients", "sort_order_nonneg")
        ),
        sa.CheckConstraint(
            "length(unit) <= 50", name=at.name("ck", "recipe_ingredients", "unit_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "recipe_ingredients", "ingredient_id"),
        at.table("recipe_ingredients"),
        ["ingredient_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "recipe_ingredients", "recipe_id"),
        at.table("recipe_ingredients"),
        ["recipe_id"],
        unique=False,
        schema=at.schema,
    )


def _create_assembly_finished_unit_consumptions(at: Placement) -> None:
    op.create_table(
        at.table("assembly_finished_unit_consumptions"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("assembly_run_id", sa.Integer(), nullable=False),
        sa.Column("finished_unit_id", sa.Integer(), nullable=False),
        sa.Column("quantity_consumed", sa.Integer(), nullable=False),
        sa.Column("unit_cost_at_consumption", sa.Numeric(10, 4), nullable=False),
        sa.Column("total_cost", sa.Numeric(10, 4), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "assembly_finished_unit_consumptions")),
        sa.ForeignKeyConstraint(
            ["assembly_run_id"],
            [at.column("assembly_runs", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "assembly_finished_unit_consumptions", "assembly_run_id"),
        ),
        sa.ForeignKeyConstraint(
            ["finished_unit_id"],
            [at.column("finished_units", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "assembly_finished_unit_consumptions", "finished_unit_id"),
        ),
        sa.UniqueConstraint(
            "uuid", name=at.name("uq", "assembly_finished_unit_consumptions", "uuid")
        ),
        sa.CheckConstraint(
            "quantity_consumed > 0",
            name=at.name("ck", "assembly_finished_unit_consumptions", "quantity_consumed_pos"),
        ),
        sa.CheckConstraint(
            "total_cost >= 0",
            name=at.name("ck", "assembly_finished_unit_consumptions", "total_cost_nonneg"),
        ),
        sa.CheckConstraint(
            "unit_cost_at_consumption >= 0",
            name=at.name(
                "ck", "assembly_finished_unit_consumptions", "unit_cost_at_consumption_nonneg"
            ),
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36",
            name=at.name("ck", "assembly_finished_unit_consumptions", "uuid_len"),
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "assembly_finished_unit_consumptions", "assembly_run_id"),
        at.table("assembly_finished_unit_consumptions"),
        ["assembly_run_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "assembly_finished_unit_consumptions", "finished_unit_id"),
        at.table("assembly_finished_unit_consumptions"),
        ["finished_unit_id"],
        unique=False,
        schema=at.schema,
    )


def _create_assembly_packaging_consumptions(at: Placement) -> None:
    op.create_table(
        at.table("assembly_packaging_consumptions"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("assembly_run_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity_consumed", sa.Numeric(10, 3), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("total_cost", sa.Numeric(10, 4), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "assembly_packaging_consumptions")),
        sa.ForeignKeyConstraint(
            ["assembly_run_id"],
            [at.column("assembly_runs", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "assembly_packaging_consumptions", "assembly_run_id"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [at.column("products", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "assembly_packaging_consumptions", "product_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "assembly_packaging_consumptions", "uuid")),
        sa.CheckConstraint(
            "quantity_consumed > 0",
            name=at.name("ck", "assembly_packaging_consumptions", "quantity_consumed_pos"),
        ),
        sa.CheckConstraint(
            "total_cost >= 0",
            name=at.name("ck", "assembly_packaging_consumptions", "total_cost_nonneg"),
        ),
        sa.CheckConstraint(
            "length(unit) <= 50", name=at.name("ck", "assembly_packaging_consumptions", "unit_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "assembly_packaging_consumptions", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "assembly_packaging_consumptions", "assembly_run_id"),
        at.table("assembly_packaging_consumptions"),
        ["assembly_run_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "assembly_packaging_consumptions", "product_id"),
        at.table("assembly_packaging_consumptions"),
        ["product_id"],
        unique=False,
        schema=at.schema,
    )


def _create_materials(at: Placement) -> None:
    op.create_table(
        at.table("materials"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(200), nullable=False),
        sa.Column("subcategory_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "base_unit_type",
            sa.Enum(
                "each",
                "linear_cm",
                "square_cm",
                name=at.name("ck", "materials", "base_unit_type"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "materials")),
        sa.ForeignKeyConstraint(
            ["subcategory_id"],
            [at.column("material_subcategories", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "materials", "subcategory_id"),
        ),
        sa.UniqueConstraint("slug", name=at.name("uq", "materials", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "materials", "uuid")),
        *_slug_rule(at, "materials"),
        sa.CheckConstraint(
            "length(name) <= 200", name=at.name("ck", "materials", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 200", name=at.name("ck", "materials", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "materials", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "materials", "subcategory_id"),
        at.table("materials"),
        ["subcategory_id"],
        unique=False,
        schema=at.schema,
    )


def _create_production_runs(at: Placement) -> None:
    op.create_table(
        at.table("production_runs"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("finished_unit_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("num_batches", sa.Integer(), nullable=False),
        sa.Column("expected_yield", sa.Integer(), nullable=False),
        sa.Column("actual_yield", sa.Integer(), nullable=False),
        sa.Column("produced_at", _moment(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "production_status",
            sa.Enum(
                "complete",
                "partial_loss",
                "total_loss",
                name=at.name("ck", "production_runs", "production_status"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("loss_quantity", sa.Integer(), nullable=False),
        sa.Column("total_ingredient_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("per_unit_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "production_runs")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [at.column("events", "id")],
            ondelete="SET NULL",
            name=at.name("fk", "production_runs", "event_id"),
        ),
        sa.ForeignKeyConstraint(
            ["finished_unit_id", "recipe_id"],
            [at.column("finished_units", "id"), at.column("finished_units", "recipe_id")],
            ondelete="NO ACTION",
            name=at.name("fk", "production_runs", "finished_unit_of_recipe"),
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            [at.column("recipes", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "production_runs", "recipe_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "production_runs", "uuid")),
        sa.CheckConstraint(
            "actual_yield >= 0", name=at.name("ck", "production_runs", "actual_yield_nonneg")
        ),
        sa.CheckConstraint(
            "expected_yield >= 0", name=at.name("ck", "production_runs", "expected_yield_nonneg")
        ),
        sa.CheckConstraint(
            "loss_quantity >= 0", name=at.name("ck", "production_runs", "loss_quantity_nonneg")
        ),
        sa.CheckConstraint(
            "num_batches > 0", name=at.name("ck", "production_runs", "num_batches_pos")
        ),
        sa.CheckConstraint(
            "per_unit_cost >= 0", name=at.name("ck", "production_runs", "per_unit_cost_nonneg")
        ),
        sa.CheckConstraint(
            "total_ingredient_cost >= 0",
            name=at.name("ck", "production_runs", "total_ingredient_cost_nonneg"),
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "production_runs", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "production_runs", "event_id"),
        at.table("production_runs"),
        ["event_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "production_runs", "finished_unit_id"),
        at.table("production_runs"),
        ["finished_unit_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "production_runs", "recipe_id"),
        at.table("production_runs"),
        ["recipe_id"],
        unique=False,
        schema=at.schema,
    )


def _create_purchases(at: Placement) -> None:
    op.create_table(
        at.table("purchases"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 4), nullable=False),
        sa.Column("quantity_purchased", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "purchases")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [at.column("products", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "purchases", "product_id"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            [at.column("suppliers", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "purchases", "supplier_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "purchases", "uuid")),
        sa.CheckConstraint(
            "quantity_purchased > 0", name=at.name("ck", "purchases", "quantity_purchased_pos")
        ),
        sa.CheckConstraint("unit_price >= 0", name=at.name("ck", "purchases", "unit_price_nonneg")),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "purchases", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "purchases", "product_id"),
        at.table("purchases"),
        ["product_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "purchases", "supplier_id"),
        at.table("purchases"),
        ["supplier_id"],
        unique=False,
        schema=at.schema,
    )


def _create_inventory_items(at: Placement) -> None:
    op.create_table(
        at.table("inventory_items"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Numeric(12, 4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(10, 4), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("expiration_date", sa.Date(), nullable=True),
        sa.Column("opened_date", sa.Date(), nullable=True),
        sa.Column("location", sa.String(100), nullable=True),
        sa.Column("lot_or_batch", sa.String(100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "inventory_items")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            [at.column("products", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "inventory_items", "product_id"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            [at.column("purchases", "id")],
            ondelete="SET NULL",
            name=at.name("fk", "inventory_items", "purchase_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "inventory_items", "uuid")),
        sa.CheckConstraint(
            "length(location) <= 100", name=at.name("ck", "inventory_items", "location_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(lot_or_batch) <= 100", name=at.name("ck", "inventory_items", "lot_or_batch_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "quantity >= 0", name=at.name("ck", "inventory_items", "quantity_nonneg")
        ),
        sa.CheckConstraint(
            "unit_cost >= 0", name=at.name("ck", "inventory_items", "unit_cost_nonneg")
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "inventory_items", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "inventory_items", "product_id"),
        at.table("inventory_items"),
        ["product_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "inventory_items", "purchase_id"),
        at.table("inventory_items"),
        ["purchase_id"],
        unique=False,
        schema=at.schema,
    )


def _create_material_products(at: Placement) -> None:
    op.create_table(
        at.table("material_products"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("slug", _key(200), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("brand", sa.String(100), nullable=True),
        sa.Column("sku", sa.String(100), nullable=True),
        sa.Column("package_quantity", sa.Numeric(12, 4), nullable=False),
        sa.Column("package_unit", sa.String(20), nullable=False),
        sa.Column("quantity_in_base_units", sa.Numeric(14, 4), nullable=False),
        sa.Column(
            "is_hidden",
            sa.Boolean(
                create_constraint=True, name=at.name("ck", "material_products", "is_hidden")
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "material_products")),
        sa.ForeignKeyConstraint(
            ["material_id"],
            [at.column("materials", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "material_products", "material_id"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            [at.column("suppliers", "id")],
            ondelete="SET NULL",
            name=at.name("fk", "material_products", "supplier_id"),
        ),
        sa.UniqueConstraint("slug", name=at.name("uq", "material_products", "slug")),
        sa.UniqueConstraint("uuid", name=at.name("uq", "material_products", "uuid")),
        *_slug_rule(at, "material_products"),
        sa.CheckConstraint(
            "length(brand) <= 100", name=at.name("ck", "material_products", "brand_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(name) <= 200", name=at.name("ck", "material_products", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "package_quantity > 0", name=at.name("ck", "material_products", "package_quantity_pos")
        ),
        sa.CheckConstraint(
            "length(package_unit) <= 20",
            name=at.name("ck", "material_products", "package_unit_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "quantity_in_base_units > 0",
            name=at.name("ck", "material_products", "quantity_in_base_units_pos"),
        ),
        sa.CheckConstraint(
            "length(sku) <= 100", name=at.name("ck", "material_products", "sku_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(slug) <= 200", name=at.name("ck", "material_products", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "material_products", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "material_products", "material_id"),
        at.table("material_products"),
        ["material_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "material_products", "supplier_id"),
        at.table("material_products"),
        ["supplier_id"],
        unique=False,
        schema=at.schema,
    )


def _create_production_consumptions(at: Placement) -> None:
    op.create_table(
        at.table("production_consumptions"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("production_run_id", sa.Integer(), nullable=False),
        sa.Column("ingredient_slug", sa.String(200), nullable=False),
        sa.Column("quantity_consumed", sa.Numeric(10, 3), nullable=False),
        sa.Column("unit", sa.String(50), nullable=False),
        sa.Column("total_cost", sa.Numeric(10, 4), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "production_consumptions")),
        sa.ForeignKeyConstraint(
            ["production_run_id"],
            [at.column("production_runs", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "production_consumptions", "production_run_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "production_consumptions", "uuid")),
        sa.CheckConstraint(
            "length(ingredient_slug) <= 200",
            name=at.name("ck", "production_consumptions", "ingredient_slug_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "quantity_consumed > 0",
            name=at.name("ck", "production_consumptions", "quantity_consumed_pos"),
        ),
        sa.CheckConstraint(
            "total_cost >= 0", name=at.name("ck", "production_consumptions", "total_cost_nonneg")
        ),
        sa.CheckConstraint(
            "length(unit) <= 50", name=at.name("ck", "production_consumptions", "unit_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "production_consumptions", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "production_consumptions", "production_run_id"),
        at.table("production_consumptions"),
        ["production_run_id"],
        unique=False,
        schema=at.schema,
    )


def _create_production_losses(at: Placement) -> None:
    op.create_table(
        at.table("production_losses"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("production_run_id", sa.Integer(), nullable=False),
        sa.Column(
            "loss_category",
            sa.Enum(
                "burnt",
                "broken",
                "contaminated",
                "dropped",
                "wrong_ingredients",
                "other",
                name=at.name("ck", "production_losses", "loss_category"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("loss_quantity", sa.Integer(), nullable=False),
        sa.Column("per_unit_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("total_loss_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "production_losses")),
        sa.ForeignKeyConstraint(
            ["production_run_id"],
            [at.column("production_runs", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "production_losses", "production_run_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "production_losses", "uuid")),
        sa.CheckConstraint(
            "loss_quantity > 0", name=at.name("ck", "production_losses", "loss_quantity_pos")
        ),
        sa.CheckConstraint(
            "per_unit_cost >= 0", name=at.name("ck", "production_losses", "per_unit_cost_nonneg")
        ),
        sa.CheckConstraint(
            "total_loss_cost >= 0",
            name=at.name("ck", "production_losses", "total_loss_cost_nonneg"),
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "production_losses", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "production_losses", "production_run_id"),
        at.table("production_losses"),
        ["production_run_id"],
        unique=False,
        schema=at.schema,
    )


def _create_inventory_depletions(at: Placement) -> None:
    op.create_table(
        at.table("inventory_depletions"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("inventory_item_id", sa.Integer(), nullable=False),
        sa.Column("quantity_depleted", sa.Numeric(10, 3), nullable=False),
        sa.Column(
            "depletion_reason",
            sa.Enum(
                "production",
                "assembly",
                "spoilage",
                "gift",
                "correction",
                "ad_hoc_usage",
                "other",
                name=at.name("ck", "inventory_depletions", "depletion_reason"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("depletion_date", _moment(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "inventory_depletions")),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            [at.column("inventory_items", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "inventory_depletions", "inventory_item_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "inventory_depletions", "uuid")),
        sa.CheckConstraint("cost >= 0", name=at.name("ck", "inventory_depletions", "cost_nonneg")),
        sa.CheckConstraint(
            "length(created_by) <= 100",
            name=at.name("ck", "inventory_depletions", "created_by_len"),
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "depletion_reason <> 'other' OR notes IS NOT NULL",
            name=at.name("ck", "inventory_depletions", "other_has_notes"),
        ),
        sa.CheckConstraint(
            "quantity_depleted > 0",
            name=at.name("ck", "inventory_depletions", "quantity_depleted_pos"),
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "inventory_depletions", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "inventory_depletions", "inventory_item_id"),
        at.table("inventory_depletions"),
        ["inventory_item_id"],
        unique=False,
        schema=at.schema,
    )


def _create_material_purchases(at: Placement) -> None:
    op.create_table(
        at.table("material_purchases"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("material_product_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("packages_purchased", sa.Integer(), nullable=False),
        sa.Column("package_price", sa.Numeric(10, 4), nullable=False),
        sa.Column("units_added", sa.Numeric(14, 4), nullable=False),
        sa.Column("unit_cost", sa.Numeric(10, 4), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "material_purchases")),
        sa.ForeignKeyConstraint(
            ["material_product_id"],
            [at.column("material_products", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "material_purchases", "material_product_id"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            [at.column("suppliers", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "material_purchases", "supplier_id"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "material_purchases", "uuid")),
        sa.CheckConstraint(
            "package_price >= 0", name=at.name("ck", "material_purchases", "package_price_nonneg")
        ),
        sa.CheckConstraint(
            "packages_purchased > 0",
            name=at.name("ck", "material_purchases", "packages_purchased_pos"),
        ),
        sa.CheckConstraint(
            "unit_cost >= 0", name=at.name("ck", "material_purchases", "unit_cost_nonneg")
        ),
        sa.CheckConstraint(
            "units_added > 0", name=at.name("ck", "material_purchases", "units_added_pos")
        ),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "material_purchases", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "material_purchases", "material_product_id"),
        at.table("material_purchases"),
        ["material_product_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "material_purchases", "supplier_id"),
        at.table("material_purchases"),
        ["supplier_id"],
        unique=False,
        schema=at.schema,
    )


def _create_material_units(at: Placement) -> None:
    op.create_table(
        at.table("material_units"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", _key(36), nullable=False),
        sa.Column("material_product_id", sa.Integer(), nullable=False),
        sa.Column("slug", _key(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("quantity_per_unit", sa.Numeric(12, 4), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "material_units")),
        sa.ForeignKeyConstraint(
            ["material_product_id"],
            [at.column("material_products", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "material_units", "material_product_id"),
        ),
        sa.UniqueConstraint(
            "material_product_id",
            "name",
            name=at.name("uq", "material_units", "material_product_id_name"),
        ),
        sa.UniqueConstraint(
            "material_product_id",
            "slug",
            name=at.name("uq", "material_units", "material_product_id_slug"),
        ),
        sa.UniqueConstraint("uuid", name=at.name("uq", "material_units", "uuid")),
        *_slug_rule(at, "material_units"),
        sa.CheckConstraint(
            "length(name) <= 200", name=at.name("ck", "material_units", "name_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "quantity_per_unit > 0", name=at.name("ck", "material_units", "quantity_per_unit_pos")
        ),
        sa.CheckConstraint(
            "length(slug) <= 200", name=at.name("ck", "material_units", "slug_len")
        ).ddl_if(dialect="sqlite"),
        sa.CheckConstraint(
            "length(uuid) <= 36", name=at.name("ck", "material_units", "uuid_len")
        ).ddl_if(dialect="sqlite"),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "material_units", "material_product_id"),
        at.table("material_units"),
        ["material_product_id"],
        unique=False,
        schema=at.schema,
    )


def _create_finished_good_components(at: Placement) -> None:
    op.create_table(
        at.table("finished_good_components"),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finished_good_id", sa.Integer(), nullable=False),
        sa.Column("finished_unit_id", sa.Integer(), nullable=True),
        sa.Column("component_good_id", sa.Integer(), nullable=True),
        sa.Column("material_unit_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Numeric(10, 4), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=at.name("pk", "finished_good_components")),
        sa.ForeignKeyConstraint(
            ["component_good_id"],
            [at.column("finished_goods", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "finished_good_components", "component_good_id"),
        ),
        sa.ForeignKeyConstraint(
            ["finished_good_id"],
            [at.column("finished_goods", "id")],
            ondelete="CASCADE",
            name=at.name("fk", "finished_good_components", "finished_good_id"),
        ),
        sa.ForeignKeyConstraint(
            ["finished_unit_id"],
            [at.column("finished_units", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "finished_good_components", "finished_unit_id"),
        ),
        sa.ForeignKeyConstraint(
            ["material_unit_id"],
            [at.column("material_units", "id")],
            ondelete="NO ACTION",
            name=at.name("fk", "finished_good_components", "material_unit_id"),
        ),
        sa.CheckConstraint(
            (
                "(CASE WHEN finished_unit_id IS NULL THEN 0 ELSE 1 END)"
                " + (CASE WHEN component_good_id IS NULL THEN 0 ELSE 1 END)"
                " + (CASE WHEN material_unit_id IS NULL THEN 0 ELSE 1 END) = 1"
            ),
            name=at.name("ck", "finished_good_components", "exactly_one_part"),
        ),
        sa.CheckConstraint(
            "component_good_id <> finished_good_id",
            name=at.name("ck", "finished_good_components", "not_own_component"),
        ).ddl_if(callable_=dialects.not_on_mysql_itself),
        sa.CheckConstraint(
            "quantity > 0", name=at.name("ck", "finished_good_components", "quantity_pos")
        ),
        sa.CheckConstraint(
            "sort_order >= 0", name=at.name("ck", "finished_good_components", "sort_order_nonneg")
        ),
        schema=at.schema,
        **_OPTIONS,
    )
    op.create_index(
        at.name("ix", "finished_good_components", "component_good_id"),
        at.table("finished_good_components"),
        ["component_good_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "finished_good_components", "finished_good_id"),
        at.table("finished_good_components"),
        ["finished_good_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "finished_good_components", "finished_unit_id"),
        at.table("finished_good_components"),
        ["finished_unit_id"],
        unique=False,
        schema=at.schema,
    )
    op.create_index(
        at.name("ix", "finished_good_components", "material_unit_id"),
        at.table("finished_good_components"),
        ["material_unit_id"],
        unique=False,
        schema=at.schema,
    )
