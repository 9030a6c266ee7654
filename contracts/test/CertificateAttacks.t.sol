// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {AttestedMargin} from "../AttestedMargin.sol";
import {IAttestedMargin} from "../interfaces/IAttestedMargin.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {MarginEngine} from "../MarginEngine.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {OperatorRegistry} from "../OperatorRegistry.sol";
import {IOperatorRegistry} from "../interfaces/IOperatorRegistry.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {ScenarioRegistry} from "../ScenarioRegistry.sol";
import {IScenarioRegistry} from "../interfaces/IScenarioRegistry.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {StubOperatorRegistry} from "./AttestedMargin.t.sol";
import {ClearinghouseFixture} from "./Clearinghouse.t.sol";
import {ClearinghouseMarginFixture} from "./ClearinghouseMargin.t.sol";
import {ClearinghouseOptionsFixture} from "./ClearinghouseOptions.t.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";

/// @notice Post the one-asset scenarios with `spotReturns` and `volShifts` at `alphaBps` and
/// publish them in one chunk: the new epoch is current.
function publishScenarioSet(
    ScenarioRegistry registry,
    int256[][] memory spotReturns,
    int256[][] memory volShifts,
    uint16 alphaBps
) returns (uint64 epoch) {
    epoch = registry.postScenarioSet(
        ScenarioMerkle.root(ScenarioMerkle.leaves(spotReturns, volShifts)),
        uint32(spotReturns.length),
        alphaBps,
        1
    );
    registry.publishScenarios(epoch, 0, spotReturns, volShifts);
}

