"""bakery_io from asyncio code: the operations that take a database, as coroutines.

Each function here takes an :class:`~sqlalchemy.ext.asyncio.AsyncEngine`,
:class:`~sqlalchemy.ext.asyncio.AsyncConnection` or
:class:`~sqlalchemy.ext.asyncio.AsyncSession` where its namesake in
:mod:`bakery_io` takes an Engine, Connection or Session, and behaves the same:

* an AsyncEngine is used as its ``sync_engine``: bakery_io connects, works in a
  transaction of its own and commits (on SQLite with ``BEGIN IMMEDIATE`` for
  loads), exactly as with an Engine;
* an AsyncConnection or AsyncSession is the caller's: the work joins its
  transaction (a load in a savepoint of it) and the caller commits.

The work runs as synchronous code in a greenlet on the event loop's thread
(SQLAlchemy's ``run_sync``): each database round trip is awaited, but the
Python work between them (reading and writing files, checking records) holds
the loop. See docs/async.md.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from bakery_io import dump, load, records, sample
from bakery_io.binding import database
from bakery_io.binding.database import Bind
from bakery_io.errors import UsageError

_P = ParamSpec("_P")
_T = TypeVar("_T")

#: What every coroutine here accepts as its database.
AsyncBind = AsyncEngine | AsyncConnection | AsyncSession


async def _run(
    bind: AsyncBind,
    function: Callable[Concatenate[Bind, _P], _T],
    /,
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> _T:
    """``function(sync bind, *args, **kwargs)``, run where its database IO can be awaited."""
    if isinstance(bind, AsyncEngine):
        # What AsyncConnection.run_sync does, given the Engine rather than one of
        # its connections: bakery_io then owns its connection and transaction.
        # SQLAlchemy exports greenlet_spawn from sqlalchemy.util (2.0 and 2.1)
        # without documenting it; tests/test_async.py holds it to its word.
        # (A partial: greenlet_spawn has keyword arguments of its own.)
        return await greenlet_spawn(functools.partial(function, bind.sync_engine, *args, **kwargs))
    if isinstance(bind, (AsyncConnection, AsyncSession)):
        return await bind.run_sync(function, *args, **kwargs)
    raise UsageError(
        "expected a SQLAlchemy AsyncEngine, AsyncConnection or AsyncSession, got "
        f"{type(bind).__name__}; for an Engine, Connection or Session call bakery_io's "
        "functions themselves"
    )


def _asynchronous(
    function: Callable[Concatenate[Bind, _P], _T],
) -> Callable[Concatenate[AsyncBind, _P], Coroutine[Any, Any, _T]]:
    """The coroutine function of this module that runs ``function`` on an async bind."""

    @functools.wraps(function)
    async def run(bind: AsyncBind, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        return await _run(bind, function, *args, **kwargs)

    run.__module__ = __name__
    run.__doc__ = (
        f"Await :func:`bakery_io.{function.__name__}` on an AsyncEngine, AsyncConnection "
        f"or AsyncSession (see :mod:`bakery_io.aio`).\n\n{inspect.cleandoc(function.__doc__ or '')}"
    )
    return run


create_schema = _asynchronous(database.create_schema)
drop_schema = _asynchronous(database.drop_schema)
dump_all = _asynchronous(dump.dump_all)
dump_history = _asynchronous(dump.dump_history)
generate_sample = _asynchronous(sample.generate_sample)
load_all = _asynchronous(load.load_all)
dump_records = _asynchronous(records.dump_records)
dumps_records = _asynchronous(records.dumps_records)
load_records = _asynchronous(records.load_records)

__all__ = [
    "AsyncBind",
    "create_schema",
    "drop_schema",
    "dump_all",
    "dump_history",
    "dump_records",
    "dumps_records",
    "generate_sample",
    "load_all",
    "load_records",
]
