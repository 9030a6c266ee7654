"""BLS signatures on BN254 (alt_bn128), as the EVM precompiles verify them.

Signatures and message hashes are in G1, public keys in G2, and every key is also
published in G1 so that a contract can aggregate signers' keys with the cheap G1 addition
(``ecAdd``) and check the G2 aggregate against it. A quorum's aggregate signature
``sigma`` on a message hash ``H`` with aggregate keys ``apk1`` (G1) and ``apk2`` (G2) is
accepted when

    e(sigma + gamma * apk1, -G2) * e(H + gamma * G1, apk2) == 1,

with ``gamma = keccak256(H, apk1, apk2, sigma) mod r``: the random linear combination binds
``apk2`` to ``apk1`` (both must carry the same secret), so one pairing check verifies the
signature and the key pair at once. Rogue keys (a key chosen as a function of the
others') are ruled out at registration by a proof of possession: a signature by the new
key on a message naming it.

Hashing to G1 is try-and-increment: ``x = digest mod p``, then ``x + 1``, ... until
``x^3 + 3`` is a square; ``y = (x^3 + 3)^((p + 1) / 4)`` (p = 3 mod 4), exactly as
``contracts/libraries/BN254.sol`` computes it with the ``modexp`` precompile. Every message
a contract verifies is a 32-byte digest of an ``abi.encode`` that starts with its domain
(a type tag, the chain id and the verifying contract), so a signature cannot be replayed
on another chain, contract or message type.

Points are affine integer pairs in this module's API: G1 as ``(x, y)``, G2 as
``((x_real, x_imag), (y_real, y_imag))``; ``g1_words`` and ``g2_words`` give the EVM
encoding (EIP-197 orders each Fp2 coordinate imaginary part first).
"""

import secrets
from dataclasses import dataclass

from eth_abi import encode
from eth_utils import keccak
from py_ecc import optimized_bn128 as bn128
from py_ecc.typing import Optimized_Point3D

from vmargin.errors import InputError

P = bn128.field_modulus
R = bn128.curve_order

G1Point = tuple[int, int]
G2Point = tuple[tuple[int, int], tuple[int, int]]

# py-ecc's projective points (x, y, z): over Fp for G1, over Fp2 for G2.
G1Projective = Optimized_Point3D[bn128.FQ]
G2Projective = Optimized_Point3D[bn128.FQ2]


class BlsError(InputError):
    """A key, point or signature is malformed; the message says which."""


def _g1(point: G1Point) -> G1Projective:
    """Projective py-ecc point of an affine G1 point, checked on the curve."""
    x, y = point
    if not (0 <= x < P and 0 <= y < P):
        raise BlsError(f"G1 coordinate out of the field: {point}")
    if point == (0, 0):
        return bn128.Z1
    projective = (bn128.FQ(x), bn128.FQ(y), bn128.FQ.one())
    if not bn128.is_on_curve(projective, bn128.b):
        raise BlsError(f"not a point of G1: {point}")
    return projective


def _g2(point: G2Point) -> G2Projective:
    """Projective py-ecc point of an affine G2 point, checked on the twist and in the
    order-r subgroup."""
    (x_real, x_imag), (y_real, y_imag) = point
    if not all(0 <= c < P for c in (x_real, x_imag, y_real, y_imag)):
        raise BlsError(f"G2 coordinate out of the field: {point}")
    projective = (
        bn128.FQ2([x_real, x_imag]),
        bn128.FQ2([y_real, y_imag]),
        bn128.FQ2.one(),
    )
    if not bn128.is_on_curve(projective, bn128.b2):
        raise BlsError(f"not a point of the G2 twist: {point}")
    if not bn128.is_inf(bn128.multiply(projective, R)):
        raise BlsError(f"not in the order-r subgroup of G2: {point}")
    return projective


def _affine_g1(projective: G1Projective) -> G1Point:
    if bn128.is_inf(projective):
        return (0, 0)
    x, y = bn128.normalize(projective)
    return (int(x), int(y))


def _affine_g2(projective: G2Projective) -> G2Point:
    x, y = bn128.normalize(projective)
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


G1_GENERATOR: G1Point = _affine_g1(bn128.G1)
G2_GENERATOR: G2Point = _affine_g2(bn128.G2)


