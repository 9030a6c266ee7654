"""Signed WAD fixed point with Solidity's semantics.

Every amount is an integer scaled by ``WAD = 10**18``. Solidity's ``/`` on
``int256`` truncates toward zero; Python's ``//`` and ``%`` floor, so they are
never used on signed values here: ``div_trunc`` is Solidity's ``/``, and
``mul_div`` rounds in an explicit direction. Every result that Solidity would
hold in an ``int256`` is checked, and raises :class:`FixedPointOverflow` where
the contract reverts. Solidity twin: ``contracts/libraries/FixedPointMath.sol``;
spec: ``docs/numerics.md``.
"""

import math
from enum import Enum

from vmargin.errors import InputError

WAD = 10**18
INT256_MIN = -(2**255)
INT256_MAX = 2**255 - 1


class FixedPointOverflow(InputError, ArithmeticError):
    """A value left the int256 range, where the Solidity twin reverts."""


def int256(value: int) -> int:
    """Return ``value`` if it fits in an int256, else raise FixedPointOverflow."""
    if not INT256_MIN <= value <= INT256_MAX:
        raise FixedPointOverflow(f"{value} does not fit in int256")
    return value


def div_trunc(numerator: int, denominator: int) -> int:
    """numerator / denominator, truncated toward zero (Solidity ``/`` on int256).

    Raises ZeroDivisionError for a zero denominator (Solidity: Panic 0x12) and
    FixedPointOverflow for int256.min / -1 (Solidity: Panic 0x11).
    """
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    quotient = abs(numerator) // abs(denominator)
    if (numerator < 0) != (denominator < 0):
        quotient = -quotient
    return int256(quotient)


class Rounding(Enum):
    """OpenZeppelin's ``Math.Rounding``, read on the signed number line."""

    FLOOR = 0  # toward -infinity
    CEIL = 1  # toward +infinity
    TRUNC = 2  # toward zero
    EXPAND = 3  # away from zero


def mul_div(x: int, y: int, denominator: int, rounding: Rounding) -> int:
    """x * y / denominator, exact before one rounding in the given direction.

    Operands are int256; the result must fit in int256 (else FixedPointOverflow,
    the contract's ``MulDivOverflow``). A zero denominator raises ZeroDivisionError
    (the contract's ``ZeroDenominator``).
    """
    for operand in (x, y, denominator):
        int256(operand)
    if denominator == 0:
        raise ZeroDivisionError("division by zero")
    numerator = x * y
    magnitude, remainder = divmod(abs(numerator), abs(denominator))
    negative = (numerator < 0) != (denominator < 0)
    if remainder and (
        rounding is Rounding.EXPAND
        or (rounding is Rounding.CEIL and not negative)
        or (rounding is Rounding.FLOOR and negative)
    ):
        magnitude += 1
    return int256(-magnitude if negative else magnitude)


def mul_wad(x: int, y: int, rounding: Rounding) -> int:
    """x * y / WAD, rounded as asked."""
    return mul_div(x, y, WAD, rounding)


def div_wad(x: int, y: int, rounding: Rounding) -> int:
    """x * WAD / y, rounded as asked."""
    return mul_div(x, WAD, y, rounding)


def sqrt_wad(x: int) -> int:
    """floor(sqrt(x * 1e18)) for 0 <= x <= (2**256 - 1) // 10**18."""
    if x < 0:
        raise InputError(f"sqrt of negative {x}")
    if x > (2**256 - 1) // WAD:
        raise FixedPointOverflow(f"sqrt_wad({x}): x * 1e18 does not fit in uint256")
    return math.isqrt(x * WAD)
