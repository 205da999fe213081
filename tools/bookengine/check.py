"""One table from a GPU box: the pages on its GPU and on its CPUs, and the
benchmark (``tools/remote.sh check``, see ``python tools/book
check-report``).

It reads two bundles written by ``run-pack`` on the same machine (one with
the GPU, one with ``JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES=``) and
``benchmarks/bench.py``'s JSON, and writes ``check.md`` and ``check.json``:
per page the device, seconds (the page's own, as its execution line says)
and whether it passed, on each side; each side's whole wall time; the
Keras / JAX ratio. Standard library only: it runs on the bare GPU box.
"""

from __future__ import annotations

from typing import Any

import json
import tarfile
from pathlib import Path

from .records import shown_device


def _side(path: Path) -> dict[str, Any]:
    """A bundle's pages as {page: {source, device, seconds, passed}}."""
    with tarfile.open(path, "r:*") as tar:
        data = json.loads(tar.extractfile("bundle.json").read())  # type: ignore[union-attr]
    pages = {}
    for entry in data["pages"]:
        pages[entry["page"]] = {
            "source": entry["source"], "passed": True,
            "device": shown_device(entry["device"], entry["run"]),
            "seconds": entry["run"].get("seconds"),
            "precision": (entry["run"].get("device") or {}).get(
                "matmul_precision")}
    for entry in data.get("failures", []):
        pages[entry["page"]] = {
            "source": entry["source"], "passed": False,
            "device": entry.get("device"),
            "seconds": entry.get("run", {}).get("kernel_seconds"),
            "error": entry["failure"]["error"],
            "cell": entry["failure"].get("cell")}
    return {"host": data.get("host"), "pages": pages,
            "wall_seconds": (data.get("execution") or {}).get(
                "wall_seconds")}


def report(gpu: Path, cpu: Path, bench: Path | None) -> dict[str, Any]:
    """The comparison as a plain dictionary (what check.json holds)."""
    sides = {"gpu": _side(gpu), "cpu": _side(cpu)}
    names = sorted(set(sides["gpu"]["pages"]) | set(sides["cpu"]["pages"]))
    rows = []
    for name in names:
        row: dict[str, Any] = {"page": name}
        for key, side in sides.items():
            row[key] = side["pages"].get(name)
        rows.append(row)
    bench_data = None
    if bench is not None and bench.exists():
        bench_data = json.loads(bench.read_text())
    passed = all(row[k] and row[k]["passed"] for row in rows
                 for k in ("gpu", "cpu"))
    return {"pages": rows, "passed": passed,
            "wall_seconds": {k: s["wall_seconds"] for k, s in sides.items()},
            "host": sides["gpu"]["host"],
            "bench": None if bench_data is None else {
                k: bench_data.get(k) for k in (
                    "keras_vs_jax_ratio", "keras_fit_s", "jax_loop_s",
                    "device", "quick")}}


def _cell(side: dict[str, Any] | None) -> str:
    if side is None:
        return "not run | | "
    seconds = side.get("seconds")
    time = "" if seconds is None else f"{seconds:.1f}"
    state = "passed" if side["passed"] else (
        f"FAILED (cell {side.get('cell')}: {side.get('error')})")
    return f"{side.get('device')} | {time} | {state}"


def markdown(data: dict[str, Any]) -> str:
    lines = [f"Pages on {data['host']}: on its GPU, then CPU only "
             "(`JAX_PLATFORMS=cpu`, `CUDA_VISIBLE_DEVICES=`).", "",
             "| Page | GPU pass: device | s | result "
             "| CPU pass: device | s | result |",
             "| --- | --- | ---: | --- | --- | ---: | --- |"]
    for row in data["pages"]:
        lines.append(f"| {row['page']} | {_cell(row['gpu'])} | "
                     f"{_cell(row['cpu'])} |")
    wall = data["wall_seconds"]

    def fmt(value: float | None) -> str:
        return "?" if value is None else f"{value:.1f} s"

    lines += ["", f"Whole execution: GPU pass {fmt(wall['gpu'])}, "
              f"CPU pass {fmt(wall['cpu'])}."]
    bench = data.get("bench")
    if bench and bench.get("keras_vs_jax_ratio") is not None:
        lines.append(f"benchmarks/bench.py on the GPU: Keras fit "
                     f"{bench.get('keras_fit_s')} s, JAX loop "
                     f"{bench.get('jax_loop_s')} s, Keras / JAX = "
                     f"{bench['keras_vs_jax_ratio']}"
                     + (" (quick run)" if bench.get("quick") else "") + ".")
    lines.append("All pages passed on both." if data["passed"]
                 else "Some pages FAILED (see the table).")
    return "\n".join(lines) + "\n"


def write_report(gpu: Path, cpu: Path, bench: Path | None,
                 out: Path) -> int:
    """Write ``check.md`` and ``check.json`` to ``out``; 0 when every page
    passed on both sides."""
    data = report(gpu, cpu, bench)
    out.mkdir(parents=True, exist_ok=True)
    (out / "check.json").write_text(json.dumps(data, indent=1) + "\n")
    text = markdown(data)
    (out / "check.md").write_text(text)
    print(text, end="", flush=True)
    return 0 if data["passed"] else 1
