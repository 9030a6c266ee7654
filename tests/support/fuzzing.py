"""What the fuzz targets share (hypothesis): the example budget, arbitrary JSON, and
near-valid documents with one field replaced."""

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = 400
"""Examples per target; each target's seed is fixed so that a failure reproduces."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON document, small."""


def written(text: str, suffix: str) -> Path:
    """``text`` in a fresh temporary file (hypothesis runs many examples per test)."""
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
        f.write(text)
    return Path(f.name)


DELETED = object()
"""A value that ``replaced`` removes the field for."""


def replaced(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of the JSON ``document`` with the field at ``path`` set to ``value`` (or
    removed, for ``DELETED``)."""
    copy = json.loads(json.dumps(document))
    *parents, last = path
    target = copy
    for part in parents:
        target = target[part]
    if value is DELETED:
        del target[last]
    else:
        target[last] = value
    return copy
