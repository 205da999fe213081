"""Static checks of the book's MyST sources.

The build itself fails on unresolved references and missing glue keys; these
tests catch the opposite mistakes, which Sphinx accepts silently: a figure
that the text never refers to, a value glued but never shown, a page that
does not say where it ran, a listing too wide for the printed page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def toc_files() -> list[Path]:
    """Every page listed in _toc.yml, in reading order."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [REPO / f"{name}.md" for name in found]


PAGES = toc_files()
TEXT = {page: page.read_text() for page in PAGES if page.exists()}
ALL_TEXT = "\n".join(TEXT.values())

CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
GLUE_CALL = re.compile(r"""\bglue(?:_figure)?\(\s*["']([\w.-]+)["']""")
GLUE_USE = re.compile(r"\{glue(?::\w+)?\}`(?:([\w./-]+\.md)::)?([\w.-]+)"
                      r"(?::[^`]*)?`")
GLUE_DIRECTIVE = re.compile(r"^[`:]{3,}\{glue:(?:figure|math|md)?\}\s+"
                            r"(?:([\w./-]+\.md)::)?([\w.-]+)", re.M)
FIGURE_NAME = re.compile(r"^:name:\s+(fig-[\w-]+)", re.M)
REFERENCE = re.compile(r"\{(?:numref|ref)\}`(?:[^`<]*<)?([\w-]+)>?`")


def executed_pages() -> list[Path]:
    return [p for p, text in TEXT.items() if CODE_CELL.search(text)]


def test_every_page_in_the_toc_exists() -> None:
    missing = [str(p.relative_to(REPO)) for p in PAGES if not p.exists()]
    assert not missing


@pytest.mark.parametrize("page", executed_pages(),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_every_glued_value_is_shown(page: Path) -> None:
    """A value glued but never used is a number the reader never sees."""
    glued = {key for cell in CODE_CELL.findall(TEXT[page])
             for key in GLUE_CALL.findall(cell)}
    used = set()
    for other, text in TEXT.items():
        for pattern in (GLUE_USE, GLUE_DIRECTIVE):
            for doc, key in pattern.findall(text):
                target = (other.parent / doc).resolve() if doc else other
                if target == page:
                    used.add(key)
    assert sorted(glued - used) == []


@pytest.mark.parametrize("page", executed_pages(),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_every_page_says_where_it_ran(page: Path) -> None:
    text = TEXT[page]
    assert "{glue:text}`executed_on`" in text
    assert 'glue("executed_on", run.summary())' in text


def test_every_figure_is_referenced_from_the_text() -> None:
    names = FIGURE_NAME.findall(ALL_TEXT)
    assert len(names) == len(set(names)), "duplicate figure labels"
    referenced = set(REFERENCE.findall(ALL_TEXT))
    assert sorted(set(names) - referenced) == []


def test_figures_are_numbered_and_captioned() -> None:
    """Each {glue:figure} has a label and a caption (numbered by numfig)."""
    blocks = re.findall(r"^```\{glue:figure\}[^\n]*\n(.*?)^```", ALL_TEXT,
                        re.S | re.M)
    assert blocks, "the book has no computed figures"
    for block in blocks:
        assert FIGURE_NAME.search(block), block
        caption = [line for line in block.splitlines()
                   if line.strip() and not line.startswith(":")]
        assert caption, f"figure without a caption:\n{block}"


@pytest.mark.parametrize("page", executed_pages(),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_code_fits_the_printed_page(page: Path) -> None:
    long_lines = [line for cell in CODE_CELL.findall(TEXT[page])
                  for line in cell.splitlines() if len(line) > 79]
    assert long_lines == []



# How many numbered sections each page must have: chapter 1 follows an
# outline of its own (1.1-1.11); chapter 2 matches the source's numbering
# (2.3.1-2.3.6, 2.4.1-2.4.4), and 2.3.7 (shape and dtype traps) is our
# addition, at the end of its page.
OUTLINE = {
    "book/ch01/index.md": 11,
    "book/ch02/index.md": 0,  # 2.1-2.5 are the pages that follow it
    "book/ch02/tensor-ops.md": 7,  # 2.3.7: shape and dtype traps
    "book/ch02/gradient-optimization.md": 4,
}


@pytest.mark.parametrize("page, sections", sorted(OUTLINE.items()))
def test_numbering_follows_the_outline(page: str, sections: int) -> None:
    text = re.sub(r"^```.*?^```", "", TEXT[REPO / page], flags=re.S | re.M)
    assert len(re.findall(r"^## ", text, re.M)) == sections


def test_chapter_two_has_sections_two_one_to_two_five() -> None:
    names = [p.relative_to(REPO).as_posix() for p in PAGES]
    start = names.index("book/ch02/index.md")
    assert names[start + 1:start + 6] == [
        "book/ch02/first-network.md", "book/ch02/tensors.md",
        "book/ch02/tensor-ops.md", "book/ch02/gradient-optimization.md",
        "book/ch02/looking-back.md"]
