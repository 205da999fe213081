"""Claims about results are asserted by the build, never glued as booleans.

A sentence such as "the two agree" is backed by an ``assert`` in a hidden
cell (a failing one fails the build, see tests/engine); gluing ``True`` into
the prose instead would print machine output where a sentence belongs.
"""

from __future__ import annotations

import json

BOOLEANS = {"True", "False", "np.True_", "np.False_"}


def test_no_glued_value_is_a_boolean(built_book, book):
    executed = book.build / "render" / "jupyter_execute"
    glued = sorted(executed.rglob("*.glue.json"))
    assert glued, f"no glue data under {executed}"
    found = []
    for path in glued:
        for key, value in json.loads(path.read_text()).items():
            text = value.get("data", {}).get("text/plain", "").strip()
            if text in BOOLEANS:
                found.append(f"{path.relative_to(executed)}: {key} = {text}")
    assert not found, "glued booleans (assert the claim instead):\n" + \
        "\n".join(found)
