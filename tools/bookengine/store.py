"""Where executed pages live: jupyter-cache plus one provenance record each.

Layout of the store (``_build/.engine``)::

    jupyter_cache/               executed notebooks, where MyST-NB finds them
    records/<docname>.json       a page's provenance (see provenance.Record)
    environments/<hash>.json     the environments records refer to
    lock                         shared while rendering, exclusive to write

Write order makes every interruption safe: the notebook goes into
jupyter-cache first, the record (written atomically) last, so a page only
counts as executed once both exist. :meth:`Store.check` runs at the start of
every build and repairs what an interrupted or damaged store left behind: a
database that is not a database is discarded (with a message) and rebuilt; a
cache entry without a record, or with a missing or truncated notebook, is
deleted, so its page re-executes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import uuid
from pathlib import Path
from typing import Callable, Iterator

from .files import locked, write_atomic
from .provenance import JSON, RECORD_VERSION, FileState, Record, sha256_json

__all__ = ["Store", "write_atomic"]


class Store:
    """The executed pages of one book root."""

    def __init__(self, path: Path,
                 log: Callable[[str], None] = logging.getLogger(
                     "bookengine").info):
        self.path = path
        self.log = log
        self.cache_dir = path / "jupyter_cache"
        self.records_dir = path / "records"
        self.environments_dir = path / "environments"
        self._records: dict[str, Record] | None = None

    # ----------------------------------------------------------------- locks
    @contextlib.contextmanager
    def lock(self, exclusive: bool) -> Iterator[None]:
        """Shared (render) or exclusive (execute, import) access.

        The records read under a lock are forgotten when it is released:
        between two locks, another build directory of this root may have
        executed pages."""
        def waiting(_: str) -> None:
            self.log(f"waiting for another build that is using {self.path}"
                     " ...")

        self._records = None
        try:
            with locked(self.path / "lock", exclusive, waiting):
                yield
        finally:
            self._records = None

    # --------------------------------------------------------------- records
    def _record_path(self, page: str) -> Path:
        return self.records_dir / f"{page}.json"

    def records(self) -> dict[str, Record]:
        """Every page's record (damaged ones are discarded, with a note)."""
        if self._records is None:
            self._records = {}
            for path in sorted(self.records_dir.rglob("*.json")):
                try:
                    record = Record.from_json(json.loads(path.read_text()))
                except (OSError, ValueError, TypeError, KeyError) as err:
                    self.log(f"discarding a damaged record {path.name}: "
                             f"{err}")
                    path.unlink(missing_ok=True)
                    continue
                self._records[record.page] = record
        return self._records

    def drop(self, page: str) -> None:
        self._record_path(page).unlink(missing_ok=True)
        self.records().pop(page, None)

    def forget_pages_except(self, pages: set[str]) -> list[Record]:
        """Drop the records (and their cached notebooks, unless another
        record uses them) of every page not in ``pages``: a page removed
        from the table of contents, renamed, or no longer executable.
        Returns the dropped records."""
        dropped = [r for page, r in sorted(self.records().items())
                   if page not in pages]
        if not dropped:
            return []
        for record in dropped:
            self.drop(record.page)
        used = {r.cache.get("pk") for r in self.records().values()}
        entries = {r.cache["pk"]: str(r.cache.get("hashkey"))
                   for r in dropped
                   if "pk" in r.cache and r.cache["pk"] not in used}
        if entries and (self.cache_dir / "global.db").exists():
            self._delete_entries(entries)
        return dropped

    def write_record(self, record: Record) -> None:
        write_atomic(self._record_path(record.page),
                     json.dumps(record.to_json(), indent=1, sort_keys=True))
        self.records()[record.page] = record

    def environment(self, digest: str) -> JSON:
        try:
            found: JSON = json.loads(
                (self.environments_dir / f"{digest}.json").read_text())
            return found
        except (OSError, ValueError):
            return {}

    def save_environment(self, environment: JSON) -> str:
        digest = sha256_json(environment)
        path = self.environments_dir / f"{digest}.json"
        if not path.exists():
            write_atomic(path, json.dumps(environment, indent=1,
                                          sort_keys=True))
        return digest

    # ---------------------------------------------------------- jupyter-cache
    def notebook_path(self, hashkey: str) -> Path:
        return self.cache_dir / "executed" / hashkey / "base.ipynb"

    def _rows(self) -> dict[int, str]:
        """pk -> hashkey of every jupyter-cache entry (raises if damaged)."""
        db = self.cache_dir / "global.db"
        if not db.exists():
            return {}
        with contextlib.closing(sqlite3.connect(
                f"file:{db}?mode=ro", uri=True)) as con:
            (ok,) = con.execute("PRAGMA quick_check").fetchone()
            if ok != "ok":
                raise sqlite3.DatabaseError(ok)
            return dict(con.execute("SELECT pk, hashkey FROM nbcache"))

    def check(self) -> None:
        """Discard what an interruption or damage left inconsistent."""
        try:
            rows = self._rows()
        except sqlite3.Error as err:
            self.log(f"the execution cache {self.cache_dir} is damaged "
                     f"({err}): discarding it; its pages will re-execute")
            shutil.rmtree(self.cache_dir, ignore_errors=True)
            shutil.rmtree(self.records_dir, ignore_errors=True)
            self._records = None
            return
        kept: set[int] = set()
        for page, record in list(self.records().items()):
            pk, hashkey = record.cache.get("pk", -1), record.cache.get(
                "hashkey")
            path = self.notebook_path(str(hashkey))
            if rows.get(pk) != hashkey or not path.exists() or \
                    path.stat().st_size != record.cache.get("size"):
                self.log(f"{record.source}: its stored outputs are missing or "
                         "damaged; it will re-execute")
                self.drop(page)
            else:
                kept.add(pk)
        orphans = {pk: h for pk, h in rows.items() if pk not in kept}
        if orphans:
            self._delete_entries(orphans)
        executed = self.cache_dir / "executed"
        if executed.is_dir():
            live = {h for pk, h in rows.items() if pk in kept}
            for folder in executed.iterdir():
                if folder.name not in live:
                    shutil.rmtree(folder, ignore_errors=True)

    def _delete_entries(self, entries: dict[int, str]) -> None:
        db = self.cache_dir / "global.db"
        with contextlib.closing(sqlite3.connect(db)) as con, con:
            con.executemany("DELETE FROM nbcache WHERE pk = ?",
                            [(pk,) for pk in entries])
        for hashkey in entries.values():
            shutil.rmtree(self.notebook_path(hashkey).parent,
                          ignore_errors=True)

    def put(self, page: str, source: str, notebook_json: str,
            files: dict[str, JSON], environment: JSON, device: str,
            run: JSON, settings: JSON, origin: JSON | None = None,
            version: int = RECORD_VERSION,
            unobserved: list[str] | None = None,
            declared: list[str] | None = None) -> Record:
        """Store an executed notebook, then (last) its record."""
        import nbformat
        from jupyter_cache import get_cache
        from jupyter_cache.base import CacheBundleIn

        nb = nbformat.reads(notebook_json, as_version=4)  # type: ignore[no-untyped-call]
        cache = get_cache(str(self.cache_dir))
        entry = cache.cache_notebook_bundle(
            CacheBundleIn(nb, source,
                          data={"execution_seconds": run.get("seconds")}),
            check_validity=False, overwrite=True)
        old = self.records().get(page)
        record = Record(
            page=page, source=source, code=entry.hashkey,
            files={k: FileState.from_json(v) for k, v in files.items()},
            environment=self.save_environment(environment), device=device,
            run=run, settings=settings, origin=origin, version=version,
            unobserved=list(unobserved or []), declared=list(declared or []),
            cache={"pk": entry.pk, "hashkey": entry.hashkey,
                   "size": self.notebook_path(entry.hashkey).stat().st_size,
                   "id": uuid.uuid4().hex})
        self.write_record(record)
        if old is not None and old.cache.get("hashkey") != entry.hashkey:
            with contextlib.suppress(KeyError):
                cache.remove_cache(old.cache["pk"])
        return record

    def notebook(self, record: Record) -> str:
        return self.notebook_path(record.cache["hashkey"]).read_text()
