"""Show the teaching core of a function from the package's own source.

``literalinclude`` gains one flag, ``:teaching-core:``. With ``:pyobject:``
it prints the function (or method, or class) as the package defines it,
minus what a reader studying the idea does not need:

* docstrings (of the object and of anything nested in it);
* argument checks: any statement of the body that is an ``if`` whose
  branches only ``raise``, a ``for`` loop made only of such checks, a bare
  call to a checking helper (a function whose name starts with ``check``
  or ``_check``, or any function of a module imported as ``checks``, e.g.
  ``checks.tensor(...)`` or ``_check_tensor(...)``), or an assignment from
  one.

Everything else is printed verbatim, so the page and the tested code cannot
drift apart; the API reference keeps the whole function. The rule is
applied by parsing the listing with :mod:`ast`, never by line numbers, so
editing the package does not shift what the book shows.
"""

from __future__ import annotations

import ast
import textwrap

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralInclude


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_check_call(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(
        func, "id", "")
    owner = func.value if isinstance(func, ast.Attribute) else None
    return (name.lstrip("_").startswith("check")
            or (isinstance(owner, ast.Name) and owner.id == "checks"))


def _only_raises(body: list[ast.stmt]) -> bool:
    return all(isinstance(s, ast.Raise)
               or (isinstance(s, ast.If) and _only_raises(s.body)
                   and _only_raises(s.orelse))
               for s in body)


def _is_check(node: ast.stmt) -> bool:
    if isinstance(node, ast.If):
        return _only_raises(node.body) and _only_raises(node.orelse)
    if isinstance(node, ast.For):
        return all(_is_check(s) for s in node.body) and not node.orelse
    if isinstance(node, ast.Expr):
        return _is_check_call(node.value)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return _is_check_call(node.value)
    return False


def teaching_core(source: str) -> str:
    """``source`` (one ``def`` or ``class``) without docstrings and checks."""
    text = textwrap.dedent(source)
    tree = ast.parse(text)
    drop: set[int] = set()  # 1-based line numbers to leave out
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) or not body:
            continue
        for index, stmt in enumerate(body):
            if (index == 0 and _is_docstring(stmt)) or (
                    not isinstance(node, ast.ClassDef) and _is_check(stmt)):
                drop.update(range(stmt.lineno, stmt.end_lineno + 1))
    lines = text.splitlines()
    kept = [line for number, line in enumerate(lines, 1)
            if number not in drop]
    # No blank line left where a docstring or check block was cut out
    # right after a ``def`` line, nor two blank lines in a row.
    result: list[str] = []
    for line in kept:
        if not line.strip() and (not result or not result[-1].strip()
                                 or result[-1].rstrip().endswith(":")):
            continue
        result.append(line)
    while result and not result[-1].strip():
        result.pop()
    return "\n".join(result) + "\n"


class TeachingCoreLiteralInclude(LiteralInclude):
    """``literalinclude`` with a ``:teaching-core:`` flag (module docstring)."""

    option_spec = dict(LiteralInclude.option_spec,
                       **{"teaching-core": directives.flag})

    def run(self) -> list[nodes.Node]:
        core = "teaching-core" in self.options
        if core and "pyobject" not in self.options:
            raise self.error(":teaching-core: needs :pyobject:")
        result = super().run()
        if not core:
            return result
        for node in result:
            for block in node.findall(nodes.literal_block):
                text = teaching_core(block.astext())
                block.rawsource = text
                block.children = [nodes.Text(text)]
        return result


def setup(app: Sphinx) -> dict:
    app.add_directive("literalinclude", TeachingCoreLiteralInclude,
                      override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
