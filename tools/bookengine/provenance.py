"""What a page's outputs depended on, and whether any of it has changed.

A page's *provenance* is recorded when it executes (see
:mod:`bookengine.kernel`): the hash of its code cells, every file the kernel
read or imported (content hashes), the environment the kernel ran in and
the device. A page is stale exactly when one of those has changed; the
reasons are plain sentences ("src/dlpy/naive.py changed").

This module uses the standard library only: it runs on execution workers
(a Dask worker, a GPU box with nothing but the kernel installed) as well as
in the engine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import site
import stat
import sys
import sysconfig
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

#: A JSON object, as records, environments and settings are stored.
JSON = dict[str, Any]

#: Environment-variable families that can change what a cell computes
#: (JAX/XLA/Keras/CUDA/OpenMP/BLAS/Matplotlib/Python settings), and those a
#: book adds (``watched_env_prefixes`` in ``[tool.bookengine]``, e.g. its
#: package's own). A config file they point to (``KERAS_HOME``'s
#: keras.json, a ``matplotlibrc``) is recorded as a file the kernel read.
WATCHED_ENV_PREFIXES = (
    "JAX_", "XLA_", "KERAS_", "NVIDIA_", "CUDA_", "OMP_", "MKL_",
    "OPENBLAS_", "MPL", "MATPLOTLIB", "PYTHON",
)


def book_settings(root: Path) -> dict[str, Any]:
    """``[tool.bookengine]`` of the book's ``pyproject.toml`` (empty if it
    has none). Read wherever pages execute (a Dask worker, a GPU box), from
    that machine's checkout."""
    import tomllib

    path = Path(root) / "pyproject.toml"
    try:
        with path.open("rb") as f:
            found = tomllib.load(f).get("tool", {}).get("bookengine", {})
    except FileNotFoundError:
        return {}
    return dict(found)

#: Variables the engine assigns per page (which GPU, CPU-only pages on a GPU
#: machine; the numerics policy); the device they lead to, and the policy,
#: are recorded instead (the policy in the record's settings).
ASSIGNED_PER_PAGE = frozenset({
    "CUDA_VISIBLE_DEVICES", "JAX_PLATFORMS", "XLA_PYTHON_CLIENT_PREALLOCATE",
    "JAX_DEFAULT_MATMUL_PRECISION", "XLA_PYTHON_CLIENT_MEM_FRACTION",
    # JAX's persistent compilation cache (kernel.compilation_cache): where
    # compiled programs are kept changes no output, and its path is
    # machine-specific.
    "JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
    "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES",
})

#: Files under these directories belong to the operating system; what the
#: interpreter and the installed distributions read is covered by
#: recording the interpreter and every distribution's version instead.
SYSTEM_DIRS = ("/proc", "/sys", "/dev", "/usr", "/etc", "/lib", "/lib32",
               "/lib64", "/bin", "/sbin", "/run", "/var", "/snap")


#: The version of what a record means: which events count as inputs, how
#: they are named and hashed. A record of another version is stale (like
#: Sphinx's ENV_VERSION). Raise it with every change of what is recorded.
#: 1: (unversioned) files opened, modules imported, directories listed.
#: 2: plus paths the page's code stat()ed, subprocesses, sqlite, sockets
#:    and ctypes (see kernel), declared ``inputs:``, racy timestamps.
RECORD_VERSION = 2

#: The hash recorded for an input whose modification time is later than the
#: start of the page's execution.
CHANGED_DURING_RUN = "changed-during-execution"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def sha256_listing(path: Path) -> str:
    """A directory's content, as a page that lists it sees it: the sorted
    names of its entries (not what is in them)."""
    names = sorted(os.listdir(path))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


#: Git's racy-timestamp rule: a file's size and modification time vouch
#: for its content only if it was last modified well before it was hashed;
#: otherwise an edit within the same timestamp tick (coarse on many
#: filesystems) leaves both unchanged. Within this window the content is
#: hashed again.
RACY_NS = 2 * 10**9


def racy(mtime_ns: int, checked_ns: int) -> bool:
    """Whether a stat taken at ``checked_ns`` can miss a later edit of a
    file last modified at ``mtime_ns``."""
    return checked_ns - mtime_ns <= RACY_NS


