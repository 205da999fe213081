"""bookengine: build the dlpy book strictly, incrementally, in parallel.

Jupyter Book 1 executes pages one at a time inside Sphinx, keys its cache on
code cells alone and treats a failing cell as a warning. This engine takes
execution out of Sphinx and splits a build into two stages, each in small
modules with one job:

Execute stage (no Sphinx involved)
    :mod:`~bookengine.project`  which pages the book has and what they declare;
    :mod:`~bookengine.provenance`  what a page's outputs depended on, and
    whether any of it has changed since (the staleness rule);
    :mod:`~bookengine.devices`  the machine's GPUs (NVML, else
    ``nvidia-smi``), the one rule for a page's device, slots per card;
    :mod:`~bookengine.kernel`  runs one page in a fresh kernel and records
    every project module it imported, every file it read and the device
    JAX really used, failing a page that ran elsewhere than it was sent
    (this module needs only nbclient, so it also runs on a bare GPU box or
    a Dask worker);
    :mod:`~bookengine.kernels`  starts each page's fresh kernel ahead of
    need, while the page before it runs, and shuts kernels down in the
    background;
    :mod:`~bookengine.schedule`  runs stale pages in parallel: local threads
    (``--jobs``, several pages per GPU) or a Dask cluster (``--scheduler``);
    :mod:`~bookengine.store`  keeps executed notebooks in jupyter-cache, where
    MyST-NB finds them, plus one provenance record per page, written only
    after success; damaged entries are discarded and rebuilt.

Render stage (never executes)
    :mod:`~bookengine.render`  Sphinx in-process, incremental, strict: every
    warning fails the build; a page that failed, or whose outputs changed, is
    re-read; only pages of the table of contents are rendered; the PDFs
    (the book's, named in ``_config.yml``, and one per chapter) come from a
    clean LaTeX folder;
    :mod:`~bookengine.publish`  every requested format goes live in one step,
    only after all of them succeeded;
    :mod:`~bookengine.sphinx_ext`  the Sphinx side: collects warnings as
    structured records (from Sphinx's logging set-up on), refuses to
    execute, decides what to re-read;
    :mod:`~bookengine.sphinx_patches`  the changes to Sphinx's, MyST-NB's and
    pybtex's private functions, each behind a version guard;
    :mod:`~bookengine.build_record`  the build record page: written before
    Sphinx starts, rendered by its directive.

Around them: :mod:`~bookengine.records` (the task, result and failure records
passed between the stages), :mod:`~bookengine.bundle` (export executed pages
from one machine and import them on another, failures included),
:mod:`~bookengine.check` (the table of ``tools/remote.sh check``),
:mod:`~bookengine.problems` (failures as typed
records, printed with page, cell, source and traceback),
:mod:`~bookengine.files` (the atomic write and the lock every stage uses),
:mod:`~bookengine.engine` (the two stages in order, one build at a time)
and :mod:`~bookengine.cli`. Book-specific settings are read from
``[tool.bookengine]`` in the book's ``pyproject.toml``.
"""

import hashlib as _hashlib
from pathlib import Path as _Path

#: The engine's own code, hashed when it is imported: a Dask worker whose
#: engine differs (or that imported an older one) is refused.
ENGINE_HASH = _hashlib.sha256(b"".join(
    p.read_bytes() for p in sorted(_Path(__file__).parent.glob("*.py"))
)).hexdigest()
