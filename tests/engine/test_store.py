"""The store: write order, and repair of what faults leave behind."""

from __future__ import annotations

import json

import nbformat
import pytest

from bookengine.store import Store


def _notebook(source: str) -> str:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", text="out\n")]
    nb.cells = [cell]
    return nbformat.writes(nb)


def _put(store: Store, page: str, source: str):
    return store.put(page, f"{page}.md", _notebook(source), {},
                     {"python": "x"}, "CPU", {"seconds": 1.0},
                     {"allow_errors": False})


@pytest.fixture
def store(tmp_path) -> Store:
    messages: list[str] = []
    store = Store(tmp_path / "store", messages.append)
    store.messages = messages  # type: ignore[attr-defined]
    return store


def test_put_stores_the_notebook_then_the_record(store) -> None:
    record = _put(store, "book/a", "print(1)")
    assert store.notebook_path(record.cache["hashkey"]).exists()
    assert "out" in store.notebook(record)
    reloaded = Store(store.path).records()
    assert reloaded["book/a"].cache == record.cache
    assert store.environment(record.environment) == {"python": "x"}


def test_new_code_replaces_the_old_cache_entry(store) -> None:
    old = _put(store, "book/a", "print(1)")
    new = _put(store, "book/a", "print(2)")
    assert not store.notebook_path(old.cache["hashkey"]).exists()
    store.check()
    assert store.records()["book/a"].cache == new.cache


def test_damaged_record_is_discarded_with_a_message(store) -> None:
    _put(store, "book/a", "print(1)")
    (store.records_dir / "book/a.json").write_text("{ not json")
    fresh = Store(store.path, store.messages.append)
    assert fresh.records() == {}
    assert any("discarding a damaged record" in m for m in store.messages)


def test_truncated_notebook_drops_the_page(store) -> None:
    record = _put(store, "book/a", "print(1)")
    path = store.notebook_path(record.cache["hashkey"])
    path.write_text(path.read_text()[:40])
    store.check()
    assert "book/a" not in store.records()
    assert not path.exists()


def test_damaged_database_discards_the_cache(store) -> None:
    _put(store, "book/a", "print(1)")
    (store.cache_dir / "global.db").write_bytes(b"garbage" * 1000)
    store.check()
    assert store.records() == {}
    assert not store.cache_dir.exists()
    assert any("is damaged" in m for m in store.messages)
    _put(store, "book/a", "print(1)")  # and it works again
    assert json.loads((store.records_dir / "book/a.json").read_text())
