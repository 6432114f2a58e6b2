"""Declarative marshmallow schemas of the entity types, one module per domain area.

The schemas are the single source of truth for the wire format: export,
import, and the published JSON Schemas are all derived from them.
"""
