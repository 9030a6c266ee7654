// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";

/// @notice The cheatcodes these tests use beyond utils/Vm.sol: state snapshots and logs.
interface VmMarginCheats {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
}

/// @notice The system of `SystemFixture` (one asset, ETH at 2000, a 6-decimal stablecoin
/// unless `_newStablecoin` says otherwise), an 8-scenario epoch with zero vol shifts, a close
/// factor of 1, and initial margin at IM = 1 * ES at 75% (k = 8 * 0.25 = 2, kNum = 20_000).
/// No account holds anything: each test deposits and trades what it needs.
///
/// Expected values are computed here independently of the contract: a scenario loss is
/// ceil(-(size * floor(mark * r / WAD)) / WAD), the Rockafellar-Uryasev bound is
/// t + ceil(10_000 * sum max(L - t, 0) / kNum), IM = ceil(factor * bound / WAD) and equity
/// is cash + floor(size * mark / WAD) - ceil(size * price / WAD).
abstract contract ClearinghouseMarginFixture is SystemFixture {
    uint32 internal constant N = 8;
    /// @dev The ES level of both the registry (MM witnesses) and initial margin.
    uint16 internal constant ALPHA = 7500;
    /// @dev kNum = N * (10_000 - 7500): k = 2 at the IM level.
    int256 internal constant K_NUM = 20_000;
    int256 internal constant IM_FACTOR = 1e18;
    int256 internal constant MARK = 2000e18;
    /// @dev USDC (6 decimals) to WAD.
    int256 internal constant SCALE = 1e12;

    int256 internal constant MM_FACTOR = 1e18;
    int256 internal constant PENALTY = 0.01e18;
    int256 internal constant KEEPER_SHARE = 0.5e18;

    VmMarginCheats internal constant cheats = VmMarginCheats(address(vm));

    /// @notice The epoch `_postEpoch` published last (the current one).
    uint64 internal lastPosted;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        _deploySystem(MM_FACTOR, PENALTY, KEEPER_SHARE);
        // A close factor of 1: these tests liquidate in full (partial liquidation has its own
        // tests in ClearinghouseAccounting.t.sol).
        clearinghouse.setLiquidationParameters(WAD, 0.95e18, 100e18);
        clearinghouse.setInitialMarginParameters(IM_FACTOR, ALPHA);

        _postEpoch();
    }

    // ------------------------------------------------------------ scenarios

    /// @notice The ETH spot return of scenario i. For a long 1 ETH at 2000 the losses are
    /// 175.308643975308642, 100, -40, 400, -100, 24.691357802469134, 300, -200: the two worst
    /// are index 3 and index 6 (ES = 350); for a short, index 7 and index 4 (ES = 150).
    function _returns() internal pure returns (int256[8] memory) {
        return [
            int256(-0.087654321987654321e18),
            -0.05e18,
            0.02e18,
            -0.2e18,
            0.05e18,
            -0.012345678901234567e18,
            -0.15e18,
            0.1e18
        ];
    }

    function _scenarios() internal pure returns (int256[][] memory s) {
        int256[8] memory r = _returns();
        s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = new int256[](1);
            s[i][0] = r[i];
        }
    }

    /// @notice Post and publish the scenario set; it becomes the current epoch.
    function _postEpoch() internal returns (uint64 posted) {
        int256[][] memory s = _scenarios();
        posted =
            registry.postScenarioSet(ScenarioMerkle.root(ScenarioMerkle.leaves(s)), N, ALPHA, 1);
        registry.publishScenarios(posted, 0, s, ScenarioMerkle.zeros(s));
        lastPosted = posted;
    }

    /// @notice A valid margin certificate of the current epoch: all N scenarios in index order
    /// (the multiproof leaf order of the tree) with threshold `threshold`.
    function _margin(int256 threshold)
        internal
        view
        returns (IMarginEngine.MarginCertificate memory)
    {
        return ScenarioMerkle.marginCertificate(lastPosted, _scenarios(), threshold);
    }

    /// @notice No certificate.
    function _noMargin() internal pure returns (IMarginEngine.MarginCertificate memory c) {}

    /// @notice Swap the entries at positions `i` and `j` (index and leaf data together).
    function _swap(IMarginEngine.MarginCertificate memory c, uint256 i, uint256 j) internal pure {
        (c.indices[i], c.indices[j]) = (c.indices[j], c.indices[i]);
        (c.spotReturns[i], c.spotReturns[j]) = (c.spotReturns[j], c.spotReturns[i]);
        (c.volShifts[i], c.volShifts[j]) = (c.volShifts[j], c.volShifts[i]);
    }

    /// @notice A liquidation certificate of the current epoch naming `a` < `b`.
    function _liquidationCertificate(uint256 a, uint256 b)
        internal
        view
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        return ScenarioMerkle.certificate(lastPosted, _scenarios(), a, b);
    }

    // ------------------------------------------------------------ expected values

    function _floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    }

    function _ceilDiv(int256 a, int256 b) internal pure returns (int256) {
        return -_floorDiv(-a, b);
    }

    /// @notice Loss of a perp of `size` at `mark` when spot moves by `r`.
    function _loss(int256 size, int256 mark, int256 r) internal pure returns (int256) {
        return _ceilDiv(-(size * _floorDiv(mark * r, WAD)), WAD);
    }

    /// @notice The loss of a perp of `size` at `mark` in every scenario, in index order.
    function _losses(int256 size, int256 mark) internal pure returns (int256[] memory out) {
        int256[8] memory r = _returns();
        out = new int256[](N);
        for (uint256 i; i < N; ++i) {
            out[i] = _loss(size, mark, r[i]);
        }
    }

    /// @notice The second largest of `values` (ceil(k) = 2): the optimal RU threshold.
    function _secondLargest(int256[] memory values) internal pure returns (int256) {
        int256 first = type(int256).min;
        int256 second = type(int256).min;
        for (uint256 i; i < values.length; ++i) {
            if (values[i] > first) {
                second = first;
                first = values[i];
            } else if (values[i] > second) {
                second = values[i];
            }
        }
        return second;
    }

    /// @notice t + ceil(10_000 * sum max(L - t, 0) / kNum).
    function _ruBound(int256[] memory losses, int256 t) internal pure returns (int256) {
        int256 excess;
        for (uint256 i; i < losses.length; ++i) {
            if (losses[i] > t) excess += losses[i] - t;
        }
        return t + _ceilDiv(10_000 * excess, K_NUM);
    }

    /// @notice ceil(factor * bound / WAD) with the fixture's factor.
    function _initialMargin(int256[] memory losses, int256 t) internal pure returns (int256) {
        return _ceilDiv(IM_FACTOR * _ruBound(losses, t), WAD);
    }

    /// @notice Equity of an account with `cashWad` of cash and one perp of `size` opened at
    /// `price`, at `mark`.
    function _equityAfter(int256 cashWad, int256 size, int256 mark, int256 price)
        internal
        pure
        returns (int256)
    {
        return cashWad + _floorDiv(size * mark, WAD) - _ceilDiv(size * price, WAD);
    }

    /// @notice `x` mapped into [lo, hi].
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }

    function _boundInt(int256 x, int256 lo, int256 hi) internal pure returns (int256) {
        uint256 span = uint256(hi - lo) + 1;
        uint256 u;
        unchecked {
            u = uint256(x);
        }
        return lo + int256(u % span);
    }

    // ------------------------------------------------------------ actions

    /// @notice `buyer` buys `size` ETH from `seller` at `price` with the given certificates.
    function _trade(
        address buyer,
        address seller,
        int256 size,
        int256 price,
        IMarginEngine.MarginCertificate memory buyerMargin,
        IMarginEngine.MarginCertificate memory sellerMargin
    ) internal {
        vm.prank(settler);
        clearinghouse.settleTrade(buyer, seller, ETH, size, price, buyerMargin, sellerMargin);
    }

    /// @notice Alice long 1 ETH from Bob at 2000, each with the optimal-threshold certificate.
    function _openAliceLongOne() internal {
        _trade(
            alice,
            bob,
            1e18,
            2000e18,
            _margin(_secondLargest(_losses(1e18, MARK))),
            _margin(_secondLargest(_losses(-1e18, MARK)))
        );
    }

    function _expectMarginChecked(address account, int256 equity, int256 initialMargin) internal {
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.InitialMarginChecked(account, lastPosted, equity, initialMargin);
    }

    function _insufficient(address account, int256 equity, int256 initialMargin)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(
            IClearinghouse.InsufficientInitialMargin.selector, account, equity, initialMargin
        );
    }

    function _assertPosition(address account, int256 size) internal view {
        assertEq(clearinghouse.positionOf(account, ETH).size, size, "position size");
    }

    /// @notice How many InitialMarginChecked events `logs` holds.
    function _marginChecks(VmMarginCheats.Log[] memory logs) internal pure returns (uint256 n) {
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].topics.length > 0
                    && logs[i].topics[0] == IClearinghouse.InitialMarginChecked.selector
            ) ++n;
        }
    }
}

