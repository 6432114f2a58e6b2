"""Progress of a long job, as events a caller can show.

Every job that takes a ``progress=`` callback (export, validate, import, upgrade and the
sample database) calls it with :class:`Progress` events: one at the start of each step,
one per chunk of work, and one when the step ends (``finished``). The command line draws
its progress bars from these events and nothing else, so an embedder sees exactly what
a user of ``bakery-io`` sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Progress", "ProgressCallback"]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a job stands: the step in progress and how far along it is.

    ``done`` and ``total`` count the step's work across the whole job, not one entity
    type, so ``done / total`` is the step's share done; ``total`` is ``None`` where the
    job cannot know it in advance. ``unit`` says what they count.
    """

    #: The job: ``"export"``, ``"validate"``, ``"import"``, ``"upgrade"`` or ``"sample"``.
    job: str
    #: The step in progress, a present participle: ``"reading"``, ``"checking"``,
    #: ``"writing"``, ``"upgrading"``, ``"generating"``.
    step: str
    #: The entity type being worked on, when there is one.
    entity_type: str | None
    #: How much of the step is done (never goes down within a step).
    done: int
    #: How much the step will do in all, when known in advance.
    total: int | None
    #: What ``done`` and ``total`` count: ``"records"`` or ``"bytes"``.
    unit: str = "records"
    #: ``True`` on the step's last event.
    finished: bool = False

    @property
    def fraction(self) -> float | None:
        """``done / total`` between 0 and 1, or ``None`` when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


#: What a ``progress=`` argument takes: a function called with each :class:`Progress`.
ProgressCallback = Callable[[Progress], None]
