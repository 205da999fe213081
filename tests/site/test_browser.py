"""The website in a real browser, online and with the network cut off.

Every page of the TOC is opened in Chromium at desktop (1280x900) and phone
(390x844) widths (both at once), with every request to a host other than
127.0.0.1/localhost aborted, as on a machine without network. Each visit
must show no console error, no failed request, no request to another host
(each one is reported, so a page cannot depend on the network even where
the network would have answered), every image decoded, every formula
typeset by the site's own MathJax with its fonts loaded. Screenshots of
each page land in ``_build/screenshots/{desktop,phone,dark}`` for a person
to look at.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

VIEWPORTS = {"desktop": {"width": 1280, "height": 900},
             "phone": {"width": 390, "height": 844}}
LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: The search check: a word and the page it must find.
SEARCH_WORD, SEARCH_PAGE = "broadcasting", "book/ch02/tensor-ops"
#: Modules the API reference must document.
API_MODULES = (
    "dlpy.naive", "dlpy.tensors", "dlpy.autodiff", "dlpy.optim",
    "dlpy.geometry", "dlpy.datasets.mnist", "dlpy.training", "dlpy.runtime",
    "dlpy.book", "dlpy.plotting", "dlpy.plotting.style",
    "dlpy.plotting.concepts", "dlpy.plotting.tensors",
    "dlpy.plotting.geometry", "dlpy.plotting.calculus",
    "dlpy.plotting.graphs",
)
NOT_PAGES = {"genindex.html", "search.html", "py-modindex.html"}

# TeX a reader must never see: \( \) \[ \] $$, or $...$ holding TeX.
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\n]{0,80}[\\^_{}][^$\n]"
                     r"{0,80}\$|\$[A-Za-z]\$")


def url_of(site: str, page: str) -> str:
    return urllib.parse.urljoin(site, page + ".html")


def shot_name(page: str) -> str:
    return page.replace("/", "__") + ".png"


def is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in LOCAL_HOSTS


class Visit:
    """A browser context that records everything that goes wrong."""

    def __init__(self, browser, viewport="desktop", offline=False,
                 init_script=None, **context_options):
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=VIEWPORTS[viewport],
                                           **context_options)
        if init_script:
            self.context.add_init_script(init_script)
        self.context.route("**/*", self._route(offline))

    def _route(self, offline):
        def handle(route):
            url = route.request.url
            if is_local(url):
                route.continue_()
                return
            self.problems.append(f"request to another host: {url}")
            if offline:
                route.abort("internetdisconnected")
            else:
                route.continue_()
        return handle

    def open(self, url: str, wait_until: str = "load"):
        page = self.context.new_page()
        page.on("console", lambda m: self.problems.append(
            f"console {m.type}: {m.text} ({m.location.get('url')})")
            if m.type == "error" else None)
        page.on("pageerror", lambda e: self.problems.append(
            f"page error: {e}"))
        page.on("requestfailed", lambda r: None if not is_local(r.url)
                else self.problems.append(
                    f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: self.problems.append(
            f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.goto(url, wait_until=wait_until)
        return page

    def close(self):
        self.context.close()


#: Let MathJax finish; count formulas, typeset ones, errors, fonts.
MATH_JS = """async () => {
    const math = [...document.querySelectorAll('.math')];
    if (math.length && window.MathJax && MathJax.startup)
        await MathJax.startup.promise;
    await document.fonts.ready;
    const fonts = [...document.fonts];
    return {
        math: math.length,
        typeset: math.filter(e => e.querySelector('mjx-container')).length,
        errors: [...document.querySelectorAll('mjx-merror')]
            .map(e => e.getAttribute('data-mjx-error') || e.textContent),
        mathjax: !!(window.MathJax && MathJax.startup),
        mjxFonts: fonts.filter(f => f.family.includes('MJX')
                               && f.status === 'loaded').length,
        badFonts: fonts.filter(f => f.status === 'error')
            .map(f => f.family),
    };
}"""

#: Load every image (lazy ones too); the sources of those not decoded.
IMAGES_JS = """async () => {
    const imgs = [...document.images];
    imgs.forEach(i => { i.loading = 'eager'; });
    await Promise.all(imgs.map(i => i.complete ? null :
        new Promise(r => { i.onload = i.onerror = r; })));
    return imgs.filter(i => !(i.naturalWidth > 0))
        .map(i => i.currentSrc || i.src);
}"""


#: The image and maths checks together: [broken images, maths].
CHECKS = f"() => Promise.all([({IMAGES_JS})(), ({MATH_JS})()])"


def visible_prose(page) -> str:
    """The article's text without code, typeset maths, scripts."""
    return page.evaluate("""() => {
        const main = document.querySelector('main') || document.body;
        const copy = main.cloneNode(true);
        copy.querySelectorAll('pre, code, script, style, mjx-container, '
            + '.highlight, .cell_output, .output').forEach(e => e.remove());
        return copy.innerText;
    }""")


