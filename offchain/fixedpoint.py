"""Signed WAD fixed point with Solidity's semantics.

Every amount is an integer scaled by ``WAD = 10**18``. Division truncates toward
zero, as Solidity's ``/`` on ``int256``; Python's ``//`` floors, so it is never
used on signed values here. Every result that Solidity would hold in an
``int256`` is checked, and raises :class:`FixedPointOverflow` where the contract
reverts with Panic(0x11). Solidity twin: ``contracts/libraries/FixedPointMath.sol``.
"""

WAD = 10**18
INT256_MIN = -(2**255)
INT256_MAX = 2**255 - 1


class FixedPointOverflow(ArithmeticError):
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


def mul_wad(a: int, b: int) -> int:
    """a * b / WAD, truncated toward zero; the product must fit in int256."""
    return div_trunc(int256(a * b), WAD)
