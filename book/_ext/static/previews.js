/* Hover previews of cross-references (book/_ext/hover_previews.py).
 *
 * A reference in the article (to a section, a figure, a listing, an
 * equation, an exercise, a bibliography entry, a glossary term or an entry
 * of the API reference) shows a small preview of its target when the
 * pointer rests on it or the keyboard focuses it. The target page is
 * fetched from this site (same origin) once and kept; the preview is a copy
 * of the target: a figure with its image and caption, a section's heading
 * and first paragraph, a listing's caption and first lines, ...
 *
 * Escape closes it; on a touch screen there is none (a tap follows the
 * link). Opened from disk (file://), where a page cannot fetch another,
 * only references within the page get a preview, and the others show the
 * link's own title when it has one (citations, API entries).
 */
(function () {
  "use strict";

  if (typeof tippy !== "function") return;

  const LINKS = "article.bd-article a.reference.internal[href]";
  const SKIP = "a.headerlink, .viewcode-link, .tippy-box a, .toctree-wrapper a";
  const CAN_FETCH = location.protocol === "http:" || location.protocol === "https:";
  const HERE = location.href.split("#")[0];
  const MAX_LINES = 12;        // of a listing
  const pages = new Map();      // page URL -> Promise<Document | null>
  let mathjax = null;           // Promise<MathJax | null>

  function loadPage(url) {
    if (url === HERE) return Promise.resolve(document);
    if (!CAN_FETCH) return Promise.resolve(null);
    if (!pages.has(url)) {
      pages.set(url, fetch(url, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : null))
        .then((html) => html && new DOMParser().parseFromString(html, "text/html"))
        .catch(() => null));
    }
    return pages.get(url);
  }

  /* The element a link points at, grown to what is worth showing. */
  function findTarget(doc, id) {
    let el = id ? doc.getElementById(id)
      : doc.querySelector("article.bd-article section");
    if (!el) return null;
    // A label before a heading: <section><span id="sec-x"></span><h2>
    if (!el.textContent.trim() && el.parentElement) {
      el = el.closest("section") || el.nextElementSibling;
    }
    return el;
  }

  function firstParagraphs(el, count) {
    return Array.from(el.children).filter((c) => c.matches("p")).slice(0, count);
  }

  /* What the preview shows, as nodes of ``doc`` (copied later). */
  function pick(el) {
    if (el.matches("figure, div.figure, .cell_output")) return [el];
    if (el.matches(".citation")) return [el];
    if (el.matches("div.math, .math-wrapper")) return [el];
    if (el.matches(".literal-block-wrapper")) return [el];
    if (el.matches("dt")) {
      // An API entry (dt.sig) or a glossary term: the name and the first
      // paragraph of its description.
      const dd = el.nextElementSibling;
      return [el].concat(dd ? firstParagraphs(dd, 1) : []);
    }
    if (el.matches(".admonition, .exercise, .solution")) {
      const title = el.querySelector(".admonition-title");
      const body = el.querySelector("section") || el;
      return (title ? [title] : []).concat(firstParagraphs(body, 2));
    }
    if (el.matches("section")) {
      const heading = el.querySelector("h1, h2, h3, h4, h5, h6");
      return (heading ? [heading] : []).concat(firstParagraphs(el, 1));
    }
    return [el];
  }

  /* A copy that can live in this page: no ids, links resolved against the
   * page it came from and out of the Tab order, no buttons. */
  function adopt(nodes, base) {
    const box = document.createElement("div");
    box.className = "dlpy-preview";
    for (const node of nodes) box.appendChild(document.importNode(node, true));
    box.querySelectorAll("a.headerlink, .viewcode-link, button, script, .copybtn")
      .forEach((e) => e.remove());
    box.querySelectorAll("[id]").forEach((e) => e.removeAttribute("id"));
    box.querySelectorAll("img[src]").forEach((img) => {
      img.src = new URL(img.getAttribute("src"), base).href;
      img.loading = "eager";
    });
    box.querySelectorAll("a[href]").forEach((a) => {
      a.href = new URL(a.getAttribute("href"), base).href;
      a.tabIndex = -1;
    });
    box.querySelectorAll("h1, h2, h3, h4, h5, h6").forEach((h) => {
      const p = document.createElement("p");
      p.className = "dlpy-preview-heading";
      p.append(...h.childNodes);
      h.replaceWith(p);
    });
    box.querySelectorAll("pre").forEach((pre) => {
      const lines = pre.innerHTML.split("\n");
      if (lines.length > MAX_LINES + 1) {
        pre.innerHTML = lines.slice(0, MAX_LINES).join("\n") + "\n…";
      }
    });
    return box;
  }

  /* Typeset the maths of a preview (loading MathJax if the page has none). */
  function typeset(box) {
    if (!box.querySelector(".math")) return Promise.resolve();
    if (!mathjax) {
      mathjax = window.MathJax && MathJax.startup
        ? MathJax.startup.promise.then(() => MathJax)
        : new Promise((resolve) => {
          const me = document.querySelector('script[src*="previews.js"]');
          window.MathJax = { startup: { typeset: false } };
          const script = document.createElement("script");
          script.src = new URL("mathjax/tex-mml-chtml.js", me.src).href;
          script.onload = () => MathJax.startup.promise.then(() => resolve(MathJax));
          script.onerror = () => resolve(null);
          document.head.appendChild(script);
        });
    }
    return mathjax.then((mj) => mj && mj.typesetPromise([box])).catch(() => null);
  }

  function build(link) {
    const url = new URL(link.getAttribute("href"), location.href);
    const id = decodeURIComponent(url.hash.slice(1));
    url.hash = "";
    return loadPage(url.href).then((doc) => {
      const target = doc && findTarget(doc, id);
      if (!target) return null;
      const box = adopt(pick(target), url.href);
      return typeset(box).then(() => box);
    });
  }

  function fallback(title) {
    if (!title) return null;
    const box = document.createElement("div");
    box.className = "dlpy-preview";
    box.textContent = title;
    return box;
  }

  function attach(link) {
    const title = link.getAttribute("title");
    if (title) link.removeAttribute("title");   // no second, native tooltip
    let content;          // undefined: not loaded; null: nothing to show
    let wanted = false;   // the pointer or the focus is on the link
    tippy(link, {
      theme: "dlpy-preview",
      trigger: "mouseenter focus",
      touch: false,
      interactive: false,
      placement: "bottom",
      maxWidth: 520,
      delay: [200, 0],
      appendTo: () => document.body,
      content: "",
      onTrigger(instance) {
        wanted = true;
        if (content !== undefined) return;
        build(link).catch(() => null).then((box) => {
          content = box || fallback(title);
          if (content) instance.setContent(content);
          if (content && wanted) instance.show();
        });
      },
      onUntrigger() { wanted = false; },
      onShow() { return Boolean(content); },
    });
  }

  // For pages (and tests) that add references after loading.
  window.dlpyPreviews = { attach };

  function start() {
    document.querySelectorAll(LINKS).forEach((link) => {
      if (link.matches(SKIP) || link.closest(".toctree-wrapper")) return;
      if (link.getAttribute("href").includes("_modules/")) return;
      attach(link);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") tippy.hideAll({ duration: 0 });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
