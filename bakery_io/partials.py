"""Partials: what bakery_io builds beside a target, under a hidden locked name.

A backup (or a new SQLite database an import fills) is built aside, as a hidden
``.<name>.<12 hex digits>.partial`` sibling of its target, locked with
``flock`` while it is built, and moved into place with one rename only when it
is complete: an interrupted or killed run never leaves something that looks
finished under the target's name. A partial that a killed run left is unlocked,
so the next run to the same target removes it (:func:`clean_partials`); one a
live run holds is never touched, and nothing but names of exactly this form is
ever removed. A failure of the file system becomes a :class:`StorageError`
naming the target.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from bakery_io.errors import BakeryIOError, StorageError, UsageError

if sys.platform != "win32":
    import fcntl

logger = logging.getLogger(__name__)

#: The files SQLite keeps beside a database, removed with a stale partial database.
_SQLITE_COMPANIONS = ("-journal", "-wal", "-shm")

_TOKEN = "[0-9a-f]{12}"


#: The signals whose handlers raise (Ctrl-C's KeyboardInterrupt, the command's SIGTERM
#: and SIGHUP), held while a partial changes hands (:func:`signals_held`).
_HELD = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends, then deliver them.

    A partial passes from the call that creates it to the code that removes it on
    error in several steps; an exception raised by a signal handler between two
    of them left the partial behind, or closed its descriptor twice (a run
    stopped by Ctrl-C then failed with "Bad file descriptor"). In the block, such
    a signal is only noted; at its end the handlers in place before are put back
    and each signal noted is raised again, where the partial has its owner.

    Python runs signal handlers in the main thread only, whichever thread the
    signal reaches (so masking the signal in this thread would not do): in any
    other thread there is nothing to hold. A handler installed from outside
    Python (``getsignal`` gives None) is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous: dict[int, Any] = {}
    try:
        for number in _HELD:
            handler = signal.getsignal(number)
            if handler is not None:
                previous[number] = handler
                signal.signal(number, lambda signum, _frame: noted.append(signum))
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(noted):
            signal.raise_signal(number)


def aside(target: Path, kind: str = "partial") -> Path:
    """A hidden sibling of ``target`` (``.<name>.<token>.<kind>``); never mistaken for a
    finished backup."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.{kind}")


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if a live process holds one.

    The lock goes with the process: a killed export's partial is unlocked.
    """
    if sys.platform == "win32":
        return True  # no flock: partials are reported, never removed (clean_partials)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def locked(target: Path, make: Callable[[Path], int]) -> tuple[Path, int]:
    """A new partial sibling of ``target`` made by ``make`` (which returns an open fd), locked.

    Between its creation and the lock, a cleaner may take the partial for a stale one
    and remove it: then it is given up and another name made.
    """
    for _ in range(8):
        path = aside(target)
        try:
            fd = make(path)
        except OSError:
            raise  # nothing was made (the name may even be another's): nothing to remove
        except BaseException:
            remove(path)  # interrupted as it was made: what was made is ours
            raise
        try:
            if _try_lock(fd) and os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                return path, fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise StorageError(
        f"cannot build {target} aside: its partial was removed as it was made, again and again",
        path=str(target),
        reason="partial removed",
    )


def _new_file(path: Path) -> int:
    # Unlike mkstemp (0600), os.open honours the umask, so the backup gets the usual mode.
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)


def new_directory(path: Path) -> int:
    path.mkdir(mode=0o777)  # the umask applies, as for any new directory
    return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def create(target: Path) -> tuple[Path, IO[bytes]]:
    """A new locked partial file for ``target``, open for writing; the handle holds the lock."""
    path, fd = locked(target, _new_file)
    try:
        return path, os.fdopen(fd, "wb")
    except BaseException:  # interrupted before any container holds it: removed here
        os.close(fd)
        path.unlink(missing_ok=True)
        raise


@contextmanager
def removed_on_error(path: Path, handle: IO[bytes]) -> Iterator[None]:
    """Remove the partial ``path`` (open as ``handle``) should its container's making fail
    (or be interrupted) before the container exists to discard it."""
    try:
        yield
    except BaseException:
        handle.close()
        path.unlink(missing_ok=True)
        raise


def resolved(target: Path) -> Path:
    """``target`` as an absolute path, its parent resolved; the name is kept as it is
    (a symbolic link at the target is replaced, not followed)."""
    absolute = Path(os.path.abspath(target))
    if not absolute.name:
        raise UsageError(f"cannot write a backup to {target}: it is the file system root")
    resolved = absolute.parent.resolve() / absolute.name
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise UsageError(
            f"cannot write a backup to {target}: it is the working directory or holds it; "
            "name a new directory (for example backup/), a .zip or a .json file"
        )
    return resolved


def _partials(target: Path, kind: str) -> list[Path]:
    """Siblings of ``target`` with bakery_io's own name for its asides of ``kind``, exactly."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.{_TOKEN}\.{kind}")
    return sorted(
        target.parent / entry.name
        for entry in os.scandir(target.parent)
        if pattern.fullmatch(entry.name)
    )


