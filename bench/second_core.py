"""Would a second core pay? The streamed load with work moved to a thread, timed.

The streamed load reads, parses and checks (JSON Schemas) a chunk, then
checks it against the database and writes it, one after the other. Three ways
move part of that to another thread, so that it overlaps whatever the other
thread does without holding the GIL (the database working, a file read):

- ``reading ahead``: a thread reads, parses and checks the next chunks (up to
  ``--ahead``) while the main thread checks and writes the current one.
- ``writing behind`` (PostgreSQL through psycopg): each COPY is handed to a
  worker thread, which runs them in turn on the load's connection while the
  main thread checks the next chunks; the server checks a COPY's foreign keys
  at its end, which is where a PostgreSQL load waits most. Every other use of
  the connection (a query, a savepoint, the commit) first waits for the COPYs
  handed over, and a COPY's failure is raised there.
- ``ending behind`` (PostgreSQL through psycopg): the main thread begins each
  COPY and writes its rows; only the wait for its end is left to the worker.

The experiment runs the load each way in turn, each into a new database,
and prints the times; the library adopts a thread only if it gains at least
25% end to end (issue 21), which this measures::

    python -m bench.second_core --db postgresql+psycopg://postgres@127.0.0.1/postgres BACKUP

``--switch-interval`` sets the interpreter's (``sys.setswitchinterval``; 5 ms
by default): how long a thread that wants the GIL waits for the one holding it.
A library may not change it for the process that embeds it, but the ways
that hand work to a thread depend on it.

Another process instead of a thread would have to send each chunk back
pickled, which costs more than parsing it (0.39 s against 0.24 s for a
scale-20 backup), so it is not tried.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError

from bakery_io import create_schema, engine_from_url, load_all, persistence
from bakery_io import load as loading
from bakery_io.sections import Section
from bakery_io.validation import streamed_sections

_END = object()


def _ahead(
    sections: Iterator[tuple[Section, Iterator[list[Any]]]], ahead: int
) -> Iterator[tuple[Section, Iterator[list[Any]]]]:
    """``sections`` as they come, their chunks read by a thread up to ``ahead`` in advance."""
    passed: queue.Queue[Any] = queue.Queue(maxsize=ahead)

    def produce() -> None:
        try:
            for section, chunks in sections:
                passed.put(section)
                for chunk in chunks:
                    passed.put(chunk)
                passed.put(_END)
        except BaseException as exc:  # noqa: BLE001 (handed to the consumer, which raises it)
            passed.put(exc)
        passed.put(None)

    def chunks() -> Iterator[list[Any]]:
        while (item := passed.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    while (item := passed.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item, chunks()
    thread.join()


#: The connection's events before which the COPYs handed over must have ended.
_SETTLING = (
    "before_cursor_execute",
    "commit",
    "rollback",
    "savepoint",
    "rollback_savepoint",
    "release_savepoint",
)


#: What a worker thread is handed: a COPY to run in full, or one begun whose end it awaits.
_Job = tuple[str, Sequence[tuple[Any, ...]]] | tuple[str, Any, Any]
#: Put in a worker's queue to stop it.
_STOP = ("", ())


class _Behind:
    """The COPYs of one writer, run by a worker thread in turn on the writer's connection.

    ``copy`` is the library's own ``Writer._copy``; with ``end_only`` the main
    thread begins each COPY and writes its rows, and the worker only waits for
    its end. A COPY's failure is raised at the next use of the connection,
    whatever that is: sound for timing the load of a sound backup, which is all
    this does, but not the library's error handling (where a refusal sends the
    load to the full check, which names the record).
    """

    def __init__(
        self, writer: persistence.Writer, copy: Callable[..., None], *, end_only: bool
    ) -> None:
        self.writer = writer
        self.copy = copy
        self.end_only = end_only
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.failure: BaseException | None = None
        for name in _SETTLING:
            event.listen(writer.connection, name, self.settle)
        self.worker = threading.Thread(target=self._work, daemon=True)
        self.worker.start()

    def settle(self, *_args: Any, **_kwargs: Any) -> None:
        """Wait until every COPY handed over has ended; raise the first failure."""
        self.jobs.join()
        failure, self.failure = self.failure, None
        if failure is not None:
            raise failure

    def stop(self) -> None:
        """End the worker once what it holds is done."""
        self.jobs.put(_STOP)
        self.worker.join()

    def hand(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY ``rows``, or at least its end, in the worker thread."""
        if not self.end_only:
            self.jobs.put((sql, rows))
            return
        self.settle()
        driver: Any = self.writer.connection.connection.driver_connection  # psycopg's
        cursor = driver.cursor()
        try:
            with self._refusals(sql):
                copying = cursor.copy(sql)
                begun = copying.__enter__()
                try:
                    for row in rows:
                        begun.write_row(row)
                except BaseException as exc:
                    copying.__exit__(type(exc), exc, exc.__traceback__)
                    raise
        except BaseException:
            cursor.close()
            raise
        self.jobs.put((sql, copying, cursor))

    @contextmanager
    def _refusals(self, sql: str) -> Iterator[None]:
        """The driver's refusal raised as SQLAlchemy's, as the library's own COPY raises it."""
        dialect = self.writer.connection.dialect
        error = dialect.loaded_dbapi.Error
        try:
            yield
        except error as exc:
            raise DBAPIError.instance(sql, None, exc, error, dialect=dialect) from exc

    def _work(self) -> None:
        while (job := self.jobs.get()) is not _STOP:
            try:
                if self.failure is None:
                    self._run(job)
            except BaseException as exc:  # noqa: BLE001 (raised in the main thread by settle)
                self.failure = exc
            finally:
                self.jobs.task_done()
        self.jobs.task_done()

    def _run(self, job: _Job) -> None:
        if len(job) == 2:
            sql, rows = job
            self.copy(self.writer, sql, rows)
            return
        sql, copying, cursor = job
        try:
            with self._refusals(sql):
                copying.__exit__(None, None, None)
        finally:
            cursor.close()