# --------------------------------------------------------------------------
# Static checks of the built files
# --------------------------------------------------------------------------


def test_every_built_page_is_in_the_toc(built_book, book):
    html_dir, pages = book.html, book.pages
    built = {str(p.relative_to(html_dir).with_suffix("")).replace(os.sep, "/")
             for p in html_dir.rglob("*.html")
             if not {"_static", "_sources", "_modules", "_images"}
             & set(p.relative_to(html_dir).parts)
             and p.relative_to(html_dir).as_posix() not in NOT_PAGES}
    built.discard("index")  # the redirect to the root page
    assert built == set(pages), (
        f"pages built but not in _toc.yml: {sorted(built - set(pages))}; "
        f"in _toc.yml but not built: {sorted(set(pages) - built)}")


REMOTE_ATTR = re.compile(
    r"<(?:script|img|iframe|source|audio|video|link|embed|object)\b[^>]*?"
    r"\s(?:src|href|data)=[\"']((?:https?:)?//[^\"']+)", re.I)
REMOTE_CSS = re.compile(r"(?:url\(|@import\s+)[\"']?((?:https?:)?//[^)\"']+)",
                        re.I)


def test_no_asset_comes_from_another_host(built_book, book):
    html_dir = book.html
    found = []
    for path in sorted(html_dir.rglob("*")):
        if path.suffix == ".html":
            urls = REMOTE_ATTR.findall(path.read_text(errors="replace"))
        elif path.suffix == ".css":
            urls = REMOTE_CSS.findall(path.read_text(errors="replace"))
        else:
            continue
        found += [f"{path.relative_to(html_dir)}: {url}" for url in urls]
    assert not found, "assets loaded from other hosts:\n" + "\n".join(found)
    assert (html_dir / "_static/mathjax/tex-mml-chtml.js").is_file()


OUTPUT_BLOCK = re.compile(r'<div class="cell_output[^"]*">(.*?)</div>\s*</div>',
                          re.S)
NOISE_IN_OUTPUT = re.compile(
    r"Traceback \(most recent call last\)"  # an error
    r"|\b\w*Warning: "                       # a warning printed by a library
    r"|━+\s+\d+m?s \d+m?s/step"              # a Keras progress bar
    r"|\x08")                                 # backspaces from a progress bar


def test_cell_outputs_hold_no_errors_warnings_or_progress_bars(built_book,
                                                              book):
    """What the reader sees below a cell is the result, not noise."""
    found = []
    for page_name in book.pages:
        html = (book.html / f"{page_name}.html").read_text()
        for block in OUTPUT_BLOCK.findall(html):
            text = re.sub(r"<[^>]+>", "", block)
            found += [f"{page_name}: {m.group(0)!r}"
                      for m in NOISE_IN_OUTPUT.finditer(text)]
    assert not found, "\n".join(found)


# --------------------------------------------------------------------------
# Every page, online and offline, at two widths
# --------------------------------------------------------------------------