@dataclasses.dataclass(frozen=True)
class FileState:
    """A file's content hash (``None``: it did not exist) and its stat; for
    a directory a page listed, the hash of its entries' names.
    ``checked_ns``: when the stat was taken (see :func:`racy`).
    ``kind``: ``"content"``, or ``"exists"`` for a path the page only
    stat()ed: a directory then counts by its existence alone (a page that
    asks ``os.path.isdir(d)`` does not depend on what ``d`` holds)."""

    sha256: str | None
    size: int = -1
    mtime_ns: int = -1
    checked_ns: int = -1
    kind: str = "content"

    @classmethod
    def of(cls, path: Path, known: "FileState | None" = None,
           kind: str | None = None) -> "FileState":
        """The state of ``path`` now; reuse ``known``'s hash if the stat
        (size and modification time) is unchanged and was not racy."""
        kind = kind or (known.kind if known is not None else "content")
        checked = time.time_ns()
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return cls(None, kind=kind)
        if kind == "exists" and stat.S_ISDIR(st.st_mode):
            return cls("directory", kind=kind)
        if known is not None and known.sha256 is not None and \
                (st.st_size, st.st_mtime_ns) == (known.size, known.mtime_ns) \
                and not racy(known.mtime_ns, known.checked_ns):
            return known  # a directory's mtime changes with its entries
        digest = sha256_listing(path) if stat.S_ISDIR(st.st_mode) \
            else sha256_file(path)
        return cls(digest, st.st_size, st.st_mtime_ns, checked, kind)

    def to_json(self) -> JSON:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: JSON) -> "FileState":
        return cls(data.get("sha256"), data.get("size", -1),
                   data.get("mtime_ns", -1), data.get("checked_ns", -1),
                   data.get("kind", "content"))


def record_path(path: Path, root: Path) -> str:
    """How a file is named in a record: root-relative (POSIX) inside the
    project, so records travel between checkouts; ``~/...`` under the
    home directory (``~/.keras/keras.json``), so they travel between
    machines and CI runners with another home; absolute otherwise."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return "~/" + path.relative_to(Path.home().resolve()).as_posix()
    except (ValueError, RuntimeError):
        return str(path)


def resolve_path(name: str, root: Path) -> Path:
    if name.startswith("~/"):
        return Path.home() / name[2:]
    path = Path(name)
    return path if path.is_absolute() else root / path


def is_project_path(name: str) -> bool:
    return not (Path(name).is_absolute() or name.startswith("~/"))


def environment_dirs() -> list[str]:
    """Directories whose files are covered by the interpreter and the
    installed distributions (so not recorded file by file)."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix,
            *site.getsitepackages(), site.getusersitepackages()}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        dirs.add(sysconfig.get_path(key))
    return sorted(os.path.realpath(d) for d in dirs if d)


def is_recorded_input(path: str, ignored: Iterable[str]) -> bool:
    """Whether a file the kernel touched counts as an input of the page:
    not a compiled module, not the operating system's, not part of the
    interpreter or an installed distribution (``ignored``: those
    directories, even when they sit inside the project, as ``.venv`` does)."""
    if "__pycache__" in Path(path).parts:
        return False
    real = os.path.realpath(path)
    return not any(real == d or real.startswith(d.rstrip(os.sep) + os.sep)
                   for d in (*SYSTEM_DIRS, *ignored))


# --------------------------------------------------------------------------
# The environment
# --------------------------------------------------------------------------


def interpreter() -> str:
    """The interpreter, e.g. ``CPython 3.11.7 /usr/bin/python3.11``."""
    return (f"{platform.python_implementation()} {platform.python_version()} "
            f"{os.path.realpath(sys.executable)}")


def site_dirs() -> list[str]:
    dirs = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]


def site_key() -> list[Any]:
    """What says whether the installed distributions may have changed: the
    interpreter and each site folder's modification time (installing,
    upgrading or removing a distribution adds or removes a folder there)."""
    return [interpreter(),
            [[d, os.stat(d).st_mtime_ns] for d in site_dirs()]]


#: distributions(), by site_key(): a build asks once per executed page.
_DISTRIBUTIONS: dict[str, dict[str, str]] = {}


def distributions() -> dict[str, str]:
    """Every distribution installed for this interpreter: name -> version
    (read again only when :func:`site_key` changed, or while a site folder
    is within the racy window of its last change)."""
    key = site_key()
    name_of_key = json.dumps(key)
    cached = _DISTRIBUTIONS.get(name_of_key)
    if cached is not None:
        return dict(cached)
    found: dict[str, str] = {}
    for dist in metadata.distributions(path=site_dirs()):
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name and name not in found:
            found[name] = dist.version
    result = dict(sorted(found.items()))
    now = time.time_ns()
    if not any(racy(mtime, now) for _, mtime in key[1]):
        _DISTRIBUTIONS[name_of_key] = result
    return dict(result)


def watched_variables(env: dict[str, str], root: Path) -> dict[str, str]:
    """The environment variables of the watched families (root-relative)."""
    prefixes = (*WATCHED_ENV_PREFIXES,
                *book_settings(root).get("watched_env_prefixes", []))
    return {k: v.replace(str(root), "{root}")
            for k, v in sorted(env.items())
            if k.startswith(prefixes) and k not in ASSIGNED_PER_PAGE}


def environment(env: dict[str, str], root: Path,
                dists: dict[str, str] | None = None) -> JSON:
    """The environment a kernel runs in, as recorded with each page."""
    return {"python": interpreter(),
            "distributions": distributions() if dists is None else dists,
            "variables": watched_variables(env, root)}