@contextmanager
def _writing_behind(*, end_only: bool) -> Iterator[None]:
    """The streamed load's COPYs handed to a worker thread (:class:`_Behind`), one
    worker per writer, each stopped at the end."""
    copy = persistence.Writer._copy
    behind: dict[int, _Behind] = {}

    def handed(writer: persistence.Writer, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if writer.named:  # the full check's writes stay as they are
            copy(writer, sql, rows)
            return
        if id(writer) not in behind:
            behind[id(writer)] = _Behind(writer, copy, end_only=end_only)
        behind[id(writer)].hand(sql, rows)

    try:
        with mock.patch.object(persistence.Writer, "_copy", handed):
            yield
    finally:
        for worker in behind.values():
            worker.stop()


@contextmanager
def _database(server: str | None, directory: Path, number: int) -> Iterator[str]:
    """A new empty database: a SQLite file, or one made on ``server`` and dropped after."""
    if server is None:
        yield f"sqlite:///{directory / f'target{number}.db'}"
        return
    url = make_url(server)
    name = f"bakery_second_core_{number}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}"))
        admin.dispose()


def _timed(url: str, backup: Path) -> float:
    engine = engine_from_url(url)
    create_schema(engine)
    started = time.perf_counter()
    load_all(engine, backup)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main() -> None:
    """``python -m bench.second_core``: the load each way in turn, and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backup", type=Path, help="a backup directory bakery_io wrote")
    parser.add_argument("--db", help="a server URL to make databases on (default: SQLite)")
    parser.add_argument("--runs", type=int, default=3, help="runs each way (default 3)")
    parser.add_argument("--ahead", type=int, default=2, help="chunks read ahead (default 2)")
    parser.add_argument(
        "--switch-interval",
        type=float,
        help="the interpreter's switch interval in seconds (default: as it is, 0.005)",
    )
    arguments = parser.parse_args()
    if arguments.switch_interval is not None:
        if arguments.switch_interval <= 0:
            parser.error("--switch-interval is a number of seconds > 0")
        sys.setswitchinterval(arguments.switch_interval)
    plain = streamed_sections

    def reading_ahead(archive: Any, registry: Any) -> Iterator[tuple[Section, Iterator[Any]]]:
        return _ahead(plain(archive, registry), arguments.ahead)

    ways: dict[str, Callable[[], AbstractContextManager[Any]]] = {
        "one thread": nullcontext,
        "reading ahead": lambda: mock.patch.object(loading, "streamed_sections", reading_ahead),
    }
    if arguments.db and make_url(arguments.db).drivername == "postgresql+psycopg":
        ways["writing behind"] = lambda: _writing_behind(end_only=False)
        ways["ending behind"] = lambda: _writing_behind(end_only=True)
    times: dict[str, list[float]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as directory:
        number = 0
        for _ in range(arguments.runs):
            for way, patched in ways.items():
                number += 1
                with _database(arguments.db, Path(directory), number) as url, patched():
                    times[way].append(_timed(url, arguments.backup))
                print(f"{way:>14}: {times[way][-1]:.2f} s", flush=True)
    medians = {way: statistics.median(values) for way, values in times.items()}
    one = medians["one thread"]
    print(f"switch interval {sys.getswitchinterval() * 1000:g} ms; medians:")
    for way, seconds in medians.items():
        print(f"{way:>14}: {seconds:.2f} s, {one / seconds - 1:+.1%} speed")


if __name__ == "__main__":
    main()
