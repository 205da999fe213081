"""The render stage's shortcuts give what Sphinx and pybtex give
without them."""

from __future__ import annotations

from importlib.metadata import entry_points

import pybtex.plugin
import pytest
from sphinx import highlighting
from sphinx.highlighting import PygmentsBridge

from bookengine import sphinx_patches
from bookengine.sphinx_patches import unpatched

SOURCE = "x = np.ones((2, 3))\nprint(x.sum(axis=0))\n"


def test_a_latex_code_block_is_highlighted_once(monkeypatch) -> None:
    # Undone after the test: the class's own method, unpatched.
    monkeypatch.setattr(PygmentsBridge, "highlight_block",
                        unpatched(PygmentsBridge.highlight_block))
    latex = PygmentsBridge("latex", "sphinx").highlight_block(SOURCE, "python")
    html = PygmentsBridge("html").highlight_block(SOURCE, "python")
    calls = []
    pygments = highlighting.highlight
    monkeypatch.setattr(
        highlighting, "highlight",
        lambda *a, **k: calls.append(a[0]) or pygments(*a, **k))
    sphinx_patches.highlight_each_block_once()

    # One bridge per document, as Sphinx's LaTeX writer makes them.
    twice = [PygmentsBridge("latex", "sphinx").highlight_block(
        SOURCE, "python") for _ in range(2)]
    assert twice == [latex, latex] and calls == [SOURCE]
    PygmentsBridge("latex", "sphinx").highlight_block(SOURCE, "python",
                                                     linenos=True)
    PygmentsBridge("latex", "sphinx").highlight_block(SOURCE + "y = 1\n",
                                                     "python")
    assert len(calls) == 3          # other options, other code: highlighted
    assert [PygmentsBridge("html").highlight_block(SOURCE, "python")
            for _ in range(2)] == [html, html]
    assert len(calls) == 5          # HTML holds each block once: no memo


def test_bibtex_plugins_are_looked_up_once(monkeypatch) -> None:
    scans = []
    monkeypatch.setattr(pybtex.plugin, "entry_points",
                        lambda **kw: scans.append(kw) or entry_points(**kw))
    sphinx_patches.find_bibtex_plugins_once()

    found = [pybtex.plugin.find_plugin("pybtex.style.formatting", "plain")
             for _ in range(3)]
    (expected,) = entry_points(group="pybtex.style.formatting", name="plain")
    assert found == [expected.load()] * 3
    assert scans == [{"group": "pybtex.style.formatting", "name": "plain"}]


def test_a_warning_that_cannot_be_written_is_still_reported(tmp_path) -> None:
    from bookengine.sphinx_ext import WarningLog

    log = WarningLog(str(tmp_path / "no-such-folder" / "warnings.jsonl"))
    entry = {"message": "undefined label: 'sec-x'", "docname": "book/a"}
    log.add(entry)
    assert log.entries == [entry]
    assert log.write_errors and "No such file" in log.write_errors[0]


def test_a_patch_refuses_an_untested_version(monkeypatch) -> None:
    monkeypatch.setitem(sphinx_patches.TESTED, "sphinx", ("0.1",))
    with pytest.raises(sphinx_patches.UntestedVersion,
                       match="written for version"):
        sphinx_patches.memoize_numref_targets()
