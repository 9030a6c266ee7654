// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Clearinghouse} from "../Clearinghouse.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";

/// @notice The system of `SystemFixture` (one asset, ETH at 2000, a 6-decimal stablecoin),
/// an 8-scenario epoch at alpha = 75% (k = 2), and Alice long 1 ETH at 2000 against Bob with
/// 100 of cash.
abstract contract ClearinghouseFixture is SystemFixture {
    uint32 internal constant N = 8;
    /// @dev k = 8 * 0.25 = 2: kNum = 20_000, frac = 0, two witnesses.
    uint16 internal constant ALPHA_WHOLE_K = 7500;
    /// @dev k = 8 * 0.1875 = 1.5: kNum = 15_000, frac = 5_000, two witnesses.
    uint16 internal constant ALPHA_FRACTIONAL_K = 8125;

    int256 internal constant MM_FACTOR = 1e18;
    int256 internal constant PENALTY = 0.01e18;
    int256 internal constant KEEPER_SHARE = 0.5e18;

    uint64 internal epoch;
    /// @notice The epoch `_postEpoch` published last (the current one), for margin certificates.
    uint64 internal lastPosted;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        _deploySystem(MM_FACTOR, PENALTY, KEEPER_SHARE);
        // These tests are about liquidation: an IM factor of 1 wei lets the fixture open
        // thinly collateralized positions, each still with a valid margin certificate.
        // ClearinghouseMargin.t.sol tests initial margin itself.
        clearinghouse.setInitialMarginParameters(1, 9900);

        epoch = _postEpoch(ALPHA_WHOLE_K);

        _deposit(alice, 100e6);
        _deposit(bob, 100_000e6);
        vm.prank(settler);
        clearinghouse.settleTrade(alice, bob, ETH, 1e18, 2000e18, _margin(), _margin());
    }

    // ------------------------------------------------------------ scenarios

    /// @notice The ETH spot return of each scenario (one asset). The two worst are index 3
    /// (-20%) and index 6 (-15%); indices 0 and 5 have odd digits to exercise truncation.
    function _scenarios() internal pure returns (int256[][] memory s) {
        int256[8] memory r = [
            int256(-0.087654321987654321e18),
            -0.05e18,
            0.02e18,
            -0.2e18,
            0.05e18,
            -0.012345678901234567e18,
            -0.15e18,
            0.1e18
        ];
        s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = new int256[](1);
            s[i][0] = r[i];
        }
    }

    /// @notice Post the scenario set at `alphaBps` and publish it in two chunks.
    function _postEpoch(uint16 alphaBps) internal returns (uint64) {
        return _postScenarioSet(_scenarios(), alphaBps, 5);
    }

    /// @notice Post `s` (one asset, zero vol shifts) at `alphaBps` and publish it in two
    /// chunks, the first of `split` scenarios (0 < split < s.length); it becomes current.
    function _postScenarioSet(int256[][] memory s, uint16 alphaBps, uint256 split)
        internal
        returns (uint64 posted)
    {
        posted = registry.postScenarioSet(
            ScenarioMerkle.root(ScenarioMerkle.leaves(s)), uint32(s.length), alphaBps, 1
        );
        int256[][] memory first = new int256[][](split);
        int256[][] memory rest = new int256[][](s.length - split);
        for (uint256 i; i < s.length; ++i) {
            if (i < split) first[i] = s[i];
            else rest[i - split] = s[i];
        }
        registry.publishScenarios(posted, 0, first, ScenarioMerkle.zeros(first));
        registry.publishScenarios(posted, uint32(split), rest, ScenarioMerkle.zeros(rest));
        lastPosted = posted;
    }

    /// @notice A certificate on `epoch_` naming `indices`, with their leaf data and proofs.
    function _certificate(uint64 epoch_, uint256[] memory indices)
        internal
        pure
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        return ScenarioMerkle.certificate(epoch_, _scenarios(), indices);
    }

    /// @notice A margin certificate of the current epoch: all N scenarios in index order
    /// (the multiproof leaf order of the tree) with threshold 0.
    function _margin() internal view returns (IMarginEngine.MarginCertificate memory) {
        return ScenarioMerkle.marginCertificate(lastPosted, _scenarios(), 0);
    }

    /// @notice No certificate, for actions that need none.
    function _noMargin() internal pure returns (IMarginEngine.MarginCertificate memory c) {}

    function _indices(uint256 a) internal pure returns (uint256[] memory out) {
        out = new uint256[](1);
        out[0] = a;
    }

    function _indices(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        out[0] = a;
        out[1] = b;
    }

    function _indices(uint256 a, uint256 b, uint256 c)
        internal
        pure
        returns (uint256[] memory out)
    {
        out = new uint256[](3);
        out[0] = a;
        out[1] = b;
        out[2] = c;
    }

    // ------------------------------------------------------------ expected values

    /// @notice The contract's scenario loss of one position: -(size * (mark * r / WAD)) / WAD,
    /// each division truncating toward zero.
    function _loss(int256 size, int256 mark, int256 r) internal pure returns (int256) {
        return _ceilDiv(-(size * _floorDiv(mark * r, WAD)), WAD);
    }

    /// @notice a / b rounded toward -infinity, from Solidity's truncating `/` and `%`.
    function _floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    }

    /// @notice a / b rounded toward +infinity.
    function _ceilDiv(int256 a, int256 b) internal pure returns (int256) {
        return -_floorDiv(-a, b);
    }

    /// @notice The certificate bound for two witness losses:
    /// (10_000 * sum - (10_000 - frac) * min) / kNum, rounded down.
    function _lowerBound(int256 a, int256 b, uint256 kNum, uint256 frac)
        internal
        pure
        returns (int256)
    {
        int256 smallest = a < b ? a : b;
        int256 weighted = 10_000 * (a + b);
        if (frac != 0) weighted -= int256(10_000 - frac) * smallest;
        return _floorDiv(weighted, int256(kNum));
    }

    function _spot(uint256 index) internal pure returns (int256) {
        return _scenarios()[index][0];
    }

    // ------------------------------------------------------------ actions

    function _fundInsurance(uint256 amount) internal {
        usdc.mint(address(this), amount);
        usdc.approve(address(clearinghouse), amount);
        clearinghouse.fundInsurance(amount);
    }

    function _assertCheck(
        IMarginEngine.MarginCheck memory check,
        int256 equity,
        int256 bound,
        int256 mm,
        bool liquidatable
    ) internal pure {
        assertEq(check.equity, equity, "check.equity");
        assertEq(check.expectedShortfallLowerBound, bound, "check.expectedShortfallLowerBound");
        assertEq(check.maintenanceMargin, mm, "check.maintenanceMargin");
        assertEq(check.liquidatable, liquidatable, "check.liquidatable");
    }

    function _assertPosition(address account, int256 size, int256 costBasis, uint256 count)
        internal
        view
    {
        IClearinghouse.Position memory p = clearinghouse.positionOf(account, ETH);
        assertEq(p.size, size, "position size");
        assertEq(p.costBasis, costBasis, "position costBasis");
        assertEq(clearinghouse.openPositionCount(account), count, "openPositionCount");
    }
}

