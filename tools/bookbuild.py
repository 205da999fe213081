#!/usr/bin/env python3
"""Build the book strictly and never from stale outputs.

Jupyter Book 1 alone is neither strict nor safe to cache:

* a failing cell is only a warning (exit code 0), and on the next build the
  page is not even re-read, so the failure disappears;
* its execution cache (jupyter-cache) is keyed on the code cells alone, so an
  edit to the imported package, the data, the locked dependency versions or
  the execution settings serves outputs computed by the old code.

This wrapper fixes both, in three visible steps:

1. **Fingerprint.** Hash everything besides the code cells that can change an
   output: the files listed under ``[tool.bookbuild] watch`` in
   ``pyproject.toml`` (``src/``, the lock file), the data packages listed
   under ``data`` (size and mtime of each file), the execution settings in
   ``_config.yml`` (``execute:`` and the ``nb_*`` Sphinx options), the
   interpreter, the environment variables that steer JAX/Keras and the device
   JAX will see. When the fingerprint differs from the one stored beside the
   cache, the cache is deleted and every page with code re-executes. Prose
   edits do not touch the fingerprint, and jupyter-cache keeps serving
   unchanged pages, so they re-execute nothing.
2. **Fresh read, cached execution.** Every build re-reads every page
   (``--all``) with warnings as errors (``-W -n --keep-going``), so a failing
   cell fails every build, and values glued from one page into another are
   always taken from the current outputs. Reading from the cache costs
   seconds.
3. **Report.** The full Sphinx output streams to the terminal, and a summary
   at the end names each failing page, the failing cell's source and the
   exception. Only cells tagged ``raises-exception`` may raise.

Run ``python tools/bookbuild.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import yaml

#: Environment variables that can change what a cell computes.
STEERING_ENV = ("KERAS_BACKEND", "JAX_PLATFORMS", "JAX_ENABLE_X64",
                "XLA_FLAGS", "CUDA_VISIBLE_DEVICES", "PYTHONHASHSEED")

#: The environment every kernel runs in (inherited from this process).
KERNEL_ENV = {
    "KERAS_BACKEND": "jax",
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}

#: Output lines that carry no information for an author.
NOISE = (
    re.compile(r"Kernel is running over TCP without encryption"),
)

FAILED_NOTEBOOK = re.compile(r"(?P<path>\S+\.(?:md|ipynb)): WARNING: "
                             r"Executing notebook failed")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log(message: str) -> None:
    print(f"[bookbuild] {message}", flush=True)


# --------------------------------------------------------------------------
# 1. The fingerprint
# --------------------------------------------------------------------------


def load_settings(root: Path) -> dict:
    """Read ``[tool.bookbuild]`` from ``root/pyproject.toml``, if any."""
    pyproject = root / "pyproject.toml"
    if not pyproject.exists():
        return {}
    with pyproject.open("rb") as f:
        return tomllib.load(f).get("tool", {}).get("bookbuild", {})


def load_config(root: Path) -> dict:
    with (root / "_config.yml").open() as f:
        return yaml.safe_load(f) or {}


def _files_under(path: Path):
    if path.is_file():
        yield path
    elif path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts \
                    and not p.name.endswith(".pyc"):
                yield p


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def detect_device() -> str:
    """What JAX will compute on, without importing JAX (that takes seconds)."""
    if os.environ.get("JAX_PLATFORMS", "").strip().lower() == "cpu":
        return "cpu"
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "-L"], capture_output=True, text=True,
                                 timeout=20)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            pass
    return "cpu"


def fingerprint_parts(root: Path, settings: dict, config: dict) -> dict:
    """Everything outside the code cells that can change an output."""
    parts: dict[str, str] = {}
    for entry in settings.get("watch", []):
        for p in _files_under(root / entry):
            parts[f"file:{p.relative_to(root)}"] = hashlib.sha256(
                p.read_bytes()).hexdigest()
    for package in settings.get("data", []):
        directory = _package_dir(package)
        if directory is None:
            parts[f"data:{package}"] = "missing"
            continue
        for p in _files_under(directory):
            st = p.stat()
            parts[f"data:{package}/{p.relative_to(directory)}"] = \
                f"{st.st_size}:{st.st_mtime_ns}"
    sphinx_config = (config.get("sphinx") or {}).get("config") or {}
    parts["settings:execute"] = json.dumps(config.get("execute"),
                                           sort_keys=True)
    parts["settings:nb"] = json.dumps(
        {k: v for k, v in sphinx_config.items() if k.startswith("nb_")},
        sort_keys=True, default=str)
    parts["python"] = platform.python_version()
    for name in STEERING_ENV:
        parts[f"env:{name}"] = os.environ.get(name, "")
    parts["device"] = detect_device()
    return parts


def check_cache(root: Path, config: dict, parts: dict) -> None:
    """Delete the execution cache when the fingerprint has changed."""
    cache = root / (config.get("execute") or {}).get(
        "cache", "_build/.jupyter_cache")
    stamp = cache.with_name(cache.name + ".fingerprint.json")
    old = {}
    if stamp.exists():
        try:
            old = json.loads(stamp.read_text())
        except json.JSONDecodeError:
            old = {}
    if old == parts and cache.exists():
        log("execution fingerprint unchanged: cached outputs are current")
        return
    changed = sorted(k for k in set(old) | set(parts)
                     if old.get(k) != parts.get(k))
    if old:
        shown = ", ".join(changed[:8]) + (" ..." if len(changed) > 8 else "")
        log(f"execution fingerprint changed ({shown}): "
            "re-executing every page")
    else:
        log("no execution fingerprint yet: executing every page")
    if cache.exists():
        shutil.rmtree(cache)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamp.with_suffix(".tmp")
    tmp.write_text(json.dumps(parts, indent=1, sort_keys=True))
    os.replace(tmp, stamp)


# --------------------------------------------------------------------------
# 2. Running Jupyter Book
# --------------------------------------------------------------------------


def run_jupyter_book(root: Path, builder: str, log_file: Path) -> tuple[
        int, list[str]]:
    """Run one strict Jupyter Book build, streaming its output."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(root), "--all", "-W", "-n",
               "--keep-going", "--builder", builder]
    log(" ".join(["jupyter-book"] + command[1:]))
    env = dict(os.environ)
    env.update(KERNEL_ENV)
    src = root / "src"
    if src.is_dir():
        env["PYTHONPATH"] = os.pathsep.join(
            [str(src)] + [p for p in [env.get("PYTHONPATH")] if p])
    lines: list[str] = []
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as out:
        proc = subprocess.Popen(command, cwd=root, env=env, text=True,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, bufsize=1)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if any(p.search(line) for p in NOISE):
                continue
            lines.append(line)
            sys.stdout.write(line)
        returncode = proc.wait()
    return returncode, lines


