"""Accessibility: what a screen reader, a keyboard and weak eyes get.

* **axe-core** (the npm package pinned in ``package-lock.json``, installed
  by ``make npm``, injected by Playwright into Debian's Chromium) audits
  every page of the TOC in light and dark mode at desktop (1280) and phone
  (390) width (the four audits of a page run at once). A violation of impact "serious" or "critical" fails the test;
  the "moderate" and "minor" ones are listed at the end of the test output
  and in ``_build/axe/summary.md``. Every result is written to
  ``_build/axe/<mode>-<viewport>/<page>.json``.
* **Alt text**: every image of the article says what it shows (not empty,
  not a file name, not "figure").
* **Keyboard**: on one page, Tab walks from the skip link through the
  header, the sidebar and the article in reading order; every stop is
  visible and shows a focus indicator; the skip link moves focus to the
  article.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

VIEWPORTS = {"desktop": {"width": 1280, "height": 900},
             "phone": {"width": 390, "height": 844}}
FAILING = ("serious", "critical")
#: The page whose keyboard order is walked: headings, a figure, code cells,
#: cross-references, exercises.
KEYBOARD_PAGE = "book/ch02/tensor-ops"


def url_of(site: str, page: str) -> str:
    return urllib.parse.urljoin(site, page + ".html")


#: Waits until the page's maths is typeset and its fonts are loaded.
TYPESET = """async () => {
    if (document.querySelector('.math') && window.MathJax
        && MathJax.startup) await MathJax.startup.promise;
    await document.fonts.ready;
}"""


def new_page(browser, mode: str, viewport: str):
    """A browser context in ``mode`` (light/dark) at ``viewport``, and a
    page in it."""
    context = browser.new_context(viewport=VIEWPORTS[viewport],
                                  color_scheme=mode)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');"
                            f"localStorage.setItem('theme', '{mode}');")
    return context, context.new_page()


def open_page(browser, site: str, page_name: str, mode: str, viewport: str):
    """A page in ``mode`` (light/dark) at ``viewport``, maths typeset."""
    context, page = new_page(browser, mode, viewport)
    page.goto(url_of(site, page_name), wait_until="load")
    page.evaluate(TYPESET)
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    return context, page


def describe(violation: dict) -> str:
    """One violation as a line, with up to three of the elements."""
    targets = [" ".join(map(str, n["target"])) for n in violation["nodes"]]
    more = f" (+{len(targets) - 3} more)" if len(targets) > 3 else ""
    return (f"[{violation['impact']}] {violation['id']}: {violation['help']}"
            f" -- {len(targets)} element(s): {'; '.join(targets[:3])}{more}")


MODES = ("light", "dark")

#: The audit, once the maths is typeset and the fonts are loaded.
AXE = f"""async () => {{
    await ({TYPESET})();
    const r = await axe.run(document, {{
        resultTypes: ['violations'],
        runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa',
            'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}},
    }});
    return {{violations: r.violations, version: axe.version,
             theme: document.documentElement.dataset.theme}};
}}"""


def test_axe_finds_no_serious_violation(browser, site, book, axe, page_name,
                                        background):
    """The page in light and dark mode at both widths: the four audits run
    at once, a browser context each."""
    opened = []
    try:
        for mode in MODES:
            for viewport in VIEWPORTS:
                context, page = new_page(browser, mode, viewport)
                opened.append((mode, viewport, context, page))
                page.goto(url_of(site, page_name), wait_until="commit")
        for _, _, _, page in opened:
            page.wait_for_load_state("load")
            page.add_script_tag(content=axe.source)
            background.start(page, "__bookAxe", AXE)
        results = [(mode, viewport, background.result(page, "__bookAxe"))
                   for mode, viewport, _, page in opened]
    finally:
        for _, _, context, _ in opened:
            context.close()
    bad = []
    for mode, viewport, result in results:
        assert result["theme"] == mode, (page_name, mode, viewport)
        axe.record(page_name, mode, viewport, result["violations"])
        bad += [f"({mode}, {viewport}) {describe(v)}"
                for v in result["violations"] if v["impact"] in FAILING]
    assert not bad, (f"{page_name}: axe {results[0][2]['version']} found\n  "
                     + "\n  ".join(bad))


# --------------------------------------------------------------------------
# Alt text
# --------------------------------------------------------------------------

#: Alt text that names the file or the kind of thing, not what it shows.
UNINFORMATIVE = re.compile(
    r"^\s*$|\.(png|jpe?g|svg|gif)\b|/|^_images|^[0-9a-f]{16,}"
    r"|^(an? |the )?(figure|image|picture|plot|graph|chart|diagram|output)"
    r"( \d+(\.\d+)*)?\s*$", re.I)


def test_every_image_says_what_it_shows(built_book, book):
    found, bad = 0, []
    for page_name in book.pages:
        html = (book.html / f"{page_name}.html").read_text()
        article = html.split('<article class="bd-article"', 1)[-1]
        article = article.split("</article>", 1)[0]
        for tag in re.findall(r"<img\b[^>]*>", article):
            found += 1
            alt = re.search(r'\balt="([^"]*)"', tag)
            text = alt.group(1) if alt else ""
            if UNINFORMATIVE.search(text) or len(text.split()) < 4:
                src = re.search(r'\bsrc="([^"]*)"', tag)
                bad.append(f"{page_name}: alt={text!r} "
                           f"(src={src.group(1) if src else '?'})")
    assert found, "no image in any article"
    assert not bad, "images whose alt text does not describe them:\n" + \
        "\n".join(bad)


# --------------------------------------------------------------------------
# Keyboard
# --------------------------------------------------------------------------

FOCUSED = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) return null;
    // A control may draw itself (and its focus ring) with a child, as the
    // sidebar's <summary> does with its chevron.
    const parts = [e, ...e.children];
    const area = (x) => { const r = x.getBoundingClientRect();
                          return r.width * r.height; };
    const ring = (x) => { const s = getComputedStyle(x);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
            || (s.boxShadow !== 'none'
                && !/ 0px 0px 0px 0px/.test(s.boxShadow)); };
    const r = e.getBoundingClientRect();
    const region = e.closest('header, .bd-sidebar-primary, article, '
        + '.bd-sidebar-secondary, footer, .prev-next-area, '
        + '.bd-header-article');
    return {
        tag: e.tagName.toLowerCase(),
        text: (e.innerText || e.getAttribute('aria-label') || e.title
               || '').trim().slice(0, 60),
        href: e.getAttribute('href'),
        region: region ? (region.tagName.toLowerCase() + '.'
                          + [...region.classList].join('.')) : 'other',
        visible: e.checkVisibility({opacityProperty: true,
                                    visibilityProperty: true})
                 && parts.some((x) => area(x) > 0),
        ring: parts.some(ring),
        top: r.top + window.scrollY,
    };
}"""


