"""Bundled JSON Schemas: one self-contained file per container kind.

The multi-file schemas refer to each other by relative ``$ref``
(``suppliers.schema.json#/$defs/record``), which a validator resolves only when
it is given the whole folder; given the entry schema alone, some validators
try to fetch the others from the ``$id``'s address, which is an identifier,
not a download. A bundle holds every schema its entry needs under its own
``$defs`` (``#/$defs/suppliers``), with each ``$ref`` rewritten to a JSON
pointer into the bundle, so a validator given that one file never fetches
anything. It validates exactly as the multi-file set does: the embedded
schemas are the same, only their addresses change.

Bundles are written beside the multi-file schemas, in
``schemas_json/<version>/bundled/``, with ``$id``\\s of their own there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

#: The folder of the bundles, under each version's folder (and in their ``$id``\s).
BUNDLED_FOLDER = "bundled"
#: The suffix of every schema's file name, dropped from the ``$defs`` key of its copy.
SCHEMA_SUFFIX = ".schema.json"


class BundleError(ValueError):
    """A schema set that cannot be bundled: a ``$ref`` outside it, or a name clash.

    A bug in the generator, never a user's doing: the published sets always bundle.
    """


def _escape(token: str) -> str:
    """``token`` as one reference token of a JSON pointer (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class _Bundler:
    """Copies the schemas an entry needs into one ``$defs``, rewriting their ``$ref``\\s."""

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        self._schemas = schemas
        self.embedded: dict[str, dict[str, Any]] = {}

    def embed(self, name: str) -> str:
        """Copy the schema file ``name`` into the bundle once; returns its pointer."""
        if name not in self._schemas:
            raise BundleError(f"$ref to {name!r}, which is not in the set being bundled")
        key = name.removesuffix(SCHEMA_SUFFIX)
        where = f"#/$defs/{_escape(key)}"
        if key not in self.embedded:
            self.embedded[key] = {}  # claimed first: schemas may refer to each other
            schema = {
                field: value
                for field, value in copy.deepcopy(dict(self._schemas[name])).items()
                if field not in ("$id", "$schema")
            }
            self.embedded[key] = self.rewrite(schema, where)
        return where

    def rewrite(self, node: Any, here: str) -> Any:
        """``node`` with every ``$ref`` pointing into the bundle; ``here`` is its own pointer."""
        if isinstance(node, list):
            return [self.rewrite(item, here) for item in node]
        if not isinstance(node, dict):
            return node
        rewritten = {key: self.rewrite(value, here) for key, value in node.items()}
        reference = node.get("$ref")
        if isinstance(reference, str):
            target, _, fragment = reference.partition("#")
            if "://" in target or (fragment and not fragment.startswith("/")):
                raise BundleError(f"cannot bundle the $ref {reference!r}")
            rewritten["$ref"] = (self.embed(target) if target else here) + fragment
        return rewritten


def bundle(schemas: Mapping[str, Mapping[str, Any]], entry: str) -> dict[str, Any]:
    """The schema ``entry`` of ``schemas`` (by file name) with everything it refers to inside.

    Every schema reached through a relative ``$ref``, directly or not, is copied
    under the bundle's ``$defs`` by its file name without ``.schema.json``, and
    every ``$ref`` becomes a pointer into the bundle. The bundle's ``$id`` is
    the entry's, in the ``bundled/`` folder beside it.
    """
    bundler = _Bundler(schemas)
    root: dict[str, Any] = bundler.rewrite(copy.deepcopy(dict(schemas[entry])), "#")
    if "$id" in root:
        base, _, name = str(root["$id"]).rpartition("/")
        root["$id"] = f"{base}/{BUNDLED_FOLDER}/{name}"
    if "title" in root:
        root["title"] = f"{root['title']} (bundled: self-contained)"
    own = root.get("$defs", {})
    clashes = sorted(set(own) & set(bundler.embedded))
    if clashes:
        raise BundleError(f"{entry} already has $defs named {clashes}")
    if bundler.embedded:
        root["$defs"] = {**own, **bundler.embedded}
    return root


def bundles(
    schemas: Mapping[str, Mapping[str, Any]], entries: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """A bundle of each of ``entries`` (file names in ``schemas``), by file name."""
    return {entry: bundle(schemas, entry) for entry in entries}