def summarize(lines: list[str]) -> list[str]:
    """One paragraph per problem: failing pages (with the cell), warnings."""
    text = ANSI.sub("", "".join(lines))
    problems: list[str] = []
    for match in FAILED_NOTEBOOK.finditer(text):
        tail = text[match.end():]
        cell = re.search(r"executing the following cell:\n-+\n(.*?)\n-+\n",
                         tail, re.S)
        report = tail[cell.end():] if cell else tail
        report = report.split("[mystnb.exec]", 1)[0]
        errors = re.findall(r"^(\w+(?:Error|Exception|Interrupt|Exit)"
                            r"\w*: .*)$", report, re.M)
        number = re.search(r"Cell In\[(\d+)\]", report)
        which = f"code cell {number.group(1)}" if number else "a cell"
        problems.append(
            f"{match['path']}: {which} raised "
            f"{errors[-1].strip() if errors else '(see above)'}\n"
            + ("  failing cell:\n    "
               + cell.group(1).strip().replace("\n", "\n    ")
               if cell else ""))
    for line in text.splitlines():
        if ("WARNING:" in line or "ERROR:" in line) \
                and "Executing notebook failed" not in line:
            problems.append(line.strip())
    return problems


def count_executions(lines: list[str]) -> tuple[int, int]:
    text = "".join(lines)
    executed = len(re.findall(r"Executing notebook using", text))
    cached = len(re.findall(r"Using cached notebook", text))
    return executed, cached


