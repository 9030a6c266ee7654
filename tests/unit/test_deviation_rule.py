"""The oracle's deviation rule off chain: ``deviation_exceeds`` refuses the inputs the
contract never evaluates. Its comparison with ``OracleAdapter`` is in
``tests/node/test_oracle_adapter.py``."""

import pytest

from vmargin.oracle.feeds import (
    deviation_exceeds,
)


def test_deviation_exceeds_refuses_what_the_contract_never_evaluates() -> None:
    assert deviation_exceeds(2100, 2000, 500) is False
    assert deviation_exceeds(2101, 2000, 500) is True
    assert deviation_exceeds(1900, 2000, 500) is False
    assert deviation_exceeds(2000, 1900, 500) is True  # the reference is the denominator
    for price, reference, max_bps in [(0, 1, 1), (1, 0, 1), (-1, 1, 1), (1, 1, 0), (1, 1, 10_001)]:
        with pytest.raises(ValueError):
            deviation_exceeds(price, reference, max_bps)