/// @notice The certificate attack catalogue on the liquidation path (`liquidate`,
/// `isLiquidatable`) and the margin path (a withdrawal or trade with a margin certificate,
/// or with attested margin), each attack refused with its own error. The fixture of
/// Clearinghouse.t.sol: ETH at 2000, Alice long 1 with 100 of cash, an 8-scenario epoch at
/// alpha 75% (two witnesses: the worst are index 3, -20%, and index 6, -15%).
///
/// Attacks the other suites already cover (not repeated here): duplicate and decreasing
/// liquidation indices, an index equal to N, a label of a stale or pending epoch, swapped
/// proofs, a tampered return, too few or too many witnesses, array length mismatches,
/// wrong asset counts (Clearinghouse.t.sol); the same on margin certificates, leaves out of
/// multiproof order, an index of 2^256 - 1 (ClearinghouseMargin.t.sol); fractions of 0,
/// above 1, above the close factor, and partial liquidation of an insolvent account
/// (ClearinghouseAccounting.t.sol); a challenge certificate of another epoch
/// (AttestedMargin.t.sol).
contract CertificateAttackTest is ClearinghouseFixture {
    /// @notice A second epoch over other data (scenario 3 is -25% instead of -20%): the
    /// first epoch's certificates, leaves and proofs are now another epoch's.
    function _postSecondEpoch() internal returns (uint64 second, int256[][] memory s) {
        s = _scenarios();
        s[3][0] = -0.25e18;
        second = publishScenarioSet(registry, s, ScenarioMerkle.zeros(s), ALPHA_WHOLE_K);
    }

    // ------------------------------------------------------------ another epoch, another set

    /// @notice Epoch 1's witnesses and proofs relabelled as the current epoch 2: the leaves
    /// are not under epoch 2's root. The same certificate was valid while epoch 1 was current.
    function test_Liquidate_RevertsOnProofOfAnotherEpoch() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        assertTrue(clearinghouse.isLiquidatable(alice, cert).liquidatable, "valid in epoch 1");

        (uint64 second,) = _postSecondEpoch();
        cert.epoch = second;
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 3));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    /// @notice Epoch 1's scenario set relabelled as the current epoch 2 on a withdrawal: the
    /// N leaves do not rebuild epoch 2's root.
    function test_Certificate_RevertsOnScenarioSetOfAnotherEpoch() public {
        IMarginEngine.MarginCertificate memory margin = _margin();
        (uint64 second, int256[][] memory s) = _postSecondEpoch();
        margin.epoch = second;
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.InvalidMarginCertificate.selector, second)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, margin);

        vm.prank(alice);
        clearinghouse.withdraw(1e6, ScenarioMerkle.marginCertificate(second, s, 0));
        assertEq(clearinghouse.cash(alice), 99e18, "epoch 2's own set passes");
    }

    /// @notice A keeper's own tree, in which scenario 3 is a -90% crash, and its valid proof
    /// in that tree: not under the committed root. Likewise a posted but never published
    /// epoch's leaves presented under the current epoch.
    function test_Liquidate_RevertsOnLeafOfAnotherScenarioSet() public {
        int256[][] memory forged = _scenarios();
        forged[3][0] = -0.9e18;
        IMarginEngine.LiquidationCertificate memory cert =
            ScenarioMerkle.certificate(epoch, forged, _indices(3, 6));
        bytes32 forgedRoot = ScenarioMerkle.root(ScenarioMerkle.leaves(forged));
        assertTrue(
            MerkleProof.verify(
                cert.proofs[0], forgedRoot, ScenarioMerkle.leaf(3, forged[3], cert.volShifts[0])
            ),
            "valid in the forged tree"
        );
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 3));
        clearinghouse.liquidate(alice, cert, WAD);

        registry.postScenarioSet(forgedRoot, N, ALPHA_WHOLE_K, 1);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 3));
        clearinghouse.isLiquidatable(alice, cert);
    }

    // ------------------------------------------------------------ replays

    /// @notice A certificate is re-evaluated on the live account, never on the state it was
    /// built for: replayed after the liquidation it served (Alice flat with 30.5 of cash),
    /// or after the account topped up, it proves nothing.
    function test_Liquidate_ReplayedCertificateAfterTheStateChanged_RevertsAccountHealthy() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, 30.5e18, 0)
        );
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);

        // Carol at the same mark, long 1 from 2000 with 100 of cash: liquidatable until she
        // deposits 300 (equity 350 >= MM 341.25).
        _deposit(carol, 100e6);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 1e18, 2000e18, _margin(), _margin());
        assertTrue(clearinghouse.isLiquidatable(carol, cert).liquidatable, "carol liquidatable");
        _deposit(carol, 300e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, carol, 350e18, 341.25e18)
        );
        vm.prank(keeper);
        clearinghouse.liquidate(carol, cert, WAD);
    }

    /// @notice A margin certificate (threshold 300, IM = ES at 75%) that passed is replayed
    /// after the mark moved: its bound is recomputed from the live position at the new
    /// mark, 300 + (390 - 300) / 2 = 345 at 1950, above the 300 of equity left.
    function test_Withdraw_ReplayedMarginCertificateAfterTheMarkMoved_Reverts() public {
        clearinghouse.setInitialMarginParameters(WAD, ALPHA_WHOLE_K);
        _deposit(alice, 300e6);
        IMarginEngine.MarginCertificate memory margin =
            ScenarioMerkle.marginCertificate(epoch, _scenarios(), 300e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.InitialMarginChecked(alice, epoch, 360e18, 350e18);
        vm.prank(alice);
        clearinghouse.withdraw(40e6, margin);

        _setEthPrice(1950e8);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InsufficientInitialMargin.selector, alice, 300e18, 345e18
            )
        );
        vm.prank(alice);
        clearinghouse.withdraw(10e6, margin);
    }

    // ------------------------------------------------------------ zero-length inputs

    /// @notice Every array of a liquidation certificate empty, then each part of one witness.
    function test_Liquidate_RevertsOnZeroLengthInputs() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory empty;
        empty.epoch = epoch;
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.WrongWitnessCount.selector, 2, 0));
        clearinghouse.liquidate(alice, empty, WAD);

        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.proofs = new bytes32[][](0);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.CertificateLengthMismatch.selector, 2, 2, 0)
        );
        clearinghouse.liquidate(alice, cert, WAD);

        cert = _certificate(epoch, _indices(3, 6));
        cert.proofs[0] = new bytes32[](0);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 3));
        clearinghouse.liquidate(alice, cert, WAD);

        cert = _certificate(epoch, _indices(3, 6));
        cert.volShifts[0] = new int256[](0);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.WrongAssetCount.selector, 3, 0, 1));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    // ------------------------------------------------------------ the empty multiproof

    /// @notice OpenZeppelin's pitfall is real in the version used: no leaves and the proof
    /// [root] verify against root. The margin engine never lets a caller reach it: it passes
    /// no proof nodes at all, and exactly N >= 1 leaves (the registry refuses N = 0), so a
    /// certificate without scenarios is refused by count, before any multiproof.
    function test_EmptyMultiproofPitfall_IsUnreachable() public {
        (, IScenarioRegistry.ScenarioSet memory set) = registry.current();
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = set.root;
        assertTrue(
            MerkleProof.multiProofVerify(proof, new bool[](0), set.root, new bytes32[](0)),
            "OpenZeppelin accepts the empty multiproof"
        );

        IMarginEngine.MarginCertificate memory empty;
        empty.epoch = epoch;
        MarginEngine engine = clearinghouse.engine();
        IMarginEngine.Portfolio memory portfolio = clearinghouse.portfolioOf(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.WrongScenarioCount.selector, 8, 0));
        engine.initialMargin(portfolio, empty, WAD, 9900, 0);

        // Leaf rows without indices do not make a certificate: the clearinghouse asks for one.
        IMarginEngine.MarginCertificate memory rowsOnly = _margin();
        rowsOnly.indices = new uint256[](0);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, rowsOnly);
    }

    /// @notice The nearest a margin certificate comes to the pitfall: an epoch of one
    /// scenario, whose multiproof has no flags and no proof nodes, and whose root is the
    /// leaf itself. The one committed scenario passes; any other does not.
    function test_Certificate_SingleScenarioEpoch_BindsItsOneLeaf() public {
        int256[][] memory one = new int256[][](1);
        one[0] = new int256[](1);
        one[0][0] = -0.1e18;
        uint64 single = publishScenarioSet(registry, one, ScenarioMerkle.zeros(one), 0);
        int256[][] memory other = new int256[][](1);
        other[0] = new int256[](1);
        other[0][0] = -0.05e18;
        IMarginEngine.MarginCertificate memory margin =
            ScenarioMerkle.marginCertificate(single, other, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.InvalidMarginCertificate.selector, single)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, margin);

        vm.prank(alice);
        clearinghouse.withdraw(1e6, ScenarioMerkle.marginCertificate(single, one, 0));
        assertEq(clearinghouse.cash(alice), 99e18, "the committed scenario passes");
    }

    // ------------------------------------------------------------ overflow-sized leaves

    /// @notice Post a new epoch in which scenario 3 (a witness of every certificate below)
    /// moves ETH by `spotReturn` and its vol by `volShift`.
    function _postScenario3(int256 spotReturn, int256 volShift)
        internal
        returns (uint64 posted, int256[][] memory s, int256[][] memory v)
    {
        s = _scenarios();
        v = ScenarioMerkle.zeros(s);
        s[3][0] = spotReturn;
        v[3][0] = volShift;
        posted = publishScenarioSet(registry, s, v, ALPHA_WHOLE_K);
    }

    function _outOfDomain(int256 spotReturn, int256 volShift) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(
            IMarginEngine.ScenarioOutOfDomain.selector, 3, ETH, spotReturn, volShift
        );
    }

    /// @notice Spot returns and vol shifts outside the domain, each committed under a valid
    /// root with a valid proof. Without the domain check 1e57 overflowed the loss (Panic
    /// 0x11) and -200% was accepted as a negative price.
    function _outOfDomainCases() internal pure returns (int256[2][10] memory) {
        return [
            [int256(-1e18), 0],
            [int256(-2e18), 0],
            [type(int256).min, 0],
            [int256(100e18 + 1), 0],
            [int256(1e57), 0],
            [type(int256).max, 0],
            [int256(-0.2e18), 100e18 + 1],
            [int256(-0.2e18), -100e18 - 1],
            [int256(-0.2e18), type(int256).max],
            [int256(-0.2e18), type(int256).min]
        ];
    }

    function test_Liquidate_RevertsOnCommittedScenarioOutOfDomain() public {
        int256[2][10] memory cases = _outOfDomainCases();
        for (uint256 i; i < cases.length; ++i) {
            (uint64 posted, int256[][] memory s, int256[][] memory v) =
                _postScenario3(cases[i][0], cases[i][1]);
            IMarginEngine.LiquidationCertificate memory cert =
                ScenarioMerkle.certificate(posted, s, v, _indices(3, 6));
            vm.expectRevert(_outOfDomain(cases[i][0], cases[i][1]));
            clearinghouse.liquidate(alice, cert, WAD);
        }
    }

    function test_Certificate_RevertsOnCommittedScenarioOutOfDomain() public {
        int256[2][10] memory cases = _outOfDomainCases();
        for (uint256 i; i < cases.length; ++i) {
            (uint64 posted, int256[][] memory s, int256[][] memory v) =
                _postScenario3(cases[i][0], cases[i][1]);
            IMarginEngine.MarginCertificate memory margin =
                ScenarioMerkle.marginCertificate(posted, s, v, 0);
            vm.expectRevert(_outOfDomain(cases[i][0], cases[i][1]));
            vm.prank(alice);
            clearinghouse.withdraw(1e6, margin);
        }
    }

    /// @notice The domain is checked with the leaf's shape, before its proof: a forged value
    /// out of the domain is refused as such, committed or not.
    function test_Liquidate_ValueOutOfDomain_RefusedBeforeItsProof() public {
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.spotReturns[0][0] = 1e57;
        vm.expectRevert(_outOfDomain(1e57, 0));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    /// @notice The ends of the domain are accepted, with exact losses: -100% + 1 wei takes
    /// the mark to 2000 wei (Alice loses 2000 - 2e-15), +10,000% multiplies it by 101 (a
    /// bound of two gains, so MM = 0), and a vol shift of +-100 does not move a perp.
    function test_Liquidate_AcceptsTheEndsOfTheDomain() public {
        int256[2][4] memory cases = [
            [-WAD + 1, int256(0)],
            [int256(100e18), 0],
            [int256(-0.2e18), 100e18],
            [int256(-0.2e18), -100e18]
        ];
        for (uint256 i; i < cases.length; ++i) {
            (uint64 posted, int256[][] memory s, int256[][] memory v) =
                _postScenario3(cases[i][0], cases[i][1]);
            int256 loss3 = _loss(1e18, 2000e18, cases[i][0]);
            int256 bound = _lowerBound(loss3, _loss(1e18, 2000e18, _spot(6)), 20_000, 0);
            _assertCheck(
                clearinghouse.isLiquidatable(
                    alice, ScenarioMerkle.certificate(posted, s, v, _indices(3, 6))
                ),
                100e18,
                bound,
                bound > 0 ? bound : int256(0),
                bound > 100e18
            );
        }
        assertEq(_loss(1e18, 2000e18, -WAD + 1), 2000e18 - 2000, "loss at -100% + 1 wei");
    }

    // ------------------------------------------------------------ margin certificate threshold

    /// @notice A margin certificate's threshold outside [-MAX_THRESHOLD, MAX_THRESHOLD] is
    /// refused by name, before its scenarios: type(int256).min used to overflow the bound
    /// (Panic 0x11). At the ends the bound is exact: t = MAX_THRESHOLD is above every loss,
    /// so IM = t; t = -MAX_THRESHOLD is below every loss, so (IM at 99%, kNum = 800)
    /// IM = -t + ceil(10_000 * sum (L - t) / 800) = 99 * MAX_THRESHOLD + ceil(12.5 * sum L).
    function test_Certificate_RevertsOnThresholdOutOfDomain() public {
        MarginEngine engine = clearinghouse.engine();
        int256 max = engine.MAX_THRESHOLD();
        assertEq(max, type(int256).max / WAD + 1, "the largest |loss|: ceil(int256 max / WAD)");
        int256[4] memory outside = [type(int256).min, -max - 1, max + 1, type(int256).max];
        for (uint256 i; i < outside.length; ++i) {
            IMarginEngine.MarginCertificate memory margin =
                ScenarioMerkle.marginCertificate(epoch, _scenarios(), outside[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IMarginEngine.ThresholdOutOfDomain.selector, outside[i])
            );
            vm.prank(alice);
            clearinghouse.withdraw(1e6, margin);
        }

        IMarginEngine.Portfolio memory portfolio = clearinghouse.portfolioOf(alice);
        int256 sum;
        for (uint256 i; i < N; ++i) {
            sum += _loss(1e18, 2000e18, _spot(i));
        }
        int256[2] memory ends = [max, -max];
        int256[2] memory expected = [max, 99 * max + _ceilDiv(10_000 * sum, 800)];
        for (uint256 i; i < ends.length; ++i) {
            (, int256 margin) = engine.initialMargin(
                portfolio,
                ScenarioMerkle.marginCertificate(epoch, _scenarios(), ends[i]),
                WAD,
                9900,
                0
            );
            assertEq(margin, expected[i], "IM at the end of the threshold domain");
        }
    }
}