@dataclass(frozen=True)
class BlsKey:
    """A secret key in [1, r) and its public keys in G1 and G2."""

    secret: int
    public_g1: G1Point
    public_g2: G2Point


def key_from_secret(secret: int) -> BlsKey:
    """The key pair of ``secret`` (in [1, r))."""
    if not 0 < secret < R:
        raise BlsError("a BLS secret key is in [1, r)")
    return BlsKey(
        secret=secret,
        public_g1=_affine_g1(bn128.multiply(bn128.G1, secret)),
        public_g2=_affine_g2(bn128.multiply(bn128.G2, secret)),
    )


def generate_key() -> BlsKey:
    """A fresh key from the operating system's randomness."""
    return key_from_secret(1 + secrets.randbelow(R - 1))


def hash_to_g1(digest: bytes) -> G1Point:
    """The G1 point of a 32-byte ``digest`` by try-and-increment (module docstring)."""
    if len(digest) != 32:
        raise BlsError(f"hash_to_g1 takes a 32-byte digest, not {len(digest)} bytes")
    x = int.from_bytes(digest, "big") % P
    while True:
        y_squared = (pow(x, 3, P) + 3) % P
        y = pow(y_squared, (P + 1) // 4, P)
        if y * y % P == y_squared:
            return (x, y)
        x = (x + 1) % P


def sign(key: BlsKey, digest: bytes) -> G1Point:
    """The signature of ``key`` on ``digest``: ``secret * hash_to_g1(digest)``."""
    return _affine_g1(bn128.multiply(_g1(hash_to_g1(digest)), key.secret))


def aggregate_g1(points: list[G1Point]) -> G1Point:
    """The sum of G1 points (signatures, or G1 public keys)."""
    total = bn128.Z1
    for point in points:
        total = bn128.add(total, _g1(point))
    return _affine_g1(total)


def aggregate_g2(points: list[G2Point]) -> G2Point:
    """The sum of G2 public keys."""
    if not points:
        raise BlsError("no G2 keys to aggregate")
    total = _g2(points[0])
    for point in points[1:]:
        total = bn128.add(total, _g2(point))
    return _affine_g2(total)


def g1_words(point: G1Point) -> list[int]:
    """``[x, y]``, as the precompiles and ``abi.encode`` take a G1 point."""
    return [point[0], point[1]]


def g2_words(point: G2Point) -> list[int]:
    """``[x_imag, x_real, y_imag, y_real]``: EIP-197's order of a G2 point."""
    (x_real, x_imag), (y_real, y_imag) = point
    return [x_imag, x_real, y_imag, y_real]


def g2_abi(point: G2Point) -> tuple[tuple[int, int], tuple[int, int]]:
    """A G2 point as web3 encodes ``BN254.G2Point`` (``uint256[2] x, uint256[2] y``, EIP-197
    order)."""
    x_imag, x_real, y_imag, y_real = g2_words(point)
    return ((x_imag, x_real), (y_imag, y_real))


def binding_factor(message: G1Point, apk_g1: G1Point, apk_g2: G2Point, signature: G1Point) -> int:
    """``gamma``: keccak256 of the packed words of the message point, both aggregate keys
    and the signature, mod r."""
    words = g1_words(message) + g1_words(apk_g1) + g2_words(apk_g2) + g1_words(signature)
    return int.from_bytes(keccak(encode(["uint256"] * len(words), words)), "big") % R


def verify(digest: bytes, signature: G1Point, apk_g1: G1Point, apk_g2: G2Point) -> bool:
    """The contract's check of an aggregate ``signature`` on ``digest`` by the keys whose
    sums are ``apk_g1`` and ``apk_g2`` (module docstring). Two pairings: about 1.4 s."""
    message = hash_to_g1(digest)
    gamma = binding_factor(message, apk_g1, apk_g2, signature)
    left = bn128.add(_g1(signature), bn128.multiply(_g1(apk_g1), gamma))
    right = bn128.add(_g1(message), bn128.multiply(bn128.G1, gamma))
    product = bn128.pairing(bn128.neg(bn128.G2), left) * bn128.pairing(_g2(apk_g2), right)
    return product == bn128.FQ12.one()
