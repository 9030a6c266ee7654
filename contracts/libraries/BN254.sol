// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title BN254
/// @notice Points of BN254 (alt_bn128) and the BLS check of an aggregate signature, on the
/// EVM precompiles: ecAdd (0x06), ecMul (0x07), ecPairing (0x08, EIP-197) and modexp
/// (0x05). Signatures and message hashes are in G1, public keys in G2 and G1. The twin is
/// `proofs/bls.py`, whose docstring states the scheme; G2 coordinates are in EIP-197's
/// order, imaginary part first.
library BN254 {
    /// @dev The base field modulus p and the group order r.
    uint256 internal constant P =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev The G2 generator, negated (y -> p - y), EIP-197 order.
    uint256 internal constant NEG_G2_X_IMAG =
        11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant NEG_G2_X_REAL =
        10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant NEG_G2_Y_IMAG =
        17805874995975841540914202342111839520379459829704422454583296818431106115052;
    uint256 internal constant NEG_G2_Y_REAL =
        13392588948715843804641432497768002650278120570034223513918757245338268106653;

    struct G1Point {
        uint256 x;
        uint256 y;
    }

    /// @dev EIP-197 order: x = [x_imag, x_real], y = [y_imag, y_real].
    struct G2Point {
        uint256[2] x;
        uint256[2] y;
    }

    /// @notice A G1 point that is not on the curve (or has a coordinate outside the field).
    error NotOnCurve(uint256 x, uint256 y);
    /// @notice A precompile refused its input (a G2 point off the twist or outside the
    /// subgroup, for the pairing).
    error PrecompileFailed(address precompile);

    /// @notice The generator of G1.
    function generator() internal pure returns (G1Point memory) {
        return G1Point(1, 2);
    }

    /// @notice Whether `point` is the point at infinity (0, 0) or on y^2 = x^3 + 3 over Fp.
    function isOnCurve(G1Point memory point) internal pure returns (bool) {
        if (point.x >= P || point.y >= P) return false;
        if (point.x == 0 && point.y == 0) return true;
        return mulmod(point.y, point.y, P)
            == addmod(mulmod(point.x, mulmod(point.x, point.x, P), P), 3, P);
    }

    /// @notice `a + b` in G1 (ecAdd).
    function add(G1Point memory a, G1Point memory b) internal view returns (G1Point memory sum) {
        uint256[4] memory input = [a.x, a.y, b.x, b.y];
        bool ok;
        // slither-disable-next-line assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, input, 0x80, sum, 0x40)
        }
        if (!ok) revert PrecompileFailed(address(0x06));
    }

    /// @notice `scalar * point` in G1 (ecMul).
    function mul(G1Point memory point, uint256 scalar)
        internal
        view
        returns (G1Point memory product)
    {
        uint256[3] memory input = [point.x, point.y, scalar];
        bool ok;
        // slither-disable-next-line assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x07, input, 0x60, product, 0x40)
        }
        if (!ok) revert PrecompileFailed(address(0x07));
    }

    /// @notice The G1 point of a 32-byte `digest` by try-and-increment: x = digest mod p,
    /// then x + 1, ..., until x^3 + 3 is a square; y = (x^3 + 3)^((p + 1) / 4).
    function hashToG1(bytes32 digest) internal view returns (G1Point memory) {
        uint256 x = uint256(digest) % P;
        while (true) {
            uint256 ySquared = addmod(mulmod(x, mulmod(x, x, P), P), 3, P);
            uint256 y = _expMod(ySquared, (P + 1) / 4);
            if (mulmod(y, y, P) == ySquared) return G1Point(x, y);
            x = addmod(x, 1, P);
        }
        revert(); // unreachable: the loop returns
    }

    /// @notice The BLS check of an aggregate `signature` on `digest` by the keys whose sums
    /// are `apkG1` and `apkG2`: e(signature + gamma apkG1, -G2) e(H + gamma G1, apkG2) = 1,
    /// gamma = keccak256(H, apkG1, apkG2, signature) mod r binding the two key sums. The G1
    /// points must be on the curve (NotOnCurve); a G2 point off the twist or outside the
    /// subgroup makes the pairing precompile fail (PrecompileFailed).
    function verify(
        bytes32 digest,
        G1Point memory signature,
        G1Point memory apkG1,
        G2Point memory apkG2
    ) internal view returns (bool) {
        _requireOnCurve(signature);
        _requireOnCurve(apkG1);
        G1Point memory message = hashToG1(digest);
        uint256 gamma = uint256(keccak256(abi.encode(message, apkG1, apkG2, signature))) % R;
        G1Point memory left = add(signature, mul(apkG1, gamma));
        G1Point memory right = add(message, mul(generator(), gamma));
        uint256[12] memory input = [
            left.x,
            left.y,
            NEG_G2_X_IMAG,
            NEG_G2_X_REAL,
            NEG_G2_Y_IMAG,
            NEG_G2_Y_REAL,
            right.x,
            right.y,
            apkG2.x[0],
            apkG2.x[1],
            apkG2.y[0],
            apkG2.y[1]
        ];
        uint256[1] memory result;
        bool ok;
        // slither-disable-next-line assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, input, 0x180, result, 0x20)
        }
        if (!ok) revert PrecompileFailed(address(0x08));
        return result[0] == 1;
    }

    function _requireOnCurve(G1Point memory point) private pure {
        if (!isOnCurve(point)) revert NotOnCurve(point.x, point.y);
    }

    function _expMod(uint256 base, uint256 exponent) private view returns (uint256) {
        uint256[6] memory input = [32, 32, 32, base, exponent, P];
        uint256[1] memory result;
        bool ok;
        // slither-disable-next-line assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x05, input, 0xc0, result, 0x20)
        }
        if (!ok) revert PrecompileFailed(address(0x05));
        return result[0];
    }
}
