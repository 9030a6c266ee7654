// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BN254} from "../../libraries/BN254.sol";

/// @title BN254Harness
/// @notice Exposes the BN254 library for the Python differential test (tests/test_bls.py),
/// which calls it on Anvil, and for the forge tests (contracts/test/BN254.t.sol), which
/// expect its reverts. Not deployed in production.
contract BN254Harness {
    /// @notice BN254.isOnCurve.
    function isOnCurve(BN254.G1Point memory point) external pure returns (bool) {
        return BN254.isOnCurve(point);
    }

    /// @notice BN254.add.
    function add(BN254.G1Point memory a, BN254.G1Point memory b)
        external
        view
        returns (BN254.G1Point memory)
    {
        return BN254.add(a, b);
    }

    /// @notice BN254.mul.
    function mul(BN254.G1Point memory point, uint256 scalar)
        external
        view
        returns (BN254.G1Point memory)
    {
        return BN254.mul(point, scalar);
    }

    /// @notice BN254.hashToG1.
    function hashToG1(bytes32 digest) external view returns (BN254.G1Point memory) {
        return BN254.hashToG1(digest);
    }

    /// @notice BN254.verify.
    function verify(
        bytes32 digest,
        BN254.G1Point memory signature,
        BN254.G1Point memory apkG1,
        BN254.G2Point memory apkG2
    ) external view returns (bool) {
        return BN254.verify(digest, signature, apkG1, apkG2);
    }

    /// @notice Gas of one BN254.verify, for the benchmark.
    function verifyGas(
        bytes32 digest,
        BN254.G1Point memory signature,
        BN254.G1Point memory apkG1,
        BN254.G2Point memory apkG2
    ) external view returns (bool valid, uint256 gasUsed) {
        uint256 before = gasleft();
        valid = BN254.verify(digest, signature, apkG1, apkG2);
        gasUsed = before - gasleft();
    }
}
