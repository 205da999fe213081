"""Time the builds an author runs all day; write ``_build/build-bench.json``.

Everything runs on a copy of this checkout (``_build/bench-build/book``,
sharing ``.venv``), through ``make``, exactly as an author types it:

* a no-op ``make book`` (three times; the best and all runs are kept);
* a one-sentence prose edit: ``make html``, then ``make book``;
* an edit to ``src/dlpy/naive.py`` and one to ``src/dlpy/plotting/calculus.py``:
  which pages re-executed;
* a cold build (empty execution store) with ``JOBS=1`` and with ``JOBS=2``:
  the execute stage's wall time against the sum of the pages' own
  execution times, and the whole build's wall time. The kernels' CPU time
  says how many cores the serial run already kept busy (JAX and NumPy run
  their array operations on several threads), and so how far below the
  serial time a parallel run on this machine's cores can go at best.

Then, at scale, the copy grown by ``BENCH_PAGES`` (default 150) generated
pages (``benchmarks/grow_book.py``): the cold execution plus HTML of those
pages at ``JOBS=2``, a no-op ``make html``, ``tools/book status``, and a
one-sentence edit of a chapter page (``make html``), against the same edit
on the book as it is, and one of a generated page.

Usage: ``make bench-build`` (or ``python benchmarks/bench_build.py``;
``--grown-only``: only the measurements at scale; ``--no-make``: run
``tools/book`` as the Makefile would instead of ``make``, for a checkout
whose ``.venv`` belongs to another checkout, such as a git worktree, where
``make`` would re-install the package from this one).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "_build" / "bench-build"
COPY = WORK / "book"
OUT = REPO / "_build" / "build-bench.json"

TARGETS = {"noop_make_book_s": 3.0, "prose_edit_html_s": 8.0,
           "prose_edit_html_pdf_s": 25.0, "parallel_over_serial": 0.7}
#: At scale (issue 17): the grown book's prose edit, absolute and against
#: the same edit on the book as it is, and its cold build at JOBS=2.
GROWN_TARGETS = {"grown_prose_edit_html_s": 8.0,
                 "grown_over_small_prose_edit": 1.5,
                 "grown_cold_html_jobs2_s": 75.0}
GROWN_PAGES = int(os.environ.get("BENCH_PAGES", "150"))


def say(message: str) -> None:
    print(f"[bench-build] {message}", flush=True)


def copy_checkout() -> None:
    """Tracked and new (not ignored) files, modification times kept, so the
    copy's ``make`` finds the shared ``.venv`` up to date."""
    # The copy shares .venv: bring it up to date here first, so that the
    # copy's `make` never reinstalls (and never points dlpy at the copy).
    if not NO_MAKE:
        subprocess.run(["make", "venv"], cwd=REPO, check=True,
                       capture_output=True)
    if WORK.exists():
        shutil.rmtree(WORK)
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others",
         "--exclude-standard"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            target = COPY / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    # The package's metadata (ignored by git, written by the install):
    # pages record what they read of it, so without it all re-execute.
    for info in (REPO / "src").glob("*.egg-info"):
        shutil.copytree(info, COPY / "src" / info.name)
    (COPY / ".venv").symlink_to(REPO / ".venv")
    # The npm packages too (`make` would otherwise fetch them again); the
    # copy's stamp keeps its modification time like every other file.
    (COPY / "node_modules").symlink_to(REPO / "node_modules")


NO_MAKE = "--no-make" in sys.argv


def command(args: tuple[str, ...]) -> list[str]:
    """``make TARGET [JOBS=N]``, or with ``--no-make`` what it runs."""
    if not NO_MAKE:
        return ["make", *args]
    target, options = args[0], dict(a.split("=", 1) for a in args[1:])
    formats = {"book": "html,pdf", "html": "html"}[target]
    return [str(REPO / ".venv/bin/python"), "tools/book", "build",
            "--formats", formats,
            *(["--jobs", options["JOBS"]] if "JOBS" in options else [])]


