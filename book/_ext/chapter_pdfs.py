"""One PDF per chapter besides the whole book, linked from its pages.

``_config.yml`` lists the chapter PDFs under ``sphinx: config:``::

    dlpy_chapter_pdfs:
      - {target: dlpy-book-front-matter.tex, title: Front matter,
         pages: [book/preface, book/about]}
      - {target: dlpy-book-chapter-2.tex, pages: [book/ch02/index]}

A page brings the pages of its toctree with it (``book/ch02/index`` brings
2.1 to 2.5). ``title`` defaults to "Chapter N: <title of the first page>".

For the LaTeX builder, each one becomes one more entry of
``latex_documents`` (added when the builder starts writing, after Jupyter
Book has set up the book's own entry, so the book keeps its title and file
name), and the build engine turns every ``.tex`` into a PDF. Sphinx would
typeset a document that starts at a chapter page with the chapter's title
as the document's title and its sections as parts; here the pages are put
under a title of their own, and the document's top level is the chapter,
so the PDF opens with a title page ("Deep Learning, Executed" and the
chapter), a table of contents and "Chapter 2", with sections 2.1, 2.2, ...
and figures 2.1, 2.2, ... as on the website (the whole book numbers its
figures within chapters too). A reference inside the document is a working
link; one to a page outside it is printed as the text the website shows
("Section 2.4"). A chapter that cites works gets the bibliography page at
its end, so its citations link to their entries.

For the HTML builder, every page of a chapter PDF gets two entries in the
theme's download menu: "Download this chapter as PDF" and "Download the book
as PDF". They point into the site's ``_pdf/`` folder, which the build engine
fills when it publishes the PDFs; an HTML build also copies the last
published PDFs there (from ``<build>/latex``), so a site rendered without
the PDF stage still offers them.
"""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError, NoUri
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.texescape import escape

# The book's own LaTeX structure (book/_ext is on the path, as for Sphinx).
from latex_structure import BIBLIOGRAPHY, NUMBERED, SAVE_DEPTH, UNNUMBERED

def site_pdf_dir(app: Sphinx) -> str:
    """The site folder with the PDFs, where the engine publishes them:
    ``site_pdf_dir`` in ``[tool.bookengine]`` of pyproject.toml."""
    path = Path(app.srcdir) / "pyproject.toml"
    try:
        with path.open("rb") as f:
            settings = tomllib.load(f).get("tool", {}).get("bookengine", {})
    except FileNotFoundError:
        settings = {}
    return str(settings.get("site_pdf_dir", "_pdf"))


@dataclasses.dataclass
class ChapterPdf:
    target: str              # the .tex name, e.g. dlpy-book-chapter-2.tex
    pages: list[str]         # start pages (each brings its toctree)
    title: str | None = None

    @property
    def pdf(self) -> str:
        return Path(self.target).with_suffix(".pdf").name


def chapter_pdfs(config) -> list[ChapterPdf]:
    found = []
    for entry in config.dlpy_chapter_pdfs or []:
        if not isinstance(entry, dict) or not entry.get("target") \
                or not entry.get("pages"):
            raise ConfigError(
                "dlpy_chapter_pdfs: every entry needs `target` (a .tex "
                f"name) and `pages` (a list of pages); got {entry!r}")
        found.append(ChapterPdf(entry["target"], list(entry["pages"]),
                                entry.get("title")))
    return found


def pages_of(env, chapter: ChapterPdf) -> list[str]:
    """Every page a chapter PDF holds, in reading order."""
    found: list[str] = []

    def walk(docname: str) -> None:
        if docname in found:
            return
        found.append(docname)
        for child in env.toctree_includes.get(docname, []):
            walk(child)

    for page in chapter.pages:
        walk(page)
    return found


def chapter_number(env, docname: str) -> int | None:
    number = env.toc_secnumbers.get(docname, {}).get("")
    return number[0] if number else None


def page_title(env, docname: str) -> str:
    return env.titles[docname].astext()


def title_of(env, chapter: ChapterPdf) -> str:
    """The chapter's title, as text (for the title page and the PDF)."""
    if chapter.title:
        return chapter.title
    first = chapter.pages[0]
    number = chapter_number(env, first)
    prefix = f"Chapter {number}: " if number else ""
    return prefix + page_title(env, first)


# --------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------


def add_latex_documents(app: Sphinx) -> None:
    """One ``latex_documents`` entry per chapter PDF, after the book's."""
    env = app.env
    book = tuple(app.config.latex_documents[0])
    _, _, book_title, author, theme = book[:5]
    known = {entry[1] for entry in app.config.latex_documents}
    for chapter in chapter_pdfs(app.config):
        if chapter.target in known:
            continue
        missing = [p for p in chapter.pages if p not in env.all_docs]
        if missing:
            raise ConfigError(f"dlpy_chapter_pdfs: {chapter.target}: no "
                              f"such page(s): {', '.join(missing)}")
        title = escape(title_of(env, chapter))
        # The title page shows the book's title with the chapter's below;
        # the PDF's metadata, "book, chapter" (\\ becomes a comma there).
        full = f"{book_title}\\\\{{\\LARGE {title}}}"
        app.config.latex_documents.append(
            (chapter.pages[0], chapter.target, full, author, theme, False))


