"""Hover previews of cross-references (book/_ext/hover_previews.py).

In Chromium, on the served site: resting the pointer on a reference, or
focusing it with the keyboard, shows a preview of its target, fetched from
the site itself: a figure on another page with its image, a section's
heading and first paragraph (maths typeset), a listing's first lines, a
bibliography entry, an entry of the API reference, a glossary term, an
exercise, an equation. Escape closes it; on a phone a tap follows the link;
opened from disk (file://) the page still works. Screenshots of a figure
preview in light and dark mode go to ``_build/screenshots/previews/``.
"""

from __future__ import annotations

import urllib.parse

import pytest

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: A page with references of every kind to other pages.
PAGE = "book/ch02/looking-back"
#: (what, page, link selector, what the preview must contain)
KINDS = [
    ("figure on another page", PAGE,
     'a.reference.internal[href="gradient-optimization.html'
     '#fig-grad-model-graph"]', "figure img"),
    ("section on another page, with maths", PAGE,
     'a.reference.internal[href="gradient-optimization.html'
     '#sec-grad-sgd"]', ".dlpy-preview-heading"),
    ("listing on another page", PAGE,
     'a.reference.internal[href="gradient-optimization.html'
     '#lst-grad-momentum-step"]', ".code-block-caption"),
    ("bibliography entry", "book/ch01/index",
     'a.reference.internal[href*="bibliography.html#"]', ".citation"),
    ("API entry", "book/ch02/tensor-ops",
     'a.reference.internal[href="../api.html#dlpy.naive.naive_relu"]',
     "dt.sig"),
    ("glossary term", "book/ch02/tensor-ops",
     'a.reference.internal[href^="../glossary.html#term-"]', "dt"),
    ("exercise on the same page", "book/ch02/gradient-optimization",
     'a.reference.internal[href^="#ex-"]', ".admonition-title"),
]
PREVIEW = ".tippy-box[data-theme~='dlpy-preview']"


def url_of(site: str, page: str) -> str:
    return urllib.parse.urljoin(site, page + ".html")


def new_page(browser, mode="light", **options):
    options.setdefault("viewport", DESKTOP)
    context = browser.new_context(color_scheme=mode, **options)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}');"
                            f"localStorage.setItem('theme', '{mode}');")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" else None)
    return context, page, errors


def hover(page, selector: str):
    """Rest the pointer on the first matching link in the article; the
    preview that appears."""
    link = page.locator(f"article.bd-article {selector}").first
    assert link.count(), f"no link {selector} on {page.url}"
    link.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    link.hover()
    preview = page.locator(PREVIEW)
    preview.wait_for(state="visible", timeout=10_000)
    return preview


def settle(page) -> None:
    """Images decoded and maths typeset inside the preview."""
    page.evaluate("""async () => {
        const box = document.querySelector('.dlpy-preview');
        await Promise.all([...box.querySelectorAll('img')].map(
            i => i.decode().catch(() => null)));
        if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
    }""")


@pytest.mark.parametrize("kind,start,selector,inside", KINDS,
                         ids=[k[0] for k in KINDS])
def test_hover_shows_a_preview_of_the_target(browser, site, kind, start,
                                             selector, inside):
    context, page, errors = new_page(browser)
    try:
        page.goto(url_of(site, start), wait_until="load")
        preview = hover(page, selector)
        settle(page)
        assert preview.locator(inside).count(), (
            f"{kind}: the preview has no {inside}: {preview.inner_html()}")
        text = preview.inner_text().strip()
        checks = page.evaluate("""() => {
            const box = document.querySelector('.dlpy-preview');
            return {
                images: [...box.querySelectorAll('img')].map(
                    i => [i.naturalWidth, i.alt]),
                ids: box.querySelectorAll('[id]').length,
                tabbable: box.querySelectorAll(
                    'a[href]:not([tabindex="-1"]), button').length,
                rawTex: /\\\\\\(|\\\\\\[/.test(box.innerText),
                math: box.querySelectorAll('mjx-container').length,
            };
        }""")
    finally:
        context.close()
    assert len(text) > 20, f"{kind}: preview text {text!r}"
    assert all(w > 0 and len(alt.split()) > 3 for w, alt in
               checks["images"]), checks
    assert checks["ids"] == 0, "the preview copies ids into the page"
    assert checks["tabbable"] == 0, "the preview adds Tab stops"
    assert not checks["rawTex"], f"{kind}: raw TeX in the preview: {text}"
    if "maths" in kind:
        assert checks["math"] > 0, "the preview's maths was not typeset"
    assert not errors, errors