def test_keyboard_reaches_everything_in_reading_order(browser, site, book):
    """Tab from the top of a chapter page: the skip link first, then the
    header, the sidebar, the article (top to bottom), never an invisible
    stop, always a visible focus ring; Enter on the skip link lands in the
    article."""
    assert KEYBOARD_PAGE in book.pages
    context, page = open_page(browser, site, KEYBOARD_PAGE, "light",
                              "desktop")
    try:
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUSED)
        assert first and "skip" in first["text"].lower(), first
        # Enter on the skip link, then Tab: the next stop is in the main
        # content, past the header and the sidebar.
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        landed = page.evaluate("""() => {
            const e = document.activeElement;
            return !!(e && e.closest('main'));
        }""")
        # Walk the whole page from the start, transitions off (a control
        # fading in is measured as it ends up, not half-way).
        page.goto(url_of(site, KEYBOARD_PAGE), wait_until="load")
        page.add_style_tag(content="*, *::before, *::after { transition: "
                           "none !important; animation: none !important; }")
        stops = []
        for _ in range(2000):
            page.keyboard.press("Tab")
            stop = page.evaluate(FOCUSED)
            if stop is None or (stops and stop == stops[0]):
                break
            stops.append(stop)
    finally:
        context.close()
    assert landed, "the skip link does not move focus into the main content"
    assert len(stops) > 20, stops
    invisible = [s for s in stops if not s["visible"]]
    no_ring = [s for s in stops if not s["ring"]]
    # Regions in reading order: once Tab has entered the article it does
    # not go back to the header or the primary sidebar.
    order = [s["region"].split(".")[0] + "." + s["region"].split(".")[1]
             if "." in s["region"] else s["region"] for s in stops]
    article = [i for i, r in enumerate(order) if r.startswith("article")]
    assert article, "Tab never reaches the article"
    back = [stops[i] for i in range(article[0], len(stops))
            if order[i].startswith(("header", "div.bd-sidebar-primary"))]
    inside = [s["top"] for s in stops if s["region"].startswith("article")]
    jumps_up = [(a, b) for a, b in zip(inside, inside[1:]) if b < a - 5]
    print(f"{KEYBOARD_PAGE}: {len(stops)} Tab stops, "
          f"{len(inside)} in the article")
    problems = []
    if invisible:
        problems.append(f"focus lands on invisible elements: {invisible}")
    if no_ring:
        problems.append(f"no visible focus indicator: {no_ring[:10]}")
    if back:
        problems.append(f"Tab goes back to the header/sidebar: {back[:5]}")
    if jumps_up:
        problems.append(f"Tab goes up the article: {jumps_up[:5]}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# Contrast of code, syntax highlighting and cell outputs
# --------------------------------------------------------------------------

#: Pages with code cells, listings, inline code and a coloured Keras output.
CODE_PAGES = ("book/ch02/first-network", "book/ch02/tensor-ops")

CONTRAST = """() => {
    const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92
                         : Math.pow((v + 0.055) / 1.055, 2.4); };
    const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g)
                               + 0.0722 * lin(b);
    const over = (top, under) => { const a = top.length > 3 ? top[3] : 1;
        return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)); };
    // The colour behind an element: its backgrounds, composed upwards.
    const behind = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c.length === 4 && c[3] === 0) continue;
            layers.push(c);
            if (c.length === 3 || c[3] === 1) break;
        }
        return layers.reverse().reduce((u, t) => over(t, u), [255, 255, 255]);
    };
    const found = {};
    const sel = 'div.highlight pre span, div.highlight pre, '
        + '.cell_output pre, .cell_output pre span, code.literal';
    for (const el of document.querySelectorAll(sel)) {
        const own = [...el.childNodes].some(
            n => n.nodeType === 3 && n.textContent.trim());
        if (!own || !el.getClientRects().length) continue;
        const bg = behind(el);
        const fg = over(rgba(getComputedStyle(el).color), bg);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        const ratio = (a + 0.05) / (b + 0.05);
        const key = fg.map(Math.round) + '/' + bg.map(Math.round);
        if (!(key in found)) found[key] = {
            ratio: Math.round(ratio * 100) / 100, cls: el.className,
            text: el.textContent.trim().slice(0, 30),
            fg: fg.map(Math.round), bg: bg.map(Math.round)};
    }
    return Object.values(found);
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("code_page", CODE_PAGES)
def test_code_and_outputs_keep_aa_contrast(browser, site, book, code_page,
                                           mode):
    """Every colour pair of syntax-highlighted code, inline code and cell
    output (Keras's coloured summary included) has at least 4.5:1."""
    assert code_page in book.pages
    context, page = open_page(browser, site, code_page, mode, "desktop")
    try:
        pairs = page.evaluate(CONTRAST)
    finally:
        context.close()
    assert len(pairs) > 5, pairs
    low = [p for p in pairs if p["ratio"] < 4.5]
    print(f"{code_page} ({mode}): {len(pairs)} colour pairs, lowest "
          f"{min(p['ratio'] for p in pairs)}:1")
    assert not low, f"{code_page} ({mode}): below 4.5:1:\n" + "\n".join(
        map(str, low))