def test_page_renders_cleanly(browser, site, book, page_name, background):
    """The page at both widths, at once (a browser context each), with
    every request to another host aborted, as on a machine without network
    (and each such request reported)."""
    visits = {viewport: Visit(browser, viewport, offline=True)
              for viewport in VIEWPORTS}
    seen = {}
    try:
        pages = {viewport: visit.open(url_of(site, page_name),
                                      wait_until="commit")
                 for viewport, visit in visits.items()}
        for page in pages.values():
            page.wait_for_load_state("load")
            background.start(page, "__bookChecks", CHECKS)
        for viewport, page in pages.items():
            broken, math = background.result(page, "__bookChecks")
            page.wait_for_load_state("networkidle")
            target = book.screenshots / viewport / shot_name(page_name)
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=True)
            seen[viewport] = (broken, math, visible_prose(page))
    finally:
        for visit in visits.values():
            visit.close()
    problems = []
    for viewport, (broken, math, prose) in seen.items():
        problems += [f"{viewport}: {p}"
                     for p in page_problems(visits[viewport].problems,
                                            broken, math, prose)]
    assert not problems, f"{page_name}:\n  " + "\n  ".join(problems)


def page_problems(recorded: list[str], broken: list[str], math: dict,
                  prose: str) -> list[str]:
    """What went wrong on one visit: what the browser recorded (console
    errors, failed requests, requests to other hosts), images not decoded,
    maths not typeset or without fonts, TeX left in the prose."""
    problems = list(recorded)
    problems += [f"image not decoded: {src}" for src in broken]
    if math["math"]:
        if not math["mathjax"]:
            problems.append("the page has maths but MathJax did not start")
        if math["typeset"] != math["math"]:
            problems.append(f"only {math['typeset']} of {math['math']} "
                            "formulas were typeset")
        if not math["mjxFonts"]:
            problems.append("no MathJax font was loaded")
        problems += [f"TeX error: {e}" for e in math["errors"]]
    problems += [f"font failed to load: {f}" for f in math["badFonts"]]
    raw = sorted(set(RAW_TEX.findall(prose)))
    if raw:
        problems.append(f"raw TeX left in the text: {raw[:10]}")
    return problems


# --------------------------------------------------------------------------
# Navigation and reader conveniences
# --------------------------------------------------------------------------


def test_search_finds_the_tensor_operations_page(browser, site, book):
    if SEARCH_PAGE not in book.pages:
        pytest.fail(f"{SEARCH_PAGE} is not in _toc.yml")
    visit = Visit(browser)
    try:
        page = visit.open(urllib.parse.urljoin(
            site, f"search.html?q={SEARCH_WORD}"))
        page.wait_for_selector("#search-results li a", timeout=20_000)
        hrefs = page.eval_on_selector_all(
            "#search-results li a", "els => els.map(e => e.href)")
    finally:
        visit.close()
    assert any(urllib.parse.urlsplit(h).path.endswith(SEARCH_PAGE + ".html")
               for h in hrefs), hrefs
    assert not visit.problems, visit.problems


def test_next_and_previous_links(browser, site, book):
    html_dir, pages = book.html, book.pages
    visit = Visit(browser)
    try:
        page = visit.open(url_of(site, pages[0]))
        page.click("a.right-next")
        page.wait_for_load_state("load")
        assert page.url.split("#")[0] == url_of(site, pages[1])
        page.click("a.left-prev")
        page.wait_for_load_state("load")
        assert page.url.split("#")[0] == url_of(site, pages[0])
    finally:
        visit.close()
    assert not visit.problems, visit.problems
    # ... and on every page, next/previous follow the reading order.
    for before, page_name, after in zip([None] + pages, pages,
                                        pages[1:] + [None]):
        html = (html_dir / (page_name + ".html")).read_text()
        for css, expected in (("right-next", after), ("left-prev", before)):
            match = re.search(
                rf'<a[^>]*class="{css}"[^>]*href="([^"]+)"'
                rf'|<a[^>]*href="([^"]+)"[^>]*class="{css}"', html)
            if expected is None:
                continue
            assert match, f"{page_name}: no {css} link"
            href = match.group(1) or match.group(2)
            target = (html_dir / page_name).parent / href.split("#")[0]
            wanted = html_dir / (expected + ".html")
            assert target.resolve() == wanted.resolve(), (
                f"{page_name}: {css} goes to {href}, expected {expected}")