def cite_domain(env):
    """sphinxcontrib-bibtex's domain, if the book uses it."""
    return env.domains.get("cite")


def cites(env, docnames: list[str]) -> bool:
    """Whether any of these pages cites a work."""
    domain = cite_domain(env)
    return domain is not None and any(
        ref.docname in docnames for ref in domain.citation_refs)


def bibliography_page(env) -> str | None:
    """The page holding the ``{bibliography}`` directive, if any."""
    domain = cite_domain(env)
    keys = list(domain.bibliographies) if domain is not None else []
    return keys[0].docname if keys else None


class AnywhereBuilder:
    """The LaTeX builder as a domain sees it while resolving a reference
    "as on the website": named "html" (so a section's number is the
    website's; for "latex" Sphinx leaves it to LaTeX), and able to link to
    any page. Records the pages it was asked to link to."""

    name = "html"

    def __init__(self, builder):
        self._builder = builder
        self.asked: list[str] = []

    def __getattr__(self, attribute):
        return getattr(self._builder, attribute)

    def get_target_uri(self, docname: str, typ=None) -> str:
        self.asked.append(docname)
        return docname

    def get_relative_uri(self, from_: str, to: str, typ=None) -> str:
        return self.get_target_uri(to, typ)


class OutsideReferences(SphinxPostTransform):
    """In a chapter PDF, a reference to a page outside it reads as on the
    website ("Section 2.4", "Chapter 1", "Fig. 2.14"), as plain text.

    Sphinx's LaTeX builder cannot link outside the document, so it keeps
    only the reference's raw content, which for a numbered reference is its
    template: "Section %s". Here each reference is first resolved as the
    website resolves it; if it lands on a page outside the document, it is
    replaced by the text it shows there. Runs before Sphinx's own resolver,
    and only while a chapter PDF is assembled.
    """

    builders = ("latex",)
    default_priority = 5  # sphinx's ReferencesResolver is 10

    def run(self, **kwargs) -> None:
        inside = getattr(self.app.builder, "dlpy_chapter_docnames", None)
        if not inside:
            return
        for node in list(self.document.findall(addnodes.pending_xref)):
            domain = self.env.domains.get(node.get("refdomain", ""))
            if domain is None or not len(node):
                continue
            anywhere = AnywhereBuilder(self.app.builder)
            try:
                found = domain.resolve_xref(
                    self.env, node.get("refdoc", self.env.docname), anywhere,
                    node["reftype"], node["reftarget"], node,
                    node[0].deepcopy())
            except NoUri:
                continue
            if found is not None and any(d not in inside
                                         for d in anywhere.asked):
                text = found.astext()
                node.replace_self(nodes.inline(text, text))


def raw(text: str) -> nodes.raw:
    return nodes.raw("", text, format="latex")


def restructure(tree: nodes.document, env, title: str,
                book_title: str) -> nodes.document:
    """Put the document's pages under a title section of their own.

    ``tree`` is what Sphinx assembled: the first page (its toctree inlined)
    followed, as separate documents, by the other pages. It becomes::

        document
          section            <- its title is the document's title (dropped)
            start_of_file    <- first page: \\chapter, its sections below
            start_of_file    <- second page ...

    so the LaTeX writer, with "chapter" as the top level, typesets each page
    as a chapter. Numbered pages keep their chapter number (the counter is
    set before them); the others are unnumbered, as on the website. After
    the title page, the running heads show the book's title alone.
    """
    docnames = [tree["docname"]]
    first, extra = [], []
    for child in tree.children:
        (extra if isinstance(child, nodes.document) else first).append(child)
    pages = [first] + [d.children for d in extra]
    docnames += [d["docname"] for d in extra]
    outer = nodes.section()
    outer += nodes.title(title, title)
    outer += raw(SAVE_DEPTH + BIBLIOGRAPHY
                 + f"\\makeatletter\\gdef\\@title{{{book_title}}}"
                 "\\makeatother\n")
    for docname, children in zip(docnames, pages):
        start = addnodes.start_of_file(docname=docname)
        number = chapter_number(env, docname)
        if number:
            start += raw(NUMBERED + f"\\setcounter{{chapter}}"
                         f"{{{number - 1}}}\n")
        else:
            start += raw(UNNUMBERED)
        sections = [n for n in children if isinstance(n, nodes.section)]
        for section in sections:
            section.setdefault("docname", docname)
        if docname != tree["docname"] and sections \
                and ":doc" not in sections[0]["ids"]:
            sections[0]["ids"].append(":doc")  # target of {doc} links
        start.extend(children)
        outer += start
    tree.children = []
    tree += outer
    return tree


