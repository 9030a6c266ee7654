"""Scenarios just inside and just outside the domain a certificate may carry (spot return,
vol shift), shared by the off-chain and on-chain domain tests."""

from vmargin.numerics.black_scholes import MAX_VOLATILITY
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD
from vmargin.proofs.scenario_commitment import (
    MAX_SPOT_RETURN,
)

INSIDE = [
    (-WAD + 1, 0),
    (MAX_SPOT_RETURN, 0),
    (0, MAX_VOLATILITY),
    (0, -MAX_VOLATILITY),
]
OUTSIDE = [
    (-WAD, 0),
    (-2 * WAD, 0),
    (INT256_MIN, 0),
    (MAX_SPOT_RETURN + 1, 0),
    (10**57, 0),
    (INT256_MAX, 0),
    (0, MAX_VOLATILITY + 1),
    (0, -MAX_VOLATILITY - 1),
    (0, INT256_MAX),
    (0, INT256_MIN),
]