def environment_changes(old: JSON, new: JSON, limit: int = 3) -> list[str]:
    """What differs between two recorded environments, in words."""
    changes = []
    if old.get("python") != new.get("python"):
        changes.append(f"interpreter {old.get('python')} -> "
                       f"{new.get('python')}")
    for kind, label in (("distributions", "package"),
                        ("variables", "environment variable")):
        a, b = old.get(kind, {}), new.get(kind, {})
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                changes.append(f"{label} {name}: {a.get(name, '(none)')} -> "
                               f"{b.get(name, '(none)')}")
    if len(changes) > limit:
        changes = changes[:limit] + [f"{len(changes) - limit} more"]
    return changes


# --------------------------------------------------------------------------
# Records and the staleness rule
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Record:
    """The provenance of one executed page (stored as JSON)."""

    page: str                      # docname, e.g. "book/ch02/tensors"
    source: str                    # "book/ch02/tensors.md"
    code: str                      # hash of the code cells (jupyter-cache)
    files: dict[str, FileState]    # modules imported and files read
    environment: str               # hash of the environment record
    device: str                    # "CPU" or the GPU's name
    run: JSON                      # host, worker, started, seconds
    settings: JSON = dataclasses.field(default_factory=dict)  # allow_errors
    cache: JSON = dataclasses.field(default_factory=dict)  # pk, hashkey...
    origin: JSON | None = None     # set when imported from a bundle
    version: int = 0               # RECORD_VERSION of the engine that ran it
    # What the page did that the engine cannot observe (a subprocess, a
    # database, a connection) and the inputs its front matter declares.
    unobserved: list[str] = dataclasses.field(default_factory=list)
    declared: list[str] = dataclasses.field(default_factory=list)

    def to_json(self) -> JSON:
        data = dataclasses.asdict(self)
        data["files"] = {k: v.to_json() for k, v in self.files.items()}
        return data

    @classmethod
    def from_json(cls, data: JSON) -> "Record":
        data = dict(data)
        data["files"] = {k: FileState.from_json(v)
                         for k, v in data["files"].items()}
        return cls(**data)

    @property
    def keeps_environment(self) -> bool:
        """Executed elsewhere and imported with ``--keep-environment``: only
        the project's own sources are compared."""
        return bool(self.origin and self.origin.get("keep_environment"))


@dataclasses.dataclass
class Current:
    """What a record is compared with: the state of things now."""

    root: Path
    code: dict[str, str]                 # page -> code hash now
    environment: str                     # hash of the environment now
    environments: dict[str, JSON]        # hash -> environment (for diffs)
    devices: dict[str, str | None]       # page -> device it would get
    settings: dict[str, JSON] = dataclasses.field(
        default_factory=dict)            # page -> execution settings now
    file_states: dict[str, FileState] = dataclasses.field(
        default_factory=dict)            # memo: name -> state now
    declared: dict[str, list[str]] = dataclasses.field(
        default_factory=dict)            # page -> its declared inputs now


def reasons_stale(record: Record, now: Current) -> list[str]:
    """Why ``record``'s outputs are out of date; empty when they are fresh."""
    if record.version != RECORD_VERSION:
        return [f"it was recorded by another version of the engine (record "
                f"version {record.version}, now {RECORD_VERSION})"]
    reasons: list[str] = []
    if now.code.get(record.page) != record.code:
        reasons.append("its code cells changed")
    declared = now.declared.get(record.page, [])
    if declared != record.declared:
        reasons.append("its declared inputs changed")
    elif record.unobserved and not declared:
        shown = "; ".join(record.unobserved[:2]) + (
            f"; {len(record.unobserved) - 2} more"
            if len(record.unobserved) > 2 else "")
        reasons.append(
            f"it used what the engine cannot observe ({shown}), so it "
            "re-executes on every build until its front matter declares "
            "what it reads (inputs: [...])")
    settings = now.settings.get(record.page, {})
    if record.settings != settings:
        changed = sorted(k for k in set(record.settings) | set(settings)
                         if record.settings.get(k) != settings.get(k))
        reasons.append("the execution settings changed ("
                       + ", ".join(changed) + ")")
    for name, old in sorted(record.files.items()):
        if record.keeps_environment and not is_project_path(name):
            continue
        if old.sha256 == CHANGED_DURING_RUN:
            reasons.append(f"{name} changed while the page was executing")
            continue
        state = now.file_states.get(name)
        if state is None:
            state = FileState.of(resolve_path(name, now.root), old)
            now.file_states[name] = state
        if state.sha256 != old.sha256:
            what = ("appeared" if old.sha256 is None else
                    "was removed" if state.sha256 is None else "changed")
            reasons.append(f"{name} {what}")
    if record.keeps_environment:
        return reasons
    if record.environment != now.environment:
        old_env = now.environments.get(record.environment, {})
        new_env = now.environments.get(now.environment, {})
        changes = environment_changes(old_env, new_env) or ["unknown"]
        reasons.append("the environment changed (" + "; ".join(changes) + ")")
    device = now.devices.get(record.page)
    if device is not None and device != record.device:
        reasons.append(f"the device changed ({record.device} -> {device})")
    return reasons
