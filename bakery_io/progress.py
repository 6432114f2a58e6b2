"""Progress of a long job, as events a caller can show.

Every job that takes a ``progress=`` callback (export, validate, import, upgrade and the
sample database) calls it with :class:`Progress` events: one at the start of each step,
one per chunk of work, and one when the step ends (``finished``). The command line draws
its progress bars from these events and nothing else, so an embedder sees exactly what
a user of ``bakery-io`` sees.

The steps of each job, in order:

- export (:func:`~bakery_io.dump_all`, :func:`~bakery_io.dump_history`): ``writing``,
  its total counted first (one COUNT per entity type, only when progress is asked for);
- validate: ``checking``, the total as the manifest or the file states it;
- import (:func:`~bakery_io.load_all`, :func:`~bakery_io.load_records`): ``loading``
  (checked and written in one pass) for a sound backup of the current version as
  bakery_io writes it; otherwise ``checking`` then ``writing``. Should the one pass
  doubt midway, ``loading`` ends where it stands and ``checking`` and ``writing`` follow;
- upgrade: ``checking`` then ``writing``;
- sample (:func:`~bakery_io.generate_sample`): ``generating``, in ``rows`` of every
  table, with no total.

A callback that raises ends the job with its exception, as any error would: an import
keeps nothing, an export leaves no target.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Progress", "ProgressCallback", "Tracker"]

_T = TypeVar("_T")
_Chunk = TypeVar("_Chunk", bound=Sized)


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a job stands: the step in progress and how far along it is.

    ``done`` and ``total`` count the step's work across the whole job, not one entity
    type, so ``done / total`` is the step's share done; ``total`` is ``None`` where the
    job cannot know it in advance. ``unit`` says what they count.
    """

    #: The job: ``"export"``, ``"validate"``, ``"import"``, ``"upgrade"`` or ``"sample"``.
    job: str
    #: The step in progress, a present participle: ``"loading"``, ``"checking"``,
    #: ``"writing"`` or ``"generating"``.
    step: str
    #: The entity type being worked on, when there is one.
    entity_type: str | None
    #: How much of the step is done (never goes down within a step).
    done: int
    #: How much the step will do in all, when known in advance.
    total: int | None
    #: What ``done`` and ``total`` count: ``"records"`` of the format, ``"rows"`` of
    #: tables (the sample database) or ``"bytes"``.
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


class Tracker:
    """Emits the :class:`Progress` events of one job to a callback, or does nothing.

    A job calls :meth:`start` at each step, :meth:`advance` after each chunk of work and
    :meth:`finish` at the step's end. Start, entity type changes and finish are always
    emitted; the events in between at most every ``interval`` seconds, so a callback
    that draws costs nothing measurable however small the chunks. Without a callback
    every method returns at once: a job pays for progress only when it is asked for.
    """

    def __init__(
        self, callback: ProgressCallback | None, job: str, *, interval: float = 0.1
    ) -> None:
        self.callback = callback
        self.job = job
        self.interval = interval
        self._step: str | None = None
        self._entity_type: str | None = None
        self._done = 0
        self._total: int | None = None
        self._unit = "records"
        self._last = 0.0

    @property
    def active(self) -> bool:
        """Whether anyone listens: a job computes totals only then."""
        return self.callback is not None

    def start(
        self,
        step: str,
        total: int | None,
        *,
        unit: str = "records",
    ) -> None:
        """Begin ``step`` (ending the step in progress, if any)."""
        if self.callback is None:
            return
        self.finish()
        self._step, self._entity_type, self._done = step, None, 0
        self._total, self._unit = total, unit
        self._emit()

    def advance(self, amount: int, entity_type: str | None = None) -> None:
        """``amount`` more of the step is done, now on ``entity_type`` (if given)."""
        if self.callback is None or self._step is None:
            return
        self._done += amount
        if entity_type is not None and entity_type != self._entity_type:
            self._entity_type = entity_type
            self._emit()
        elif time.monotonic() - self._last >= self.interval:
            self._emit()

    def counted(self, items: Iterable[_T], entity_type: str, every: int) -> Iterable[_T]:
        """``items`` unchanged, with an :meth:`advance` after each ``every`` of them
        (``items`` itself when no one listens: nothing is added per item)."""
        if self.callback is None:
            return items
        return self._counted(items, entity_type, every)

    def _counted(self, items: Iterable[_T], entity_type: str, every: int) -> Iterator[_T]:
        self.advance(0, entity_type)
        pending = 0
        for item in items:
            yield item
            pending += 1
            if pending == every:
                self.advance(pending)
                pending = 0
        self.advance(pending)

    def chunked(self, chunks: Iterable[_Chunk], entity_type: str) -> Iterable[_Chunk]:
        """``chunks`` unchanged, each counted done when the next one is asked for."""
        if self.callback is None:
            return chunks
        return self._chunked(chunks, entity_type)

    def _chunked(self, chunks: Iterable[_Chunk], entity_type: str) -> Iterator[_Chunk]:
        self.advance(0, entity_type)
        for chunk in chunks:
            yield chunk
            self.advance(len(chunk))

    def finish(self) -> None:
        """End the step in progress with its ``finished`` event (nothing if none is)."""
        if self.callback is None or self._step is None:
            return
        self._emit(finished=True)
        self._step = None

    def _emit(self, *, finished: bool = False) -> None:
        assert self.callback is not None
        assert self._step is not None
        self._last = time.monotonic()
        self.callback(
            Progress(
                self.job,
                self._step,
                self._entity_type,
                self._done,
                self._total,
                self._unit,
                finished,
            )
        )