def make(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(command(args), cwd=COPY, capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        sys.exit(f"make {' '.join(args)} failed:\n{output[-5000:]}")
    return elapsed, output


EXECUTED = re.compile(
    r"\[book\] (\S+): executed in ([\d.]+) s(?: \(CPU ([\d.]+) s\))?")


def executed(output: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in EXECUTED.finditer(output)}


def cpu_seconds(output: str) -> dict[str, float]:
    return {m[1]: float(m[3]) for m in EXECUTED.finditer(output) if m[3]}


def execute_wall(output: str) -> float | None:
    match = re.search(r"execute: \d+ page\(s\) in ([\d.]+) s", output)
    return float(match[1]) if match else None


def edit(relpath: str, old: str, new: str) -> None:
    path = COPY / relpath
    text = path.read_text()
    assert old in text, f"{old!r} not in {relpath}"
    path.write_text(text.replace(old, new, 1))


def cold(jobs: int) -> dict:
    shutil.rmtree(COPY / "_build" / ".engine", ignore_errors=True)
    seconds, output = make("book", f"JOBS={jobs}")
    pages, cpu = executed(output), cpu_seconds(output)
    return {"jobs": jobs, "build_wall_s": round(seconds, 2),
            "execute_wall_s": execute_wall(output), "pages_s": pages,
            "sum_of_pages_s": round(sum(pages.values()), 2),
            "pages_cpu_s": cpu,
            "sum_of_pages_cpu_s": round(sum(cpu.values()), 2)}


def prose_edit(page: str, marker: str) -> float:
    """Seconds of ``make html`` after a one-sentence edit of ``page``."""
    heading = next(line for line in (COPY / page).read_text().splitlines()
                   if line.startswith("# "))
    edit(page, heading, heading + f"\n\nA sentence {marker}.")
    return round(make("html")[0], 2)


def grown(result: dict) -> None:
    """The measurements at scale, on the copy grown by GROWN_PAGES."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from grow_book import grow

    say("a one-sentence edit of the book as it is (make html)")
    make("html")
    small = prose_edit("book/ch02/tensors.md", "the scale benchmark added")
    say(f"growing the copy by {GROWN_PAGES} generated pages")
    names = grow(COPY, GROWN_PAGES)
    say("cold execution and HTML of the generated pages, JOBS=2")
    seconds, output = make("html", "JOBS=2")
    pages = executed(output)
    result["grown"] = {
        "pages": GROWN_PAGES, "small_prose_edit_html_s": small,
        "cold_html_jobs2_s": round(seconds, 2),
        "cold_execute_wall_s": execute_wall(output),
        "cold_sum_of_pages_s": round(sum(pages.values()), 2),
        "cold_pages_executed": len(pages)}
    runs = [round(make("html")[0], 2) for _ in range(3)]
    result["grown"]["noop_make_html_s"] = min(runs)
    started = time.perf_counter()
    subprocess.run([str(COPY / ".venv/bin/python"), "tools/book", "status"],
                   cwd=COPY, capture_output=True, check=True)
    result["grown"]["status_s"] = round(time.perf_counter() - started, 2)
    say("the same one-sentence edit on the grown book (make html)")
    edit_s = prose_edit("book/ch02/tensors.md", "the scale benchmark made")
    result["grown"]["prose_edit_html_s"] = edit_s
    say("a one-sentence edit of one generated page (make html)")
    result["grown"]["generated_page_edit_html_s"] = prose_edit(
        names[len(names) // 2] + ".md", "the scale benchmark added")
    result["grown_prose_edit_html_s"] = edit_s
    result["grown_over_small_prose_edit"] = round(edit_s / small, 2)
    result["grown_cold_html_jobs2_s"] = round(seconds, 2)


def main() -> int:
    if "--grown-only" in sys.argv:
        result: dict = {"machine": {
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}}
        say(f"copying the checkout to {COPY}")
        copy_checkout()
        store = REPO / "_build" / ".engine"
        if store.is_dir():
            shutil.copytree(store, COPY / "_build" / ".engine")
        grown(result)
        return report(result, GROWN_TARGETS)
    result = {"machine": {
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "platform": platform.platform()}}
    say(f"copying the checkout to {COPY}")
    copy_checkout()
    store = REPO / "_build" / ".engine"
    if store.is_dir():  # start warm: what `make book` executed here
        shutil.copytree(store, COPY / "_build" / ".engine")
    say("first build of the copy (executes only what is stale)")
    make("book")

    say("no-op make book, three times")
    runs = [round(make("book")[0], 2) for _ in range(3)]
    result["noop_make_book_s"] = min(runs)
    result["noop_make_book_runs_s"] = runs

    say("one-sentence prose edit")
    page = "book/ch02/tensors.md"
    heading = next(line for line in (COPY / page).read_text().splitlines()
                   if line.startswith("## "))
    edit(page, heading, "A sentence the build benchmark added.\n\n" + heading)
    seconds, output = make("html")
    result["prose_edit_html_s"] = round(seconds, 2)
    html_pages = executed(output)
    edit(page, "the build benchmark added.", "the build benchmark changed.")
    seconds, output = make("book")
    result["prose_edit_html_pdf_s"] = round(seconds, 2)
    result["prose_edit_pages_executed"] = sorted(
        set(html_pages) | set(executed(output)))

    for name, module in (("naive_edit", "src/dlpy/naive.py"),
                         ("calculus_edit", "src/dlpy/plotting/calculus.py")):
        say(f"an edit to {module}")
        path = COPY / module
        path.write_text(path.read_text() + "\n# An edit by the build "
                        "benchmark.\n")
        seconds, output = make("book")
        result[name] = {"module": module, "build_s": round(seconds, 2),
                        "executed": sorted(executed(output))}

    for jobs in (1, 2):
        say(f"cold build, JOBS={jobs}")
        result[f"cold_jobs{jobs}"] = cold(jobs)
    serial, parallel = result["cold_jobs1"], result["cold_jobs2"]
    result["parallel_over_serial"] = round(
        parallel["execute_wall_s"] / serial["execute_wall_s"], 3)
    # The serial run's CPU work spread perfectly over every core, with no
    # contention: the least wall time any schedule of it could take here.
    cores = os.cpu_count() or 1
    result["serial_cores_busy"] = round(
        serial["sum_of_pages_cpu_s"] / serial["execute_wall_s"], 2)
    result["parallel_over_serial_floor"] = round(
        serial["sum_of_pages_cpu_s"] / cores / serial["execute_wall_s"], 3)
    result["cold_build_over_sum_of_pages"] = round(
        parallel["build_wall_s"] / parallel["sum_of_pages_s"], 3)
    grown(result)
    result["prose_edit_executes_nothing"] = \
        result["prose_edit_pages_executed"] == []
    return report(result, {**TARGETS, **GROWN_TARGETS})


def report(result: dict, targets: dict) -> int:
    result["targets"] = {
        key: {"target": target, "measured": result[key],
              "met": result[key] <= target}
        for key, target in targets.items()}
    if "prose_edit_executes_nothing" in result:
        result["targets"]["prose_edit_executes_nothing"] = {
            "met": result.pop("prose_edit_executes_nothing")}

    OUT.write_text(json.dumps(result, indent=1))
    say(f"written {OUT}")
    print(json.dumps({k: v for k, v in result.items()
                      if k not in ("cold_jobs1", "cold_jobs2")}, indent=1))
    for jobs in (1, 2):
        run = result.get(f"cold_jobs{jobs}")
        if run is None:
            continue
        say(f"cold JOBS={jobs}: execute {run['execute_wall_s']} s, build "
            f"{run['build_wall_s']} s, pages' own time "
            f"{run['sum_of_pages_s']} s, their CPU time "
            f"{run['sum_of_pages_cpu_s']} s")
    return 0 if all(t["met"] for t in result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