def test_sidebar_links_to_every_chapter(browser, site, book):
    chapters, pages = book.chapters, book.pages
    visit = Visit(browser)
    try:
        page = visit.open(url_of(site, pages[-1]))
        links = page.eval_on_selector_all(
            ".bd-sidebar-primary nav a.reference",
            "els => els.map(e => [e.href, e.offsetParent !== null])")
        by_path = {urllib.parse.urlsplit(h).path.lstrip("/"): shown
                   for h, shown in links}
        missing = [c for c in chapters if by_path.get(c + ".html") is None]
        hidden = [c for c in chapters if by_path.get(c + ".html") is False]
        # Follow one chapter link from the sidebar.
        target = chapters[0] if chapters[0] != pages[-1] else chapters[1]
        page.click(f'.bd-sidebar-primary nav a.reference'
                   f'[href$="{Path(target).name}.html"]')
        page.wait_for_load_state("load")
        landed = page.url.split("#")[0]
    finally:
        visit.close()
    assert not missing, f"chapters missing from the sidebar: {missing}"
    assert not hidden, f"chapters hidden in the sidebar: {hidden}"
    assert landed == url_of(site, target)
    assert not visit.problems, visit.problems


def test_code_cells_have_working_copy_buttons(browser, site, book):
    page_name = next(p for p in book.pages if book.is_notebook(p) and
                     'class="cell docutils container"' in
                     (book.html / (p + ".html")).read_text())
    visit = Visit(browser, permissions=["clipboard-read",
                                        "clipboard-write"])
    try:
        page = visit.open(url_of(site, page_name))
        cells = page.locator(".cell_input div.highlight")
        assert cells.count() > 0
        assert page.locator(".cell_input button.copybtn").count() == \
            cells.count(), "not every code cell has a copy button"
        cell = cells.first
        cell.hover()
        cell.locator("button.copybtn").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        code = cell.locator("pre").inner_text()
    finally:
        visit.close()
    assert copied.strip() == code.strip()
    assert not visit.problems, visit.problems


def test_figures_and_listings_are_numbered(built_book, book):
    html_dir, pages, source_of = book.html, book.pages, book.source_of
    captions = {"figure": [], "listing": []}
    unnumbered = []
    for page_name in pages:
        html = (html_dir / (page_name + ".html")).read_text()
        for block in re.findall(r"<figcaption>(.*?)</figcaption>", html,
                                re.S):
            number = re.search(r'class="caption-number">([^<]*)<', block)
            (captions["figure"].append(number.group(1)) if number
             else unnumbered.append(f"{page_name}: {block[:80]}"))
        captions["listing"] += re.findall(
            r'code-block-caption"><span class="caption-number">([^<]*)<',
            html)
    sources = "\n".join(source_of(p).read_text() for p in pages)
    assert not unnumbered, f"figures without a number: {unnumbered}"
    if "{glue:figure}" in sources or "{figure}" in sources:
        assert captions["figure"] and all(
            c.startswith("Fig. ") for c in captions["figure"]), captions
    if re.search(r"\{literalinclude\}[^`]*?:caption:", sources):
        assert captions["listing"] and all(
            c.startswith("Listing ") for c in captions["listing"]), captions


def test_bibliography_page_lists_the_cited_works(built_book, book):
    html_dir, pages = book.html, book.pages
    page = "book/bibliography"
    assert page in pages
    html = (html_dir / (page + ".html")).read_text()
    entries = re.findall(r'<div class="citation" id="([^"]+)"', html)
    assert entries, "the bibliography page lists no work"
    # Every in-text citation link points at an entry of that page.
    targets = set()
    for page_name in pages:
        text = (html_dir / (page_name + ".html")).read_text()
        targets |= set(re.findall(
            r'href="[^"]*bibliography\.html#([^"]+)"', text))
    assert targets, "no page cites a work"
    assert targets <= set(entries), targets - set(entries)


