"""What the fuzz targets share (hypothesis): the example budget, arbitrary JSON, and
near-valid documents with one field replaced."""

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from web3.types import RPCResponse

from vmargin.chain.client import (
    Call,
)
from vmargin.chain.deployment import Deployment
from vmargin.numerics.fixedpoint import WAD
from vmargin.oracle.scenario_file import (
    quantize_scenarios,
    scenario_file_json,
)

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


VALID_SET = json.loads(
    scenario_file_json(
        quantize_scenarios(
            ("ETH", "BTC"),
            np.array([[0.1, -0.2], [-0.05, 0.03], [0.2, 0.1], [-0.4, -0.3]]),
            np.zeros((4, 2)),
            stress=np.array([False, False, False, True]),
            alpha_bps=7500,
            method="historical",
            parameters={"window": 4, "horizon": 1},
            source="fuzz base",
        )
    )
)


ADDRESS = "0x" + "5a" * 20
WIRE_VALUE = JSON | st.sampled_from(
    [
        "",
        "-1",
        "1" * 80,
        str(2**256),
        " 5",
        "5 ",
        "1_000",
        "١٢",
        "0x10",
        "0x" + "ab" * 32,
        "0x" + "ab" * 31,
        "0x" + "zz" * 32,
        "ab" * 32,
        ADDRESS,
        ADDRESS.lower()[:-1],
        [],
        ["1", "2"],
        [["1", "2"], ["3"]],
        True,
        2**300,
        -1,
    ]
)


SMALL_RETURNS = tuple(((i - 4) * WAD // 50, (3 - i) * WAD // 40) for i in range(8))
SMALL_SHIFTS = tuple((WAD // 100 * (i % 3), 0) for i in range(8))


@dataclass(frozen=True)
class SmallMarket:
    """A deployment on the session's node with ``SMALL_SET`` posted, the ETH feed at 2,000
    USD (BTC's never answered) and one trader holding cash; ``calls`` are reads of it (the
    last one reverts), ``tx_hash`` its last transaction (a deposit) and ``simulations`` the
    node's answers to ``eth_simulateV1`` of an approval (which emits a log) and of a
    withdrawal (which reverts)."""

    deployment: Deployment
    trader: LocalAccount
    calls: tuple[Call, ...]
    tx_hash: str
    simulations: tuple[RPCResponse, ...]
