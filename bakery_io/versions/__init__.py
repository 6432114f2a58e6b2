"""Format versions of bakery_io files, and the chain of steps that upgrades old ones.

Like a migration chain, each step is a small pure function in a module of its
own (``v1_0_to_v1_1``) that turns a whole :class:`~bakery_io.versions.backup.Backup`
of one version into the next, with a docstring that says what changed. The
chain below is the registry: the versions, their order and the current
version all follow from it, and it refuses gaps, forks and cycles. Adding
format 1.2 is one module and one line in :data:`STEPS`.

The published JSON Schemas of a version that is no longer current are frozen
files under ``schemas_json/<version>/``; only the current version's are
regenerated from the marshmallow schemas.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bakery_io.problems import Problem
from bakery_io.registry import EntityType
from bakery_io.versions import v1_0_to_v1_1
from bakery_io.versions.backup import Backup

#: (entity type, children key or "", field of the newer version) -> the field's older name.
FieldOrigin = Callable[[str, str, str], str]


def _same_field(entity_type: str, children: str, wire_name: str) -> str:
    return wire_name


@dataclass(frozen=True)
class Step:
    """One upgrade step: a backup of version ``source`` in, of version ``target`` out.

    ``source_field`` names a field of ``target`` as ``source`` called it, so
    that a problem found after the upgrade points into the file the user holds.
    """

    source: str
    target: str
    #: The step: a backup in, the upgraded backup out. What it cannot upgrade it raises
    #: as a :class:`~bakery_io.SourceError`, or, given a list, appends there and goes on.
    upgrade: Callable[[Backup, list[Problem] | None], Backup]
    source_field: FieldOrigin = _same_field


#: Every upgrade step; the order of the lines does not matter, the chain does.
STEPS: tuple[Step, ...] = (Step("1.0", "1.1", v1_0_to_v1_1.upgrade, v1_0_to_v1_1.source_field),)


def chain(steps: Sequence[Step]) -> tuple[str, ...]:
    """The versions ``steps`` link, oldest first; refuses gaps, forks and cycles."""
    if not steps:
        raise ValueError("the upgrade chain has no steps")
    following = {}
    for step in steps:
        if step.source in following:
            raise ValueError(f"two upgrade steps start at version {step.source}")
        following[step.source] = step.target
    starts = set(following) - set(following.values())
    if len(starts) != 1:
        raise ValueError(
            "the upgrade chain has a cycle"
            if not starts
            else f"the upgrade chain has a gap: it starts at each of {', '.join(sorted(starts))}"
        )
    versions = [starts.pop()]
    while versions[-1] in following:
        target = following[versions[-1]]
        if target in versions:
            raise ValueError(f"the upgrade chain has a cycle through version {target}")
        versions.append(target)
    unreached = set(following) - set(versions)
    if unreached:
        raise ValueError(
            f"the upgrade chain has a gap: no step leads to {', '.join(sorted(unreached))}"
        )
    return tuple(versions)


#: Entity file names of versions that named files otherwise than ``NN_<type>.json``.
_FILENAMES = {v1_0_to_v1_1.SOURCE: v1_0_to_v1_1.SOURCE_FILENAME}

#: Every format version this library reads, oldest first.
VERSIONS = chain(STEPS)
#: The format version this library writes.
CURRENT_VERSION = VERSIONS[-1]

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")


def is_newer(version: str) -> bool:
    """Whether ``version`` is a version number later than :data:`CURRENT_VERSION`."""
    if _NUMBER.fullmatch(version) is None:
        return False
    return _parts(version) > _parts(CURRENT_VERSION)


def _parts(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def steps_from(version: str) -> tuple[Step, ...]:
    """The steps that take a backup of ``version`` to the current version, in order."""
    if version not in VERSIONS:
        raise ValueError(f"unknown format version {version!r}")
    by_source = {step.source: step for step in STEPS}
    found = []
    while version != CURRENT_VERSION:
        step = by_source[version]
        found.append(step)
        version = step.target
    return tuple(found)


def upgrade_backup(backup: Backup, problems: list[Problem] | None = None) -> Backup:
    """``backup`` upgraded to the current version, step by step (no database involved).

    A step that cannot upgrade the backup raises
    :class:`~bakery_io.SourceError` with every problem it found; given a list
    of ``problems``, the steps append them there and go on, what they could
    not upgrade left null (a check that names everything at once).
    """
    for step in steps_from(backup.version):
        upgraded = step.upgrade(backup, problems)
        if upgraded.version != step.target:
            raise RuntimeError(f"step {step.source} -> {step.target} gave {upgraded.version}")
        backup = upgraded
    return backup


def source_field(version: str, entity_type: str, children: str, wire_name: str) -> str:
    """What a file of ``version`` calls the current format's field ``wire_name``."""
    for step in reversed(steps_from(version)):
        wire_name = step.source_field(entity_type, children, wire_name)
    return wire_name


def document_version(content: Mapping[str, Any]) -> Any:
    """The version a single document states; a production-history document without one
    is format 1.0 (older exporters wrote none)."""
    if "version" in content:
        return content["version"]
    history = set(v1_0_to_v1_1.HISTORY_TYPES)
    if history & set(content) and set(content) <= {*history, "exported_at"}:
        return v1_0_to_v1_1.SOURCE
    return None


def filename(entity: EntityType, version: str) -> str:
    """The name of the entity file of ``entity`` in format ``version``."""
    pattern = _FILENAMES.get(version)
    return entity.filename if pattern is None else pattern.format(name=entity.name)
