"""Fixtures for the checks of what a reader gets: the website and the PDF.

The session checks the build ``make book`` published (``_build``): when
``tools/book render --check`` finds it up to date with the sources and the
executed pages (as ``.ci/run``'s ``make book`` leaves it), the tests read
it; otherwise the session builds the book once into its own directory
``_build/test`` (``tools/book --build-dir _build/test build``: it reuses
what ``make book`` executed, so it only renders; ``DLPY_SITE_BUILD=test``
forces this). It serves the site over HTTP on 127.0.0.1 and drives
Debian's Chromium through Playwright. Nothing is downloaded: no browser
build, no web font, no script.

``DLPY_SITE_BOOK=/path/to/book`` checks another book root (one with its own
``_config.yml`` and ``_toc.yml``) instead of the repository's book; the
tests were developed against a copy of ``tests/testbook`` that way.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BOOK = Path(os.environ.get("DLPY_SITE_BOOK", REPO)).resolve()
PUBLISHED = BOOK / "_build"          # what `make book` wrote
TEST_BUILD = BOOK / "_build" / "test"  # the session's own, if that is stale
SCREENSHOTS = BOOK / "_build" / "screenshots"
AXE_DIR = BOOK / "_build" / "axe"
#: npm packages (package.json, installed by `make npm`).
NODE_MODULES = REPO / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking"]


# --------------------------------------------------------------------------
# What the book contains (read from its sources, no build needed)
# --------------------------------------------------------------------------


def _toc_entries(node, depth=0):
    """(file, depth) for every entry of a _toc.yml subtree, in order."""
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"], depth
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []) or []:
                yield from _toc_entries(
                    child, depth + (1 if "file" in node else 0))
    elif isinstance(node, list):
        for child in node:
            yield from _toc_entries(child, depth)


def toc_pages(book: Path = BOOK) -> list[str]:
    """Every page of the book in reading order, e.g. ``book/ch02/tensors``."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    pages = [toc["root"]]
    for entry, _ in _toc_entries({k: v for k, v in toc.items()
                                  if k != "root"}):
        pages.append(str(Path(entry).with_suffix("")))
    return pages


def chapter_pages(book: Path = BOOK) -> list[str]:
    """The top-level entries of the TOC (chapters and front/back matter)."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())
    found = []
    for part in toc.get("parts", []) or [{"chapters": toc.get("chapters")}]:
        for chapter in part.get("chapters") or []:
            found.append(str(Path(chapter["file"]).with_suffix("")))
    return found


def source_of(page: str, book: Path = BOOK) -> Path:
    for suffix in (".md", ".ipynb", ".rst"):
        path = book / (page + suffix)
        if path.exists():
            return path
    raise FileNotFoundError(f"no source for TOC entry {page!r} in {book}")


FENCE = re.compile(r"^(`{3,}|~{3,}|:{3,})")


def markdown_lines(text: str) -> list[str]:
    """The lines of a MyST page outside front matter and fenced blocks."""
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1)
                    if line.strip() == "---"), 0)
        lines = lines[end + 1:]
    kept, fence = [], None
    for line in lines:
        match = FENCE.match(line.strip())
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if line.strip().startswith(fence) and \
                    line.strip().strip(fence[0]) == "":
                fence = None
            continue
        kept.append(line)
    return kept


def is_notebook(page: str, book: Path = BOOK) -> bool:
    """Whether a page is executed (MyST-NB text notebook with a kernel)."""
    text = source_of(page, book).read_text()
    return text.startswith("---") and "kernelspec:" in text.split(
        "\n---", 1)[0]


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def pytest_generate_tests(metafunc):
    """``page_name``: every TOC page; ``notebook_page``: the executed ones."""
    if "page_name" in metafunc.fixturenames:
        metafunc.parametrize("page_name", toc_pages())
    if "notebook_page" in metafunc.fixturenames:
        metafunc.parametrize("notebook_page",
                             [p for p in toc_pages() if is_notebook(p)])


def engine_env() -> dict[str, str]:
    """This process's environment for ``tools/book``, less the suite's own
    settings (the engine records ``DLPY_*`` variables with every build)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("DLPY_SITE_", "DLPY_HYPOTHESIS_"))}