/// @notice Attested margin is the third way an initial-margin check passes: an empty
/// certificate stands for "take the accepted attestation of this exact state". The
/// attestation goes through the real AttestedMargin (its operator registry stubbed: every
/// quorum passes) on the fixture of Clearinghouse.t.sol, IM = ES at 99% (attested).
contract AttestedMarginAttackTest is ClearinghouseFixture {
    AttestedMargin internal attested;

    function setUp() public override {
        super.setUp();
        attested = new AttestedMargin(
            OperatorRegistry(address(new StubOperatorRegistry())), clearinghouse, 1 hours
        );
        clearinghouse.setAttestedMargin(attested);
        clearinghouse.setInitialMarginParameters(WAD, 9900);
        _deposit(carol, 1000e6);
    }

    /// @notice Carol's portfolio after buying 0.1 ETH at 2000 with 1000 of cash (cost 200),
    /// less `withdrawn` of cash.
    function _carolAfterBuying(int256 withdrawn)
        internal
        pure
        returns (IMarginEngine.Portfolio memory portfolio)
    {
        portfolio.balance = 800e18 - withdrawn;
        portfolio.spotExposure = new int256[](1);
        portfolio.spotExposure[0] = 0.1e18;
    }

    /// @notice The hash the clearinghouse computes for `portfolio` at the current marks.
    function _stateHash(IMarginEngine.Portfolio memory portfolio) internal view returns (bytes32) {
        (bytes32 stateHash,) = clearinghouse.engine().attestedState(portfolio);
        return stateHash;
    }

    /// @notice Accept an attestation of ES 50 for Carol in `portfolio` at the ETH mark 2000.
    function _attest(IMarginEngine.Portfolio memory portfolio) internal returns (int256 margin) {
        int256[] memory spot = new int256[](1);
        spot[0] = 2000e18;
        int256[] memory vol = new int256[](1);
        bytes32 stateHash;
        (stateHash, margin) =
            clearinghouse.engine().attestedInitialMargin(portfolio, spot, vol, 50e18, WAD, 0);
        IOperatorRegistry.QuorumSignature memory quorum;
        quorum.signers = 1;
        attested.accept(
            IAttestedMargin.Attestation({
                chainId: block.chainid,
                account: carol,
                stateHash: stateHash,
                epoch: epoch,
                scenarioRoot: registry.scenarioSet(epoch).root,
                alphaBps: 9900,
                expectedShortfall: 50e18,
                initialMargin: margin,
                blockNumber: uint64(block.number),
                valuationTime: uint64(block.timestamp),
                expiry: uint64(block.timestamp + 1 hours)
            }),
            quorum,
            IAttestedMargin.State(portfolio, spot, vol)
        );
    }

    /// @notice With attested margin on, an empty certificate is not a free pass: without an
    /// accepted attestation of the exact state after the trade, it is refused by name.
    function test_EmptyCertificate_WithoutAttestation_Reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.NoValidAttestation.selector, carol, _stateHash(_carolAfterBuying(0))
            )
        );
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 0.1e18, 2000e18, _noMargin(), _margin());
    }

    /// @notice The attestation of Carol's state after her trade serves that trade; replayed
    /// for a withdrawal (a state with 10 less cash) it names no state the operators signed.
    function test_AttestationReplayedAfterTheStateChanged_Reverts() public {
        int256 margin = _attest(_carolAfterBuying(0));
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.InitialMarginChecked(carol, epoch, 1000e18, margin);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 0.1e18, 2000e18, _noMargin(), _margin());

        bytes32 afterWithdrawal = _stateHash(_carolAfterBuying(10e18));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.NoValidAttestation.selector, carol, afterWithdrawal
            )
        );
        vm.prank(carol);
        clearinghouse.withdraw(10e6, _noMargin());
    }
}

