"""Keep the root page's heading in the PDF.

Sphinx's LaTeX writer uses the first title of the root document as the
document title and drops it from the body, so the root page's text would
start the PDF without its heading. This post-transform, for the LaTeX builder
only, puts the heading back as an unnumbered chapter listed in the contents.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.texescape import escape


class KeepRootHeading(SphinxPostTransform):
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
        heading = nodes.raw(
            "",
            f"\\chapter*{{{title}}}\n"
            f"\\addcontentsline{{toc}}{{chapter}}{{{title}}}\n"
            f"\\markboth{{{title}}}{{{title}}}\n",
            format="latex",
        )
        section.insert(1, heading)


def setup(app: Sphinx) -> dict:
    app.add_post_transform(KeepRootHeading)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