def test_keyboard_focus_shows_the_preview_and_escape_hides_it(browser,
                                                              site):
    context, page, errors = new_page(browser)
    try:
        page.goto(url_of(site, PAGE), wait_until="load")
        link = page.locator("article.bd-article " + KINDS[0][2]).first
        link.focus()
        preview = page.locator(PREVIEW)
        preview.wait_for(state="visible", timeout=10_000)
        described = link.get_attribute("aria-describedby")
        page.keyboard.press("Escape")
        preview.wait_for(state="hidden", timeout=5_000)
    finally:
        context.close()
    assert described, "the focused link is not described by its preview"
    assert not errors, errors


def test_an_equation_reference_shows_the_typeset_equation(browser, site):
    """The book refers to no numbered equation yet; give one a label and a
    reference in the page, as Sphinx would, and hover the reference."""
    context, page, errors = new_page(browser)
    try:
        page.goto(url_of(site, "book/ch02/gradient-optimization"),
                  wait_until="load")
        page.evaluate("""() => {
            const eq = document.querySelector('article div.math');
            eq.id = 'equation-test';
            const p = document.createElement('p');
            const a = document.createElement('a');
            a.className = 'reference internal';
            a.href = '#equation-test';
            a.textContent = '(1)';
            p.append('See equation ', a, '.');
            document.querySelector('article section').prepend(p);
            dlpyPreviews.attach(a);
        }""")
        preview = hover(page, 'a[href="#equation-test"]')
        settle(page)
        typeset = preview.locator("mjx-container").count()
    finally:
        context.close()
    assert typeset, "no typeset equation in the preview"
    assert not errors, errors


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_preview_screenshot_and_audit(browser, site, book, axe, mode):
    """A figure preview as a reader sees it, in light and dark mode (PNG in
    _build/screenshots/previews/), with no serious axe finding while it is
    open."""
    context, page, errors = new_page(browser, mode)
    try:
        page.goto(url_of(site, PAGE), wait_until="load")
        preview = hover(page, KINDS[0][2])
        settle(page)
        # The fade-in: until the box is fully opaque and no animation
        # (CSS transition) is running on the page.
        page.wait_for_function(f"""() => {{
            const box = document.querySelector("{PREVIEW}");
            return box && getComputedStyle(box).opacity === "1" &&
                document.getAnimations().every(
                    a => a.playState !== "running");
        }}""", timeout=10_000)
        out = book.screenshots / "previews" / f"figure-preview-{mode}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        box = preview.bounding_box()
        top = max(0, box["y"] - 120)
        bottom = min(DESKTOP["height"], box["y"] + box["height"] + 20)
        clip = {"x": 0, "y": top, "width": DESKTOP["width"],
                "height": bottom - top}
        page.screenshot(path=str(out), clip=clip)
        colours = page.evaluate(f"""() => {{
            const b = getComputedStyle(document.querySelector(
                "{PREVIEW}"));
            return [b.backgroundColor, b.color];
        }}""")
        page.add_script_tag(content=axe.source)
        violations = page.evaluate("""async () => (await axe.run(
            document.querySelector('.tippy-box'), {resultTypes:
            ['violations']})).violations""")
    finally:
        context.close()
    assert out.stat().st_size > 10_000
    background = colours[0]
    dark = background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    assert dark == (mode == "dark"), colours
    serious = [f"{v['id']}: {v['help']}" for v in violations
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    assert not errors, errors


def test_a_tap_on_a_phone_follows_the_link(browser, site):
    context, page, errors = new_page(browser, viewport=PHONE, has_touch=True,
                                     is_mobile=True)
    try:
        page.goto(url_of(site, PAGE), wait_until="load")
        link = page.locator("article.bd-article " + KINDS[0][2]).first
        link.scroll_into_view_if_needed()
        with page.expect_navigation():
            link.tap()
        landed = page.url
        shown = page.locator(PREVIEW).count()
    finally:
        context.close()
    assert landed.split("#")[0] == url_of(site, "book/ch02/"
                                          "gradient-optimization")
    assert landed.endswith("#fig-grad-model-graph")
    assert shown == 0
    assert not errors, errors


def test_from_disk_references_within_the_page_still_preview(browser, book,
                                                             built_book):
    """file:// cannot fetch other pages: no error, same-page previews work,
    and a citation shows its entry's text from the link's title."""
    context, page, errors = new_page(browser)
    try:
        page.goto((book.html / "book/ch02/gradient-optimization.html")
                  .as_uri(), wait_until="load")
        preview = hover(page, 'a.reference.internal[href^="#ex-"]')
        same_page = preview.inner_text()
        page.goto((book.html / "book/ch01/index.html").as_uri(),
                  wait_until="load")
        citation = hover(page, 'a.reference.internal'
                               '[href*="bibliography.html#"]').inner_text()
    finally:
        context.close()
    assert "Exercise" in same_page
    assert len(citation) > 20
    assert not [e for e in errors if "previews" in e or "tippy" in e], errors
