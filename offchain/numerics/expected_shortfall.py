"""Expected Shortfall of a sample of losses, exactly, in integers.

ES at level alpha over N equally likely scenarios is the Acerbi-Tasche sample
estimator: with ``k = N * (1 - alpha)``, the floor(k) largest losses count fully
and the next one with the fractional weight ``k - floor(k)``, and the weighted
sum is divided by k. With alpha in basis points, k is the rational number
``k_num / 10_000`` where ``k_num = N * (10_000 - alpha_bps)``; k is never a float
(in floating point, 1000 * (1 - 0.975) is 25.000000000000022, one scenario off).

Losses are WAD integers (positive = loss). The one division of each quantity
rounds so that margin is never understated: ES and the Rockafellar-Uryasev bound
(upper bounds, used as margin) round up; the certificate's lower bound rounds
down, so it stays a lower bound. Solidity twin:
``contracts/libraries/ExpectedShortfall.sol``.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from vmargin.errors import InputError
from vmargin.numerics.fixedpoint import Rounding, int256, mul_div

BPS = 10_000


@dataclass(frozen=True)
class TailWeight:
    """The tail size k = k_num / 10_000 of N scenarios at level alpha."""

    n: int
    alpha_bps: int
    k_num: int
    whole: int
    frac: int

    @property
    def witness_count(self) -> int:
        """ceil(k): the number of distinct scenarios a liquidation certificate names."""
        return self.whole if self.frac == 0 else self.whole + 1


def tail_weight(n: int, alpha_bps: int) -> TailWeight:
    """k for N scenarios at ``alpha_bps`` (0 <= alpha_bps < 10_000), as integers."""
    for name, value in (("the number of scenarios", n), ("alpha", alpha_bps)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(f"{name} must be an integer, got {value!r}")
    if n <= 0:
        raise InputError(f"the number of scenarios must be positive, got {n}")
    if not 0 <= alpha_bps < BPS:
        raise InputError(f"alpha must be in [0, 10000) basis points, got {alpha_bps}")
    k_num = n * (BPS - alpha_bps)
    whole = k_num // BPS
    return TailWeight(n=n, alpha_bps=alpha_bps, k_num=k_num, whole=whole, frac=k_num - whole * BPS)


def worst_scenarios(losses: Sequence[int], count: int) -> list[int]:
    """Indices of the ``count`` largest losses, ties to the lower index, in increasing order."""
    if not 0 < count <= len(losses):
        raise InputError(f"cannot pick {count} of {len(losses)} scenarios")
    ranked = sorted(range(len(losses)), key=lambda s: (-losses[s], s))
    return sorted(ranked[:count])


def expected_shortfall(losses: Sequence[int], alpha_bps: int) -> int:
    """Acerbi-Tasche ES of ``losses`` (WAD) at ``alpha_bps``, rounded up.

    ``(10_000 * sum of the floor(k) largest + frac * next largest) / k_num``.
    """
    tail = tail_weight(len(losses), alpha_bps)
    descending = sorted(losses, reverse=True)
    weighted = BPS * sum(descending[: tail.whole])
    if tail.frac:
        weighted += tail.frac * descending[tail.whole]
    return mul_div(int256(weighted), 1, tail.k_num, Rounding.CEIL)


def weighted_lower_bound(witness_losses: Sequence[int], tail: TailWeight) -> int:
    """The ES lower bound that a liquidation certificate proves, rounded down.

    The ceil(k) witness losses count fully except the smallest, which carries the
    fractional weight: ``(10_000 * sum - (10_000 - frac) * min) / k_num``. Any weights
    in [0, 1] summing to k give at most ES, so this never exceeds ES; for the k worst
    scenarios it is ES rounded down.
    """
    if len(witness_losses) != tail.witness_count:
        raise InputError(
            f"a certificate names {tail.witness_count} scenarios, got {len(witness_losses)}"
        )
    weighted = int256(BPS * int256(sum(witness_losses)))
    if tail.frac:
        weighted = int256(weighted - (BPS - tail.frac) * min(witness_losses))
    return mul_div(weighted, 1, tail.k_num, Rounding.FLOOR)


def rockafellar_uryasev_bound(losses: Sequence[int], threshold: int, alpha_bps: int) -> int:
    """ES <= t + (1/k) * sum max(L - t, 0) for any threshold t, rounded up.

    ``t + ceil(10_000 * sum max(L - t, 0) / k_num)``; with t the ceil(k)-th largest
    loss it equals ``expected_shortfall`` (both rounded up).
    """
    tail = tail_weight(len(losses), alpha_bps)
    excess = 0
    for loss in losses:
        if loss > threshold:
            excess = int256(excess + int256(loss - threshold))
    return int256(threshold + mul_div(excess, BPS, tail.k_num, Rounding.CEIL))
