"""Fixes for what axe-core and a keyboard found wrong with the site.

``tests/site/test_accessibility.py`` audits every page with axe-core, in
light and dark mode, at desktop and phone width, and walks one page with
Tab. Before these fixes it found, on the theme's and the extensions' own
markup (the book's text was fine):

* **Label in name** (WCAG 2.5.3, serious): the search button's visible text
  is "Search Ctrl+K" but its aria-label is "Search"; the colour-mode
  button's icons carry titles ("Light", "Dark", ...) that become text its
  name "Color mode" does not contain; MyST-NB's "Show code cell source"
  toggles are all named "Toggle hidden content". The two theme components
  are overridden in ``templates/`` (no aria-label on the search
  button, decorative icons on the colour-mode button); the toggles lose
  their aria-label, so their visible text names them.
* **Summary without a name** (serious): the sidebar's expand/collapse
  control of a chapter is a ``<summary>`` holding only a chevron; it is
  named "Sections of <chapter>".
* **Bibliography roles** (critical, plus two minor rules): docutils marks
  the list of references ``role="list"`` and each entry with the deprecated
  ``role="doc-biblioentry"``, so the list has no list items; each entry
  becomes ``role="listitem"``.
* **Contrast** (serious): links on the light blue of exercise boxes (4.3:1)
  and the colours Keras's model summary prints (as low as 1.6:1 in light
  mode); ``static/accessibility.css`` darkens the light-mode link colour
  and maps those output colours to AA ones in each mode.
* **Keyboard**: copy buttons stayed invisible when focused, and several
  buttons showed no focus ring; ``static/accessibility.css`` shows them.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

HERE = Path(__file__).parent

#: MyST-NB's hidden-cell toggle: named by its visible text instead.
TOGGLE_LABEL = ' aria-label="Toggle hidden content"'
#: docutils' citation entries (deprecated DPUB role, not a list item).
BIBLIOENTRY = 'role="doc-biblioentry"'


def fix_body(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Roles and labels inside the page body."""
    if app.builder.format != "html" or "body" not in context:
        return
    body = context["body"]
    body = body.replace(TOGGLE_LABEL, "")
    body = body.replace(BIBLIOENTRY, 'role="listitem"')
    context["body"] = body
    toctree = context.get("generate_toctree_html")
    if callable(toctree) and not getattr(toctree, "dlpy_labelled", False):
        context["generate_toctree_html"] = labelled_summaries(toctree)


def labelled_summaries(generate):
    """Wrap the theme's sidebar generator (it returns BeautifulSoup): name
    each chapter's expand/collapse toggle after the chapter."""

    def wrapper(*args, **kwargs):
        soup = generate(*args, **kwargs)
        for summary in getattr(soup, "select", lambda _: [])(
                "li > details > summary"):
            link = summary.find_parent("li").find("a", recursive=False)
            if link is not None and not summary.get("aria-label"):
                name = link.get_text().strip()
                summary["aria-label"] = f"Sections of {name}"
        return soup

    wrapper.dlpy_labelled = True
    return wrapper


def add_paths(app: Sphinx, config) -> None:
    config.templates_path.insert(0, str(HERE / "templates"))
    static = str(HERE / "static")
    if static not in config.html_static_path:
        config.html_static_path.append(static)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", add_paths)
    # After the theme has put its toctree function into the context.
    app.connect("html-page-context", fix_body, priority=900)
    app.add_css_file("accessibility.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