/// @notice Initial margin on trades: the RU bound at any threshold, exact numbers, and every
/// way a certificate can be invalid.
contract ClearinghouseMarginTradeTest is ClearinghouseMarginFixture {
    // ------------------------------------------------------------ valid certificates

    /// @notice At the optimal threshold (the 2nd largest loss) the bound is ES: Alice long 1
    /// needs (400 + 300) / 2 = 350, Bob short 1 needs (200 + 100) / 2 = 150. Both deposit
    /// exactly that and pass with IM == equity.
    function test_SettleTrade_OptimalThreshold_PassesAtExactlyInitialMargin() public {
        int256[] memory aliceLosses = _losses(1e18, MARK);
        int256[] memory bobLosses = _losses(-1e18, MARK);
        int256 tAlice = _secondLargest(aliceLosses);
        int256 tBob = _secondLargest(bobLosses);
        assertEq(tAlice, 300e18, "alice optimal threshold");
        assertEq(tBob, 100e18, "bob optimal threshold");
        int256 imAlice = _initialMargin(aliceLosses, tAlice);
        int256 imBob = _initialMargin(bobLosses, tBob);
        assertEq(imAlice, 350e18, "alice IM");
        assertEq(imBob, 150e18, "bob IM");

        _deposit(alice, 350e6);
        _deposit(bob, 150e6);
        IMarginEngine.MarginCertificate memory ma = _margin(tAlice);
        IMarginEngine.MarginCertificate memory mb = _margin(tBob);
        _expectMarginChecked(alice, 350e18, imAlice);
        _expectMarginChecked(bob, 150e18, imBob);
        _trade(alice, bob, 1e18, 2000e18, ma, mb);

        _assertPosition(alice, 1e18);
        _assertPosition(bob, -1e18);
        assertEq(clearinghouse.equity(alice), 350e18, "alice equity");
        assertEq(clearinghouse.equity(bob), 150e18, "bob equity");
        // The test's losses are the contract's.
        int256[][] memory s = _scenarios();
        for (uint256 i; i < N; ++i) {
            assertEq(
                clearinghouse.scenarioLoss(alice, s[i], new int256[](1)),
                aliceLosses[i],
                "alice scenario loss"
            );
            assertEq(
                clearinghouse.scenarioLoss(bob, s[i], new int256[](1)),
                bobLosses[i],
                "bob scenario loss"
            );
        }
        assertEq(aliceLosses[0], 175.308643975308642e18, "odd loss of scenario 0");
    }

    /// @notice Any threshold gives an upper bound of ES: the trade passes with each (Alice
    /// has ample equity) and the event carries the bound for that threshold, never below the
    /// optimal one.
    function test_SettleTrade_AnyThreshold_PassesWithLargerOrEqualBound() public {
        _deposit(alice, 10_000e6);
        _deposit(bob, 100_000e6);
        int256[] memory losses = _losses(1e18, MARK);
        int256 optimal = _initialMargin(losses, _secondLargest(losses));
        IMarginEngine.MarginCertificate memory mb = _margin(_secondLargest(_losses(-1e18, MARK)));

        int256[16] memory thresholds = [
            int256(300e18),
            0,
            -1,
            -500e18,
            400e18,
            175.308643975308642e18,
            100e18,
            24.691357802469134e18,
            -200e18,
            300e18 + 1,
            300e18 - 1,
            399.999999999999999999e18,
            400e18 + 1,
            1000e18,
            9999e18,
            -3000e18
        ];
        for (uint256 i; i < thresholds.length; ++i) {
            int256 im = _initialMargin(losses, thresholds[i]);
            assertTrue(im >= optimal, "RU bound below ES");
            uint256 snapshot = cheats.snapshotState();
            IMarginEngine.MarginCertificate memory ma = _margin(thresholds[i]);
            _expectMarginChecked(alice, 10_000e18, im);
            _trade(alice, bob, 1e18, 2000e18, ma, mb);
            cheats.revertToState(snapshot);
        }
        // Hand-checked points: t = 0 -> (175.308643975308642 + 100 + 400 + 24.691357802469134
        // + 300) / 2; t = 300e18 - 1 -> 300e18 - 1 + ceil((100e18 + 2) / 2) = 350e18;
        // t = 1000 (above every loss) -> 1000.
        assertEq(_initialMargin(losses, 0), 500.000000888888888e18, "t=0");
        assertEq(_initialMargin(losses, 300e18 - 1), 350e18, "t=300e18-1");
        assertEq(_initialMargin(losses, 300e18 + 1), 350e18 + 1, "t=300e18+1");
        assertEq(_initialMargin(losses, 1000e18), 1000e18, "t=1000");
        // Over every loss as threshold, the minimum is at the 2nd largest.
        for (uint256 i; i < N; ++i) {
            assertTrue(_initialMargin(losses, losses[i]) >= optimal, "optimal is minimal");
        }
    }

    /// @notice IM = ceil(factor * bound / WAD) and the bound rounds its excess term up: with
    /// factor 1.1 + 1 wei and t = 300e18 + 1, bound = 300e18 + 1 + ceil((100e18 - 1) / 2)
    /// = 350e18 + 1 and IM = 385e18 + 352.
    function test_SettleTrade_InitialMarginFactorAndRoundingUp() public {
        int256 factor = 1.1e18 + 1;
        clearinghouse.setInitialMarginParameters(factor, ALPHA);
        int256[] memory losses = _losses(1e18, MARK);
        int256 t = 300e18 + 1;
        int256 bound = _ruBound(losses, t);
        assertEq(bound, 350e18 + 1, "bound");
        int256 im = _ceilDiv(factor * bound, WAD);
        assertEq(im, 385e18 + 352, "IM");

        _deposit(alice, 386e6);
        _deposit(bob, 100_000e6);
        IMarginEngine.MarginCertificate memory ma = _margin(t);
        IMarginEngine.MarginCertificate memory mb = _margin(_secondLargest(_losses(-1e18, MARK)));
        uint256 snapshot = cheats.snapshotState();
        _expectMarginChecked(alice, 386e18, im);
        _trade(alice, bob, 1e18, 2000e18, ma, mb);
        cheats.revertToState(snapshot);

        // 385 USDC of equity is 352 wei short: the roundings up decide.
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _noMargin());
        vm.expectRevert(_insufficient(alice, 385e18, im));
        _trade(alice, bob, 1e18, 2000e18, ma, mb);
    }

    /// @notice One USDC short of IM: the buyer, then the seller, revert with the exact
    /// equity and IM; no threshold can help since every bound is >= ES.
    function test_SettleTrade_RevertsWhenShortByOneUsdc() public {
        int256[] memory aliceLosses = _losses(1e18, MARK);
        int256[] memory bobLosses = _losses(-1e18, MARK);
        IMarginEngine.MarginCertificate memory ma = _margin(_secondLargest(aliceLosses));
        IMarginEngine.MarginCertificate memory mb = _margin(_secondLargest(bobLosses));

        _deposit(alice, 350e6 - 1e6);
        _deposit(bob, 150e6);
        vm.expectRevert(_insufficient(alice, 349e18, 350e18));
        _trade(alice, bob, 1e18, 2000e18, ma, mb);

        IMarginEngine.MarginCertificate memory other = _margin(0);
        vm.expectRevert(_insufficient(alice, 349e18, _initialMargin(aliceLosses, 0)));
        _trade(alice, bob, 1e18, 2000e18, other, mb);
        other = _margin(400e18);
        vm.expectRevert(_insufficient(alice, 349e18, 400e18));
        _trade(alice, bob, 1e18, 2000e18, other, mb);

        // The seller: Alice now has enough, Bob is one USDC short.
        _deposit(alice, 1e6);
        vm.prank(bob);
        clearinghouse.withdraw(1e6, _noMargin());
        vm.expectRevert(_insufficient(bob, 149e18, 150e18));
        _trade(alice, bob, 1e18, 2000e18, ma, mb);

        // One more USDC and both pass.
        _deposit(bob, 1e6);
        _trade(alice, bob, 1e18, 2000e18, ma, mb);
        _assertPosition(alice, 1e18);
    }

    // ------------------------------------------------------------ invalid certificates

    /// @notice Alice (buyer, with ample equity) presents `bad`: the trade reverts with
    /// `revertData`; with the valid certificate the same trade then passes.
    function _expectAliceCertificateRevert(
        IMarginEngine.MarginCertificate memory bad,
        bytes memory revertData
    ) internal {
        _deposit(alice, 1000e6);
        _deposit(bob, 1000e6);
        IMarginEngine.MarginCertificate memory mb = _margin(_secondLargest(_losses(-1e18, MARK)));
        vm.expectRevert(revertData);
        _trade(alice, bob, 1e18, 2000e18, bad, mb);
        _assertPosition(alice, 0);
        _trade(alice, bob, 1e18, 2000e18, _margin(300e18), mb);
        _assertPosition(alice, 1e18);
    }

    function _invalid() internal view returns (bytes memory) {
        return abi.encodeWithSelector(IMarginEngine.InvalidMarginCertificate.selector, lastPosted);
    }

    function test_Certificate_RevertsOnEmpty() public {
        _expectAliceCertificateRevert(
            _noMargin(),
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
    }

    /// @notice The seller's certificate is checked as the buyer's.
    function test_Certificate_RevertsOnEmptySellerCertificate() public {
        _deposit(alice, 1000e6);
        _deposit(bob, 1000e6);
        IMarginEngine.MarginCertificate memory ma = _margin(300e18);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, bob)
        );
        _trade(alice, bob, 1e18, 2000e18, ma, _noMargin());
    }

    /// @notice A certificate of an older epoch, and of a posted but not yet current one.
    function test_Certificate_RevertsOnStaleEpoch() public {
        uint64 first = lastPosted;
        uint64 second = _postEpoch();
        assertEq(uint256(second), uint256(first) + 1, "second epoch");
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.epoch = first;
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, first, second)
        );

        uint64 pending = registry.postScenarioSet(bytes32(uint256(1)), N, ALPHA, 1);
        c.epoch = pending;
        IMarginEngine.MarginCertificate memory mb = _margin(100e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, pending, second));
        _trade(alice, bob, 1e18, 2000e18, c, mb);
    }

    function test_Certificate_RevertsOnSevenScenarios() public {
        IMarginEngine.MarginCertificate memory full = _margin(300e18);
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.indices = new uint256[](7);
        c.spotReturns = new int256[][](7);
        c.volShifts = new int256[][](7);
        for (uint256 i; i < 7; ++i) {
            c.indices[i] = full.indices[i];
            c.spotReturns[i] = full.spotReturns[i];
            c.volShifts[i] = full.volShifts[i];
        }
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.WrongScenarioCount.selector, 8, 7)
        );
    }

    function test_Certificate_RevertsOnNineScenarios() public {
        IMarginEngine.MarginCertificate memory full = _margin(300e18);
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.indices = new uint256[](9);
        c.spotReturns = new int256[][](9);
        c.volShifts = new int256[][](9);
        for (uint256 i; i < 8; ++i) {
            c.indices[i] = full.indices[i];
            c.spotReturns[i] = full.spotReturns[i];
            c.volShifts[i] = full.volShifts[i];
        }
        c.indices[8] = 8;
        c.spotReturns[8] = full.spotReturns[3];
        c.volShifts[8] = new int256[](1);
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.WrongScenarioCount.selector, 8, 9)
        );
    }

    /// @notice Eight indices but only seven rows of leaf data: also a wrong count.
    function test_Certificate_RevertsOnMismatchedArrayLengths() public {
        IMarginEngine.MarginCertificate memory full = _margin(300e18);
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.volShifts = new int256[][](7);
        for (uint256 i; i < 7; ++i) {
            c.volShifts[i] = full.volShifts[i];
        }
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.WrongScenarioCount.selector, 8, 8)
        );
    }

    function test_Certificate_RevertsOnIndexOutOfRange() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.indices[7] = 8;
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.ScenarioIndexOutOfRange.selector, 8, 8)
        );
    }

    function test_Certificate_RevertsOnHugeIndex() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.indices[0] = type(uint256).max;
        _expectAliceCertificateRevert(
            c,
            abi.encodeWithSelector(
                IMarginEngine.ScenarioIndexOutOfRange.selector, type(uint256).max, 8
            )
        );
    }

    /// @notice Scenario 3 twice (with its own data both times), scenario 5 missing.
    function test_Certificate_RevertsOnDuplicatedIndex() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.indices[5] = 3;
        c.spotReturns[5] = c.spotReturns[3];
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.DuplicateScenarioIndex.selector, 3)
        );
    }

    /// @notice Scenario 3's -20% made a mild -19.99...%: the leaf no longer matches.
    function test_Certificate_RevertsOnTamperedSpotReturn() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.spotReturns[3] = new int256[](1);
        c.spotReturns[3][0] = -0.2e18 + 1;
        _expectAliceCertificateRevert(c, _invalid());
    }

    /// @notice Vol shifts do not move a perp's loss, but they are in the leaf.
    function test_Certificate_RevertsOnTamperedVolShift() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.volShifts[2] = new int256[](1);
        c.volShifts[2][0] = 1;
        _expectAliceCertificateRevert(c, _invalid());
    }

    /// @notice The right set in the wrong order: positions 1 and 2 lie in different pairs,
    /// so the multiproof hashes (0, 2) and (1, 3) and misses the root.
    function test_Certificate_RevertsOnLeavesSwappedAcrossPairs() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        _swap(c, 1, 2);
        _expectAliceCertificateRevert(c, _invalid());
    }

    /// @notice Also across halves of the tree.
    function test_Certificate_RevertsOnLeavesSwappedAcrossHalves() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        _swap(c, 0, 7);
        _expectAliceCertificateRevert(c, _invalid());
    }

    /// @notice Within a pair the order does not matter (internal nodes hash the sorted pair):
    /// the certificate still names exactly the committed set, so it is accepted.
    function test_Certificate_LeavesSwappedWithinPair_Accepted() public {
        _deposit(alice, 1000e6);
        _deposit(bob, 1000e6);
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        _swap(c, 2, 3);
        IMarginEngine.MarginCertificate memory mb = _margin(100e18);
        _expectMarginChecked(alice, 1000e18, 350e18);
        _trade(alice, bob, 1e18, 2000e18, c, mb);
    }

    /// @notice Scenario 4 with two spot returns where the epoch has one asset.
    function test_Certificate_RevertsOnWrongAssetCount() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.spotReturns[4] = new int256[](2);
        c.spotReturns[4][0] = 0.05e18;
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.WrongAssetCount.selector, 4, 2, 1)
        );
    }

    /// @notice Scenario 6 with no spot return at all.
    function test_Certificate_RevertsOnMissingAsset() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.spotReturns[6] = new int256[](0);
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.WrongAssetCount.selector, 6, 0, 1)
        );
    }

    /// @notice A vol-shift row of the wrong length is reported with its own length, as in
    /// the liquidation path (both share `_requireAssetCount`).
    function test_Certificate_WrongVolShiftCount_ReportsItsOwnLength() public {
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.volShifts[6] = new int256[](0);
        _expectAliceCertificateRevert(
            c, abi.encodeWithSelector(IMarginEngine.WrongAssetCount.selector, 6, 0, 1)
        );
    }

    /// @notice The vol-shift row of the wrong length is rejected (whatever lengths the error
    /// reports).
    function test_Certificate_RevertsOnWrongVolShiftCount() public {
        _deposit(alice, 1000e6);
        _deposit(bob, 1000e6);
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        c.volShifts[6] = new int256[](2);
        IMarginEngine.MarginCertificate memory mb = _margin(100e18);
        vm.prank(settler);
        try clearinghouse.settleTrade(alice, bob, ETH, 1e18, 2000e18, c, mb) {
            revert("accepted a vol-shift row of two assets");
        } catch (bytes memory reason) {
            assertEq(
                bytes32(bytes4(reason)),
                bytes32(IMarginEngine.WrongAssetCount.selector),
                "WrongAssetCount"
            );
        }
    }

    // ------------------------------------------------------------ risk-reducing trades

    /// @notice After ETH falls to 1950 Alice (long 1) is below IM (equity 300 < 341.25), yet
    /// she and Bob can both reduce with empty certificates; no IM check runs, and a garbage
    /// certificate on a reducing side is ignored.
    function test_SettleTrade_PartialClose_NeedsNoCertificate() public {
        _deposit(alice, 350e6);
        _deposit(bob, 150e6);
        _openAliceLongOne();

        _setEthPrice(1950e8);
        int256[] memory losses = _losses(1e18, 1950e18);
        int256 im = _initialMargin(losses, _secondLargest(losses));
        assertEq(im, 341.25e18, "IM at 1950");
        assertEq(clearinghouse.equity(alice), 300e18, "alice equity at 1950");

        cheats.recordLogs();
        _trade(bob, alice, 0.4e18, 1950e18, _noMargin(), _noMargin());
        assertEq(_marginChecks(cheats.getRecordedLogs()), 0, "no IM check");
        _assertPosition(alice, 0.6e18);
        _assertPosition(bob, -0.6e18);

        IMarginEngine.MarginCertificate memory garbage = _margin(0);
        garbage.epoch = 77;
        garbage.indices[0] = 1000;
        _trade(bob, alice, 0.1e18, 1950e18, garbage, garbage);
        _assertPosition(alice, 0.5e18);
        _assertPosition(bob, -0.5e18);
    }

    /// @notice Only the growing side needs a certificate: Carol opens (checked), Alice reduces
    /// (not checked, empty certificate).
    function test_SettleTrade_OneSideGrows_OnlyThatSideIsChecked() public {
        _deposit(alice, 350e6);
        _deposit(bob, 150e6);
        _deposit(carol, 1000e6);
        _openAliceLongOne();

        int256[] memory carolLosses = _losses(0.5e18, MARK);
        int256 t = _secondLargest(carolLosses);
        int256 im = _initialMargin(carolLosses, t);
        assertEq(im, 175e18, "carol IM");
        IMarginEngine.MarginCertificate memory mc = _margin(t);
        cheats.recordLogs();
        _trade(carol, alice, 0.5e18, 2000e18, mc, _noMargin());
        VmMarginCheats.Log[] memory logs = cheats.getRecordedLogs();
        assertEq(_marginChecks(logs), 1, "one IM check");

        IMarginEngine.MarginCertificate memory mc2 = _margin(t);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, carol)
        );
        _trade(carol, alice, 0.1e18, 2000e18, _noMargin(), mc2);
    }

    /// @notice Alice long 1 sells 2.5: she ends short 1.5, a larger absolute size, so she
    /// needs a certificate, checked on the short: losses 300 (index 7), 150 (index 4), so
    /// IM = 150 + 150 / 2 = 225.
    function test_SettleTrade_FlipThroughZeroGrowing_NeedsCertificate() public {
        _deposit(alice, 1000e6);
        _deposit(bob, 1000e6);
        _deposit(carol, 100_000e6);
        _openAliceLongOne();

        IMarginEngine.MarginCertificate memory mc = _margin(_secondLargest(_losses(2.5e18, MARK)));
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        _trade(carol, alice, 2.5e18, 2000e18, mc, _noMargin());

        int256[] memory shortLosses = _losses(-1.5e18, MARK);
        int256 t = _secondLargest(shortLosses);
        assertEq(t, 150e18, "short threshold");
        int256 im = _initialMargin(shortLosses, t);
        assertEq(im, 225e18, "short IM");
        IMarginEngine.MarginCertificate memory ma = _margin(t);
        _expectMarginChecked(alice, 1000e18, im);
        _trade(carol, alice, 2.5e18, 2000e18, mc, ma);
        _assertPosition(alice, -1.5e18);
        assertEq(clearinghouse.positionOf(alice, ETH).costBasis, -3000e18, "cost basis");
    }

    /// @notice The same flip short of IM on the short side reverts with its numbers.
    function test_SettleTrade_FlipThroughZeroGrowing_RevertsBelowInitialMargin() public {
        _deposit(alice, 350e6);
        _deposit(bob, 1000e6);
        _deposit(carol, 100_000e6);
        _openAliceLongOne();
        // Flip to short 4: losses 800 (index 7), 400 (index 4) -> IM = 600 > 350.
        int256[] memory shortLosses = _losses(-4e18, MARK);
        int256 im = _initialMargin(shortLosses, _secondLargest(shortLosses));
        assertEq(im, 600e18, "short IM");
        IMarginEngine.MarginCertificate memory mc = _margin(_secondLargest(_losses(5e18, MARK)));
        IMarginEngine.MarginCertificate memory ma = _margin(_secondLargest(shortLosses));
        vm.expectRevert(_insufficient(alice, 350e18, 600e18));
        _trade(carol, alice, 5e18, 2000e18, mc, ma);
    }

    /// @notice Initial margin is an account-level property: flipping long 1 to short 1 keeps
    /// |size| but is no scale-down (the short's worst scenarios are others: 7 and 4), so it
    /// needs a certificate of the short (IM 150 <= 350), as any risk increase does
    /// (issue 19; InitialMarginBypass.t.sol has the attacks).
    function test_SettleTrade_FlipToSameAbsoluteSize_NeedsCertificate() public {
        _deposit(alice, 350e6);
        _deposit(bob, 150e6);
        _deposit(carol, 100_000e6);
        _openAliceLongOne();
        IMarginEngine.MarginCertificate memory mc = _margin(_secondLargest(_losses(2e18, MARK)));
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        _trade(carol, alice, 2e18, 2000e18, mc, _noMargin());
        _trade(carol, alice, 2e18, 2000e18, mc, _margin(_secondLargest(_losses(-1e18, MARK))));
        _assertPosition(alice, -1e18);
    }
}

