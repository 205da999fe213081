"""``python tools/book <command>``: the engine's command line.

Commands: ``build`` (execute what is stale, then render), ``status`` (every
executed page, fresh or stale and why), ``execute``, ``render``, ``export``
and ``import`` (executed pages with their provenance, as one archive),
``pack`` and ``run-pack`` (execute on a machine that has only the kernel).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .problems import BuildError, Problem, summary

if TYPE_CHECKING:
    from .engine import Engine


def _formats(text: str) -> list[str]:
    formats = [f for f in text.split(",") if f]
    unknown = set(formats) - {"html", "pdf"}
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown format(s): {', '.join(sorted(unknown))}")
    return formats


def _jobs(text: str) -> int:
    if not text:
        from .schedule import usable_cpus

        return usable_cpus()
    jobs = int(text)
    if jobs < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return jobs


def _slots(text: str) -> int:
    slots = int(text)
    if slots < 1:
        raise argparse.ArgumentTypeError("--gpu-slots must be at least 1")
    return slots


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="book", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=Path.cwd(),
                   help="book root with _config.yml (default: cwd)")
    p.add_argument("--numerics", choices=("native", "tf32"), default="native",
                   help="tf32: every kernel rounds float32 matrix-product "
                        "operands as an NVIDIA GPU does by default, to "
                        "check the book's claims without a GPU (its own "
                        "store and build folder: _build/numerics-tf32)")
    p.add_argument("--build-dir", type=Path, default=None,
                   help="where the site and PDF go (default: <root>/_build)")
    sub = p.add_subparsers(dest="command", required=True)

    def executing(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--jobs", type=_jobs, default=_jobs(""),
                         help="pages executed at once (default: the CPUs "
                              "this process may use)")
        cmd.add_argument("--scheduler", default=None,
                         help="a Dask scheduler address, e.g. "
                              "tcp://host:8786: execute there instead")
        cmd.add_argument("--gpu-slots", type=_slots, default=None,
                         help="pages sharing one GPU at once (default: "
                              "[tool.bookengine] gpu_slots, else one per "
                              "10 GB of the card's memory, at most 8)")
        cmd.add_argument("--retry-failed-here", action="store_true",
                         help="execute on this machine the pages whose "
                              "failure elsewhere (a GPU box) was imported; "
                              "without it they fail the build")

    build = sub.add_parser("build", help="execute what is stale, render")
    executing(build)
    build.add_argument("--formats", type=_formats, default=["html", "pdf"],
                       help="comma-separated: html, pdf (default: both)")
    executing(sub.add_parser("execute", help="execute what is stale"))
    render = sub.add_parser("render", help="render from the stored outputs")
    render.add_argument("--formats", type=_formats, default=["html", "pdf"])
    render.add_argument("--check", action="store_true",
                        help="render nothing: exit 0 when every format is "
                             "published and up to date, 1 when not")
    sub.add_parser("status", help="which pages are fresh or stale, and why")
    export = sub.add_parser("export", help="write the executed pages, with "
                            "their provenance, to an archive")
    export.add_argument("bundle", type=Path)
    imp = sub.add_parser("import", help="use executed pages from an archive")
    imp.add_argument("bundle", type=Path)
    imp.add_argument("--keep-environment", action="store_true",
                     help="the pages ran elsewhere (another machine, a GPU): "
                          "keep them while the project's sources are "
                          "unchanged, whatever the environment here")
    pack = sub.add_parser("pack", help="write the pages to execute elsewhere "
                          "(unexecuted notebooks) to an archive")
    pack.add_argument("pack", type=Path)
    pack.add_argument("--all", action="store_true",
                      help="every page, not only the stale ones")
    run = sub.add_parser("run-pack", help="execute a pack here (needs only "
                         "nbclient and the kernel) and write a bundle")
    run.add_argument("pack", type=Path)
    run.add_argument("bundle", type=Path)
    run.add_argument("--jobs", type=_jobs, default=_jobs(""))
    run.add_argument("--gpu-slots", type=_slots, default=None)
    rep = sub.add_parser("check-report", help="compare a GPU and a CPU "
                         "run-pack bundle and a bench.json (tools/remote.sh "
                         "check): one table, as Markdown and JSON")
    rep.add_argument("--gpu", type=Path, required=True)
    rep.add_argument("--cpu", type=Path, required=True)
    rep.add_argument("--bench", type=Path, default=None)
    rep.add_argument("--out", type=Path, required=True,
                     help="writes check.md and check.json there")
    return p


def show_progress() -> None:
    """The engine's log messages on stdout, as ``[book] message``."""
    logger = logging.getLogger("bookengine")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("[book] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    show_progress()
    started = time.perf_counter()
    if args.command == "run-pack":  # no Sphinx, MyST-NB or jupyter-cache
        from .bundle import run_pack

        return run_pack(args.pack, args.bundle, args.jobs, args.root,
                        args.gpu_slots)
    if args.command == "check-report":
        from .check import write_report

        return write_report(args.gpu, args.cpu, args.bench, args.out)
    from .engine import Engine, build_lock, log

    try:
        engine = Engine(args.root, args.build_dir, numerics=args.numerics)
        if args.command == "status":
            return show_status(engine)
        if args.command == "render" and args.check:
            with build_lock(engine.project.build_dir):
                behind = engine.not_up_to_date(args.formats)
            for fmt in args.formats:
                print(f"{fmt}: " + ("not up to date" if fmt in behind
                                    else "published and up to date"))
            return 1 if behind else 0
        with build_lock(engine.project.build_dir):
            problems = run_command(engine, args)
    except BuildError as err:
        problems = [Problem("engine", "build", str(err))]
    except KeyboardInterrupt:
        log("interrupted; what was stored so far is kept and consistent")
        return 130
    elapsed = time.perf_counter() - started
    if problems:
        print(summary(problems, elapsed), flush=True)
        return 1
    log(f"{args.command}: done in {elapsed:.1f} s")
    return 0


def run_command(engine: Engine, args: argparse.Namespace
                ) -> list[Problem]:
    if getattr(args, "gpu_slots", None) is not None:
        engine.gpu_slots = args.gpu_slots
    if args.command == "build":
        return engine.build(args.formats, args.jobs, args.scheduler,
                            args.retry_failed_here)
    if args.command == "execute":
        return engine.execute(args.jobs, args.scheduler,
                              args.retry_failed_here)
    if args.command == "render":
        stale = [page.source for page, reasons in engine.status() if reasons]
        if stale:
            return [Problem("engine", "render", "these pages are stale; run "
                            "`build` or `execute` first: " + ", ".join(stale))]
        return engine.render(args.formats)
    from . import bundle

    if args.command == "export":
        return bundle.export(engine, args.bundle)
    if args.command == "import":
        return bundle.import_(engine, args.bundle, args.keep_environment)
    if args.command == "pack":
        return bundle.pack(engine, args.pack, args.all)
    raise AssertionError(args.command)


def show_status(engine: Engine) -> int:
    from .bundle import failure_where, read_failures
    from .records import shown_device

    rows = engine.status()
    records = engine.store.records()
    failed = read_failures(engine.project.store_dir)
    width = max((len(page.source) for page, _ in rows), default=0)
    for page, reasons in rows:
        if page.docname in failed:
            entry = failed[page.docname]
            print(f"{page.source:<{width}}  FAILED on {failure_where(entry)}"
                  f": {entry['failure']['error']} (the build fails until it "
                  "passes there, or use --retry-failed-here)")
            continue
        if reasons:
            print(f"{page.source:<{width}}  stale: {'; '.join(reasons)}")
            continue
        record = records[page.docname]
        origin = (f", imported from {record.origin['bundle']}"
                  if record.origin else "")
        print(f"{page.source:<{width}}  fresh ("
              f"{shown_device(record.device, record.run)}, "
              f"{record.run.get('seconds', 0):.1f} s, "
              f"{record.run.get('started', '?')}{origin})")
    for source in engine.obsolete():
        print(f"{source:<{width}}  no longer a page of the book: its stored "
              "outputs are dropped by the next build")
    stale = sum(1 for _, reasons in rows if reasons)
    print(f"{len(rows)} executed page(s): {len(rows) - stale} fresh, "
          f"{stale} stale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