def wrap_latex_builder(app: Sphinx) -> None:
    """For the LaTeX builder: list the chapter documents when it starts
    writing (section numbers are known by then) and assemble them as
    :func:`restructure` says."""
    builder = app.builder
    if builder.format != "latex":
        return
    chapters = {c.pages[0]: c for c in chapter_pdfs(app.config)}
    # sphinx-jupyterbook-latex's choice for the book ("part"); this runs
    # after its builder-inited handler.
    book_level = app.config.latex_toplevel_sectioning
    # latex_structure's numfig_secnum_depth (1: "Fig. 2.14", numbered within
    # the chapter, as on the website). The LaTeX writer counts it from the
    # top level, so a document whose top level is "part" needs one more.
    depth = app.config.numfig_secnum_depth
    init_document_data = builder.init_document_data
    assemble_doctree = builder.assemble_doctree

    def init() -> None:
        if app.config.latex_documents:
            add_latex_documents(app)
        init_document_data()

    def assemble(indexfile, toctree_only, appendices):
        chapter = chapters.get(indexfile)
        # Read by the LaTeX writer that is created for this document next.
        level = book_level if chapter is None else "chapter"
        app.config.latex_toplevel_sectioning = level
        app.config.numfig_secnum_depth = depth + (level == "part")
        if chapter is None:
            return assemble_doctree(indexfile, toctree_only, appendices)
        env = builder.env
        extra = list(chapter.pages[1:])
        bibliography = bibliography_page(env)
        if bibliography and bibliography not in extra \
                and cites(env, pages_of(env, chapter)):
            extra.append(bibliography)
        builder.dlpy_chapter_docnames = set(pages_of(env, chapter)) | set(
            extra) | set(appendices)
        try:
            tree = assemble_doctree(indexfile, toctree_only,
                                    [*extra, *appendices])
        finally:
            builder.dlpy_chapter_docnames = None
        book_title = app.config.latex_documents[0][2]
        return restructure(tree, env, title_of(env, chapter), book_title)

    builder.init_document_data = init
    builder.assemble_doctree = assemble


# --------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------


def book_pdf(app: Sphinx) -> str | None:
    documents = app.config.latex_documents
    return (Path(documents[0][1]).with_suffix(".pdf").name
            if documents else None)


def add_download_links(app: Sphinx, pagename, templatename, context,
                       doctree) -> None:
    """"Download this chapter as PDF" and the book's PDF, in the menu."""
    if app.builder.format != "html":
        return
    groups = [b for b in context.get("header_buttons", [])
              if b.get("label") == "download-buttons"]
    if not groups:
        return
    pathto = context["pathto"]
    entries = []
    for chapter in chapter_pdfs(app.config):
        if pagename in pages_of(app.env, chapter):
            entries.append(("Download this chapter as PDF", chapter.pdf,
                            "download-chapter-pdf-button"))
            break
    if book_pdf(app):
        entries.append(("Download the book as PDF", book_pdf(app),
                        "download-book-pdf-button"))
    for text, pdf, label in entries:
        groups[0]["buttons"].append({
            "type": "link", "url": pathto(f"{site_pdf_dir(app)}/{pdf}", 1),
            "text": text, "tooltip": text, "icon": "fas fa-file-pdf",
            "label": label})


def copy_published_pdfs(app: Sphinx, exception) -> None:
    """The last published PDFs into the site's ``_pdf/`` (HTML only)."""
    if exception is not None or app.builder.format != "html":
        return
    source = Path(app.config.dlpy_pdf_dir or
                  Path(app.outdir).parent.parent / "latex")
    target = Path(app.outdir) / site_pdf_dir(app)
    wanted = [c.pdf for c in chapter_pdfs(app.config)]
    if book_pdf(app):
        wanted.append(book_pdf(app))
    for name in wanted:
        if (source / name).is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, target / name)


def setup(app: Sphinx) -> dict:
    app.add_config_value("dlpy_chapter_pdfs", [], "html")
    # Where the published PDFs are (default: <build>/latex next to the
    # engine's <build>/render/html).
    app.add_config_value("dlpy_pdf_dir", "", "html")
    # After sphinx-jupyterbook-latex's builder-inited handler (500).
    app.connect("builder-inited", wrap_latex_builder, priority=900)
    app.add_post_transform(OutsideReferences)
    # After sphinx-book-theme has built its header buttons (priority 501).
    app.connect("html-page-context", add_download_links, priority=600)
    app.connect("build-finished", copy_published_pdfs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