/// @notice Initial margin on withdrawals.
contract ClearinghouseMarginWithdrawTest is ClearinghouseMarginFixture {
    function setUp() public override {
        super.setUp();
        _deposit(alice, 400e6);
        _deposit(bob, 1000e6);
        _openAliceLongOne();
    }

    /// @notice Alice (equity 400, IM 350) can take out exactly 50: one unit more reverts
    /// with the exact numbers, no certificate reverts, and the valid one passes.
    function test_Withdraw_WithPositions_PassesAtInitialMarginAndRevertsBelow() public {
        IMarginEngine.MarginCertificate memory m = _margin(300e18);

        vm.expectRevert(_insufficient(alice, 349.999999e18, 350e18));
        vm.prank(alice);
        clearinghouse.withdraw(50.000001e6, m);

        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _noMargin());

        _expectMarginChecked(alice, 350e18, 350e18);
        vm.prank(alice);
        clearinghouse.withdraw(50e6, m);
        assertEq(usdc.balanceOf(alice), 50e6, "alice withdrew");
        assertEq(clearinghouse.cash(alice), 350e18, "alice cash");
    }

    /// @notice An invalid certificate on a withdrawal with positions reverts as on a trade.
    function test_Withdraw_WithPositions_RevertsOnInvalidCertificate() public {
        IMarginEngine.MarginCertificate memory m = _margin(300e18);
        _swap(m, 3, 4);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.InvalidMarginCertificate.selector, lastPosted)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, m);

        m = _margin(300e18);
        m.epoch = lastPosted + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, lastPosted + 1, lastPosted)
        );
        vm.prank(alice);
        clearinghouse.withdraw(1e6, m);
    }

    /// @notice ETH at 2100: equity 500 includes 100 of unrealized gain; IM at 2100 is
    /// (420 + 315) / 2 = 367.5, so 132.5 can be withdrawn (more than the 50 of excess
    /// cash at 2000) and not a unit more.
    function test_Withdraw_UnrealizedGainAtCurrentMarks() public {
        _setEthPrice(2100e8);
        int256[] memory losses = _losses(1e18, 2100e18);
        int256 t = _secondLargest(losses);
        int256 im = _initialMargin(losses, t);
        assertEq(im, 367.5e18, "IM at 2100");
        assertEq(clearinghouse.equity(alice), 500e18, "equity at 2100");
        IMarginEngine.MarginCertificate memory m = _margin(t);

        vm.expectRevert(_insufficient(alice, 367.499999e18, im));
        vm.prank(alice);
        clearinghouse.withdraw(132.500001e6, m);

        _expectMarginChecked(alice, 367.5e18, im);
        vm.prank(alice);
        clearinghouse.withdraw(132.5e6, m);
    }

    /// @notice Without positions the certificate is ignored, however broken.
    function test_Withdraw_WithoutPositions_IgnoresCertificate() public {
        IMarginEngine.MarginCertificate memory garbage = _margin(0);
        garbage.epoch = 99;
        garbage.indices = new uint256[](3);
        garbage.indices[0] = 12;

        _deposit(carol, 100e6);
        cheats.recordLogs();
        vm.prank(carol);
        clearinghouse.withdraw(40e6, garbage);
        assertEq(_marginChecks(cheats.getRecordedLogs()), 0, "no IM check");
        assertEq(usdc.balanceOf(carol), 40e6, "carol withdrew");

        // Alice closes her position (risk-reducing on both sides) and takes everything out.
        _trade(bob, alice, 1e18, 2000e18, _noMargin(), _noMargin());
        assertEq(clearinghouse.openPositionCount(alice), 0, "alice flat");
        vm.prank(alice);
        clearinghouse.withdraw(400e6, garbage);
        assertEq(usdc.balanceOf(alice), 400e6, "alice withdrew all");
    }
}