# --------------------------------------------------------------------------
# 3. The PDF
# --------------------------------------------------------------------------


def build_pdf(root: Path, build_dir: Path) -> int:
    """Run latexmk (xelatex) on what the LaTeX builder wrote; check the log."""
    latex_dir = build_dir / "latex"
    tex_files = sorted(latex_dir.glob("*.tex"))
    if not tex_files:
        log(f"no .tex file in {latex_dir}")
        return 1
    tex = tex_files[0]
    if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
        log("latexmk/xelatex not found: install texlive-xetex, "
            "texlive-latex-recommended, texlive-latex-extra, "
            "texlive-fonts-recommended, latexmk, xindy, fonts-freefont-otf "
            "(`make tex` does it as root)")
        return 1
    command = ["latexmk", "-xelatex", "-interaction=nonstopmode",
               "-halt-on-error", "-file-line-error", tex.name]
    log(" ".join(command) + f"  (in {latex_dir})")
    # The index goes through xindy; these are the options Sphinx's own
    # LaTeX Makefile passes (latexmk alone calls xindy with none).
    env = dict(os.environ,
               XINDYOPTS="-L english -C utf8 -M sphinx.xdy")
    proc = subprocess.run(command, cwd=latex_dir, capture_output=True,
                          text=True, env=env)
    tex_log = tex.with_suffix(".log")
    log_text = tex_log.read_text(errors="replace") if tex_log.exists() else ""
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-6000:])
        errors = [line for line in log_text.splitlines()
                  if line.startswith("!") or ".tex:" in line]
        log("LaTeX failed:\n  " + "\n  ".join(errors[:20]))
        return proc.returncode
    # TeX wraps log lines at 79 columns, so read only the start of each.
    missing = sorted(set(re.findall(
        r"Missing character: There is no (.+?) \((U\+[0-9A-F]+)\)",
        log_text)))
    if missing:
        log("LaTeX could not render these characters (missing glyphs): "
            + ", ".join(f"{char} ({code})" for char, code in missing))
        return 1
    pdf = tex.with_suffix(".pdf")
    log(f"PDF written to {pdf.relative_to(root)}")
    return 0


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="book root with _config.yml (default: cwd)")
    parser.add_argument("--formats", default="html,pdf",
                        help="comma-separated: html, pdf (default: both)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    formats = [f for f in args.formats.split(",") if f]
    unknown = set(formats) - {"html", "pdf"}
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")

    for key, value in KERNEL_ENV.items():
        os.environ.setdefault(key, value)
    config = load_config(root)
    build_dir = root / "_build"
    started = time.perf_counter()
    check_cache(root, config, fingerprint_parts(root, load_settings(root),
                                                config))

    problems: list[str] = []
    status = 0
    executed = cached = 0
    for fmt in formats:
        builder = "html" if fmt == "html" else "latex"
        out_dir = build_dir / builder
        if builder == "html" and out_dir.exists():
            shutil.rmtree(out_dir)  # no page from an older build survives
        # The LaTeX directory is kept: Sphinx rewrites the .tex, and latexmk
        # reuses its auxiliary files and skips TeX when nothing changed.
        t0 = time.perf_counter()
        code, lines = run_jupyter_book(root, builder,
                                       build_dir / f"{builder}-build.log")
        e, c = count_executions(lines)
        executed, cached = executed + e, cached + c
        if code != 0:
            status = code
            problems += summarize(lines) or [
                f"jupyter-book exited with {code}; see the output above"]
            break
        if fmt == "pdf":
            code = build_pdf(root, build_dir)
            if code != 0:
                status = code
                problems.append("the PDF could not be built (see above)")
                break
        log(f"{fmt}: done in {time.perf_counter() - t0:.1f} s")

    elapsed = time.perf_counter() - started
    if status:
        print("\n" + "=" * 72)
        log(f"BUILD FAILED after {elapsed:.1f} s. Problems:")
        for problem in problems:
            print("  * " + problem.replace("\n", "\n    "))
        print("=" * 72, flush=True)
        return 1
    log(f"build succeeded in {elapsed:.1f} s: executed {executed} page(s), "
        f"{cached} from cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
