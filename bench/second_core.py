"""Would a second core pay? The streamed load with its reading ahead in a thread, timed.

The streamed load reads, parses and checks (JSON Schemas) a chunk, then
checks it against the database and writes it, one after the other. Here a
thread reads, parses and checks the next chunks (up to ``--ahead``) while the
main thread checks and writes the current one: the two overlap wherever one of
them does not hold the GIL (the database working, a file being read). The
experiment runs the load both ways, alternating, each into a new database,
and prints the times; the library adopts the thread only if it gains at least
25% end to end (issue 21), which this measures::

    python -m bench.second_core --db postgresql+psycopg://postgres@127.0.0.1/postgres BACKUP

Another process instead of a thread would have to send each chunk back
pickled, which costs about what parsing it does, so it is not tried.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import create_engine, make_url, text

from bakery_io import create_schema, engine_from_url, load_all
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("backup", type=Path, help="a backup directory bakery_io wrote")
    parser.add_argument("--db", help="a server URL to make databases on (default: SQLite)")
    parser.add_argument("--runs", type=int, default=3, help="runs each way (default 3)")
    parser.add_argument("--ahead", type=int, default=2, help="chunks read ahead (default 2)")
    arguments = parser.parse_args()
    plain = streamed_sections

    def reading_ahead(archive: Any, registry: Any) -> Iterator[tuple[Section, Iterator[Any]]]:
        return _ahead(plain(archive, registry), arguments.ahead)

    ways: dict[str, Callable[..., Iterator[tuple[Section, Iterator[Any]]]]] = {
        "one thread": plain,
        "reading ahead": reading_ahead,
    }
    times: dict[str, list[float]] = {way: [] for way in ways}
    with tempfile.TemporaryDirectory() as directory:
        number = 0
        for _ in range(arguments.runs):
            for way, sections in ways.items():
                number += 1
                with (
                    _database(arguments.db, Path(directory), number) as url,
                    mock.patch.object(loading, "streamed_sections", sections),
                ):
                    times[way].append(_timed(url, arguments.backup))
                print(f"{way:>14}: {times[way][-1]:.2f} s", flush=True)
    one, two = (statistics.median(values) for values in times.values())
    print(f"median: one thread {one:.2f} s, reading ahead {two:.2f} s: {one / two - 1:+.1%}")


if __name__ == "__main__":
    main()
