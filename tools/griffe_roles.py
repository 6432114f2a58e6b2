"""A griffe extension that turns the docstrings' Sphinx roles into mkdocs cross-references.

It also reads Sphinx's attribute comments (``#: text`` on the lines above an assignment),
which griffe does not, so that the public type aliases and constants have their docs.

bakery_io's docstrings name other objects the Sphinx way (:class:`Progress`,
:func:`~bakery_io.load_all`, :attr:`Manifest.exceptions <bakery_io.Manifest.exceptions>`),
which mkdocstrings would print as they are. Once the package is loaded, each role becomes an
optional autorefs reference: a link where the API reference renders the target, plain code
where it does not (a private helper, a builtin), so an unrendered target never breaks a
strict build.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from griffe import Alias, Docstring, Extension, Module, NameResolutionError, Object

__all__ = ["ROLES", "SphinxRoles", "attribute_comment", "convert_roles", "resolve_target"]

#: The Python-domain roles the docstrings use; each becomes the same kind of reference.
ROLES = ("class", "func", "meth", "attr", "exc", "mod", "data", "obj")

_ROLE = re.compile(
    r":(?:py:)?(?P<role>" + "|".join(ROLES) + r"):`(?P<body>[^`]+)`",
)
# `title <target>`: the explicit-title form.
_EXPLICIT = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)


def resolve_target(name: str, scope: Object | None) -> str:
    """The full dotted path that ``name`` means in ``scope``'s namespace.

    A name already starting with a package of the scope's root (``bakery_io.load_all``) is
    absolute; otherwise its first part is looked up among the scope's members and imports
    and those of its parents, and the rest is appended. A name nothing resolves (``OSError``)
    is returned as it is.
    """
    name = name.lstrip(".")
    if scope is None:
        return name
    first, _, rest = name.partition(".")
    if first == scope.package.name:
        return name
    try:
        base = scope.resolve(first)
    except NameResolutionError:
        return name
    return f"{base}.{rest}" if rest else base


def _replacement(match: re.Match[str], scope: Object | None) -> str:
    body = " ".join(match["body"].split())  # a role may be wrapped over two lines
    explicit = _EXPLICIT.match(body)
    if explicit:
        title, target = explicit["title"], explicit["target"]
    else:
        target = body
        # `~a.b.c` shows only its last part, as Sphinx does.
        title = target.lstrip("~").rsplit(".", 1)[-1] if target.startswith("~") else target
    target = target.lstrip("~")
    if match["role"] in {"func", "meth"} and not title.endswith(")"):
        title += "()"
    identifier = html.escape(resolve_target(target, scope), quote=True)
    return (
        f'<autoref identifier="{identifier}" optional><code>{html.escape(title)}</code></autoref>'
    )


def convert_roles(text: str, scope: Object | None = None) -> str:
    """``text`` with every Sphinx role replaced by an optional autorefs reference."""
    return _ROLE.sub(lambda match: _replacement(match, scope), text)


def attribute_comment(lines: list[str], lineno: int) -> str | None:
    """The ``#:`` comment block right above line ``lineno`` (1-based) of ``lines``, or ``None``."""
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        found.append(lines[index].lstrip()[2:].removeprefix(" "))
        index -= 1
    return "\n".join(reversed(found)) if found else None


def _read_attribute_comment(obj: Object) -> None:
    if obj.docstring is not None or not obj.is_attribute or obj.lineno is None:
        return
    path = obj.filepath
    # A namespace package has several paths; an inspected object may have no source.
    if not isinstance(path, Path) or path not in obj.lines_collection:
        return
    comment = attribute_comment(obj.lines_collection[path], obj.lineno)
    if comment is not None:
        obj.docstring = Docstring(comment, lineno=obj.lineno, parent=obj)


class SphinxRoles(Extension):
    """Rewrites the roles of every docstring of a package once it is loaded.

    Waiting for the whole package means every name a docstring mentions is known, whatever
    order griffe visits the modules in.
    """

    def on_package(self, *, pkg: Module, **kwargs: Any) -> None:
        """Convert the roles in ``pkg`` and everything it defines (aliases are skipped:
        their targets are converted where they are defined)."""
        pending: list[Object] = [pkg]
        while pending:
            obj = pending.pop()
            _read_attribute_comment(obj)
            if obj.docstring is not None:
                obj.docstring.value = convert_roles(obj.docstring.value, obj)
            pending.extend(
                member for member in obj.members.values() if not isinstance(member, Alias)
            )
