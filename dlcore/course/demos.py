"""Which instructor demonstration cells a graded notebook can do without.

A chapter interleaves its exercises with demonstrations: figures, explorers,
small experiments. They take most of a notebook's running time and never
change a score, so :class:`dlcore.course.execute.GuardedExecute` does not run
them when it grades. :func:`skippable` decides which cells those are, and
errs on the side of running a cell:

* only a code cell that is **not** an nbgrader cell and whose source is
  exactly that of a non-nbgrader cell in the instructor's notebook can be
  skipped: a cell the student wrote or changed always runs;
* a skipped cell must not **bind a name** that a running cell reads (a
  student's answer that uses a demo's variable gets the demo run first), and
  must not **read a variable** that a running cell also reads (a demo that
  draws from a shared random generator, or changes an array in place, would
  otherwise leave it in a different state). Names bound only by ``import``,
  ``def`` and ``class`` (modules and functions) can be shared;
* when a running cell could reach names dynamically (``globals()``,
  ``exec``, ``get_ipython()``, IPython magics, ``sys``, ``__main__``...) or
  does not parse, nothing is skipped.

This is a fixpoint over the cells' global names, read with :mod:`symtable`
and :mod:`ast` without running anything. Where it is unsure it
over-approximates, which can only make more cells run.
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DYNAMIC", "Names", "cell_names", "skippable"]

#: names through which code can read or write globals without naming them.
DYNAMIC = frozenset({
    "globals", "locals", "vars", "eval", "exec", "compile", "__import__", "__builtins__",
    "get_ipython", "sys", "inspect", "__main__", "builtins", "importlib", "run_line_magic",
    "run_cell_magic", "user_ns",
})


@dataclass(frozen=True)
class Names:
    """The names one cell binds and reads.

    Attributes:
        binds: every name the cell may bind (anywhere, including function locals).
        data: the subset bound by assignments, loops, ``with``... (not only by
            import, def or class): names of objects that code can change.
        reads: every name the cell may read or delete.
    """

    binds: frozenset[str]
    data: frozenset[str]
    reads: frozenset[str]


def _python(source: str) -> str:
    """The source with IPython syntax (magics, ``!cmd``) turned into Python calls."""
    if not any(line.lstrip().startswith(("%", "!")) or line.rstrip().endswith("?") for line in source.splitlines()):
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _scopes(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _scopes(child)


def _module_level(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``tree`` outside function, lambda and class bodies."""
    for child in ast.iter_child_nodes(tree):
        yield child
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            yield from _module_level(child)


def cell_names(source: str) -> Names | None:
    """The global names a cell binds and reads, or None when it does not parse.

    Scopes are respected (a function's parameters and locals are not globals
    it reads), from Python's own :mod:`symtable`; :mod:`ast` adds what the
    symbol table does not mark as a read (``x += 1``, ``del x``) and
    attributes such as ``shell.user_ns``.
    """
    try:
        code = _python(source)
        tree = ast.parse(code)
        table = symtable.symtable(code, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # e.g. a + a + ... 100000 times
        return None
    binds: set[str] = set()
    reads: set[str] = set()
    for scope in _scopes(table):
        top = scope is table
        for symbol in scope.get_symbols():
            name = symbol.get_name()
            if top and (symbol.is_assigned() or symbol.is_imported()) or symbol.is_declared_global() and (
                    symbol.is_assigned() or symbol.is_imported()):
                binds.add(name)
            if symbol.is_referenced() and (top or symbol.is_global()):
                reads.add(name)
    data: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            data.add(node.id)  # anywhere: over-approximates the module's variables
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            data.update(node.names)
            reads.update(node.names)  # global x; x += 1 reads it
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            data.add(node.name)
        elif isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return None  # a star import binds names we cannot see
        elif isinstance(node, ast.Attribute) and node.attr in DYNAMIC:
            reads.add(node.attr)  # shell.user_ns, ip.run_line_magic
    for node in _module_level(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Del):
            reads.add(node.id)  # del x needs x
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            reads.add(node.target.id)  # x += 1 reads x first
    return Names(frozenset(binds), frozenset(data & binds), frozenset(reads))


def _key(source: str) -> str:
    return source.strip()


def _is_nbgrader(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return any(meta.get(flag) for flag in ("grade", "solution", "locked", "task"))


def skippable(cells: list[Any], instructor_cells: Iterable[Any]) -> set[int]:
    """Indices of the code cells of ``cells`` that grading can leave out.

    Args:
        cells: the notebook being graded (nbformat cells, after nbgrader's
            sanitising step has restored its grade cells).
        instructor_cells: the cells of the instructor's (source) notebook.

    Returns:
        The indices of demonstration cells that are skipped: see the module
        docstring for the rules. Empty when any running cell could reach
        names dynamically or does not parse.
    """
    demos = {_key(c.source) for c in instructor_cells
             if c.get("cell_type") == "code" and not _is_nbgrader(c) and c.source.strip()}
    names: dict[int, Names] = {}
    candidates: set[int] = set()
    running: set[int] = set()
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or not cell.source.strip():
            continue
        found = cell_names(cell.source)
        is_demo = not _is_nbgrader(cell) and _key(cell.source) in demos
        if found is None:
            if not is_demo:
                return set()
            running.add(index)  # an instructor cell we cannot read: run it
            continue
        names[index] = found
        (candidates if is_demo else running).add(index)
    data = frozenset().union(*(n.data for n in names.values()))
    while True:
        needed = frozenset().union(*(names[i].reads for i in running if i in names))
        if needed & DYNAMIC:
            return set()
        moved = {i for i in candidates
                 if names[i].binds & needed or names[i].reads & needed & data}
        if not moved:
            return candidates
        candidates -= moved
        running |= moved