/// @notice The oracle's circuit breaker: a reference feed at 2200 against a spot of 2000
/// (10% > 5% bound) pauses new risk, never deposits, risk-reducing trades or liquidations.
/// @notice An account below maintenance margin cannot trade its way out of liquidation by
/// adding risk: every side whose position grows needs a certificate at the IM level.
contract ClearinghouseMarginDodgeTest is ClearinghouseMarginFixture {
    function setUp() public override {
        super.setUp();
        _deposit(alice, 400e6);
        _deposit(bob, 1000e6);
        _openAliceLongOne();
    }

    /// @notice ETH 2000 -> 1900: Alice's equity 300 < MM 332.5. Buying 0.5 more at 1900 with
    /// her honest certificate needs IM = 0.175 * 1.5 * 1900 = 498.75 > 300 and reverts;
    /// selling (risk down) needs no certificate and passes.
    function test_BelowMaintenance_CannotAddRisk() public {
        _setEthPrice(1900e8);
        assertTrue(
            clearinghouse.isLiquidatable(alice, _liquidationCertificate(3, 6)).liquidatable,
            "liquidatable"
        );
        IMarginEngine.MarginCertificate memory m = _margin(_secondLargest(_losses(1.5e18, 1900e18)));
        IMarginEngine.MarginCertificate memory b =
            _margin(_secondLargest(_losses(-1.5e18, 1900e18)));
        vm.expectRevert(_insufficient(alice, 300e18, 498.75e18));
        _trade(alice, bob, 0.5e18, 1900e18, m, b);

        _trade(bob, alice, 0.5e18, 1900e18, _noMargin(), _noMargin());
        _assertPosition(alice, 0.5e18);
    }
}

