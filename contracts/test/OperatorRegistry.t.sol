// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {OperatorRegistry} from "../OperatorRegistry.sol";
import {IOperatorRegistry} from "../interfaces/IOperatorRegistry.sol";
import {BN254} from "../libraries/BN254.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {BlsVectors} from "./utils/BlsVectors.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice The registry with operators 0, 1 and 2 of `BlsVectors` registered (bonds 100, 200
/// and 300, quorum 60%); operator 3 (bond 401) registers in the tests that need it. Keys and
/// proofs of possession are Python's, for the registry at `BlsVectors.REGISTRY`: the second
/// contract this test contract creates. Quorum checks that fail before the pairing use a
/// placeholder signature; the rest use `BlsVectors`' quorum signature of operators 1 and 3.
contract OperatorRegistryTest is TestBase {
    uint256 internal constant START = 1_700_000_000;
    uint256 internal constant MIN_BOND = 100;
    uint16 internal constant QUORUM_BPS = 6000;
    uint64 internal constant UNBONDING = 7 days;
    address internal constant SLASHER = address(0x51A5);
    address internal constant CHALLENGER = address(0xC4A1);
    address internal constant STRANGER = address(0xBEEF);
    /// @dev Operator 3's bond: with 100 + 200 + 300 the active bond is 1001, and a 60%
    /// quorum needs ceil(600.6) = 601, which operators 1 and 3 hold exactly.
    uint256 internal constant BOND_3 = 401;

    MockToken internal token;
    OperatorRegistry internal registry;

    function setUp() public {
        vm.warp(START);
        token = new MockToken(address(this), "Mock USD Coin", "mUSDC", 6);
        registry = new OperatorRegistry(address(this), token, MIN_BOND, QUORUM_BPS, UNBONDING);
        assertEq(address(registry), BlsVectors.REGISTRY, "registry where the vectors expect it");
        for (uint256 i; i < 3; ++i) {
            vm.label(BlsVectors.account(i), string.concat("operator", vm.toString(i)));
            _register(i, 100 * (i + 1));
        }
        vm.label(BlsVectors.account(3), "operator3");
    }

    // ------------------------------------------------------------ helpers

    /// @notice Mint `bond` to operator `i` and approve it to the registry.
    function _fund(uint256 i, uint256 bond) internal {
        address account = BlsVectors.account(i);
        token.mint(account, bond);
        vm.prank(account);
        token.approve(address(registry), bond);
    }

    /// @notice Register operator `i` (funded beforehand) with its keys and proof.
    function _registerFunded(uint256 i, uint256 bond) internal returns (uint256) {
        vm.prank(BlsVectors.account(i));
        return registry.register(
            BlsVectors.publicKeyG1(i),
            BlsVectors.publicKeyG2(i),
            BlsVectors.proofOfPossession(i),
            bond
        );
    }

    function _register(uint256 i, uint256 bond) internal returns (uint256) {
        _fund(i, bond);
        return _registerFunded(i, bond);
    }

    function _expectRegisterRevert(
        BN254.G1Point memory keyG1,
        BN254.G2Point memory keyG2,
        BN254.G1Point memory proof,
        uint256 bond,
        bytes memory revertData
    ) internal {
        _fund(3, bond);
        vm.expectRevert(revertData);
        vm.prank(BlsVectors.account(3));
        registry.register(keyG1, keyG2, proof, bond);
    }

    function _invalidProof() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(
            IOperatorRegistry.InvalidProofOfPossession.selector, BlsVectors.account(3)
        );
    }

    /// @notice A quorum that fails the pairing (if it gets that far): G as signature,
    /// operator 0's G2 key as the sum.
    function _placeholder(uint256 signers)
        internal
        pure
        returns (IOperatorRegistry.QuorumSignature memory)
    {
        return IOperatorRegistry.QuorumSignature(
            signers, BN254.generator(), BlsVectors.publicKeyG2(0)
        );
    }

    /// @notice Python's quorum signature of operators 1 and 3 on QUORUM_DIGEST.
    function _signed() internal pure returns (IOperatorRegistry.QuorumSignature memory) {
        return IOperatorRegistry.QuorumSignature(
            BlsVectors.QUORUM_SIGNERS, BlsVectors.quorumSignature(), BlsVectors.quorumApkG2()
        );
    }

    function _expectQuorumRevert(
        IOperatorRegistry.QuorumSignature memory quorum,
        bytes memory revertData
    ) internal {
        vm.expectRevert(revertData);
        registry.checkQuorum(BlsVectors.QUORUM_DIGEST, quorum);
    }

    function _notReached(uint256 signed, uint256 required) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IOperatorRegistry.QuorumNotReached.selector, signed, required);
    }

    function _invalidSignature() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(
            IOperatorRegistry.InvalidSignature.selector, BlsVectors.QUORUM_DIGEST
        );
    }

    function _assertOperator(uint256 i, uint256 bond, bool active, uint256 exitAvailableAt)
        internal
        view
    {
        IOperatorRegistry.Operator memory op = registry.operatorAt(i);
        string memory name = string.concat("operator ", vm.toString(i));
        assertEq(op.account, BlsVectors.account(i), string.concat(name, " account"));
        assertEq(op.publicKeyG1.x, BlsVectors.publicKeyG1(i).x, string.concat(name, " key x"));
        assertEq(op.publicKeyG1.y, BlsVectors.publicKeyG1(i).y, string.concat(name, " key y"));
        assertEq(op.bond, bond, string.concat(name, " bond"));
        assertEq(op.active, active, string.concat(name, " active"));
        assertEq(
            uint256(op.exitAvailableAt), exitAvailableAt, string.concat(name, " exitAvailableAt")
        );
    }

    // ------------------------------------------------------------ parameters

    function test_Constructor_SetsParameters() public view {
        assertEq(address(registry.bondToken()), address(token), "bondToken");
        assertEq(registry.owner(), address(this), "owner");
        assertEq(registry.minimumBond(), MIN_BOND, "minimumBond");
        assertEq(uint256(registry.quorumBps()), QUORUM_BPS, "quorumBps");
        assertEq(uint256(registry.unbondingDelay()), UNBONDING, "unbondingDelay");
        assertEq(registry.slasher(), address(0), "no slasher");
        assertEq(
            registry.PROOF_OF_POSSESSION_TAG(),
            keccak256("vmargin.OperatorRegistry.ProofOfPossession"),
            "domain tag"
        );
    }

    function test_Constructor_RevertsOnInvalidParameters() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IOperatorRegistry.InvalidQuorumParameters.selector, 0, QUORUM_BPS, UNBONDING
            )
        );
        new OperatorRegistry(address(this), token, 0, QUORUM_BPS, UNBONDING);
    }

    function test_SetQuorumParameters_Bounds() public {
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.InvalidQuorumParameters.selector, 0, 5000, 1)
        );
        registry.setQuorumParameters(0, 5000, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.InvalidQuorumParameters.selector, 1, 0, 1)
        );
        registry.setQuorumParameters(1, 0, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.InvalidQuorumParameters.selector, 1, 10_001, 1)
        );
        registry.setQuorumParameters(1, 10_001, 1);

        // The extremes that are allowed: a 1-unit bond, 100% and 0.01%, no unbonding delay.
        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.QuorumParametersSet(1, 10_000, 0);
        registry.setQuorumParameters(1, 10_000, 0);
        assertEq(registry.minimumBond(), 1, "minimumBond");
        assertEq(uint256(registry.quorumBps()), 10_000, "quorumBps");
        assertEq(uint256(registry.unbondingDelay()), 0, "unbondingDelay");
        registry.setQuorumParameters(1, 1, 0);
        assertEq(uint256(registry.quorumBps()), 1, "quorumBps 1");
    }

    function test_OwnerFunctions_RevertForNonOwner() public {
        bytes memory unauthorized =
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STRANGER);
        vm.expectRevert(unauthorized);
        vm.prank(STRANGER);
        registry.setQuorumParameters(MIN_BOND, QUORUM_BPS, UNBONDING);
        vm.expectRevert(unauthorized);
        vm.prank(STRANGER);
        registry.setSlasher(STRANGER);
    }

    // ------------------------------------------------------------ registration

    function test_Register_StoresOperatorAndPullsBond() public {
        assertEq(registry.operatorCount(), 3, "three in setUp");
        assertEq(registry.totalActiveBond(), 600, "100 + 200 + 300");
        BN254.G1Point memory key = BlsVectors.publicKeyG1(3);
        _fund(3, BOND_3);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.OperatorRegistered(3, BlsVectors.account(3), BOND_3, key.x, key.y);
        assertEq(_registerFunded(3, BOND_3), 3, "index");

        assertEq(registry.operatorCount(), 4, "operatorCount");
        assertEq(registry.totalActiveBond(), 1001, "totalActiveBond");
        _assertOperator(0, 100, true, 0);
        _assertOperator(3, BOND_3, true, 0);
        assertEq(token.balanceOf(address(registry)), 1001, "registry holds the bonds");
        assertEq(token.balanceOf(BlsVectors.account(3)), 0, "bond pulled from the operator");
    }

    function test_Register_RevertsIfAlreadyRegistered() public {
        _fund(0, 100);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOperatorRegistry.AlreadyRegistered.selector, BlsVectors.account(0)
            )
        );
        _registerFunded(0, 100);
    }

    function test_Register_BondAtLeastTheMinimum() public {
        _expectRegisterRevert(
            BlsVectors.publicKeyG1(3),
            BlsVectors.publicKeyG2(3),
            BlsVectors.proofOfPossession(3),
            MIN_BOND - 1,
            abi.encodeWithSelector(IOperatorRegistry.BondTooSmall.selector, MIN_BOND - 1, MIN_BOND)
        );
        _register(3, MIN_BOND);
        assertEq(registry.totalActiveBond(), 600 + MIN_BOND, "registered at the minimum");
    }

    /// @notice Operator 0's valid proof, for operator 0's account, does not register its key
    /// for operator 3.
    function test_Register_RevertsOnProofForAnotherAccount() public {
        _expectRegisterRevert(
            BlsVectors.publicKeyG1(0),
            BlsVectors.publicKeyG2(0),
            BlsVectors.proofOfPossession(0),
            BOND_3,
            _invalidProof()
        );
    }

    /// @notice The all-zero key, G2 key and proof would pass the pairing check for every
    /// digest; the registry refuses the key itself.
    function test_Register_RevertsOnKeyAtInfinity() public {
        BN254.G2Point memory zeroG2;
        _expectRegisterRevert(
            BN254.G1Point(0, 0),
            zeroG2,
            BN254.G1Point(0, 0),
            BOND_3,
            abi.encodeWithSelector(IOperatorRegistry.KeyAtInfinity.selector, BlsVectors.account(3))
        );
    }

    function test_Register_RevertsOnMismatchedG2Key() public {
        _expectRegisterRevert(
            BlsVectors.publicKeyG1(3),
            BlsVectors.publicKeyG2(2),
            BlsVectors.proofOfPossession(3),
            BOND_3,
            _invalidProof()
        );
    }

    function test_Register_RevertsOnTamperedProof() public {
        BN254.G1Point memory proof = BlsVectors.proofOfPossession(3);
        _expectRegisterRevert(
            BlsVectors.publicKeyG1(3),
            BlsVectors.publicKeyG2(3),
            BN254.G1Point(proof.x, BN254.P - proof.y),
            BOND_3,
            _invalidProof()
        );
        _expectRegisterRevert(
            BlsVectors.publicKeyG1(3),
            BlsVectors.publicKeyG2(3),
            BN254.G1Point(proof.x, proof.y + 1),
            BOND_3,
            abi.encodeWithSelector(BN254.NotOnCurve.selector, proof.x, proof.y + 1)
        );
    }

    /// @notice The 257th operator is refused (the length is forged: 253 more proofs of
    /// possession would each need a pairing).
    function test_Register_RevertsOnTooManyOperators() public {
        vm.store(address(registry), bytes32(uint256(4)), bytes32(uint256(256))); // _operators
        assertEq(registry.operatorCount(), 256, "operatorCount forged to 256");
        _expectRegisterRevert(
            BlsVectors.publicKeyG1(3),
            BlsVectors.publicKeyG2(3),
            BlsVectors.proofOfPossession(3),
            BOND_3,
            abi.encodeWithSelector(IOperatorRegistry.TooManyOperators.selector)
        );
        // With 256 operators every bit names one: bit 255 is an (empty, inactive) operator.
        _expectQuorumRevert(
            _placeholder(1 << 255),
            abi.encodeWithSelector(IOperatorRegistry.OperatorNotActive.selector, 255)
        );
    }

    function test_OperatorAt_RevertsOnUnknownIndex() public {
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.UnknownOperator.selector, 3));
        registry.operatorAt(3);
    }

    function test_ProofOfPossessionDigest_NamesChainRegistryAccountAndKey() public view {
        BN254.G1Point memory key = BlsVectors.publicKeyG1(1);
        assertEq(
            registry.proofOfPossessionDigest(BlsVectors.account(1), key),
            keccak256(
                abi.encode(
                    registry.PROOF_OF_POSSESSION_TAG(),
                    uint256(31_337),
                    BlsVectors.REGISTRY,
                    BlsVectors.account(1),
                    key.x,
                    key.y
                )
            ),
            "digest"
        );
    }

    // ------------------------------------------------------------ exit and withdrawal

    function test_RequestExit_LeavesTheQuorumAndStartsUnbonding() public {
        vm.warp(START + 10);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.ExitRequested(2, uint64(START + 10 + UNBONDING));
        vm.prank(BlsVectors.account(2));
        registry.requestExit();
        assertEq(registry.totalActiveBond(), 300, "only 100 + 200 still active");
        _assertOperator(2, 300, false, START + 10 + UNBONDING);
        assertEq(token.balanceOf(address(registry)), 600, "bond stays in the registry");
    }

    function test_RequestExit_Reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.NotAnOperator.selector, STRANGER));
        vm.prank(STRANGER);
        registry.requestExit();

        vm.prank(BlsVectors.account(2));
        registry.requestExit();
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.OperatorNotActive.selector, 2));
        vm.prank(BlsVectors.account(2));
        registry.requestExit();
    }

    function test_WithdrawBond_RevertsUntilExitRequested() public {
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.NotAnOperator.selector, STRANGER));
        vm.prank(STRANGER);
        registry.withdrawBond();
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.ExitNotRequested.selector, 0));
        vm.prank(BlsVectors.account(0));
        registry.withdrawBond();
    }

    function test_WithdrawBond_AfterTheUnbondingDelay() public {
        address op = BlsVectors.account(2);
        vm.prank(op);
        registry.requestExit();
        uint64 availableAt = uint64(START + UNBONDING);

        vm.warp(availableAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.StillUnbonding.selector, 2, availableAt)
        );
        vm.prank(op);
        registry.withdrawBond();

        vm.warp(availableAt);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.BondWithdrawn(2, 300);
        vm.prank(op);
        registry.withdrawBond();
        assertEq(token.balanceOf(op), 300, "bond returned");
        assertEq(token.balanceOf(address(registry)), 300, "the others' bonds remain");
        _assertOperator(2, 0, false, availableAt);
        assertEq(registry.totalActiveBond(), 300, "totalActiveBond unchanged by withdrawal");
    }

    /// @notice A new delay applies to exits requested after it, not to pending ones.
    function test_UnbondingDelay_FixedAtExitRequest() public {
        vm.prank(BlsVectors.account(0));
        registry.requestExit();
        registry.setQuorumParameters(MIN_BOND, QUORUM_BPS, 1 days);
        vm.prank(BlsVectors.account(1));
        registry.requestExit();
        _assertOperator(0, 100, false, START + UNBONDING);
        _assertOperator(1, 200, false, START + 1 days);
    }

    // ------------------------------------------------------------ quorum

    /// @notice Operators 1 and 3 hold 601 of 1001: exactly the 60% quorum rounded up.
    function test_CheckQuorum_ValidSignatureReturnsSignedBond() public {
        _register(3, BOND_3);
        assertEq(registry.checkQuorum(BlsVectors.QUORUM_DIGEST, _signed()), 601, "signed bond");
    }

    /// @notice 60% of 1001 is 600.6: 600 is not enough, the check rounds up to 601.
    function test_CheckQuorum_RoundsTheRequiredBondUp() public {
        _register(3, BOND_3);
        _expectQuorumRevert(_placeholder(0x7), _notReached(600, 601)); // 0 + 1 + 2
        _expectQuorumRevert(_placeholder(0x9), _notReached(501, 601)); // 0 + 3
        // 601: the quorum is reached and the (placeholder) signature is what fails.
        _expectQuorumRevert(_placeholder(0xa), _invalidSignature());
    }

    function test_CheckQuorum_FollowsTheQuorumShare() public {
        _register(3, BOND_3);
        registry.setQuorumParameters(MIN_BOND, 10_000, UNBONDING);
        _expectQuorumRevert(_signed(), _notReached(601, 1001));
        registry.setQuorumParameters(MIN_BOND, 1, UNBONDING);
        // ceil(1001 / 10000) = 1: any one signer is enough.
        _expectQuorumRevert(_placeholder(0x1), _invalidSignature());
    }

    /// @notice An exit lowers the active bond the quorum is a share of.
    function test_CheckQuorum_AfterAnExit() public {
        _register(3, BOND_3);
        vm.prank(BlsVectors.account(2));
        registry.requestExit();
        // Active: 100 + 200 + 401 = 701, quorum ceil(420.6) = 421.
        assertEq(registry.totalActiveBond(), 701, "totalActiveBond");
        _expectQuorumRevert(_placeholder(0x3), _notReached(300, 421));
        _expectQuorumRevert(
            _placeholder(0x4),
            abi.encodeWithSelector(IOperatorRegistry.OperatorNotActive.selector, 2)
        );
        assertEq(registry.checkQuorum(BlsVectors.QUORUM_DIGEST, _signed()), 601, "1 and 3 sign");
    }

    function test_CheckQuorum_RevertsOnInactiveSigner() public {
        _register(3, BOND_3);
        vm.prank(BlsVectors.account(1));
        registry.requestExit();
        _expectQuorumRevert(
            _signed(), abi.encodeWithSelector(IOperatorRegistry.OperatorNotActive.selector, 1)
        );
    }

    function test_CheckQuorum_RevertsOnNoSigners() public {
        _expectQuorumRevert(
            _placeholder(0), abi.encodeWithSelector(IOperatorRegistry.NoSigners.selector)
        );
    }

    /// @notice A bit past the last operator names no one: the highest such bit is reported.
    function test_CheckQuorum_RevertsOnUnknownOperatorBits() public {
        bytes4 unknown = IOperatorRegistry.UnknownOperator.selector;
        _expectQuorumRevert(_placeholder(1 << 3), abi.encodeWithSelector(unknown, 3));
        _expectQuorumRevert(
            _placeholder(0x7 | (1 << 9) | (1 << 200)), abi.encodeWithSelector(unknown, 200)
        );
        _expectQuorumRevert(_placeholder(1 << 255), abi.encodeWithSelector(unknown, 255));
        _register(3, BOND_3);
        _expectQuorumRevert(_placeholder(0xa | (1 << 4)), abi.encodeWithSelector(unknown, 4));
    }

    function test_CheckQuorum_RevertsOnWrongDigestOrSigners() public {
        _register(3, BOND_3);
        bytes32 other = keccak256("another message");
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.InvalidSignature.selector, other));
        registry.checkQuorum(other, _signed());
        // Claiming operator 0 signed too: the G1 key sum no longer matches the signature.
        IOperatorRegistry.QuorumSignature memory extra = _signed();
        extra.signers = 0xb;
        _expectQuorumRevert(extra, _invalidSignature());
        // Operator 0's own signature, claimed for operators 1 and 3.
        IOperatorRegistry.QuorumSignature memory forged = _signed();
        forged.signature = BlsVectors.singleSignature();
        _expectQuorumRevert(forged, _invalidSignature());
    }

    function test_CheckQuorum_RevertsOnSignatureOffCurve() public {
        _register(3, BOND_3);
        IOperatorRegistry.QuorumSignature memory bad = _signed();
        bad.signature.y += 1;
        _expectQuorumRevert(
            bad, abi.encodeWithSelector(BN254.NotOnCurve.selector, bad.signature.x, bad.signature.y)
        );
    }

    // ------------------------------------------------------------ slashing

    function test_Slash_RevertsForAnyoneButTheSlasher() public {
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.NotSlasher.selector, address(this))
        );
        registry.slash(0x1, CHALLENGER);

        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.SlasherSet(SLASHER);
        registry.setSlasher(SLASHER);
        assertEq(registry.slasher(), SLASHER, "slasher");
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.NotSlasher.selector, address(this))
        );
        registry.slash(0x1, CHALLENGER);
    }

    /// @notice The slasher takes whole bonds, of an unbonding operator too; bits that name no
    /// operator are ignored.
    function test_Slash_MovesBondsAndDeactivates() public {
        _register(3, BOND_3);
        registry.setSlasher(SLASHER);
        vm.prank(BlsVectors.account(1));
        registry.requestExit(); // unbonding: still slashable
        assertEq(registry.totalActiveBond(), 801, "1001 - 200");

        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.OperatorSlashed(1, 200, CHALLENGER);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IOperatorRegistry.OperatorSlashed(3, BOND_3, CHALLENGER);
        vm.prank(SLASHER);
        uint256 total = registry.slash(0xa | (1 << 9), CHALLENGER);

        assertEq(total, 601, "total slashed");
        assertEq(token.balanceOf(CHALLENGER), 601, "sent to the recipient");
        assertEq(token.balanceOf(address(registry)), 400, "0 and 2 keep their bonds");
        assertEq(registry.totalActiveBond(), 400, "only the active bond of 3 left the quorum");
        _assertOperator(1, 0, false, START + UNBONDING);
        _assertOperator(3, 0, false, 0);
        _assertOperator(0, 100, true, 0);

        // A slashed operator signs no more, and an unbonding one has nothing left to take.
        _expectQuorumRevert(
            _placeholder(0x8),
            abi.encodeWithSelector(IOperatorRegistry.OperatorNotActive.selector, 3)
        );
        vm.warp(START + UNBONDING);
        vm.prank(BlsVectors.account(1));
        registry.withdrawBond();
        assertEq(token.balanceOf(BlsVectors.account(1)), 0, "nothing to withdraw");
    }

    function test_Slash_NothingToTake() public {
        registry.setSlasher(SLASHER);
        vm.prank(SLASHER);
        assertEq(registry.slash(1 << 9, CHALLENGER), 0, "unknown bits only");
        vm.prank(SLASHER);
        registry.slash(0x1, CHALLENGER);
        vm.prank(SLASHER);
        assertEq(registry.slash(0x1, CHALLENGER), 0, "already slashed");
        assertEq(token.balanceOf(CHALLENGER), 100, "operator 0's bond, once");
        assertEq(registry.totalActiveBond(), 500, "200 + 300");
    }
}
