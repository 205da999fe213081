"""The plain records passed between the engine's stages: a page to execute
(:class:`Task`), what executing it produced (:class:`Result`) and how it
failed (:class:`Failure`).

Standard library only: they travel to Dask workers and bare GPU machines
(pickled or as JSON in a pack or a bundle).
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass
class Task:
    """One page to execute."""

    page: str                 # docname
    source: str               # root-relative source file
    notebook: str             # the unexecuted notebook, nbformat JSON
    root: str                 # the engine's project root
    timeout: int | None = None
    allow_errors: bool = False
    gpu: bool = False         # the page declared ``resources: {gpu: 1}``
    gpu_index: str | None = None  # locally assigned GPU (its CUDA id)
    gpu_slots: int | None = None  # kernels sharing that card (memory share)
    cache_dir: str | None = None  # JAX's persistent compilation cache
    ignored_dirs: tuple[str, ...] = ()  # never recorded as inputs
    unset_env: tuple[str, ...] = ()     # this process's, not the kernel's
    # set by the engine for this page (the numerics policy); recorded in
    # the record's settings, not in its environment
    variables: dict[str, str] = dataclasses.field(default_factory=dict)
    # "module:function" called silently in the kernel before the first cell
    # (``[tool.bookengine] kernel_setup``), e.g. to apply the numerics policy
    setup: str | None = None


@dataclasses.dataclass
class Failure:
    """A page whose execution failed: where, what and the traceback."""

    page: str
    source: str
    cell: int | None          # 1-based position among the page's code cells
    cell_source: str
    error: str                # e.g. "IndexError: list index out of range"
    traceback: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Failure":
        return cls(**{f.name: data.get(f.name)  # type: ignore[arg-type]
                      for f in dataclasses.fields(cls)})


@dataclasses.dataclass
class Result:
    """What executing a page produced, ready to be stored."""

    page: str
    source: str
    notebook: str | None      # executed notebook (JSON), partial on failure
    failure: Failure | None
    files: dict[str, dict[str, Any]]    # record name -> FileState JSON
    environment: dict[str, Any]
    device: str               # the device label (see devices.page_device)
    # host, worker, started, seconds (the page's own time when it reported
    # one, see kernel), kernel_seconds, cpu_seconds, device (the details)
    run: dict[str, Any]
    executed_root: str = ""
    #: what the page's code did that no file event shows (a subprocess,
    #: a database, a network connection): see the kernel's prologue
    unobserved: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        """``executed in 12.8 s (kernel 14.0 s, CPU 19.4 s) on CPU``, for
        the terminal: the same seconds and device as the page's own
        execution line and the build record."""
        extra = []
        kernel = self.run.get("kernel_seconds")
        if kernel is not None and kernel != self.run.get("seconds"):
            extra.append(f"kernel {kernel:.1f} s")
        cpu = self.run.get("cpu_seconds")
        if cpu is not None:
            extra.append(f"CPU {cpu:.1f} s")
        return (f"executed in {self.run.get('seconds', 0):.1f} s"
                + (f" ({', '.join(extra)})" if extra else "")
                + f" on {self.shown_device}")

    @property
    def shown_device(self) -> str:
        return shown_device(self.device, self.run)


def shown_device(device: str, run: dict[str, Any]) -> str:
    """The device a reader is shown for a page: what the page itself
    reported (its execution line) when it did, else the engine's label."""
    page = run.get("page") or {}
    return str(page.get("device") or device)