/// @notice Derive v2-core #335: an empty or foreign account driven into an insolvent
/// liquidation to drain the insurance fund. On the fixture of ClearinghouseMargin.t.sol
/// (IM = ES at 75%, no positions) with 100 in the insurance fund: an account without
/// positions has no loss in any scenario, so no certificate shows MM > equity; it cannot be
/// given a position without initial margin; and the fund pays a real bad debt once, exactly.
contract InsolventLiquidationTest is ClearinghouseMarginFixture {
    function setUp() public override {
        super.setUp();
        usdc.mint(address(this), 100e6);
        usdc.approve(address(clearinghouse), 100e6);
        clearinghouse.fundInsurance(100e6);
    }

    /// @notice Carol never deposited; Dave deposited 50 and holds nothing. The worst
    /// witnesses show a lower bound of 0 for both: MM 0 is not above equity.
    function test_Liquidate_EmptyOrForeignAccount_RevertsAccountHealthy() public {
        _deposit(dave, 50e6);
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate(3, 6);
        IMarginEngine.MarginCheck memory check = clearinghouse.isLiquidatable(carol, cert);
        assertEq(check.expectedShortfallLowerBound, 0, "no position, no loss");
        assertEq(check.liquidatable, false, "carol");

        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, carol, 0, 0));
        vm.prank(keeper);
        clearinghouse.liquidate(carol, cert, WAD);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, dave, 50e18, 0)
        );
        vm.prank(keeper);
        clearinghouse.liquidate(dave, cert, WAD);
        assertEq(clearinghouse.insuranceFund(), 100e18, "insurance fund untouched");
    }

    /// @notice The settler cannot open a position for an empty account: without a
    /// certificate it is refused, and with a valid one IM (350) exceeds its equity, at the
    /// market price (0) and at a price that would hand its counterparty 400 (-400).
    function test_SettleTrade_EmptyAccountCannotTakeRisk() public {
        _deposit(bob, 1000e6);
        IMarginEngine.MarginCertificate memory carolMargin =
            _margin(_secondLargest(_losses(1e18, MARK)));
        IMarginEngine.MarginCertificate memory bobMargin =
            _margin(_secondLargest(_losses(-1e18, MARK)));
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, carol)
        );
        _trade(carol, bob, 1e18, 2000e18, _noMargin(), bobMargin);
        vm.expectRevert(_insufficient(carol, 0, 350e18));
        _trade(carol, bob, 1e18, 2000e18, carolMargin, bobMargin);
        vm.expectRevert(_insufficient(carol, -400e18, 350e18));
        _trade(carol, bob, 1e18, 2400e18, carolMargin, bobMargin);
        assertEq(clearinghouse.openPositionCount(carol), 0, "carol holds nothing");
    }

    /// @notice Alice, long 1 at exactly IM (350), is 50 under water at 1600. Her full
    /// liquidation leaves a bad debt of 50, which the fund pays; the account is then empty,
    /// and the same certificate cannot take a second payment out of the fund.
    function test_Liquidate_InsuranceFundPaysOnlyTheRealBadDebtOnce() public {
        _deposit(alice, 350e6);
        _deposit(bob, 150e6);
        _openAliceLongOne();
        _setEthPrice(1600e8);
        assertEq(clearinghouse.equity(alice), -50e18, "alice under water");
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate(3, 6);

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebt(alice, 50e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebtCoveredByInsurance(alice, 50e18, 50e18);
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);
        assertEq(clearinghouse.insuranceFund(), 50e18, "the fund paid 50");
        assertEq(clearinghouse.cash(alice), 0, "alice written off");

        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, 0, 0));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);
        assertEq(clearinghouse.insuranceFund(), 50e18, "and nothing more");
    }
}