contract ClearinghouseMarginCircuitBreakerTest is ClearinghouseMarginFixture {
    MockAggregator internal referenceFeed;

    function setUp() public override {
        super.setUp();
        _deposit(alice, 400e6);
        _deposit(bob, 1000e6);
        _deposit(carol, 1000e6);
        _openAliceLongOne();

        referenceFeed = new MockAggregator(owner, 8, "ETH / USD reference");
        referenceFeed.setAnswer(2200e8, block.timestamp);
        oracle.setReferenceFeed(ETH, referenceFeed, HEARTBEAT, 500);
        assertTrue(oracle.riskPaused(ETH), "paused");
    }

    function _paused(int256 spot) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IOracleAdapter.RiskPaused.selector, ETH, spot, 2200e18);
    }

    /// @notice Growing trades revert RiskPaused even with valid certificates.
    function test_CircuitBreaker_BlocksRiskIncreasingTrade() public {
        IMarginEngine.MarginCertificate memory ma = _margin(_secondLargest(_losses(1.1e18, MARK)));
        IMarginEngine.MarginCertificate memory mc = _margin(_secondLargest(_losses(-0.1e18, MARK)));
        // Alice grows, Carol opens.
        vm.expectRevert(_paused(2000e18));
        _trade(alice, carol, 0.1e18, 2000e18, ma, mc);
        // Carol opens, Alice reduces.
        IMarginEngine.MarginCertificate memory mcLong =
            _margin(_secondLargest(_losses(0.1e18, MARK)));
        vm.expectRevert(_paused(2000e18));
        _trade(carol, alice, 0.1e18, 2000e18, mcLong, _noMargin());

        // Within the bound (2100 vs 2000 is 4.76% of the reference) the same trade passes.
        referenceFeed.setAnswer(2100e8, block.timestamp);
        _trade(alice, carol, 0.1e18, 2000e18, ma, mc);
        _assertPosition(alice, 1.1e18);
    }

    /// @notice A withdrawal with positions reverts RiskPaused even with a valid certificate;
    /// one without positions passes.
    function test_CircuitBreaker_BlocksWithdrawalWithPositions() public {
        IMarginEngine.MarginCertificate memory m = _margin(300e18);
        vm.expectRevert(_paused(2000e18));
        vm.prank(alice);
        clearinghouse.withdraw(1e6, m);

        vm.prank(carol);
        clearinghouse.withdraw(1000e6, _noMargin());
        assertEq(usdc.balanceOf(carol), 1000e6, "carol withdrew");
    }

    /// @notice Deposits, risk-reducing trades and liquidations go on while paused.
    function test_CircuitBreaker_AllowsDepositReducingTradeAndLiquidation() public {
        _deposit(alice, 1e6);
        assertEq(clearinghouse.cash(alice), 401e18, "deposit while paused");

        // Bob buys back 0.2: both sides reduce.
        _trade(bob, alice, 0.2e18, 2000e18, _noMargin(), _noMargin());
        _assertPosition(alice, 0.8e18);
        _assertPosition(bob, -0.8e18);

        // ETH at 1800 (still 18% off the reference): equity 401 + 0.8 * 1800 - 1600 = 241,
        // MM = 0.8 * (360 + 270) / 2 = 252 -> liquidatable.
        _setEthPrice(1800e8);
        assertTrue(oracle.riskPaused(ETH), "still paused");
        assertEq(clearinghouse.equity(alice), 241e18, "alice equity");
        IMarginEngine.LiquidationCertificate memory cert = _liquidationCertificate(3, 6);
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        assertEq(check.maintenanceMargin, 252e18, "MM");
        assertTrue(check.liquidatable, "liquidatable");
        _assertPosition(alice, 0);
        _assertPosition(backstop, 0.8e18);

        // New risk is still paused at 1800.
        IMarginEngine.MarginCertificate memory mc = _margin(_secondLargest(_losses(0.1e18, MARK)));
        IMarginEngine.MarginCertificate memory md = _margin(0);
        _deposit(dave, 1000e6);
        vm.expectRevert(_paused(1800e18));
        _trade(carol, dave, 0.1e18, 1800e18, mc, md);
    }
}