def test_api_reference_documents_every_module(site, book):
    html = (book.html / "book/api.html").read_text()
    missing = [m for m in API_MODULES if f'id="module-{m}"' not in html]
    assert not missing, f"modules missing from the API page: {missing}"
    sources = sorted(set(re.findall(r'href="(\.\./_modules/[^"#]+)', html)))
    assert sources, "no [source] links (sphinx.ext.viewcode)"
    for href in sources:
        url = urllib.parse.urljoin(url_of(site, "book/api"), href)
        with urllib.request.urlopen(url) as response:
            assert response.status == 200, url


# --------------------------------------------------------------------------
# Download buttons: the .ipynb of each executed page
# --------------------------------------------------------------------------

def download_notebook(site: str, book, page_name: str) -> tuple[str, bytes]:
    html = (book.html / (page_name + ".html")).read_text()
    links = re.findall(r'href="([^"]+\.ipynb)"', html)
    assert links, f"{page_name}: no .ipynb download link"
    url = urllib.parse.urljoin(url_of(site, page_name), links[0])
    with urllib.request.urlopen(url) as response:
        return url, response.read()


def test_ipynb_download_is_a_notebook(site, book, notebook_page):
    import nbformat

    url, data = download_notebook(site, book, notebook_page)
    raw = json.loads(data)
    assert raw["nbformat"] == 4, url
    nb = nbformat.reads(data.decode(), as_version=4)
    nbformat.validate(nb)
    assert any(c.cell_type == "code" for c in nb.cells), url


#: Glued values that are measured durations (names ending in _s, _ms, _h
#: or _seconds) or computed from them: they differ from run to run.
TIMING_GLUE = re.compile(r"(_s|_ms|_h|_seconds)$|^(executed_on|speedup|"
                         r"slowest_ratio)$")


def glued_text(nb) -> dict[str, str]:
    """The text of every glued value of a notebook, by glue name."""
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                prefix = scrapbook.get("mime_prefix", "")
                found[scrapbook["name"]] = output["data"].get(
                    prefix + "text/plain")
    return found


#: Glued values the re-run notebook must reproduce, at least.
MIN_COMPARED = 10


def quickest_chapter_page(pages, records, executed) -> str:
    """The chapter notebook that executed fastest among those that glue at
    least ``MIN_COMPARED`` values (not measured durations)."""
    import nbformat

    def compared(page):
        stored = glued_text(nbformat.reads(executed[page], as_version=4))
        return sum(not TIMING_GLUE.search(name) for name in stored)

    candidates = [p for p in pages if p in records
                  and compared(p) >= MIN_COMPARED]
    assert candidates, f"no chapter notebook glues {MIN_COMPARED} values"
    return min(candidates, key=lambda p: records[p].run.get("seconds", 0))