/// @notice Derive v2-core #108: option pricing with a zero forward, zero vol or zero time
/// to expiry must not crash the margin path. On the fixture of ClearinghouseOptions.t.sol
/// (ETH 2000, implied vol 80%, 30-day series, MM factor 1.2, IM = ES at 99%).
contract OptionMarginPathTest is ClearinghouseOptionsFixture {
    /// @notice An epoch in which scenario 3 takes ETH to 2000 wei (-100% + 1 wei, the
    /// lowest return certificates may carry) and its vol to 0, and scenario 6 multiplies
    /// ETH by 101 with vol at its cap of 100: the worst a short straddle can meet.
    function _postExtremeEpoch() internal returns (int256[][] memory s, int256[][] memory v) {
        s = _spotReturns();
        v = _volShifts();
        (s[3][0], v[3][0]) = (-WAD + 1, -100e18);
        (s[6][0], v[6][0]) = (100e18, 100e18);
        epoch = publishScenarioSet(registry, s, v, ALPHA);
    }

    /// @notice The loss of a short straddle of `size` (call and put 2000) under return `r`
    /// and vol shift `shift`, from Black-Scholes at the clamped shocked spot and vol.
    function _shortStraddleLoss(int256 size, int256 r, int256 shift)
        internal
        view
        returns (int256)
    {
        int256 move = _bsShocked(CALL_2000, SPOT, VOL, r, shift) - _bs(CALL_2000, SPOT, VOL)
            + _bsShocked(PUT_2000, SPOT, VOL, r, shift) - _bs(PUT_2000, SPOT, VOL);
        return _ceilDiv(size * move, WAD);
    }

    /// @notice Alice (5000 of cash) sells a straddle; under the extreme epoch her options
    /// are revalued at a spot of 2000 wei and vol 0 (intrinsic) and at 101 times the spot
    /// and vol 100, without a revert, and she is liquidated in full at the exact bound.
    function test_Liquidate_ShortStraddleAtZeroForwardAndZeroVol() public {
        _deposit(alice, 5000e6);
        _buy(bob, alice, CALL_2000, 1e18, 182.6e18);
        _buy(bob, alice, PUT_2000, 1e18, 182.6e18);
        (int256[][] memory s, int256[][] memory v) = _postExtremeEpoch();
        assertEq(_bsShocked(PUT_2000, SPOT, VOL, s[3][0], v[3][0]), 2000e18 - 2000, "put");
        assertEq(_bsShocked(CALL_2000, SPOT, VOL, s[3][0], v[3][0]), 0, "call");

        int256 bound = _lowerBound(
            _shortStraddleLoss(1e18, s[3][0], v[3][0]),
            _shortStraddleLoss(1e18, s[6][0], v[6][0]),
            K_NUM,
            0
        );
        IMarginEngine.LiquidationCertificate memory cert =
            ScenarioMerkle.certificate(epoch, s, v, _indices(3, 6));
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        assertEq(check.expectedShortfallLowerBound, bound, "bound");
        assertEq(check.maintenanceMargin, bound * 12 / 10, "MM = 1.2 * bound");
        assertEq(clearinghouse.openPositionCount(alice), 0, "closed in full");
    }

    /// @notice A committed vol shift of 2^255 - 1 on an option holder's witness: the
    /// shocked vol (0.8 + shift) used to overflow (Panic 0x11); now refused by name.
    function test_Liquidate_OptionHolderVolShiftOutOfDomain_RevertsByName() public {
        _deposit(alice, 10_000e6);
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        int256[][] memory s = _spotReturns();
        int256[][] memory v = _volShifts();
        v[3][0] = type(int256).max;
        epoch = publishScenarioSet(registry, s, v, ALPHA);
        IMarginEngine.LiquidationCertificate memory cert =
            ScenarioMerkle.certificate(epoch, s, v, _indices(3, 6));
        vm.expectRevert(
            abi.encodeWithSelector(
                IMarginEngine.ScenarioOutOfDomain.selector, 3, ETH, -0.3e18, type(int256).max
            )
        );
        clearinghouse.isLiquidatable(alice, cert);
    }

    /// @notice A spot or vol feed answering 0 stops the margin path of an option holder
    /// by name (the oracle refuses the mark), never with a Panic; a perp holder's margin
    /// path does not read the vol feed and goes on.
    function test_ZeroSpotOrVolAtTheMark_RevertsByName() public {
        _deposit(alice, 10_000e6);
        _deposit(carol, 10_000e6);
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        _perp(carol, bob, 1e18, 2000e18);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        IMarginEngine.MarginCertificate memory margin = _margin(_threshold(alice));

        _setMarks(2000e8, 0);
        bytes memory zeroVol =
            abi.encodeWithSelector(IOracleAdapter.NonPositiveVolatility.selector, ETH, 0);
        vm.expectRevert(zeroVol);
        clearinghouse.isLiquidatable(alice, cert);
        vm.expectRevert(zeroVol);
        clearinghouse.liquidate(alice, cert, WAD);
        vm.expectRevert(zeroVol);
        vm.prank(alice);
        clearinghouse.withdraw(1e6, margin);
        assertEq(clearinghouse.isLiquidatable(carol, cert).liquidatable, false, "perp only");

        _setMarks(0, 0.8e8);
        bytes memory zeroSpot =
            abi.encodeWithSelector(IOracleAdapter.NonPositivePrice.selector, ETH, 0);
        vm.expectRevert(zeroSpot);
        clearinghouse.isLiquidatable(alice, cert);
        vm.expectRevert(zeroSpot);
        vm.prank(alice);
        clearinghouse.withdraw(1e6, margin);
    }

    /// @notice At the expiry second the time to expiry is 0: an initial-margin check with a
    /// call held values it and every scenario at intrinsic value. At 2100 the call is
    /// worth 100, its worst loss (scenario 3, -30%) is all of it: IM = 100 with that
    /// threshold, equity 10,000 - 1 - 182.6 + 100.
    function test_Withdraw_AtExpiry_ValuesOptionsAtIntrinsic() public {
        _deposit(alice, 10_000e6);
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        vm.warp(EXPIRY);
        _setMarks(2100e8, 0.8e8);
        (int256[8] memory r,) = _scenarioData();
        for (uint256 i; i < N; ++i) {
            int256 shocked = 2100e18 + _floorDiv(2100e18 * r[i], WAD) - 2000e18;
            int256 loss = 100e18 - (shocked > 0 ? shocked : int256(0));
            assertEq(_scenarioLoss(alice, i), loss, "intrinsic loss");
        }
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.InitialMarginChecked(alice, epoch, 9916.4e18, 100e18);
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _margin(100e18));
    }
}

