"""The numerics policy: the matmul precision a book or a page asks for
reaches each kernel (and only through the engine), is recorded with the
page, re-executes it when changed; ``--numerics tf32`` runs apart from the
native build."""

from __future__ import annotations

import json

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
  language: python
{front}---

# {title}

```{{code-cell}} ipython3
import json, os, pathlib
seen = {{k: os.environ.get(k) for k in
        ("JAX_DEFAULT_MATMUL_PRECISION", "BOOKENGINE_NUMERICS")}}
pathlib.Path("{title}.seen.json").write_text(json.dumps(seen))
```
"""


def _add_pages(book, config_precision: str | None) -> None:
    (book.root / "book/exact.md").write_text(PAGE.format(
        title="exact", front="numerics:\n  matmul_precision: highest\n"))
    (book.root / "book/plain.md").write_text(PAGE.format(
        title="plain", front=""))
    book.edit("_toc.yml", "  - file: book/record",
              "  - file: book/record\n  - file: book/exact\n"
              "  - file: book/plain")
    if config_precision:
        book.edit("_config.yml", "  allow_errors: false",
                  f"  allow_errors: false\n  matmul_precision: "
                  f"{config_precision}")


def _seen(book, title: str) -> dict:
    return json.loads((book.root / "book" / f"{title}.seen.json").read_text())


def _execute(book, *args: str, env: dict | None = None) -> str:
    code, output, _ = book.run(*args, "execute", "--jobs", "2", env=env)
    assert code == 0, output[-4000:]
    return output


def test_precision_comes_from_the_page_then_the_book_never_the_shell(
        book) -> None:
    _add_pages(book, config_precision="high")
    _execute(book, env={"JAX_DEFAULT_MATMUL_PRECISION": "bfloat16"})
    assert _seen(book, "exact")["JAX_DEFAULT_MATMUL_PRECISION"] == "highest"
    assert _seen(book, "plain")["JAX_DEFAULT_MATMUL_PRECISION"] == "high"
    assert book.record("exact")["settings"]["matmul_precision"] == "highest"
    assert book.record("plain")["settings"] == {
        "allow_errors": False, "matmul_precision": "high",
        "numerics": "native"}
    # The shell's value is neither used nor part of the environment, so
    # changing it re-executes nothing.
    output = _execute(book, env={"JAX_DEFAULT_MATMUL_PRECISION": "highest"})
    assert "all 5 executed page(s) are fresh" in output


def test_changing_a_pages_precision_reexecutes_only_that_page(book) -> None:
    _add_pages(book, config_precision=None)
    _execute(book)
    assert _seen(book, "plain")["JAX_DEFAULT_MATMUL_PRECISION"] is None
    book.edit("book/exact.md", "matmul_precision: highest",
              "matmul_precision: default")
    code, output, _ = book.run("status")
    assert "book/exact.md" in output and "(matmul_precision)" in output
    before = book.executions()
    _execute(book)
    assert book.executions() == before        # the test pages don't count
    assert _seen(book, "exact")["JAX_DEFAULT_MATMUL_PRECISION"] is None


def test_an_unknown_precision_is_refused_by_name(book) -> None:
    _add_pages(book, config_precision=None)
    book.edit("book/exact.md", "matmul_precision: highest",
              "matmul_precision: tf32")
    code, output, _ = book.run("execute")
    assert code != 0
    assert "book/exact.md: numerics: matmul_precision must be one of " \
           "default, high, highest; got 'tf32'" in output


def test_tf32_numerics_execute_apart_from_the_native_build(book) -> None:
    _add_pages(book, config_precision=None)
    _execute(book)
    native = book.record("plain")
    _execute(book, "--numerics", "tf32")
    assert _seen(book, "plain")["BOOKENGINE_NUMERICS"] == "tf32"
    tf32_record = json.loads((book.root / "_build/.engine-tf32/records/book"
                              / "plain.json").read_text())
    assert tf32_record["settings"]["numerics"] == "tf32"
    # The native build's outputs are untouched and still fresh.
    assert book.record("plain") == native
    code, output, _ = book.run("status")
    assert code == 0 and "5 fresh, 0 stale" in output, output