contract ClearinghouseLiquidationTest is ClearinghouseFixture {
    // ------------------------------------------------------------ valid certificates

    /// @notice ETH 2000 -> 1950: equity 100 - 50 = 50 against MM = (390 + 292.5) / 2.
    /// The penalty (1% of 1950) is below the remaining cash and is split with the keeper.
    function test_Liquidate_ValidCertificate_ClosesIntoBackstopAndPaysKeeper() public {
        _setEthPrice(1950e8);
        int256 mark = 1950e18;
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));

        // Hand-computed: loss_3 = 1950 * 0.20 = 390, loss_6 = 1950 * 0.15 = 292.5.
        int256 loss3 = _loss(1e18, mark, _spot(3));
        int256 loss6 = _loss(1e18, mark, _spot(6));
        assertEq(loss3, 390e18, "loss of scenario 3");
        assertEq(loss6, 292.5e18, "loss of scenario 6");
        int256 bound = _lowerBound(loss3, loss6, 20_000, 0);
        assertEq(bound, 341.25e18, "bound");

        _assertCheck(clearinghouse.isLiquidatable(alice, cert), 50e18, bound, bound, true);

        int256 penalty = 19.5e18; // 1% of the 1950 closed notional, < 50 of cash left
        int256 reward = 9.75e18; // keeperShare * min(penalty, remaining)
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.PositionLiquidated(alice, ETH, 1e18, mark, 1950e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.Liquidated(
            alice, keeper, epoch, WAD, 50e18, bound, bound, reward, penalty - reward
        );
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        _assertCheck(check, 50e18, bound, bound, true);

        _assertPosition(alice, 0, 0, 0);
        _assertPosition(backstop, 1e18, 1950e18, 1);
        assertEq(clearinghouse.cash(alice), 50e18 - penalty, "alice cash");
        assertEq(clearinghouse.cash(keeper), reward, "keeper cash");
        assertEq(clearinghouse.insuranceFund(), penalty - reward, "insurance fund");
        assertEq(clearinghouse.cash(backstop), 0, "backstop cash");
        assertEq(clearinghouse.equity(alice), 30.5e18, "alice equity");
        assertEq(clearinghouse.equity(backstop), 0, "backstop equity");

        // Without positions, Alice can take out what is left.
        vm.prank(alice);
        clearinghouse.withdraw(30.5e6, _noMargin());
        assertEq(usdc.balanceOf(alice), 30.5e6, "alice withdrew");
        assertEq(clearinghouse.cash(alice), 0, "alice cash after withdraw");
    }

    /// @notice ETH 2000 -> 1905: 5 of cash is left after closing, less than the 19.05
    /// penalty, so only 5 is charged and the keeper gets half of it.
    function test_Liquidate_PenaltyCappedAtRemainingCash() public {
        _setEthPrice(1905e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        int256 bound =
            _lowerBound(_loss(1e18, 1905e18, _spot(3)), _loss(1e18, 1905e18, _spot(6)), 20_000, 0);
        assertEq(bound, 333.375e18, "bound"); // (381 + 285.75) / 2

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.Liquidated(
            alice, keeper, epoch, WAD, 5e18, bound, bound, 2.5e18, 2.5e18
        );
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);

        assertEq(clearinghouse.cash(alice), 0, "alice cash");
        assertEq(clearinghouse.cash(keeper), 2.5e18, "keeper cash");
        assertEq(clearinghouse.insuranceFund(), 2.5e18, "insurance fund");
        _assertPosition(backstop, 1e18, 1905e18, 1);
    }

    /// @notice ETH 2000 -> 1800: equity 100 - 200 = -100. Closing leaves -100 of cash: no
    /// penalty, the keeper gets nothing, and the bad debt walks the waterfall. The insurance
    /// fund (40) pays first; the other 60 is socialized over ETH's open interest, Bob's short
    /// and the backstop's new long (2 ETH): 30 per unit, owed by each at its next settlement.
    function test_Liquidate_BadDebt_WalksTheWaterfall() public {
        _fundInsurance(40e6);
        _setEthPrice(1800e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        int256 bound =
            _lowerBound(_loss(1e18, 1800e18, _spot(3)), _loss(1e18, 1800e18, _spot(6)), 20_000, 0);
        assertEq(bound, 315e18, "bound"); // (360 + 270) / 2
        assertEq(clearinghouse.equity(alice), -100e18, "alice equity before");
        int256 bobEquity = clearinghouse.equity(bob);

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.PositionLiquidated(alice, ETH, 1e18, 1800e18, 1800e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.Liquidated(alice, keeper, epoch, WAD, -100e18, bound, bound, 0, 0);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebt(alice, 100e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.BadDebtCoveredByInsurance(alice, 40e18, 0);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.LossSocialized(alice, ETH, 60e18, 2e18, 30e18);
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        _assertCheck(check, -100e18, bound, bound, true);

        _assertPosition(alice, 0, 0, 0);
        _assertPosition(backstop, 1e18, 1800e18, 1);
        assertEq(clearinghouse.cash(alice), 0, "alice cash");
        assertEq(clearinghouse.cash(keeper), 0, "keeper cash");
        assertEq(clearinghouse.insuranceFund(), 0, "insurance fund");
        assertEq(clearinghouse.equity(backstop), -30e18, "backstop equity");
        assertEq(clearinghouse.equity(bob), bobEquity - 30e18, "bob equity");
        (, int256 lossIndex,,) = clearinghouse.markets(ETH);
        assertEq(lossIndex, 30e18, "loss index");
    }

    /// @notice k = 1.5 (alpha 81.25%): the smaller witness loss carries weight 0.5, so the
    /// bound is (loss_3 + 0.5 * loss_6) / 1.5 = (390 + 146.25) / 1.5 = 357.5 at ETH 1950.
    function test_IsLiquidatable_FractionalK_WeightsSmallestLossByFraction() public {
        uint64 fractional = _postEpoch(ALPHA_FRACTIONAL_K);
        assertEq(uint256(fractional), 2, "second epoch");
        _setEthPrice(1950e8);

        int256 loss3 = _loss(1e18, 1950e18, _spot(3));
        int256 loss6 = _loss(1e18, 1950e18, _spot(6));
        int256 bound = _lowerBound(loss3, loss6, 15_000, 5_000);
        assertEq(bound, 357.5e18, "bound");
        _assertCheck(
            clearinghouse.isLiquidatable(alice, _certificate(fractional, _indices(3, 6))),
            50e18,
            bound,
            bound,
            true
        );

        // The smallest loss is now the first witness (index 0), and the division truncates:
        // (10_000 * (loss_0 + 390) - 5_000 * loss_0) / 15_000.
        int256 loss0 = _loss(1e18, 1950e18, _spot(0));
        assertEq(loss0, 170.92592787592592595e18, "loss of scenario 0");
        bound = _lowerBound(loss0, loss3, 15_000, 5_000);
        assertEq(bound, 316.97530929197530865e18, "bound with truncation");
        _assertCheck(
            clearinghouse.isLiquidatable(alice, _certificate(fractional, _indices(0, 3))),
            50e18,
            bound,
            bound,
            true
        );

        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check =
            clearinghouse.liquidate(alice, _certificate(fractional, _indices(0, 3)), WAD);
        _assertCheck(check, 50e18, bound, bound, true);
    }

    /// @notice Odd size and mark: the per-unit move rounds down and the loss rounds up (toward
    /// +infinity), for a long (positive loss) and a short (negative loss) alike.
    function test_ScenarioLoss_RoundsUnitMoveDownAndLossUp() public {
        int256 size = 0.333333333333333333e18;
        _deposit(carol, 1000e6);
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, size, 1987.654321e18, _margin(), _margin());
        _setEthPrice(1987.65432101e8);
        int256 mark = 1987.65432101e18;

        int256[] memory r0 = _scenarios()[0];
        int256[] memory r5 = _scenarios()[5];
        assertEq(
            clearinghouse.scenarioLoss(carol, r0, new int256[](1)),
            58.075497284654320946e18,
            "carol loss 0"
        );
        assertEq(
            clearinghouse.scenarioLoss(carol, r0, new int256[](1)),
            _loss(size, mark, r0[0]),
            "carol loss 0 formula"
        );
        assertEq(
            clearinghouse.scenarioLoss(carol, r5, new int256[](1)),
            8.1796473379469587e18,
            "carol loss 5"
        );

        // Bob is short 1 + size: his loss is negative and also rounded up.
        assertEq(
            clearinghouse.scenarioLoss(bob, r0, new int256[](1)),
            _loss(-(1e18 + size), mark, r0[0]),
            "bob loss 0"
        );

        IMarginEngine.MarginCheck memory check =
            clearinghouse.isLiquidatable(carol, _certificate(epoch, _indices(0, 5)));
        int256 bound = _lowerBound(_loss(size, mark, r0[0]), _loss(size, mark, r5[0]), 20_000, 0);
        assertEq(bound, 33.127572311300639823e18, "bound");
        assertEq(check.expectedShortfallLowerBound, bound, "check bound");
        assertEq(check.liquidatable, false, "carol is healthy");
    }

    /// @notice The same scenarios committed by the real `@openzeppelin/merkle-tree` 1.0.8
    /// (`StandardMerkleTree.of(scenarios.map((r, i) => [i, r, [0]]),
    /// ["uint256", "int256[]", "int256[]"])`,
    /// which sorts leaves by hash): its root and proofs, pinned here, are accepted too.
    function test_Liquidate_AcceptsOpenZeppelinStandardMerkleTreeProofs() public {
        bytes32 ozRoot = 0xaf358520dd3dcf31aaf9f3c71372976d0066bbb58e13f86a4bd95a03b952cc0c;
        int256[][] memory s = _scenarios();
        assertEq(
            ScenarioMerkle.leaf(3, s[3], new int256[](1)),
            0xcdfcfde6cc639d0e02ba80c39723f1f3a5f5d4fa43a9723a233b37924defc496,
            "leaf 3 as in merkle-tree"
        );
        uint64 ozEpoch = registry.postScenarioSet(ozRoot, N, ALPHA_WHOLE_K, 1);
        registry.publishScenarios(ozEpoch, 0, s, ScenarioMerkle.zeros(s));

        IMarginEngine.LiquidationCertificate memory cert = _certificate(ozEpoch, _indices(3, 6));
        cert.proofs[0] = new bytes32[](3);
        cert.proofs[0][0] = 0xd6317c5712d20d713cc0377cfef9a5b7c7fbdbccffa706211979afd614fe2a92;
        cert.proofs[0][1] = 0xe8171445cfa1473e9a1aa201e0f512f38852464775d0276aef6963610d761fa8;
        cert.proofs[0][2] = 0xf1a24f35b92efa18e8ed9ad589179db42a58dc2af75a0c629748861f4f7583d2;
        cert.proofs[1] = new bytes32[](3);
        cert.proofs[1][0] = 0x3adbf869bdecdcc6b08affdd7516d73cc006a350fa88e8bebac3021f4885bf61;
        cert.proofs[1][1] = 0xb8165b1321fa28e136ea038757da3ad6866e12767c2b5e3c2475bc69c08db813;
        cert.proofs[1][2] = 0xf1a24f35b92efa18e8ed9ad589179db42a58dc2af75a0c629748861f4f7583d2;

        _setEthPrice(1950e8);
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        _assertCheck(check, 50e18, 341.25e18, 341.25e18, true);
    }

    // ------------------------------------------------------------ invalid certificates

    function test_Liquidate_RevertsOnDuplicateIndex() public {
        _setEthPrice(1950e8);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.DuplicateScenarioIndex.selector, 3));
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 3)), WAD);
    }

    function test_Liquidate_RevertsOnDecreasingIndices() public {
        _setEthPrice(1950e8);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.ScenarioIndicesNotIncreasing.selector, 3, 6)
        );
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(6, 3)), WAD);
    }

    function test_Liquidate_RevertsOnSwappedProofs() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        (cert.proofs[0], cert.proofs[1]) = (cert.proofs[1], cert.proofs[0]);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 3));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    /// @notice A keeper cannot make a scenario worse than committed.
    function test_Liquidate_RevertsOnTamperedSpotReturn() public {
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.spotReturns[1][0] = -0.9e18;
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 6));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    function test_Liquidate_RevertsOnTooFewWitnesses() public {
        _setEthPrice(1950e8);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.WrongWitnessCount.selector, 2, 1));
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3)), WAD);
    }

    function test_Liquidate_RevertsOnTooManyWitnesses() public {
        _setEthPrice(1950e8);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.WrongWitnessCount.selector, 2, 3));
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(0, 3, 6)), WAD);
    }

    function test_Liquidate_RevertsOnIndexOutOfRange() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.indices[1] = N;
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.ScenarioIndexOutOfRange.selector, 8, 8)
        );
        clearinghouse.liquidate(alice, cert, WAD);
    }

    function test_Liquidate_RevertsOnStaleEpoch() public {
        _setEthPrice(1950e8);
        uint64 next = _postEpoch(ALPHA_WHOLE_K);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, epoch, next));
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 6)), WAD);
    }

    /// @notice An epoch that is posted but not fully published is not current yet.
    function test_Liquidate_RevertsOnEpochNotYetCurrent() public {
        _setEthPrice(1950e8);
        uint64 pending = registry.postScenarioSet(bytes32(uint256(1)), N, ALPHA_WHOLE_K, 1);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, pending, epoch));
        clearinghouse.liquidate(alice, _certificate(pending, _indices(3, 6)), WAD);
    }

    /// @notice At ETH 2000 with 1100 of cash: equity 1100 >= MM (400 + 300) / 2 = 350.
    function test_Liquidate_RevertsOnHealthyAccount() public {
        _deposit(alice, 1000e6);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, 1100e18, 350e18)
        );
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 6)), WAD);
    }

    /// @notice Weak witnesses (two gains) prove nothing, though the k worst scenarios would:
    /// their bound is negative and MM = max(bound, 0) = 0 <= equity 50.
    function test_Liquidate_RevertsWhenWitnessesAreGains() public {
        _setEthPrice(1950e8);
        int256 bound =
            _lowerBound(_loss(1e18, 1950e18, _spot(2)), _loss(1e18, 1950e18, _spot(4)), 20_000, 0);
        assertEq(bound, -68.25e18, "bound"); // -(39 + 97.5) / 2
        _assertCheck(
            clearinghouse.isLiquidatable(alice, _certificate(epoch, _indices(2, 4))),
            50e18,
            bound,
            0,
            false
        );
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, 50e18, 0)
        );
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(2, 4)), WAD);
    }

    function test_Liquidate_RevertsOnLengthMismatch() public {
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.proofs = new bytes32[][](1);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.CertificateLengthMismatch.selector, 2, 2, 1)
        );
        clearinghouse.liquidate(alice, cert, WAD);

        cert = _certificate(epoch, _indices(3, 6));
        cert.spotReturns = new int256[][](3);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.CertificateLengthMismatch.selector, 2, 3, 2)
        );
        clearinghouse.liquidate(alice, cert, WAD);
    }

    function test_Liquidate_RevertsOnWrongAssetCountInWitness() public {
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.spotReturns[1] = new int256[](2);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.WrongAssetCount.selector, 6, 2, 1));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    /// @notice No liquidation on a stale mark.
    function test_Liquidate_RevertsOnStaleOracle() public {
        _setEthPrice(1950e8);
        uint256 updatedAt = block.timestamp;
        vm.warp(block.timestamp + HEARTBEAT + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.StalePrice.selector, ETH, updatedAt, HEARTBEAT, block.timestamp
            )
        );
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 6)), WAD);
    }

    /// @notice A feed added after the epoch does not block certificates for accounts that do
    /// not hold the new asset: witnesses are checked against the epoch's own asset count.
    function test_Liquidate_OracleAssetAddedAfterEpoch_StillLiquidates() public {
        MockAggregator btcFeed = new MockAggregator(owner, 8, "BTC / USD");
        btcFeed.setAnswer(65_000e8, block.timestamp);
        oracle.setFeed(1, btcFeed, HEARTBEAT);
        _setEthPrice(1800e8); // Alice is underwater

        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 6)), WAD);
        assertEq(clearinghouse.openPositionCount(alice), 0, "alice closed");
    }

    /// @notice An account holding an asset the epoch's scenarios do not cover cannot be
    /// revalued under them: the certificate reverts naming the asset.
    /// @notice A position on an asset the epoch's scenarios do not cover cannot be opened:
    /// its initial margin cannot be computed, and the trade reverts naming the asset.
    function test_SettleTrade_RevertsOnAssetNotInScenarioSet() public {
        MockAggregator btcFeed = new MockAggregator(owner, 8, "BTC / USD");
        btcFeed.setAnswer(65_000e8, block.timestamp);
        oracle.setFeed(1, btcFeed, HEARTBEAT);
        IMarginEngine.MarginCertificate memory margin = _margin();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.AssetNotInScenarioSet.selector, 1, 1));
        vm.prank(settler);
        clearinghouse.settleTrade(alice, bob, 1, 0.001e18, 65_000e18, margin, margin);
    }

    // ------------------------------------------------------------ the backstop itself

    /// @notice The backstop takes over liquidated positions and is never liquidated itself,
    /// so a keeper cannot farm penalties out of its cash.
    function test_Liquidate_RevertsOnBackstop() public {
        _setEthPrice(1950e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);
        _assertPosition(backstop, 1e18, 1950e18, 1);

        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.BackstopNotLiquidatable.selector));
        vm.prank(keeper);
        clearinghouse.liquidate(backstop, cert, WAD);
    }
}

