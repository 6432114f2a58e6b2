"""The docs' griffe extension: Sphinx roles in docstrings become mkdocs cross-references."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest.importorskip("griffe")  # the docs extra; `pip install -e '.[test]'` lacks it

import griffe

from tools.griffe_roles import SphinxRoles, attribute_comment, convert_roles, resolve_target

PACKAGE = {
    "__init__.py": '''
        """Top: :func:`~pkg.jobs.run` and :class:`Job`."""
        from pkg.jobs import Job
    ''',
    "jobs.py": '''
        """Jobs; errors are :exc:`OSError` or :mod:`pkg`'s own."""

        class Job:
            """A job; see :meth:`start` and :attr:`Job.name`."""

            name: str = "job"

            def start(self) -> None:
                """Start it, then :func:`run`
                it (:class:`the job <pkg.jobs.Job>`)."""

        def run() -> None:
            """Run :class:`Job`."""

        #: The job everyone runs:
        #: a :class:`Job`.
        DEFAULT = Job()

        # An ordinary comment.
        OTHER = Job()
    ''',
}


@pytest.fixture
def package(tmp_path: Path) -> griffe.Module:
    root = tmp_path / "pkg"
    root.mkdir()
    for name, text in PACKAGE.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    extensions = griffe.load_extensions(SphinxRoles())
    loaded = griffe.load("pkg", search_paths=[tmp_path], extensions=extensions)
    assert isinstance(loaded, griffe.Module)
    return loaded


def docstring(package: griffe.Module, path: str) -> str:
    value = (package[path] if path else package).docstring
    assert value is not None
    return str(value.value)


def autoref(identifier: str, title: str) -> str:
    return f'<autoref identifier="{identifier}" optional><code>{title}</code></autoref>'


def test_names_resolve_in_the_scope_where_the_docstring_is(package: griffe.Module) -> None:
    text = docstring(package, "jobs.Job")
    assert autoref("pkg.jobs.Job.start", "start()") in text
    assert autoref("pkg.jobs.Job.name", "Job.name") in text


def test_imported_names_resolve_to_where_they_are_defined(package: griffe.Module) -> None:
    text = docstring(package, "")
    assert autoref("pkg.jobs.Job", "Job") in text
    assert autoref("pkg.jobs.run", "run()") in text  # `~` keeps only the last part


def test_explicit_titles_and_wrapped_roles(package: griffe.Module) -> None:
    text = docstring(package, "jobs.Job.start")
    assert autoref("pkg.jobs.run", "run()") in text
    assert autoref("pkg.jobs.Job", "the job") in text
    assert ":func:" not in text
    assert ":class:" not in text


def test_unknown_names_stay_as_written(package: griffe.Module) -> None:
    text = docstring(package, "jobs")
    assert autoref("OSError", "OSError") in text
    assert autoref("pkg", "pkg") in text


def test_text_without_roles_is_unchanged() -> None:
    text = "Plain ``code`` and a `title <https://example.org>`_ link."
    assert convert_roles(text) == text


def test_every_role_the_docstrings_use_is_converted() -> None:
    roles = ["class", "func", "meth", "attr", "exc", "mod", "data", "obj", "py:class"]
    converted = convert_roles(" ".join(f":{role}:`X`" for role in roles))
    assert "`" not in converted
    assert converted.count('<autoref identifier="X" optional>') == len(roles)


def test_without_a_scope_the_name_is_kept() -> None:
    assert resolve_target(".relative.name", None) == "relative.name"


def test_attribute_comments_become_docstrings(package: griffe.Module) -> None:
    text = docstring(package, "jobs.DEFAULT")
    assert text.startswith("The job everyone runs:\na ")
    assert autoref("pkg.jobs.Job", "Job") in text
    assert package["jobs.OTHER"].docstring is None


def test_attribute_comment_reads_only_the_block_right_above() -> None:
    lines = ["#: far", "", "#: near", "#:", "X = 1"]
    assert attribute_comment(lines, 5) == "near\n"
    assert attribute_comment(lines, 2) == "far"
    assert attribute_comment(lines, 1) is None
