""" "Did you mean ...?": the closest known names to a word the command line did not know."""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Iterable, Iterator, Sequence

__all__ = ["command_parser", "did_you_mean", "option_strings", "suggest", "unrecognized"]

# argparse's own wording (3.11: choices quoted; 3.12 and later: not).
_INVALID_CHOICE = re.compile(r"invalid choice: '?(?P<word>[^'\s]*)'? \(choose from (?P<known>.*)\)")


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    """``"did you mean X?"`` for the name of ``known`` closest to
    ``word``, or ``None`` when none is close."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return f"did you mean {close[0]}?" if close else None


def option_strings(parser: argparse.ArgumentParser) -> Iterator[str]:
    """Every option string of ``parser`` and of its subcommands."""
    for action in parser._actions:
        yield from action.option_strings
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield from option_strings(command)


def suggest(message: str) -> str | None:
    """A suggestion for argparse's error ``message``: the closest subcommand or choice to
    an invalid one."""
    if found := _INVALID_CHOICE.search(message):
        known = [name.strip(" '") for name in found["known"].split(",")]
        return did_you_mean(found["word"], known)
    return None


def command_parser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser:
    """The parser of the subcommand ``name`` of ``parser`` (``parser`` itself if none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            found: argparse.ArgumentParser = action.choices[name]
            return found
    return parser


def unrecognized(parser: argparse.ArgumentParser, words: Sequence[str]) -> str:
    """argparse's message for ``words`` it did not take, with the closest options of
    ``parser`` (the command they were given to)."""
    options = sorted(set(option_strings(parser)))
    hints = [
        f"{word}: {hint}"
        for word in words
        if word.startswith("-") and (hint := did_you_mean(word.split("=")[0], options))
    ]
    return "; ".join([f"unrecognized arguments: {' '.join(words)}", *hints])
