"""What the grading processes change in nbgrader and its libraries, to spend less time per submission.

Each function changes this process only, is safe to call twice, and keeps
every result the same. :mod:`dlcore.course.worker` calls all three,
:func:`~dlcore.course.grade.grade_course` shares engines and
``python -m dlcore.course`` goes without IRI checks. The times were measured
on the course's 2-core machine.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

__all__ = ["check_schemas_once", "share_engines", "without_iri_checks"]


def share_engines() -> None:
    """Let nbgrader's gradebooks in this process share one SQLAlchemy engine per database.

    nbgrader opens a new engine for every ``Gradebook`` (several per
    submission), and a new engine compiles its SQL statements again: about
    half a second per submission. A grading process talks to one or two
    databases, so it keeps the engines (the last 8). ``Gradebook.close`` still
    disposes of the engine's connections; the engine, and its compiled
    statements, stay usable.
    """
    import nbgrader.api

    if not hasattr(nbgrader.api.create_engine, "cache_info"):
        nbgrader.api.create_engine = functools.lru_cache(maxsize=8)(nbgrader.api.create_engine)


def without_iri_checks() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process (call it before nbformat is imported).

    jsonschema imports the package, when it is installed (JupyterLab's
    jupyter-events brings it), to check strings declared ``format: iri``; the
    package builds its grammar on import, which takes about 2 s, in every
    process that imports nbformat. No schema that grading uses (nbformat's,
    nbgrader's) declares an IRI, so the grading processes go without it.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type] - None makes the import fail


def check_schemas_once() -> None:
    """Let nbgrader's metadata validator check its JSON schema once, not once per cell.

    nbgrader validates the metadata of every nbgrader cell with
    ``jsonschema.validate``, which first checks the schema itself against the
    JSON Schema meta-schema: twenty-odd times per notebook (about 0.1 s). The
    validator gets a stand-in for the ``jsonschema`` module whose ``validate``
    does the same with the schema checked once per process.
    """
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _SchemasCheckedOnce):
        common.jsonschema = _SchemasCheckedOnce()


class _SchemasCheckedOnce:
    """``jsonschema.validate`` with a validator kept per schema (by content); the rest is jsonschema's."""

    def __init__(self) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        self._validators: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._jsonschema, name)

    def validate(self, instance: Any, schema: Any) -> None:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[key] = cls(schema)
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
