"""Declarative marshmallow schemas of the entity types, one module per domain area.

The schemas are the single source of truth for the wire format: export,
import, and the published JSON Schemas are all derived from them.

- :mod:`~bakery_io.schemas.base`: :class:`EntitySchema`, which takes plain fields from the model
- :mod:`~bakery_io.schemas.catalog`: suppliers, ingredients, products, recipes, finished units
- :mod:`~bakery_io.schemas.inventory`: purchases, inventory items, inventory depletions
- :mod:`~bakery_io.schemas.materials`: material categories down to material purchases
- :mod:`~bakery_io.schemas.planning`: finished goods, recipients, packages, events
- :mod:`~bakery_io.schemas.history`: production and assembly runs
"""