contract ClearinghouseAccountsTest is ClearinghouseFixture {
    /// @notice Liquidated positions go to the backstop: address(0) would strand them.
    function test_Constructor_RevertsOnZeroBackstop() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.ZeroBackstop.selector));
        new Clearinghouse(owner, usdc, oracle, registry, address(0));
    }

    function test_Deposit_CreditsWadCash() public {
        _deposit(carol, 123.456789e6);
        assertEq(clearinghouse.cash(carol), 123.456789e18, "carol cash");
        assertEq(usdc.balanceOf(address(clearinghouse)), 100_223.456789e6, "vault balance");
    }

    function test_Deposit_RevertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.ZeroAmount.selector));
        vm.prank(carol);
        clearinghouse.deposit(0);
    }

    function test_Withdraw_ReturnsCollateral() public {
        _deposit(carol, 50e6);
        vm.prank(carol);
        clearinghouse.withdraw(20e6, _noMargin());
        assertEq(clearinghouse.cash(carol), 30e18, "carol cash");
        assertEq(usdc.balanceOf(carol), 20e6, "carol balance");
    }

    function test_Withdraw_WithOpenPositionsNeedsAMarginCertificate() public {
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _noMargin());
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _margin());
        assertEq(clearinghouse.cash(alice), 99e18, "withdrawn with a certificate");
    }

    function test_Withdraw_RevertsOnInsufficientCash() public {
        _deposit(carol, 50e6);
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InsufficientCash.selector, carol, 50e18, 50.000001e18
            )
        );
        vm.prank(carol);
        clearinghouse.withdraw(50.000001e6, _noMargin());
    }

    /// @notice Closing the position realizes the PnL into cash and frees the account.
    function test_SettleTrade_ClosingRealizesPnlAndAllowsWithdraw() public {
        vm.prank(settler);
        clearinghouse.settleTrade(bob, alice, ETH, 1e18, 2100e18, _margin(), _margin());
        _assertPosition(alice, 0, 0, 0);
        _assertPosition(bob, 0, 0, 0);
        assertEq(clearinghouse.cash(alice), 200e18, "alice cash");
        assertEq(clearinghouse.cash(bob), 99_900e18, "bob cash");
        vm.prank(alice);
        clearinghouse.withdraw(200e6, _noMargin());
        assertEq(usdc.balanceOf(alice), 200e6, "alice balance");
    }

    function test_SettleTrade_RevertsForNonSettler() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.NotSettler.selector, carol));
        vm.prank(carol);
        clearinghouse.settleTrade(alice, bob, ETH, 1e18, 2000e18, _margin(), _margin());
    }

    function test_SettleTrade_RevertsOnUnknownAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.UnknownAsset.selector, 1, 1));
        vm.prank(settler);
        clearinghouse.settleTrade(alice, bob, 1, 1e18, 2000e18, _margin(), _margin());
    }

    function test_SettleTrade_RevertsOnSelfTradeAndInvalidTrade() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.SelfTrade.selector, alice));
        vm.prank(settler);
        clearinghouse.settleTrade(alice, alice, ETH, 1e18, 2000e18, _margin(), _margin());

        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.InvalidTrade.selector, 0, 2000e18));
        vm.prank(settler);
        clearinghouse.settleTrade(alice, bob, ETH, 0, 2000e18, _margin(), _margin());

        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.InvalidTrade.selector, 1e18, 0));
        vm.prank(settler);
        clearinghouse.settleTrade(alice, bob, ETH, 1e18, 0, _margin(), _margin());
    }

    function test_SetRiskParameters_RevertsOnInvalidValues() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidRiskParameters.selector, 0, PENALTY, KEEPER_SHARE
            )
        );
        clearinghouse.setRiskParameters(0, PENALTY, KEEPER_SHARE);

        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidRiskParameters.selector, MM_FACTOR, 1e18 + 1, KEEPER_SHARE
            )
        );
        clearinghouse.setRiskParameters(MM_FACTOR, 1e18 + 1, KEEPER_SHARE);

        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InvalidRiskParameters.selector, MM_FACTOR, PENALTY, -1
            )
        );
        clearinghouse.setRiskParameters(MM_FACTOR, PENALTY, -1);
    }
}