/// @notice Property tests of the certificate check.
contract ClearinghouseMarginFuzzTest is ClearinghouseMarginFixture {
    /// @notice For a random size, trade price, threshold and deposit (often within a few USDC
    /// of the boundary), Alice's side passes iff the independently computed
    /// IM <= equity, and a failure carries exactly those numbers.
    function testFuzz_SettleTrade_PassesIffInitialMarginCovered(
        uint256 sizeSeed,
        uint256 priceSeed,
        int256 thresholdSeed,
        uint256 depositSeed
    ) public {
        int256 size = int256(_bound(sizeSeed, 1e12, 25e18));
        int256 price = int256(_bound(priceSeed, 1900e18, 2100e18));
        int256[] memory losses = _losses(size, MARK);
        int256 t = _boundInt(thresholdSeed, -2000e18, 20_000e18);
        int256 im = _initialMargin(losses, t);
        int256 pnl = _equityAfter(0, size, MARK, price);

        uint256 amount;
        if (depositSeed % 3 == 0) {
            amount = _bound(depositSeed / 3, 1, 60_000e6);
        } else {
            int256 needed = _ceilDiv(im - pnl, SCALE) + int256((depositSeed / 3) % 7) - 3;
            amount = needed < 1 ? 1 : uint256(needed);
        }
        _deposit(alice, amount);
        _deposit(bob, 10_000_000e6);
        int256 equity = _equityAfter(int256(amount) * SCALE, size, MARK, price);
        bool covered = im <= equity;

        IMarginEngine.MarginCertificate memory ma = _margin(t);
        IMarginEngine.MarginCertificate memory mb = _margin(_secondLargest(_losses(-size, MARK)));
        vm.prank(settler);
        try clearinghouse.settleTrade(alice, bob, ETH, size, price, ma, mb) {
            assertTrue(covered, "accepted below IM");
            _assertPosition(alice, size);
            assertEq(clearinghouse.equity(alice), equity, "equity");
        } catch (bytes memory reason) {
            assertTrue(!covered, "rejected at or above IM");
            assertEq(keccak256(reason), keccak256(_insufficient(alice, equity, im)), "error");
        }
    }

    /// @notice Change one field of a valid certificate (epoch, one index, one spot return,
    /// one vol shift, or the length of one leaf row): never accepted, and rejected with the
    /// error of that field (a value outside the scenario domain before the proof). Alice has
    /// ample equity, so the valid certificate passes.
    function testFuzz_Certificate_SingleFieldTamperingNeverAccepted(
        uint256 field,
        uint256 position,
        int256 value
    ) public {
        _deposit(alice, 1_000_000e6);
        _deposit(bob, 1_000_000e6);
        IMarginEngine.MarginCertificate memory c = _margin(300e18);
        IMarginEngine.MarginCertificate memory mb = _margin(100e18);
        position %= N;
        field %= 6;
        bytes memory expected;
        if (field == 0) {
            uint64 e;
            unchecked {
                e = uint64(uint256(value));
            }
            if (e == lastPosted) e = lastPosted + 1;
            c.epoch = e;
            expected = abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, e, lastPosted);
        } else if (field == 1) {
            uint256 index;
            unchecked {
                index = uint256(value);
            }
            if (index == position) index = position ^ 1;
            c.indices[position] = index;
            expected = index >= N
                ? abi.encodeWithSelector(IMarginEngine.ScenarioIndexOutOfRange.selector, index, N)
                : abi.encodeWithSelector(IMarginEngine.DuplicateScenarioIndex.selector, index);
        } else if (field == 2) {
            int256 original = c.spotReturns[position][0];
            int256 tampered = _boundInt(value, -100e18, 100e18);
            if (tampered == original) tampered = original + 1;
            c.spotReturns[position] = new int256[](1);
            c.spotReturns[position][0] = tampered;
            expected = tampered <= -WAD
                ? abi.encodeWithSelector(
                    IMarginEngine.ScenarioOutOfDomain.selector, position, ETH, tampered, 0
                )
                : abi.encodeWithSelector(
                    IMarginEngine.InvalidMarginCertificate.selector, lastPosted
                );
        } else if (field == 3) {
            int256 tampered = value == 0 ? int256(1) : value;
            c.volShifts[position] = new int256[](1);
            c.volShifts[position][0] = tampered;
            expected = tampered > 100e18 || tampered < -100e18
                ? abi.encodeWithSelector(
                    IMarginEngine.ScenarioOutOfDomain.selector,
                    position,
                    ETH,
                    c.spotReturns[position][0],
                    tampered
                )
                : abi.encodeWithSelector(
                    IMarginEngine.InvalidMarginCertificate.selector, lastPosted
                );
        } else if (field == 4) {
            uint256 length = uint256(value) % 2 == 0 ? 0 : 2;
            c.spotReturns[position] = new int256[](length);
            expected =
                abi.encodeWithSelector(IMarginEngine.WrongAssetCount.selector, position, length, 1);
        } else {
            uint256 length = uint256(value) % 2 == 0 ? 0 : 2;
            c.volShifts[position] = new int256[](length);
            // Only the selector: the error's length field is the spot row's (see the bug test).
            expected = abi.encodePacked(IMarginEngine.WrongAssetCount.selector);
        }

        vm.prank(settler);
        try clearinghouse.settleTrade(alice, bob, ETH, 1e18, 2000e18, c, mb) {
            revert("accepted a tampered certificate");
        } catch (bytes memory reason) {
            if (expected.length == 4) {
                assertEq(bytes32(bytes4(reason)), bytes32(bytes4(expected)), "selector");
            } else {
                assertEq(keccak256(reason), keccak256(expected), "error");
            }
        }
        _assertPosition(alice, 0);
    }
}

/// @notice One settleTrade per test, for `--gas-report`: Alice is already long 1 from Bob.
contract ClearinghouseMarginGasTest is ClearinghouseMarginFixture {
    function setUp() public override {
        super.setUp();
        _deposit(alice, 1000e6);
        _deposit(bob, 1000e6);
        _deposit(carol, 1000e6);
        _deposit(dave, 1000e6);
        _openAliceLongOne();
    }

    /// @notice Carol opens long 0.5 (certificate), Alice reduces (none).
    function test_Gas_SettleTrade_OneCertificate() public {
        IMarginEngine.MarginCertificate memory mc = _margin(150e18);
        _trade(carol, alice, 0.5e18, 2000e18, mc, _noMargin());
    }

    /// @notice Carol opens long 0.5, Dave opens short 0.5: two certificates.
    function test_Gas_SettleTrade_TwoCertificates() public {
        IMarginEngine.MarginCertificate memory mc = _margin(150e18);
        IMarginEngine.MarginCertificate memory md = _margin(50e18);
        _trade(carol, dave, 0.5e18, 2000e18, mc, md);
    }
}