@pytest.mark.slow
def test_downloaded_chapter_notebook_runs(site, book, tmp_path):
    """Run a downloaded chapter notebook as a reader would, and get the
    book's numbers.

    The kernel is Jupyter's ``python3``, which must be this interpreter
    (the project's virtual environment) importing this checkout's dlpy; it
    runs in a temporary folder without ``KERAS_BACKEND`` set, as a reader's
    Jupyter would (the first cell imports dlpy, which chooses JAX). Every
    value the book glued (read from the build's executed notebooks: the
    download drops hidden glue outputs) must come out the same, except
    measured durations. One chapter page, the one that executed fastest
    (``DLPY_SITE_ALL_NOTEBOOKS=1``: every chapter page): the book's build
    executes every page, and what the download adds (the kernel, the
    environment a reader has) is the same for all of them.
    """
    import nbformat
    from bookengine.project import Project
    from bookengine.store import Store
    from nbclient import NotebookClient

    import dlpy

    store = Store(Project.load(book.root).store_dir, log=lambda _: None)
    with store.lock(exclusive=False):
        records = dict(store.records())
        executed = {page: store.notebook(record)
                    for page, record in records.items()}

    pages = [p for p in book.pages
             if p.startswith("book/ch") and book.is_notebook(p)]
    assert pages, "no chapter notebook page in the TOC"
    if not os.environ.get("DLPY_SITE_ALL_NOTEBOOKS"):
        pages = [quickest_chapter_page(pages, records, executed)]
    env = dict(os.environ, MPLBACKEND="agg", PYTHONHASHSEED="0")
    env.pop("KERAS_BACKEND", None)
    probe = "import sys, dlpy; print(sys.executable); print(dlpy.__file__)"
    timings, compared = [], 0
    for page_name in pages:
        _, data = download_notebook(site, book, page_name)
        nb = nbformat.reads(data.decode(), as_version=4)
        stored = glued_text(nbformat.reads(executed[page_name], as_version=4))
        nb.cells.append(nbformat.v4.new_code_cell(probe))
        started = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}},
                       ).execute(env=env)
        timings.append(f"{page_name}: {time.perf_counter() - started:.0f} s")
        executable, module = nb.cells[-1].outputs[0]["text"].split()
        assert Path(executable) == Path(sys.executable), page_name
        assert Path(module) == Path(dlpy.__file__), page_name
        rerun = glued_text(nb)
        assert rerun.keys() == stored.keys(), page_name
        differ = {name: (stored[name], rerun[name]) for name in stored
                  if rerun[name] != stored[name]
                  and not TIMING_GLUE.search(name)}
        assert not differ, f"{page_name}: glued values changed: {differ}"
        compared += sum(not TIMING_GLUE.search(name) for name in stored)
    assert compared >= MIN_COMPARED, compared
    print("executed downloaded notebooks:", "; ".join(timings))


# --------------------------------------------------------------------------
# Dark mode keeps figures readable
# --------------------------------------------------------------------------

DARK = ("localStorage.setItem('mode', 'dark');"
        "localStorage.setItem('theme', 'dark');")


def test_dark_mode_keeps_figures_on_a_light_background(browser, site, book):
    from PIL import Image

    page_name = next((p for p in book.pages if "<figure" in
                      (book.html / (p + ".html")).read_text()), None)
    if page_name is None:
        pytest.fail("no page has a figure")
    visit = Visit(browser, init_script=DARK)
    try:
        page = visit.open(url_of(site, page_name))
        assert page.evaluate("document.documentElement.dataset.theme") \
            == "dark"
        background = page.evaluate(
            "getComputedStyle(document.body).backgroundColor")
        target = book.screenshots / "dark" / shot_name(page_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
        images = page.locator("figure img")
        assert images.count() > 0
        problems = []
        for i in range(images.count()):
            image = images.nth(i)
            image.scroll_into_view_if_needed()
            # The PNG itself: opaque corners (no transparent background).
            alpha = image.evaluate("""img => {
                const c = document.createElement('canvas');
                c.width = img.naturalWidth; c.height = img.naturalHeight;
                const g = c.getContext('2d'); g.drawImage(img, 0, 0);
                const w = c.width - 1, h = c.height - 1;
                return [[0, 0], [w, 0], [0, h], [w, h]].map(
                    ([x, y]) => g.getImageData(x, y, 1, 1).data[3]);
            }""")
            # What the reader sees: light corners on the dark page.
            shot = Image.open(io.BytesIO(image.screenshot())).convert("L")
            w, h = shot.size
            corners = [shot.getpixel((x, y)) for x, y in
                       ((2, 2), (w - 3, 2), (2, h - 3), (w - 3, h - 3))]
            src = image.get_attribute("src")
            if min(alpha) < 255:
                problems.append(f"{src}: transparent corners {alpha}")
            if min(corners) < 170:
                problems.append(f"{src}: dark corners {corners}")
    finally:
        visit.close()
    assert background != "rgb(255, 255, 255)", "the page is not dark"
    assert not problems, "\n".join(problems)
    assert not visit.problems, visit.problems

