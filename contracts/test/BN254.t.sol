// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BN254} from "../libraries/BN254.sol";
import {BN254Harness} from "./harness/BN254Harness.sol";
import {BlsVectors} from "./utils/BlsVectors.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice The BN254 library on forge's precompiles, against values of its Python twin
/// (`proofs/bls.py`) in `BlsVectors`. The differential test on 2,000 random digests is
/// `tests/test_bls.py`.
contract BN254Test is TestBase {
    uint256 internal constant P = BN254.P;
    uint256 internal constant R = BN254.R;
    /// @dev 2G, as every BN254 implementation lists it.
    uint256 internal constant TWO_G_X =
        1368015179489954701390400359078579693043519447331113978918064868415326638035;
    uint256 internal constant TWO_G_Y =
        9918110051302171585080402603319702774565515993150576347155970296011118125764;
    /// @dev The y coordinate of the G2 generator (EIP-197), imaginary and real parts.
    uint256 internal constant G2_Y_IMAG =
        4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y_REAL =
        8495653923123431417604973247489272438418190587263600148770280649306958101930;

    BN254Harness internal bn;

    function setUp() public {
        bn = new BN254Harness();
    }

    function _g1(uint256 x, uint256 y) internal pure returns (BN254.G1Point memory) {
        return BN254.G1Point(x, y);
    }

    function _zero() internal pure returns (BN254.G1Point memory) {
        return BN254.G1Point(0, 0);
    }

    function _assertPoint(BN254.G1Point memory got, BN254.G1Point memory want, string memory what)
        internal
        pure
    {
        assertEq(got.x, want.x, string.concat(what, ": x"));
        assertEq(got.y, want.y, string.concat(what, ": y"));
    }

    // ------------------------------------------------------------ curve membership

    function test_IsOnCurve_GeneratorAndInfinity() public view {
        assertEq(bn.isOnCurve(BN254.generator()), true, "G = (1, 2)");
        assertEq(bn.isOnCurve(_zero()), true, "infinity (0, 0)");
        assertEq(bn.isOnCurve(_g1(TWO_G_X, TWO_G_Y)), true, "2G");
        assertEq(bn.isOnCurve(_g1(1, P - 2)), true, "-G");
    }

    function test_IsOnCurve_RejectsOffCurvePoints() public view {
        assertEq(bn.isOnCurve(_g1(1, 3)), false, "(1, 3)");
        assertEq(bn.isOnCurve(_g1(0, 1)), false, "(0, 1)");
        assertEq(bn.isOnCurve(_g1(TWO_G_X, TWO_G_Y + 1)), false, "2G with y + 1");
    }

    /// @notice A coordinate of G plus p is the same point mod p, but not a field element.
    function test_IsOnCurve_RejectsCoordinatesOutsideTheField() public view {
        assertEq(bn.isOnCurve(_g1(1 + P, 2)), false, "x + p");
        assertEq(bn.isOnCurve(_g1(1, 2 + P)), false, "y + p");
        assertEq(bn.isOnCurve(_g1(P, 0)), false, "(p, 0): infinity's x + p");
    }

    /// @notice The negated G2 generator is -G2: its y is p minus the generator's y.
    function test_NegatedG2Constants_AreMinusG2() public pure {
        assertEq(BN254.NEG_G2_Y_IMAG + G2_Y_IMAG, P, "y_imag + G2 y_imag = p");
        assertEq(BN254.NEG_G2_Y_REAL + G2_Y_REAL, P, "y_real + G2 y_real = p");
    }

    // ------------------------------------------------------------ add and mul

    function test_Add_Identities() public view {
        BN254.G1Point memory g = BN254.generator();
        _assertPoint(bn.add(g, _zero()), g, "G + 0");
        _assertPoint(bn.add(_zero(), g), g, "0 + G");
        _assertPoint(bn.add(_zero(), _zero()), _zero(), "0 + 0");
        _assertPoint(bn.add(g, g), _g1(TWO_G_X, TWO_G_Y), "G + G");
        _assertPoint(bn.add(g, _g1(1, P - 2)), _zero(), "G + (-G)");
    }

    function test_Mul_Identities() public view {
        BN254.G1Point memory g = BN254.generator();
        _assertPoint(bn.mul(g, 0), _zero(), "0 G");
        _assertPoint(bn.mul(g, 1), g, "1 G");
        _assertPoint(bn.mul(g, 2), _g1(TWO_G_X, TWO_G_Y), "2 G");
        _assertPoint(bn.mul(g, R), _zero(), "r G");
        _assertPoint(bn.mul(g, R + 1), g, "(r + 1) G");
        _assertPoint(bn.mul(g, R - 1), _g1(1, P - 2), "(r - 1) G");
        _assertPoint(bn.mul(_zero(), 12_345), _zero(), "12345 * 0");
    }

    /// @notice P + P = 2P and r P = 0 for a point that is not the generator.
    function test_AddMul_AgreeOnAnotherPoint() public view {
        BN254.G1Point memory p = BlsVectors.publicKeyG1(2);
        _assertPoint(bn.add(p, p), bn.mul(p, 2), "P + P = 2P");
        _assertPoint(bn.mul(p, R), _zero(), "r P");
        _assertPoint(bn.add(bn.mul(p, 3), bn.mul(p, R - 3)), _zero(), "3P + (r - 3)P");
    }

    /// @notice secret * G is Python's public key in G1, for every operator key.
    function test_Mul_MatchesPythonPublicKeys() public view {
        for (uint256 i; i < BlsVectors.OPERATOR_COUNT; ++i) {
            _assertPoint(
                bn.mul(BN254.generator(), BlsVectors.secret(i)),
                BlsVectors.publicKeyG1(i),
                string.concat("key ", vm.toString(i))
            );
        }
    }

    function test_Add_MatchesPythonAggregate() public view {
        _assertPoint(
            bn.add(BlsVectors.publicKeyG1(1), BlsVectors.publicKeyG1(3)),
            BlsVectors.quorumApkG1(),
            "key 1 + key 3"
        );
    }

    function test_AddMul_RevertOnOffCurveInput() public {
        vm.expectRevert(abi.encodeWithSelector(BN254.PrecompileFailed.selector, address(0x06)));
        bn.add(_g1(1, 3), BN254.generator());
        vm.expectRevert(abi.encodeWithSelector(BN254.PrecompileFailed.selector, address(0x06)));
        bn.add(BN254.generator(), _g1(1 + P, 2));
        vm.expectRevert(abi.encodeWithSelector(BN254.PrecompileFailed.selector, address(0x07)));
        bn.mul(_g1(1, 3), 2);
    }

    // ------------------------------------------------------------ hash to G1

    function test_HashToG1_MatchesPythonAndIsOnCurve() public view {
        for (uint256 i; i < 5; ++i) {
            BN254.G1Point memory point = bn.hashToG1(BlsVectors.hashDigest(i));
            string memory what = string.concat("digest ", vm.toString(i));
            _assertPoint(point, BlsVectors.hashedPoint(i), what);
            assertEq(bn.isOnCurve(point), true, string.concat(what, " on curve"));
        }
    }

    /// @notice x starts at digest mod p: p hashes like 0, and p + 1 like 1.
    function test_HashToG1_ReducesTheDigestModP() public view {
        _assertPoint(bn.hashToG1(bytes32(P)), BlsVectors.hashedPoint(0), "p ~ 0");
        _assertPoint(bn.hashToG1(bytes32(P + 1)), BlsVectors.hashedPoint(1), "p + 1 ~ 1");
    }

    /// @notice Try-and-increment is not injective on digests: 0 is not an x coordinate
    /// (3 is not a square), so digests 0 and 1 both hash to G; QUORUM_DIGEST mod p is one,
    /// but the two residues below it are not, so three digests share its point. Harmless for
    /// keccak256 digests, as every caller signs.
    function test_HashToG1_TryAndIncrement() public view {
        _assertPoint(bn.hashToG1(bytes32(0)), BN254.generator(), "0 -> G");
        _assertPoint(bn.hashToG1(bytes32(uint256(1))), BN254.generator(), "1 -> G");
        uint256 d = uint256(BlsVectors.QUORUM_DIGEST);
        BN254.G1Point memory point = bn.hashToG1(bytes32(d));
        assertEq(point.x, d % P, "QUORUM_DIGEST mod p is an x coordinate");
        _assertPoint(bn.hashToG1(bytes32(d - 1)), point, "d - 1");
        _assertPoint(bn.hashToG1(bytes32(d - 2)), point, "d - 2");
        assertEq(bn.hashToG1(bytes32(d + 1)).x, d % P + 2, "d + 1: x + 1 is not, x + 2 is");
    }

    // ------------------------------------------------------------ verify

    function test_Verify_TrueForPythonSignatures() public view {
        assertEq(
            bn.verify(
                BlsVectors.QUORUM_DIGEST,
                BlsVectors.quorumSignature(),
                BlsVectors.quorumApkG1(),
                BlsVectors.quorumApkG2()
            ),
            true,
            "aggregate of keys 1 and 3"
        );
        assertEq(
            bn.verify(
                BlsVectors.QUORUM_DIGEST,
                BlsVectors.singleSignature(),
                BlsVectors.publicKeyG1(0),
                BlsVectors.publicKeyG2(0)
            ),
            true,
            "key 0 alone"
        );
    }

    function test_Verify_FalseForTamperedInputs() public view {
        bytes32 digest = BlsVectors.QUORUM_DIGEST;
        BN254.G1Point memory sig = BlsVectors.quorumSignature();
        BN254.G1Point memory apk1 = BlsVectors.quorumApkG1();
        BN254.G2Point memory apk2 = BlsVectors.quorumApkG2();

        assertEq(bn.verify(keccak256("other"), sig, apk1, apk2), false, "other digest");
        // QUORUM_DIGEST + 1 hashes to another x (see test_HashToG1_TryAndIncrement).
        assertEq(bn.verify(bytes32(uint256(digest) + 1), sig, apk1, apk2), false, "digest + 1");
        assertEq(bn.verify(digest, _g1(sig.x, P - sig.y), apk1, apk2), false, "negated sig");
        assertEq(bn.verify(digest, bn.add(sig, BN254.generator()), apk1, apk2), false, "sig + G");
        assertEq(bn.verify(digest, _zero(), apk1, apk2), false, "sig at infinity");
        // The binding factor ties the G1 key sum to the G2 one.
        assertEq(
            bn.verify(digest, sig, BlsVectors.publicKeyG1(1), apk2), false, "G1 sum missing key 3"
        );
        assertEq(
            bn.verify(digest, sig, apk1, BlsVectors.publicKeyG2(1)), false, "G2 sum missing key 3"
        );
        // Operator 0's own signature under operator 1's keys.
        assertEq(
            bn.verify(
                digest,
                BlsVectors.singleSignature(),
                BlsVectors.publicKeyG1(1),
                BlsVectors.publicKeyG2(1)
            ),
            false,
            "another key's signature"
        );
    }

    function test_Verify_RevertsOnG1PointOffCurve() public {
        bytes32 digest = BlsVectors.QUORUM_DIGEST;
        BN254.G1Point memory sig = BlsVectors.quorumSignature();
        BN254.G1Point memory apk1 = BlsVectors.quorumApkG1();
        BN254.G2Point memory apk2 = BlsVectors.quorumApkG2();

        vm.expectRevert(abi.encodeWithSelector(BN254.NotOnCurve.selector, sig.x, sig.y + 1));
        bn.verify(digest, _g1(sig.x, sig.y + 1), apk1, apk2);
        vm.expectRevert(abi.encodeWithSelector(BN254.NotOnCurve.selector, sig.x + P, sig.y));
        bn.verify(digest, _g1(sig.x + P, sig.y), apk1, apk2);
        vm.expectRevert(abi.encodeWithSelector(BN254.NotOnCurve.selector, apk1.x, apk1.y + 1));
        bn.verify(digest, sig, _g1(apk1.x, apk1.y + 1), apk2);
    }

    function test_Verify_RevertsOnG2PointOffTwist() public {
        BN254.G2Point memory offTwist = BlsVectors.quorumApkG2();
        offTwist.y[1] = addmod(offTwist.y[1], 1, P);
        vm.expectRevert(abi.encodeWithSelector(BN254.PrecompileFailed.selector, address(0x08)));
        bn.verify(
            BlsVectors.QUORUM_DIGEST,
            BlsVectors.quorumSignature(),
            BlsVectors.quorumApkG1(),
            offTwist
        );
    }
}
