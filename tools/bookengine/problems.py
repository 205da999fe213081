"""What can go wrong in a build, as records, and how it is shown.

Every stage reports problems as :class:`Problem` records built from
structured data (nbclient's error reply for a failing cell, Sphinx's log
records for a warning, latexmk's exit status and the TeX log for the PDF),
never by scraping terminal output. The summary at the end of a failed build
lists each one with its page, the code cell's number and source, and the
traceback.
"""

from __future__ import annotations

import dataclasses
import textwrap

from .records import Failure


class BuildError(Exception):
    """A problem that stops the build before it can go on (bad settings,
    an unreachable scheduler, a refused worker, ...)."""


@dataclasses.dataclass
class Problem:
    stage: str          # "execute", "render:html", "render:pdf", "engine"
    location: str       # "book/ch02/tensors.md" or "...md:123"
    message: str
    detail: str = ""    # the failing cell's source and the traceback

    @classmethod
    def from_failure(cls, failure: Failure) -> "Problem":
        where = (f"code cell {failure.cell}" if failure.cell is not None
                 else "the kernel")
        detail = ""
        if failure.cell_source:
            detail += "failing cell:\n" + textwrap.indent(
                failure.cell_source.rstrip(), "    ") + "\n"
        if failure.traceback:
            detail += failure.traceback.rstrip()
        return cls("execute", failure.source,
                   f"{where} raised {failure.error}", detail)

    def __str__(self) -> str:
        head = f"[{self.stage}] {self.location}: {self.message}"
        if not self.detail:
            return head
        return head + "\n" + textwrap.indent(self.detail, "    ")


def summary(problems: list[Problem], elapsed: float) -> str:
    """The block printed at the end of a failed build."""
    rule = "=" * 72
    lines = [rule, f"BUILD FAILED after {elapsed:.1f} s: "
             f"{len(problems)} problem(s)"]
    for problem in problems:
        lines.append("")
        lines.append("* " + str(problem).replace("\n", "\n  "))
    lines.append(rule)
    return "\n".join(lines)
