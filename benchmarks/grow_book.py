"""Grow a book by N generated pages, to time the engine at scale.

Each generated page ``book/generated/page-NNN.md`` has a few sentences, a
``{ref}`` to the previous page, a code cell that imports ``dlpy.naive`` and
computes a number it glues into the prose, and, on every tenth page, a
small figure. The pages form one more part of ``_toc.yml``. Every page's
code differs (the execution cache refuses two pages with identical code).

Usage: ``python benchmarks/grow_book.py ROOT N`` (``ROOT``: a copy of the
book, never the checkout itself). ``make bench-build`` grows its copy by
150 pages; ``tests/engine/test_grow_book.py`` builds a test book grown by a
few.
"""

from __future__ import annotations

import sys
from pathlib import Path

FOLDER = "book/generated"

FRONT = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
  language: python
---
"""


def page_text(number: int) -> str:
    """The source of generated page ``number`` (1-based)."""
    previous = (f"It follows {{ref}}`sec-generated-{number - 1:03d}`."
                if number > 1 else "It is the first generated page.")
    figure = ""
    if number % 10 == 0:
        figure = (
            "\n```{code-cell} ipython3\n"
            "import matplotlib.pyplot as plt\n\n"
            "fig, ax = plt.subplots(figsize=(3, 2))\n"
            f"ax.plot(range({number % 7 + 3}), marker='o')\n"
            f"ax.set_title('Generated page {number}')\n"
            "plt.show()\n"
            "```\n")
    return FRONT + f"""
(sec-generated-{number:03d})=
# Generated page {number}

This page was written by a program to time the build engine on a large
book. {previous} Its one computation adds two one-row matrices with the
naive operations of the package and glues the total into this sentence:
the sum is {{glue:text}}`total_{number:03d}`.

```{{code-cell}} ipython3
import numpy as np
from dlpy import naive
from myst_nb import glue

x = np.arange({number % 5 + 2}, dtype=float).reshape(1, -1)
y = np.full_like(x, {number})
glue("total_{number:03d}", float(naive.naive_add(x, y).sum()),
     display=False)
```
{figure}
A closing sentence, so that the page has prose after its code.
"""


def grow(root: Path, count: int) -> list[str]:
    """Write ``count`` pages into ``root`` and list them in its TOC; the
    docnames, in order. The TOC gains one part (``parts:``) or one more
    chapter per page (``chapters:``)."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for number in range(1, count + 1):
        name = f"{FOLDER}/page-{number:03d}"
        (root / f"{name}.md").write_text(page_text(number))
        names.append(name)
    toc = root / "_toc.yml"
    text = toc.read_text().rstrip("\n") + "\n"
    if "\nparts:" in text:
        text += "  - caption: Generated pages\n    chapters:\n" + "".join(
            f"      - file: {name}\n" for name in names)
    else:
        text += "".join(f"  - file: {name}\n" for name in names)
    toc.write_text(text)
    return names


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    target, pages = Path(sys.argv[1]), int(sys.argv[2])
    if (target / ".git").exists():
        sys.exit(f"{target} is a checkout: grow a copy of it")
    grown = grow(target, pages)
    print(f"{len(grown)} pages written to {target / FOLDER}")
