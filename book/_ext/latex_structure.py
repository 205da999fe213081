"""Make the PDF's structure match the website's.

Two differences between Sphinx's LaTeX output and its HTML output are fixed
here, for the LaTeX builder only:

* Sphinx uses the root page's first title as the document title and drops it
  from the body, so the root page would start without its heading. It is put
  back as an unnumbered chapter listed in the contents.
* The HTML numbers only the pages of numbered parts of ``_toc.yml`` (the
  chapters), while LaTeX numbers every chapter, so the preface would be
  chapter 1 and "What is deep learning?" chapter 3. Pages that have no
  section number in the HTML are made unnumbered in the PDF too, and the
  chapter counter restarts at the first numbered page, so that section 2.3
  in the PDF is section 2.3 on the website.

A third fix removes a duplicate: the bibliography page has its own title,
"Bibliography" (a chapter in the PDF), and the list of references that
follows it is typeset by Sphinx's ``sphinxthebibliography`` environment,
which by default starts a new page with a second, unnumbered chapter of the
same name and adds a second "Bibliography" line to the table of contents.
The environment is redefined to typeset only the list, under the page's own
title.

Finally, numbers that Sphinx writes as text (sphinx-exercise's "Exercise
1.1") follow the website's. sphinx-jupyterbook-latex raises
``numfig_secnum_depth`` to 2 for books with parts, so the PDF would call the
first exercise of chapter 1 "Exercise 1.12.1" where the website says
"Exercise 1.1". The value of ``_config.yml`` is restored for the LaTeX
builder. (Figures, tables and listings are numbered by LaTeX itself;
chapter_pdfs.py tells the LaTeX writer of each document the depth that makes
them "Fig. 2.14", within the chapter, as on the website.)
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.texescape import escape

SAVE_DEPTH = (r"\makeatletter\edef\dlpysecnumdepth{\the\c@secnumdepth}"
              r"\makeatother" "\n")
UNNUMBERED = r"\setcounter{secnumdepth}{-1}" "\n"
NUMBERED = r"\setcounter{secnumdepth}{\dlpysecnumdepth}" "\n"
RESTART = r"\setcounter{chapter}{0}" "\n"
# report.cls's thebibliography opens with \chapter*{\bibname}; inside the
# environment, \chapter swallows its star and title, so only the list is
# typeset (no page break, no second heading, no second contents line).
BIBLIOGRAPHY = (r"\renewenvironment{sphinxthebibliography}[1]"
                r"{\renewcommand{\chapter}[2]{}\begin{thebibliography}{#1}}"
                r"{\end{thebibliography}}" "\n")


def _latex(text: str) -> nodes.raw:
    return nodes.raw("", text, format="latex")


class LatexStructure(SphinxPostTransform):
    builders = ("latex",)
    default_priority = 800  # after sphinx-jupyterbook-latex's transforms

    def apply(self, **kwargs) -> None:
        source = self.document.get("source", "")
        if self.app.project.path2doc(source) != self.config.root_doc:
            return
        section = next(iter(self.document.findall(nodes.section)), None)
        if section is None or not isinstance(section[0], nodes.title):
            return
        title = escape(section[0].astext())
        section.insert(1, _latex(
            SAVE_DEPTH + BIBLIOGRAPHY + UNNUMBERED
            + f"\\chapter*{{{title}}}\n"
            f"\\addcontentsline{{toc}}{{chapter}}{{{title}}}\n"
            f"\\markboth{{{title}}}{{{title}}}\n"))

        numbered, restarted = False, False
        for start in self.document.findall(addnodes.start_of_file):
            wanted = bool(self.env.toc_secnumbers.get(start["docname"]))
            if wanted == numbered:
                continue
            numbered = wanted
            text = NUMBERED if wanted else UNNUMBERED
            if wanted and not restarted:
                text, restarted = text + RESTART, True
            start.insert(0, _latex(text))


def _remember_numfig_depth(app: Sphinx, config) -> None:
    """Keep the configured depth before another extension changes it."""
    app.dlpy_numfig_secnum_depth = config.numfig_secnum_depth


def _restore_numfig_depth(app: Sphinx) -> None:
    """For the LaTeX builder, undo sphinx-jupyterbook-latex's depth 2."""
    if app.builder.format == "latex":
        app.config.numfig_secnum_depth = app.dlpy_numfig_secnum_depth


def setup(app: Sphinx) -> dict:
    app.add_post_transform(LatexStructure)
    app.connect("config-inited", _remember_numfig_depth)
    # After sphinx-jupyterbook-latex's own builder-inited handler (500).
    app.connect("builder-inited", _restore_numfig_depth, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