def clean_partials(target: Path) -> list[Path]:
    """Remove the partials of ``target`` that earlier bakery_io runs left when killed;
    returns those removed.

    A partial is stale when its lock can be taken: the run that built it is
    gone. One a live run still holds is left alone. Where ``flock`` does not
    exist, partials are reported (logged), never removed. An old backup moved
    aside by a run killed while it replaced it (``.<name>.<token>.old``) is
    reported, never removed: it may be the only copy.
    """
    removed = []
    for partial in _partials(target, "partial"):
        if sys.platform == "win32":
            logger.warning("%s was left by an export that did not finish, or is running", partial)
            continue
        try:
            fd = os.open(partial, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            logger.warning("left %s alone: %s", partial, exc.strerror)
            continue
        try:
            if not _try_lock(fd):
                logger.debug("left %s alone: a running bakery_io process is building it", partial)
                continue
            if not remove(partial):
                continue
            for companion in _SQLITE_COMPANIONS:
                remove(Path(f"{partial}{companion}"))
        finally:
            os.close(fd)
        logger.info("removed %s, left by an earlier run that did not finish", partial)
        removed.append(partial)
    for old in _partials(target, "old"):
        logger.warning(
            "kept %s: a backup moved aside by an earlier export that was stopped while it "
            "replaced %s; remove it once you no longer need it",
            old,
            target,
        )
    return removed


def remove(path: Path) -> bool:
    """Remove a partial (file or directory); False if it could not be. A failure is logged,
    not raised: the error that made the partial useless is the one to report."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("could not remove %s: %s", path, exc.strerror or exc)
        return False
    return True


def storage_error(shown: str, exc: OSError) -> StorageError:
    """The :class:`StorageError` for ``exc``, raised while writing ``shown``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return StorageError(f"cannot write {shown}: {reason}", path=shown, reason=reason)


def move_into_place(built: Path, target: Path) -> None:
    """Move the finished ``built`` to ``target``; an old backup there is kept aside until the
    new one is in place, and put back should the move fail.

    A stop (Ctrl-C, SIGTERM) is held while ``target`` is briefly empty (the old
    backup aside, or an empty directory removed), so that it lands before the
    swap or once the new backup is in place, never between; the old backup is
    removed even then, with the stop no longer held: a long removal stays
    interruptible.
    """
    if not (target.exists() or target.is_symlink()):
        os.replace(built, target)
        return
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        with signals_held():
            target.rmdir()
            os.replace(built, target)
        return
    # Keep the old backup until the new one is in place, then remove it.
    old = aside(target, "old")
    replaced = False
    try:
        with signals_held():
            os.replace(target, old)
            try:
                os.replace(built, target)
            except BaseException:
                os.replace(old, target)  # the old backup stays where it was
                raise
            replaced = True
    finally:
        if replaced:
            _remove_replaced(old)


def _remove_replaced(old: Path) -> None:
    """Remove the backup a new one has replaced; a leftover is worth a warning only."""
    try:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()
    except OSError as exc:
        logger.warning("could not remove the replaced backup %s: %s", old, exc.strerror or exc)


class FileAside:
    """A new file built aside, under a hidden locked name, and moved to its target only if
    :attr:`keep` is still true when its :func:`file_aside` block ends without error."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        #: Where the file is built.
        self.path = path
        self._handle = handle
        #: Whether to move the file into place at the end (False: remove it).
        self.keep = True

    def close(self) -> None:
        """Release the lock (after the file is moved or removed)."""
        self._handle.close()


@contextmanager
def file_aside(target: Path) -> Iterator[FileAside]:
    """An empty file beside ``target`` to build ``target`` in (a new SQLite database).

    Stale partials of ``target`` are removed first. At the end of the block
    the file becomes ``target`` (which must still not exist) if it is kept,
    and is removed (with SQLite's journal files) otherwise or on any error.
    A killed process leaves a hidden ``.partial`` the next run removes,
    never a half-built file under ``target``'s name.
    """
    shown = str(target)
    aside = None
    try:
        path = resolved(target)
        clean_partials(path)
        with signals_held():
            aside = FileAside(*create(path))
        yield aside
        if aside.keep:
            if path.exists() or path.is_symlink():
                raise UsageError(f"{shown} appeared while it was built; it was left as it is")
            os.replace(aside.path, path)
    except OSError as exc:
        if not isinstance(exc, BakeryIOError):
            raise storage_error(shown, exc) from exc
        raise
    finally:
        if aside is not None:
            if not aside.keep or aside.path.exists():
                remove(aside.path)
                for companion in _SQLITE_COMPANIONS:
                    remove(Path(f"{aside.path}{companion}"))
            aside.close()