@functools.cache
def site_build() -> Path:
    """The build the tests read: the published one while it is up to date
    (the engine's own check), else the session's ``_build/test``."""
    if os.environ.get("DLPY_SITE_BUILD") != "test":
        proc = subprocess.run(
            [sys.executable, "tools/book", "--root", str(BOOK), "render",
             "--formats", "html,pdf", "--check"],
            cwd=REPO, capture_output=True, text=True, env=engine_env())
        if proc.returncode == 0:
            return PUBLISHED
    return TEST_BUILD


@pytest.fixture(scope="session")
def book() -> SimpleNamespace:
    """Where the book and its outputs are, and what it contains."""
    build = site_build()
    return SimpleNamespace(
        root=BOOK, build=build, html=build / "html", screenshots=SCREENSHOTS,
        pages=toc_pages(), chapters=chapter_pages(),
        source_of=source_of, is_notebook=is_notebook,
        markdown_lines=markdown_lines)


@pytest.fixture(scope="session")
def built_book(book) -> Path:
    """The HTML site and the PDFs: the published ones while up to date,
    else built now (the build's output on failure)."""
    if book.build == TEST_BUILD:
        command = [sys.executable, "tools/book", "--root", str(BOOK),
                   "--build-dir", str(TEST_BUILD), "build", "--formats",
                   "html,pdf"]
        proc = subprocess.run(command, cwd=REPO, capture_output=True,
                              text=True, env=engine_env())
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr).splitlines()
            pytest.fail("the book build failed:\n" + "\n".join(
                output[-150:]), pytrace=False)
    assert (book.html / "index.html").exists(), \
        f"no {book.html}/index.html"
    return BOOK


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib name
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The browser drops connections it no longer needs (navigation,
        # aborted requests); that is not a problem of the site.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site(built_book, book) -> str:
    """Base URL of the site (``<build>/html``) served on 127.0.0.1 (a free
    port)."""
    handler = functools.partial(_QuietHandler, directory=str(book.html))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class Background:
    """JavaScript started in a page without waiting for it, so that several
    pages work at once while the test drives them one after the other."""

    @staticmethod
    def start(page, name: str, function: str) -> None:
        """Start ``function`` (JavaScript, no arguments, may be async) in
        ``page``; :meth:`result` waits for what it returns. It starts from
        a timer: work chained only through promises would all run before
        ``evaluate`` returns, one page after the other."""
        page.evaluate(f"""() => {{ window.{name} = new Promise(
            (go) => setTimeout(go, 0)).then({function}); }}""")

    @staticmethod
    def result(page, name: str):
        return page.evaluate(f"() => window.{name}")


@pytest.fixture(scope="session")
def background() -> Background:
    return Background()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never downloaded)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make browser` (installs "
                    "Debian's chromium and poppler-utils)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def toc_sections(page: str, book: Path = BOOK) -> list[str]:
    """The pages below ``page`` in _toc.yml (its sections, recursively)."""
    toc = yaml.safe_load((book / "_toc.yml").read_text())

    def find(node):
        if isinstance(node, dict):
            if node.get("file") and str(Path(node["file"]).with_suffix(
                    "")) == page:
                return node
            children = [c for key in ("parts", "chapters", "sections")
                        for c in node.get(key) or []]
        else:
            children = node if isinstance(node, list) else []
        for child in children:
            found = find(child)
            if found is not None:
                return found
        return None

    entry = find(toc) or {}
    return [str(Path(f).with_suffix("")) for f, _ in _toc_entries(
        {"sections": entry.get("sections") or []})]


def pdf_documents(book: Path = BOOK) -> list[SimpleNamespace]:
    """The PDFs the build writes: the whole book (the .tex named in
    ``latex: latex_documents: targetname``) and each chapter PDF of
    ``sphinx: config: dlpy_chapter_pdfs``, with the pages each holds."""
    config = yaml.safe_load((book / "_config.yml").read_text())
    target = config["latex"]["latex_documents"]["targetname"]
    documents = [SimpleNamespace(name="book", pdf=Path(target).stem + ".pdf",
                                 pages=toc_pages(book), title=None,
                                 chapter=False)]
    chapters = (config.get("sphinx", {}).get("config", {})
                .get("dlpy_chapter_pdfs") or [])
    for entry in chapters:
        pages = []
        for page in entry["pages"]:
            pages += [page] + toc_sections(page, book)
        documents.append(SimpleNamespace(
            name=Path(entry["target"]).stem, chapter=True,
            pdf=Path(entry["target"]).stem + ".pdf", pages=pages,
            title=entry.get("title")))
    return documents


def _poppler() -> None:
    for tool in ("pdftotext", "pdffonts", "pdfimages", "pdftoppm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run `make browser` "
                        "(installs poppler-utils)", pytrace=False)


@pytest.fixture(scope="session", params=pdf_documents(),
                ids=lambda d: d.name)
def document(request, built_book, book) -> SimpleNamespace:
    """Each PDF (the book, then the chapter PDFs) and the pages it holds."""
    _poppler()
    doc = request.param
    path = book.build / "latex" / doc.pdf
    assert path.is_file(), f"the build wrote no {path}"
    return SimpleNamespace(**vars(doc), path=path)


# --------------------------------------------------------------------------
# The accessibility audit (axe-core): its script, and its findings
# --------------------------------------------------------------------------

#: (page, mode, viewport, violation) for every violation found this session.
AXE_FINDINGS: list[tuple[str, str, str, dict]] = []


class Axe:
    """axe-core's script, and where each page's result is written."""

    def __init__(self, source: str, out: Path):
        self.source = source
        self.out = out

    def record(self, page: str, mode: str, viewport: str,
               violations: list[dict]) -> None:
        target = self.out / f"{mode}-{viewport}" / (
            page.replace("/", "__") + ".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(violations, indent=1))
        AXE_FINDINGS.extend((page, mode, viewport, v) for v in violations)


@pytest.fixture(scope="session")
def axe() -> Axe:
    """axe-core from node_modules (never from a CDN)."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} not found: run `make npm` (npm ci installs "
                    "the packages pinned in package-lock.json)",
                    pytrace=False)
    if AXE_DIR.exists():
        shutil.rmtree(AXE_DIR)
    return Axe(AXE_JS.read_text(), AXE_DIR)


def axe_summary() -> list[str]:
    """Every rule violated, by impact, with the pages and modes it hit."""
    rules: dict[tuple[str, str], dict] = {}
    for page, mode, viewport, v in AXE_FINDINGS:
        entry = rules.setdefault((v["impact"] or "?", v["id"]), {
            "help": v["help"], "where": {}, "nodes": 0})
        entry["where"].setdefault(page, set()).add(f"{mode}/{viewport}")
        entry["nodes"] += len(v["nodes"])
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    lines = ["Violations (rules broken) per page, over light/dark x "
             "desktop/phone: critical serious moderate minor"]
    pages: dict[str, list[int]] = {}
    for page, _, _, v in AXE_FINDINGS:
        counts = pages.setdefault(page, [0, 0, 0, 0])
        counts[order.get(v["impact"], 3)] += 1
    for page, counts in sorted(pages.items()):
        lines.append(f"    {page}: " + " ".join(map(str, counts)))
    lines.append("By rule:")
    for (impact, rule), entry in sorted(
            rules.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        lines.append(f"[{impact}] {rule}: {entry['help']} "
                     f"({entry['nodes']} element(s) in all)")
        for page, where in sorted(entry["where"].items()):
            lines.append(f"    {page}: {', '.join(sorted(where))}")
    return lines


def pytest_terminal_summary(terminalreporter):
    if site_build.cache_info().currsize:
        terminalreporter.write_line(
            f"site tests read {site_build().relative_to(BOOK)} "
            + ("(published by `make book`, up to date)"
               if site_build() == PUBLISHED else "(built by this session)"))
    if not AXE_FINDINGS:
        return
    lines = axe_summary()
    terminalreporter.section("axe-core: violations found (by impact)")
    for line in lines:
        terminalreporter.write_line(line)
    AXE_DIR.mkdir(parents=True, exist_ok=True)
    (AXE_DIR / "summary.md").write_text("\n".join(lines) + "\n")