/// @notice Derive v2-core #243: parameter setters whose bounds lock a parameter forever.
/// Every owner setter's bounds are constants, never relative to the current value: each
/// parameter moves to both ends of its range and back, with its event, and one step outside
/// is refused with its named error (the out-of-range values the other suites already test
/// are not repeated). AttestedMargin has no setter (its window is immutable).
contract ParameterBoundsTest is ClearinghouseFixture {
    function test_SetRiskParameters_BothEndsAndBack() public {
        int256[3][3] memory values =
            [[int256(1), 0, 0], [type(int256).max, WAD, WAD], [MM_FACTOR, PENALTY, KEEPER_SHARE]];
        for (uint256 i; i < values.length; ++i) {
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.RiskParametersSet(values[i][0], values[i][1], values[i][2]);
            clearinghouse.setRiskParameters(values[i][0], values[i][1], values[i][2]);
            assertEq(clearinghouse.maintenanceMarginFactor(), values[i][0], "MM factor");
            assertEq(clearinghouse.liquidationPenalty(), values[i][1], "penalty");
            assertEq(clearinghouse.keeperShare(), values[i][2], "keeper share");
        }
        int256[3][3] memory bad = [[int256(-1), 0, 0], [int256(1), -1, 0], [int256(1), 0, WAD + 1]];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IClearinghouse.InvalidRiskParameters.selector, bad[i][0], bad[i][1], bad[i][2]
                )
            );
            clearinghouse.setRiskParameters(bad[i][0], bad[i][1], bad[i][2]);
        }
    }

    function test_SetInitialMarginParameters_BothEndsAndBack() public {
        int256[3] memory factors = [int256(1), type(int256).max, WAD];
        uint16[3] memory levels = [uint16(5000), 9999, 9900];
        for (uint256 i; i < factors.length; ++i) {
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.InitialMarginParametersSet(factors[i], levels[i]);
            clearinghouse.setInitialMarginParameters(factors[i], levels[i]);
            assertEq(clearinghouse.initialMarginFactor(), factors[i], "IM factor");
            assertEq(uint256(clearinghouse.initialMarginAlphaBps()), levels[i], "IM level");
        }
        int256[4] memory badFactors = [int256(0), -1, WAD, WAD];
        uint16[4] memory badLevels = [uint16(9900), 9900, 4999, 10_000];
        for (uint256 i; i < badFactors.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IClearinghouse.InvalidInitialMarginParameters.selector,
                    badFactors[i],
                    badLevels[i]
                )
            );
            clearinghouse.setInitialMarginParameters(badFactors[i], badLevels[i]);
        }
    }

    function test_SetLiquidityAddOnAndMaxFundingRate_BothEndsAndBack() public {
        int256[3] memory addOns = [int256(0), WAD, 0];
        int256[3] memory rates = [int256(0), 0.1e18, 0.01e18];
        for (uint256 i; i < addOns.length; ++i) {
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.LiquidityAddOnSet(addOns[i]);
            clearinghouse.setLiquidityAddOn(addOns[i]);
            assertEq(clearinghouse.liquidityAddOn(), addOns[i], "add-on");
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.MaxFundingRateSet(rates[i]);
            clearinghouse.setMaxFundingRate(rates[i]);
            assertEq(clearinghouse.maxFundingRate(), rates[i], "max funding rate");
        }
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.InvalidLiquidityAddOn.selector, -1));
        clearinghouse.setLiquidityAddOn(-1);
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.InvalidMaxFundingRate.selector, -1));
        clearinghouse.setMaxFundingRate(-1);
    }

    function test_SetLiquidationParameters_BothEndsAndBack() public {
        int256[3][3] memory values =
            [[int256(1), 0, 0], [WAD, WAD, type(int256).max], [int256(0.5e18), 0.95e18, 100e18]];
        for (uint256 i; i < values.length; ++i) {
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.LiquidationParametersSet(values[i][0], values[i][1], values[i][2]);
            clearinghouse.setLiquidationParameters(values[i][0], values[i][1], values[i][2]);
            (int256 closeFactor, int256 health, int256 dust) = clearinghouse.liquidationParameters();
            assertEq(closeFactor, values[i][0], "close factor");
            assertEq(health, values[i][1], "full-liquidation health");
            assertEq(dust, values[i][2], "dust value");
        }
        int256[3][3] memory bad = [
            [WAD + 1, 0.95e18, 100e18], [int256(-1), 0.95e18, 100e18], [int256(0.5e18), -1, 100e18]
        ];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IClearinghouse.InvalidLiquidationParameters.selector,
                    bad[i][0],
                    bad[i][1],
                    bad[i][2]
                )
            );
            clearinghouse.setLiquidationParameters(bad[i][0], bad[i][1], bad[i][2]);
        }
    }

    /// @notice The haircut goes from 0 to 1 - 1e-18 and back; the token of an asset nobody
    /// holds is replaced and restored, with 0 and 18 decimals.
    function test_SetCollateralAsset_BothEndsAndBack() public {
        MockToken coarse = new MockToken(owner, "Mock Wrapped Ether (0)", "mWETH0", 0);
        MockToken weth = new MockToken(owner, "Mock Wrapped Ether", "mWETH", 18);
        MockToken[3] memory tokens = [weth, coarse, weth];
        int256[3] memory haircuts = [int256(0), WAD - 1, 0.2e18];
        for (uint256 i; i < tokens.length; ++i) {
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.CollateralAssetSet(ETH, address(tokens[i]), haircuts[i]);
            clearinghouse.setCollateralAsset(ETH, tokens[i], haircuts[i]);
            (, int256 scale, int256 haircut) = clearinghouse.collateralAssets(ETH);
            assertEq(scale, int256(10 ** (18 - tokens[i].decimals())), "scale");
            assertEq(haircut, haircuts[i], "haircut");
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidCollateralAsset.selector, ETH, address(weth), -1
            )
        );
        clearinghouse.setCollateralAsset(ETH, weth, -1);
        MockToken fine = new MockToken(owner, "Too fine", "FINE", 19);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidCollateralAsset.selector, ETH, address(fine), 0
            )
        );
        clearinghouse.setCollateralAsset(ETH, fine, 0);
    }

    function test_SetSettlerAndAttestedMargin_OnAndOff() public {
        address[2] memory targets = [carol, address(0)];
        bool[2] memory allowed = [true, false];
        for (uint256 i; i < targets.length; ++i) {
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.SettlerSet(carol, allowed[i]);
            clearinghouse.setSettler(carol, allowed[i]);
            assertEq(clearinghouse.isSettler(carol), allowed[i], "settler");
            vm.expectEmit(true, true, true, true, address(clearinghouse));
            emit IClearinghouse.AttestedMarginSet(targets[i]);
            clearinghouse.setAttestedMargin(AttestedMargin(targets[i]));
            assertEq(address(clearinghouse.attestedMargin()), targets[i], "attested margin");
        }
    }

    /// @notice Heartbeats from 1 second to 2^32 - 1, feeds of 0 and 18 decimals, a breaker
    /// bound from 0.01% to 100%, and back; the breaker off and on again.
    function test_OracleFeeds_BothEndsAndBack() public {
        MockAggregator coarse = new MockAggregator(owner, 0, "ETH / USD (0)");
        MockAggregator fine = new MockAggregator(owner, 18, "ETH / USD (18)");
        MockAggregator[3] memory feeds = [coarse, fine, ethFeed];
        uint32[3] memory heartbeats = [uint32(1), type(uint32).max, HEARTBEAT];
        uint16[3] memory bounds = [uint16(1), 10_000, 500];
        address previous;
        for (uint256 i; i < feeds.length; ++i) {
            uint8 decimals = feeds[i].decimals();
            vm.expectEmit(true, true, true, true, address(oracle));
            emit IOracleAdapter.FeedSet(ETH, address(feeds[i]), heartbeats[i], decimals);
            oracle.setFeed(ETH, feeds[i], heartbeats[i]);
            vm.expectEmit(true, true, true, true, address(oracle));
            emit IOracleAdapter.VolatilityFeedSet(
                ETH, address(feeds[i]), heartbeats[i], decimals, previous
            );
            oracle.setVolatilityFeed(ETH, feeds[i], heartbeats[i]);
            vm.expectEmit(true, true, true, true, address(oracle));
            emit IOracleAdapter.ReferenceFeedSet(
                ETH, address(feeds[i]), heartbeats[i], decimals, bounds[i], previous
            );
            oracle.setReferenceFeed(ETH, feeds[i], heartbeats[i], bounds[i]);
            previous = address(feeds[i]);
            IOracleAdapter.Feed memory spot = oracle.feed(ETH);
            assertEq(address(spot.aggregator), address(feeds[i]), "spot feed");
            assertEq(uint256(spot.heartbeat), heartbeats[i], "heartbeat");
            assertEq(uint256(oracle.referenceFeed(ETH).maxDeviationBps), bounds[i], "bound");
        }
        assertEq(oracle.price(ETH), 2000e18, "the original feed answers again");
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IOracleAdapter.ReferenceFeedRemoved(ETH, address(ethFeed));
        oracle.removeReferenceFeed(ETH);
        oracle.setReferenceFeed(ETH, ethFeed, HEARTBEAT, 500);
        assertEq(oracle.riskPaused(ETH), false, "breaker on again, within its bound");
    }

    /// @notice Minimum bond 1 to 2^256 - 1, quorum 0.01% to 100%, unbonding 0 to 2^64 - 1,
    /// and back; the slasher set and unset.
    function test_OperatorRegistrySetters_BothEndsAndBack() public {
        OperatorRegistry operators = new OperatorRegistry(owner, usdc, 100, 6000, 7 days);
        uint256[3] memory bonds = [uint256(1), type(uint256).max, 100];
        uint16[3] memory quorums = [uint16(1), 10_000, 6000];
        uint64[3] memory delays = [uint64(0), type(uint64).max, 7 days];
        for (uint256 i; i < bonds.length; ++i) {
            vm.expectEmit(true, true, true, true, address(operators));
            emit IOperatorRegistry.QuorumParametersSet(bonds[i], quorums[i], delays[i]);
            operators.setQuorumParameters(bonds[i], quorums[i], delays[i]);
            assertEq(operators.minimumBond(), bonds[i], "minimum bond");
            assertEq(uint256(operators.quorumBps()), quorums[i], "quorum");
            assertEq(uint256(operators.unbondingDelay()), delays[i], "unbonding delay");
        }
        address[2] memory slashers = [keeper, address(0)];
        for (uint256 i; i < slashers.length; ++i) {
            vm.expectEmit(true, true, true, true, address(operators));
            emit IOperatorRegistry.SlasherSet(slashers[i]);
            operators.setSlasher(slashers[i]);
            assertEq(operators.slasher(), slashers[i], "slasher");
        }
    }
}
