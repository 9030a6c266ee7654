// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {ISeriesRegistry} from "../interfaces/ISeriesRegistry.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {BlackScholes} from "../libraries/BlackScholes.sol";
import {OptionValuation} from "../libraries/OptionValuation.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";

/// @notice The log-recording cheatcodes, which utils/Vm.sol does not declare.
interface VmRecorder {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
}

/// @notice The system of `SystemFixture` (one asset, ETH at 2000, a 6-decimal stablecoin)
/// with an 8-decimal implied-vol feed for ETH at 80%, an 8-scenario epoch with non-zero vol
/// shifts at alpha = 75% (k = 2), and four 30-day series: 0 = call 2000, 1 = put 2000,
/// 2 = call 2200, 3 = put 1800. Bob is a deep-pocketed counterparty.
abstract contract ClearinghouseOptionsFixture is SystemFixture {
    uint32 internal constant N = 8;
    /// @dev k = 8 * 0.25 = 2: kNum = 20_000, frac = 0, two witnesses.
    uint16 internal constant ALPHA = 7500;
    uint256 internal constant K_NUM = 20_000;

    int256 internal constant MM_FACTOR = 1.2e18;
    int256 internal constant PENALTY = 0.01e18;
    int256 internal constant KEEPER_SHARE = 0.5e18;

    uint256 internal constant START = 1_700_000_000;
    uint64 internal constant EXPIRY = uint64(START + 30 days);
    int256 internal constant SPOT = 2000e18;
    int256 internal constant VOL = 0.8e18;

    uint256 internal constant CALL_2000 = 0;
    uint256 internal constant PUT_2000 = 1;
    uint256 internal constant CALL_2200 = 2;
    uint256 internal constant PUT_1800 = 3;

    VmRecorder internal constant recorder = VmRecorder(address(vm));

    MockAggregator internal volFeed;
    uint64 internal epoch;
    /// @notice What each account deposited (WAD), for the default IM thresholds.
    mapping(address account => int256) internal deposited;

    function setUp() public virtual {
        vm.warp(START);
        _deploySystem(MM_FACTOR, PENALTY, KEEPER_SHARE);
        volFeed = new MockAggregator(owner, 8, "ETH implied vol");
        _setMarks(2000e8, 0.8e8);
        oracle.setVolatilityFeed(ETH, volFeed, HEARTBEAT);

        epoch = _postEpoch();

        seriesRegistry.listSeries(ETH, 2000e18, EXPIRY, true);
        seriesRegistry.listSeries(ETH, 2000e18, EXPIRY, false);
        seriesRegistry.listSeries(ETH, 2200e18, EXPIRY, true);
        seriesRegistry.listSeries(ETH, 1800e18, EXPIRY, false);

        _deposit(bob, 1_000_000e6);
    }

    // ------------------------------------------------------------ scenarios

    /// @notice Scenario i moves ETH by spot return r[i] and its implied vol by shift v[i].
    /// For a short straddle at 2000 / 80% the two worst are index 3 (-30%, +50 vol points)
    /// and index 6 (+25%, +30 vol points), also after a crash to 1700 / 120%.
    function _scenarioData()
        internal
        pure
        virtual
        returns (int256[8] memory r, int256[8] memory v)
    {
        r = [
            int256(-0.087654321987654321e18),
            -0.05e18,
            0.02e18,
            -0.3e18,
            0.05e18,
            -0.012345678901234567e18,
            0.25e18,
            0.1e18
        ];
        v = [int256(0.1e18), 0.05e18, -0.05e18, 0.5e18, -0.1e18, 0.02e18, 0.3e18, -0.2e18];
    }

    function _spotReturns() internal pure returns (int256[][] memory s) {
        (int256[8] memory r,) = _scenarioData();
        s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = _one(r[i]);
        }
    }

    function _volShifts() internal pure returns (int256[][] memory s) {
        (, int256[8] memory v) = _scenarioData();
        s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = _one(v[i]);
        }
    }

    /// @notice keccak256(bytes.concat(keccak256(abi.encode(index, spotReturns, volShifts)))).
    function _leaves() internal pure returns (bytes32[] memory out) {
        int256[][] memory s = _spotReturns();
        int256[][] memory v = _volShifts();
        out = new bytes32[](N);
        for (uint256 i; i < N; ++i) {
            out[i] = keccak256(bytes.concat(keccak256(abi.encode(i, s[i], v[i]))));
            assertEq(out[i], ScenarioMerkle.leaf(i, s[i], v[i]), "leaf encoding");
        }
    }

    /// @notice Post the scenario set and publish it in two chunks (0..3 and 4..7).
    function _postEpoch() internal returns (uint64 posted) {
        int256[][] memory s = _spotReturns();
        int256[][] memory v = _volShifts();
        posted = registry.postScenarioSet(ScenarioMerkle.root(_leaves()), N, ALPHA, 1);
        for (uint32 first; first < N; first += 4) {
            int256[][] memory sChunk = new int256[][](4);
            int256[][] memory vChunk = new int256[][](4);
            for (uint256 i; i < 4; ++i) {
                sChunk[i] = s[first + i];
                vChunk[i] = v[first + i];
            }
            registry.publishScenarios(posted, first, sChunk, vChunk);
        }
    }

    /// @notice A certificate on `epoch_` naming `indices`, with their leaf data and proofs.
    function _certificate(uint64 epoch_, uint256[] memory indices)
        internal
        pure
        returns (IMarginEngine.LiquidationCertificate memory c)
    {
        int256[][] memory s = _spotReturns();
        int256[][] memory v = _volShifts();
        bytes32[] memory leaves = _leaves();
        c.epoch = epoch_;
        c.indices = indices;
        c.spotReturns = new int256[][](indices.length);
        c.volShifts = new int256[][](indices.length);
        c.proofs = new bytes32[][](indices.length);
        for (uint256 i; i < indices.length; ++i) {
            c.spotReturns[i] = s[indices[i]];
            c.volShifts[i] = v[indices[i]];
            c.proofs[i] = ScenarioMerkle.proof(leaves, indices[i]);
        }
    }

    function _indices(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        out[0] = a;
        out[1] = b;
    }

    function _one(int256 x) internal pure returns (int256[] memory out) {
        out = new int256[](1);
        out[0] = x;
    }

    /// @notice scenarioLoss of `account` under scenario `index` of the published set.
    function _scenarioLoss(address account, uint256 index) internal view returns (int256) {
        (int256[8] memory r, int256[8] memory v) = _scenarioData();
        return clearinghouse.scenarioLoss(account, _one(r[index]), _one(v[index]));
    }

    // ------------------------------------------------------------ expected values

    /// @notice floor((expiry - now) * 1e18 / 365 days), 0 from expiry on.
    function _years(uint64 expiry) internal view returns (int256) {
        if (expiry <= block.timestamp) return 0;
        return int256(uint256(expiry) - block.timestamp) * WAD / int256(365 days);
    }

    /// @notice Black-Scholes (rate 0) of one option of `seriesId` at `spot` and `vol`, now.
    function _bs(uint256 seriesId, int256 spot, int256 vol) internal view returns (int256) {
        OptionValuation.Series memory s = seriesRegistry.series(seriesId);
        int256 time = _years(s.expiry);
        return s.isCall
            ? BlackScholes.callPrice(spot, s.strike, vol, time, 0)
            : BlackScholes.putPrice(spot, s.strike, vol, time, 0);
    }

    /// @notice The option's value after spot return `r` and vol shift `shift`: the spot is
    /// max(spot + floor(spot * r / WAD), 1), the vol vol + shift clamped to [0, 100].
    function _bsShocked(uint256 seriesId, int256 spot, int256 vol, int256 r, int256 shift)
        internal
        view
        returns (int256)
    {
        int256 shockedSpot = spot + _floorDiv(spot * r, WAD);
        if (shockedSpot < 1) shockedSpot = 1;
        int256 shockedVol = vol + shift;
        if (shockedVol < 0) shockedVol = 0;
        if (shockedVol > 100e18) shockedVol = 100e18;
        return _bs(seriesId, shockedSpot, shockedVol);
    }

    /// @notice a / b rounded toward -infinity.
    function _floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    }

    /// @notice a / b rounded toward +infinity.
    function _ceilDiv(int256 a, int256 b) internal pure returns (int256) {
        return -_floorDiv(-a, b);
    }

    /// @notice size * premium / WAD rounded up: the cost of an option trade.
    function _cost(int256 size, int256 premium) internal pure returns (int256) {
        return _ceilDiv(size * premium, WAD);
    }

    /// @notice (10_000 * (a + b) - (10_000 - frac) * min(a, b)) / kNum, rounded down.
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

    // ------------------------------------------------------------ actions

    function _setMarks(int256 spot8, int256 vol8) internal {
        ethFeed.setAnswer(spot8, block.timestamp);
        volFeed.setAnswer(vol8, block.timestamp);
    }

    /// @notice `SystemFixture._deposit`, recorded in `deposited`.
    function _deposit(address account, uint256 amount) internal virtual override {
        deposited[account] += int256(amount) * 1e12;
        super._deposit(account, amount);
    }

    /// @notice A margin certificate of the current epoch: all N scenarios in index order
    /// (the multiproof leaf order of this power-of-two tree) with threshold `threshold`.
    /// For threshold >= every loss, IM = initialMarginFactor * threshold.
    function _margin(int256 threshold)
        internal
        view
        returns (IMarginEngine.MarginCertificate memory c)
    {
        c.epoch = epoch;
        c.threshold = threshold;
        c.indices = new uint256[](N);
        for (uint256 i; i < N; ++i) {
            c.indices[i] = i;
        }
        c.spotReturns = _spotReturns();
        c.volShifts = _volShifts();
    }

    /// @notice No certificate, for actions that need none.
    function _noMargin() internal pure returns (IMarginEngine.MarginCertificate memory c) {}

    /// @notice The IM threshold used for `account` by default: 90% of what it deposited,
    /// above its losses and below its equity in every test that uses it. Read from the
    /// test's own ledger, so that building a certificate makes no external call (which
    /// would consume a pending prank, expectRevert or expectEmit).
    function _threshold(address account) internal view returns (int256) {
        return deposited[account] * 9 / 10;
    }

    function _buy(address buyer, address seller, uint256 seriesId, int256 size, int256 premium)
        internal
    {
        _buyWith(buyer, seller, seriesId, size, premium, _threshold(buyer), _threshold(seller));
    }

    function _buyWith(
        address buyer,
        address seller,
        uint256 seriesId,
        int256 size,
        int256 premium,
        int256 buyerThreshold,
        int256 sellerThreshold
    ) internal {
        IMarginEngine.MarginCertificate memory mb = _margin(buyerThreshold);
        IMarginEngine.MarginCertificate memory ms = _margin(sellerThreshold);
        vm.prank(settler);
        clearinghouse.settleOptionTrade(buyer, seller, seriesId, size, premium, mb, ms);
    }

    /// @notice `_buy`, expecting the trade to revert with `revertData`.
    function _buyReverts(
        bytes memory revertData,
        address buyer,
        address seller,
        uint256 seriesId,
        int256 size,
        int256 premium
    ) internal {
        IMarginEngine.MarginCertificate memory mb = _margin(_threshold(buyer));
        IMarginEngine.MarginCertificate memory ms = _margin(_threshold(seller));
        vm.expectRevert(revertData);
        vm.prank(settler);
        clearinghouse.settleOptionTrade(buyer, seller, seriesId, size, premium, mb, ms);
    }

    /// @notice A perp trade: `buyer` buys `size` ETH from `seller` at `price`.
    function _perp(address buyer, address seller, int256 size, int256 price) internal {
        IMarginEngine.MarginCertificate memory mb = _margin(_threshold(buyer));
        IMarginEngine.MarginCertificate memory ms = _margin(_threshold(seller));
        vm.prank(settler);
        clearinghouse.settleTrade(buyer, seller, ETH, size, price, mb, ms);
    }

    function _assertOption(address account, uint256 seriesId, int256 size, int256 costBasis)
        internal
        view
    {
        IClearinghouse.Position memory p = clearinghouse.optionPositionOf(account, seriesId);
        assertEq(p.size, size, "option size");
        assertEq(p.costBasis, costBasis, "option costBasis");
    }

    function _assertHeld(address account, uint256[] memory expected) internal view {
        uint256[] memory held = clearinghouse.heldSeries(account);
        assertEq(held.length, expected.length, "heldSeries length");
        for (uint256 i; i < held.length; ++i) {
            assertEq(held[i], expected[i], "heldSeries entry");
        }
    }

    function _list(uint256 a) internal pure returns (uint256[] memory out) {
        out = new uint256[](1);
        out[0] = a;
    }

    function _list(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        out[0] = a;
        out[1] = b;
    }

    function _list(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory out) {
        out = new uint256[](3);
        out[0] = a;
        out[1] = b;
        out[2] = c;
    }
}

contract ClearinghouseOptionsSeriesTest is ClearinghouseOptionsFixture {
    function test_ListSeries_AssignsSequentialIdsAndStoresSeries() public view {
        assertEq(seriesRegistry.seriesCount(), 4, "seriesCount");
        OptionValuation.Series memory s = seriesRegistry.series(PUT_1800);
        assertEq(s.asset, ETH, "asset");
        assertEq(s.strike, 1800e18, "strike");
        assertEq(uint256(s.expiry), uint256(EXPIRY), "expiry");
        assertEq(s.isCall, false, "isCall");
        assertEq(seriesRegistry.series(CALL_2200).isCall, true, "series 2 is a call");
        assertEq(seriesRegistry.series(CALL_2200).strike, 2200e18, "series 2 strike");
    }

    function test_ListSeries_EmitsSeriesListedAndReturnsId() public {
        uint64 expiry = uint64(block.timestamp + 7 days);
        vm.expectEmit(true, true, true, true, address(seriesRegistry));
        emit ISeriesRegistry.SeriesListed(4, ETH, 2500.5e18, expiry, true);
        uint256 id = seriesRegistry.listSeries(ETH, 2500.5e18, expiry, true);
        assertEq(id, 4, "id");
        assertEq(seriesRegistry.seriesCount(), 5, "seriesCount");
        assertEq(seriesRegistry.series(4).strike, 2500.5e18, "strike");
        assertEq(uint256(seriesRegistry.series(4).expiry), uint256(expiry), "expiry");
    }

    /// @notice Strike must be in (0, 1e36]: 0, negative and 1e36 + 1 revert; 1e36 lists.
    function test_ListSeries_RevertsOnInvalidStrike() public {
        int256[3] memory bad = [int256(0), -1, 1e36 + 1];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(ISeriesRegistry.InvalidSeries.selector, ETH, bad[i], EXPIRY)
            );
            seriesRegistry.listSeries(ETH, bad[i], EXPIRY, true);
        }
        assertEq(seriesRegistry.listSeries(ETH, 1e36, EXPIRY, true), 4, "max strike lists");
    }

    /// @notice Expiry must be in the future and at most 100 years (of 365 days) away.
    function test_ListSeries_RevertsOnInvalidExpiry() public {
        uint64 now_ = uint64(block.timestamp);
        uint64 hundredYears = uint64(block.timestamp + 100 * 365 days);
        uint64[3] memory bad = [now_, now_ - 1, hundredYears + 1];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISeriesRegistry.InvalidSeries.selector, ETH, int256(2000e18), bad[i]
                )
            );
            seriesRegistry.listSeries(ETH, 2000e18, bad[i], false);
        }
        assertEq(seriesRegistry.listSeries(ETH, 2000e18, hundredYears, false), 4, "100 years");
        assertEq(seriesRegistry.listSeries(ETH, 2000e18, now_ + 1, false), 5, "1 second");
    }

    function test_ListSeries_RevertsOnUnknownAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.UnknownAsset.selector, 1, 1));
        seriesRegistry.listSeries(1, 2000e18, EXPIRY, true);
    }

    function test_ListSeries_RevertsForNonOwner() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, carol));
        vm.prank(carol);
        seriesRegistry.listSeries(ETH, 2000e18, EXPIRY, true);
    }

    function test_Series_RevertsOnUnknownSeries() public {
        vm.expectRevert(abi.encodeWithSelector(ISeriesRegistry.UnknownSeries.selector, 4, 4));
        seriesRegistry.series(4);
    }
}

contract ClearinghouseOptionsTradingTest is ClearinghouseOptionsFixture {
    int256 internal constant ALICE_CASH = 100_000e18;

    function setUp() public override {
        super.setUp();
        _deposit(alice, 100_000e6);
        _deposit(carol, 100_000e6);
    }

    /// @notice Odd size and premium: cost = size * premium / WAD rounded up (toward
    /// +infinity) for the buyer; the seller's cost basis is its negation.
    function test_SettleOptionTrade_OpensBothSidesWithCostRoundedUp() public {
        int256 size = 1.333333333333333333e18;
        int256 premium = 123.456789123456789123e18;
        int256 cost = _cost(size, premium);
        assertEq(cost, 164.609052164609052123e18, "cost rounded up");
        assertTrue(cost * WAD > size * premium, "cost was inexact");

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionTradeSettled(alice, bob, CALL_2000, size, premium, cost);
        _buy(alice, bob, CALL_2000, size, premium);

        _assertOption(alice, CALL_2000, size, cost);
        _assertOption(bob, CALL_2000, -size, -cost);
        assertEq(clearinghouse.openPositionCount(alice), 1, "alice open");
        assertEq(clearinghouse.openPositionCount(bob), 1, "bob open");
        _assertHeld(alice, _list(CALL_2000));
        _assertHeld(bob, _list(CALL_2000));
        assertEq(clearinghouse.cash(alice), ALICE_CASH, "premium stays in the cost basis");

        // Adding to the position adds to the cost basis; a zero premium is allowed.
        _buy(alice, bob, CALL_2000, size, 0);
        _assertOption(alice, CALL_2000, 2 * size, cost);
        _assertOption(bob, CALL_2000, -2 * size, -cost);
        assertEq(clearinghouse.openPositionCount(alice), 1, "still one series");
    }

    /// @notice heldSeries lists series in opening order; closing one keeps the others in
    /// order and realizes its PnL into cash.
    function test_SettleOptionTrade_HeldSeriesOrderAndClosing() public {
        _buy(alice, bob, CALL_2200, 1e18, 50e18);
        _buy(alice, bob, CALL_2000, 2e18, 180e18);
        _buy(alice, bob, PUT_2000, 1e18, 181e18);
        _assertHeld(alice, _list(CALL_2200, CALL_2000, PUT_2000));
        _assertHeld(bob, _list(CALL_2200, CALL_2000, PUT_2000));
        assertEq(clearinghouse.openPositionCount(alice), 3, "alice open");

        // Alice sells her 2 calls 2000 back to Bob at 190: +20 realized.
        _buy(bob, alice, CALL_2000, 2e18, 190e18);
        _assertHeld(alice, _list(CALL_2200, PUT_2000));
        _assertHeld(bob, _list(CALL_2200, PUT_2000));
        _assertOption(alice, CALL_2000, 0, 0);
        assertEq(clearinghouse.cash(alice), ALICE_CASH + 20e18, "alice realized");
        assertEq(clearinghouse.cash(bob), 1_000_000e18 - 20e18, "bob realized");
        assertEq(clearinghouse.openPositionCount(alice), 2, "alice open after close");

        // Reopening appends at the end.
        _buy(alice, bob, CALL_2000, 1e18, 185e18);
        _assertHeld(alice, _list(CALL_2200, PUT_2000, CALL_2000));

        // Flipping through zero in one trade: Alice, long 1 put bought at 181, sells 3 at
        // 100. The first one closes her long (100 - 181 = -81 realized); the other two open a
        // short whose basis is their share of the proceeds.
        int256 cashBefore = clearinghouse.cash(alice);
        _buy(bob, alice, PUT_2000, 3e18, 100e18);
        _assertOption(alice, PUT_2000, -2e18, -200e18);
        assertEq(clearinghouse.cash(alice), cashBefore - 81e18, "alice realized on the flip");
        _assertHeld(alice, _list(CALL_2200, PUT_2000, CALL_2000));
    }

    /// @notice No trade at or after expiry.
    function test_SettleOptionTrade_RevertsOnExpiredSeries() public {
        vm.warp(EXPIRY);
        _setMarks(2000e8, 0.8e8);
        _buyReverts(
            abi.encodeWithSelector(IClearinghouse.SeriesExpired.selector, CALL_2000, EXPIRY),
            alice,
            bob,
            CALL_2000,
            1e18,
            1e18
        );

        vm.warp(EXPIRY + 1 days);
        _setMarks(2000e8, 0.8e8);
        _buyReverts(
            abi.encodeWithSelector(IClearinghouse.SeriesExpired.selector, PUT_1800, EXPIRY),
            alice,
            bob,
            PUT_1800,
            1e18,
            1e18
        );
    }

    function test_SettleOptionTrade_TradesOneSecondBeforeExpiry() public {
        vm.warp(EXPIRY - 1);
        _setMarks(2000e8, 0.8e8);
        _buy(alice, bob, CALL_2000, 1e18, 1e18);
        _assertOption(alice, CALL_2000, 1e18, 1e18);
    }

    function test_SettleOptionTrade_RevertsOnUnknownSeries() public {
        _buyReverts(
            abi.encodeWithSelector(ISeriesRegistry.UnknownSeries.selector, 4, 4),
            alice,
            bob,
            4,
            1e18,
            1e18
        );
        _buyReverts(
            abi.encodeWithSelector(ISeriesRegistry.UnknownSeries.selector, type(uint256).max, 4),
            alice,
            bob,
            type(uint256).max,
            1e18,
            1e18
        );
    }

    function test_SettleOptionTrade_RevertsOnSelfTrade() public {
        _buyReverts(
            abi.encodeWithSelector(IClearinghouse.SelfTrade.selector, alice),
            alice,
            alice,
            CALL_2000,
            1e18,
            1e18
        );
    }

    function test_SettleOptionTrade_RevertsOnInvalidTrade() public {
        _buyReverts(
            abi.encodeWithSelector(IClearinghouse.InvalidTrade.selector, 0, 1e18),
            alice,
            bob,
            CALL_2000,
            0,
            1e18
        );
        _buyReverts(
            abi.encodeWithSelector(IClearinghouse.InvalidTrade.selector, -1e18, 1e18),
            alice,
            bob,
            CALL_2000,
            -1e18,
            1e18
        );
        _buyReverts(
            abi.encodeWithSelector(IClearinghouse.InvalidTrade.selector, 1e18, -1),
            alice,
            bob,
            CALL_2000,
            1e18,
            -1
        );
    }

    function test_SettleOptionTrade_RevertsForNonSettler() public {
        IMarginEngine.MarginCertificate memory margin = _margin(_threshold(alice));
        vm.expectRevert(abi.encodeWithSelector(IClearinghouse.NotSettler.selector, carol));
        vm.prank(carol);
        clearinghouse.settleOptionTrade(alice, bob, CALL_2000, 1e18, 1e18, margin, margin);
    }

    /// @notice 16 series are allowed; the 17th reverts for the buyer and for the seller.
    /// Adding to a held series, or opening after closing one, still works.
    function test_SettleOptionTrade_RevertsAtSeventeenthSeries() public {
        assertEq(clearinghouse.MAX_OPTION_POSITIONS(), 16, "limit");
        for (uint256 i = 4; i < 17; ++i) {
            seriesRegistry.listSeries(ETH, int256(1000e18 + i * 100e18), EXPIRY, i % 2 == 0);
        }
        for (uint256 id; id < 16; ++id) {
            _buy(alice, bob, id, 1e18, 10e18);
        }
        assertEq(clearinghouse.heldSeries(alice).length, 16, "alice holds 16");
        assertEq(clearinghouse.openPositionCount(alice), 16, "alice open 16");

        bytes memory tooMany =
            abi.encodeWithSelector(IClearinghouse.TooManyOptionPositions.selector, alice, 16);
        _buyReverts(tooMany, alice, carol, 16, 1e18, 10e18);
        _buyReverts(tooMany, carol, alice, 16, 1e18, 10e18);

        _buy(alice, carol, 5, 1e18, 10e18);
        _assertOption(alice, 5, 2e18, 20e18);

        _buy(bob, alice, 5, 1e18, 10e18);
        _buy(carol, alice, 5, 1e18, 10e18); // closes series 5
        assertEq(clearinghouse.heldSeries(alice).length, 15, "alice holds 15");
        _buy(alice, carol, 16, 1e18, 10e18);
        assertEq(clearinghouse.heldSeries(alice).length, 16, "alice holds 16 again");
        assertEq(clearinghouse.heldSeries(alice)[15], 16, "series 16 last");
    }
}

contract ClearinghouseOptionsValuationTest is ClearinghouseOptionsFixture {
    /// @notice equity = cash + floor((sum size * BS value) / WAD) - sum costBasis, the
    /// division once per account, for a long (Alice) and the short counterparty (Bob).
    function test_Equity_IncludesBlackScholesValueFlooredOncePerAccount() public {
        int256 sizeCall = 1.333333333333333333e18;
        int256 sizePut = 0.777777777777777777e18;
        _deposit(alice, 1000e6);
        _buy(alice, bob, CALL_2000, sizeCall, 182.5e18);
        _buy(alice, bob, PUT_1800, sizePut, 80.25e18);
        int256 costs = _cost(sizeCall, 182.5e18) + _cost(sizePut, 80.25e18);

        int256 vCall = _bs(CALL_2000, SPOT, VOL);
        int256 vPut = _bs(PUT_1800, SPOT, VOL);
        assertTrue(vCall > 150e18 && vCall < 250e18, "call value plausible");
        assertTrue(vPut > 50e18 && vPut < 100e18, "put value plausible");
        // The library's own entry point agrees with Black-Scholes on the years to expiry.
        assertEq(
            OptionValuation.value(seriesRegistry.series(CALL_2000), SPOT, VOL, block.timestamp),
            vCall,
            "OptionValuation.value"
        );

        int256 raw = sizeCall * vCall + sizePut * vPut;
        int256 expected = 1000e18 + _floorDiv(raw, WAD) - costs;
        assertEq(clearinghouse.equity(alice), expected, "alice equity");
        // The fractions of the two products add up past one wei: flooring per position
        // would give one wei less.
        int256 perPosition =
            1000e18 + _floorDiv(sizeCall * vCall, WAD) + _floorDiv(sizePut * vPut, WAD) - costs;
        assertEq(perPosition + 1, expected, "one floor, not two");

        // Bob is short both: the negative value floors toward -infinity.
        int256 expectedBob = 1_000_000e18 + _floorDiv(-raw, WAD) + costs;
        assertEq(clearinghouse.equity(bob), expectedBob, "bob equity");
        assertEq(expected + expectedBob, 1_001_000e18 - 1, "zero-sum up to rounding");
    }

    /// @notice A long call's value, hence equity, falls with the spot.
    function test_Equity_CallValueFallsWhenSpotFalls() public {
        int256 size = 2e18;
        _deposit(alice, 500e6);
        _buy(alice, bob, CALL_2000, size, 182.6e18);
        int256 cost = _cost(size, 182.6e18);

        int256 previous = type(int256).max;
        int256[4] memory spots = [int256(2000e18), 1900e18, 1800e18, 1500e18];
        for (uint256 i; i < spots.length; ++i) {
            _setMarks(spots[i] / 1e10, 0.8e8);
            int256 expected = 500e18 + _floorDiv(size * _bs(CALL_2000, spots[i], VOL), WAD) - cost;
            int256 eq = clearinghouse.equity(alice);
            assertEq(eq, expected, "equity at spot");
            assertTrue(eq < previous, "equity falls with the spot");
            previous = eq;
        }
    }

    /// @notice The implied vol is read from the vol feed: a long call gains when it rises.
    function test_Equity_ReadsVolatilityFeed() public {
        _deposit(alice, 500e6);
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        int256 before = clearinghouse.equity(alice);
        _setMarks(2000e8, 1.1e8);
        int256 after_ = clearinghouse.equity(alice);
        assertEq(after_, 500e18 + _bs(CALL_2000, SPOT, 1.1e18) - 182.6e18, "equity at 110%");
        assertTrue(after_ > before, "long vega");
    }

    /// @notice A put hedges a long perp: on a fall to 1600 the perp alone loses 400, the
    /// perp with a put 2000 loses less by exactly the put's gain; in the crash scenario the
    /// hedged account's scenario loss is smaller too.
    function test_Equity_PutHedgesLongPerp() public {
        _deposit(alice, 1000e6);
        _deposit(carol, 1000e6);
        _perp(alice, bob, 1e18, 2000e18);
        _perp(carol, bob, 1e18, 2000e18);
        int256 premium = _bs(PUT_2000, SPOT, VOL);
        _buy(alice, bob, PUT_2000, 1e18, premium);

        assertEq(clearinghouse.equity(carol), 1000e18, "carol at entry");
        assertEq(clearinghouse.equity(alice), 1000e18, "alice at entry (paid the mark)");
        int256 hedgedLoss = _scenarioLoss(alice, 3);
        int256 nakedLoss = _scenarioLoss(carol, 3);
        assertEq(nakedLoss, 600e18, "naked perp loses 30%");
        assertTrue(hedgedLoss < nakedLoss / 2, "put caps the crash loss");

        _setMarks(1600e8, 0.8e8);
        int256 putGain = _bs(PUT_2000, 1600e18, VOL) - premium;
        assertTrue(putGain > 250e18, "put gains");
        assertEq(clearinghouse.equity(carol), 600e18, "naked perp");
        assertEq(clearinghouse.equity(alice), 600e18 + putGain, "hedged perp");
    }
}

contract ClearinghouseOptionsScenarioTest is ClearinghouseOptionsFixture {
    function setUp() public override {
        super.setUp();
        _deposit(alice, 10_000e6);
    }

    /// @notice Each published scenario revalues a long straddle plus a short OTM put:
    /// loss = ceil(-(sum size * (shocked value - value)) / WAD).
    function test_ScenarioLoss_MatchesBlackScholesRevaluation() public {
        int256 s = 1.5e18;
        int256 shortPut = 0.3e18;
        _buy(alice, bob, CALL_2000, s, 180e18);
        _buy(alice, bob, PUT_2000, s, 180e18);
        _buy(bob, alice, PUT_1800, shortPut, 80e18);

        (int256[8] memory r, int256[8] memory v) = _scenarioData();
        for (uint256 i; i < N; ++i) {
            int256 pnl = s
                * (_bsShocked(CALL_2000, SPOT, VOL, r[i], v[i]) - _bs(CALL_2000, SPOT, VOL)) + s
                * (_bsShocked(PUT_2000, SPOT, VOL, r[i], v[i]) - _bs(PUT_2000, SPOT, VOL))
                - shortPut
                * (_bsShocked(PUT_1800, SPOT, VOL, r[i], v[i]) - _bs(PUT_1800, SPOT, VOL));
            assertEq(_scenarioLoss(alice, i), _ceilDiv(-pnl, WAD), vm.toString(i));
            assertEq(_scenarioLoss(bob, i), _ceilDiv(pnl, WAD), "bob mirror");
        }
    }

    /// @notice A long straddle is long vol: with the same spot move, a vol rise lowers its
    /// loss, and with no spot move it gains.
    function test_ScenarioLoss_LongStraddleLosesLessWhenVolRises() public {
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        _buy(alice, bob, PUT_2000, 1e18, 182.6e18);

        int256 flat = clearinghouse.scenarioLoss(alice, _one(0.02e18), _one(0));
        int256 volUp = clearinghouse.scenarioLoss(alice, _one(0.02e18), _one(0.2e18));
        int256 volDown = clearinghouse.scenarioLoss(alice, _one(0.02e18), _one(-0.2e18));
        assertTrue(volUp < flat, "vol up: less loss");
        assertTrue(volDown > flat, "vol down: more loss");
        int256 gain = clearinghouse.scenarioLoss(alice, _one(0), _one(0.3e18));
        assertTrue(gain < 0, "vol up, spot flat: a gain");
        int256 expected =
            -(_bsShocked(CALL_2000, SPOT, VOL, 0, 0.3e18)
                + _bsShocked(PUT_2000, SPOT, VOL, 0, 0.3e18) - _bs(CALL_2000, SPOT, VOL)
                - _bs(PUT_2000, SPOT, VOL));
        assertEq(gain, expected, "gain");
    }

    /// @notice A short option is short vol: a vol spike alone is a loss.
    function test_ScenarioLoss_ShortOptionLosesUnderVolSpike() public {
        int256 size = 0.75e18;
        _buy(bob, alice, CALL_2200, size, 120e18);
        int256 loss = clearinghouse.scenarioLoss(alice, _one(0), _one(0.5e18));
        assertTrue(loss > 0, "short vega loses");
        int256 pnl =
            -size * (_bsShocked(CALL_2200, SPOT, VOL, 0, 0.5e18) - _bs(CALL_2200, SPOT, VOL));
        assertEq(loss, _ceilDiv(-pnl, WAD), "loss");
        assertTrue(
            clearinghouse.scenarioLoss(alice, _one(0), _one(-0.5e18)) < 0, "vol crush is a gain"
        );
    }

    /// @notice A -100% (or worse) return takes the spot to 0 (or below): it is clamped at
    /// 1 wei, where the call is worth 0 and the put its strike less 1 wei, with no revert.
    function test_ScenarioLoss_ClampsShockedSpotAtOneWei() public {
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        _buy(alice, bob, PUT_2000, 1e18, 182.6e18);
        _perp(alice, bob, 1e18, 2000e18);

        int256 callNow = _bs(CALL_2000, SPOT, VOL);
        int256 putNow = _bs(PUT_2000, SPOT, VOL);
        int256 callAtOne = _bs(CALL_2000, 1, VOL + 0.1e18);
        int256 putAtOne = _bs(PUT_2000, 1, VOL + 0.1e18);
        assertEq(callAtOne, 0, "call at 1 wei");
        assertTrue(putAtOne >= 2000e18 - 2 && putAtOne <= 2000e18, "put at 1 wei");

        // perp: -2000; options: value at 1 wei minus value now.
        int256 pnl = -2000e18 * WAD + (callAtOne - callNow + putAtOne - putNow) * WAD;
        int256 expected = _ceilDiv(-pnl, WAD);
        assertEq(clearinghouse.scenarioLoss(alice, _one(-1e18), _one(0.1e18)), expected, "-100%");
        // Beyond -100% the perp loses more than its mark; the options stay clamped.
        int256 pnl150 = -3000e18 * WAD + (callAtOne - callNow + putAtOne - putNow) * WAD;
        assertEq(
            clearinghouse.scenarioLoss(alice, _one(-1.5e18), _one(0.1e18)),
            _ceilDiv(-pnl150, WAD),
            "-150%"
        );
        // For Bob (the other side) the two scenarios differ only by his short perp's gain.
        int256 bob100 = clearinghouse.scenarioLoss(bob, _one(-1e18), _one(0.1e18));
        int256 bob150 = clearinghouse.scenarioLoss(bob, _one(-1.5e18), _one(0.1e18));
        assertEq(bob150 - bob100, -1000e18, "bob: only the perp differs");
    }

    /// @notice A shift that would make vol negative clamps it at 0: the option is then worth
    /// its intrinsic value, as with a shift of exactly -vol; above 100 it clamps at 100.
    function test_ScenarioLoss_ClampsNegativeVolAtZero() public {
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        _buy(alice, bob, PUT_1800, 1e18, 80e18);

        int256 r = -0.05e18; // spot 1900: call OTM, put OTM -> intrinsic 0 for both
        int256 atZero = clearinghouse.scenarioLoss(alice, _one(r), _one(-0.8e18));
        int256 belowZero = clearinghouse.scenarioLoss(alice, _one(r), _one(-5e18));
        assertEq(belowZero, atZero, "clamped at 0");
        int256 expected = _bs(CALL_2000, SPOT, VOL) + _bs(PUT_1800, SPOT, VOL);
        assertEq(atZero, expected, "everything but intrinsic is lost");
        assertEq(_bs(CALL_2000, 1900e18, 0), 0, "BS at vol 0 is intrinsic (OTM call)");

        // In the money at vol 0: a +10% move leaves the call 200 intrinsic.
        int256 itm = clearinghouse.scenarioLoss(alice, _one(0.1e18), _one(-1e18));
        assertEq(_bs(CALL_2000, 2200e18, 0), 200e18, "intrinsic");
        assertEq(itm, expected - 200e18, "itm at vol 0");

        // Upper clamp: +1000 vol points is the same as vol 100.
        assertEq(
            clearinghouse.scenarioLoss(alice, _one(0), _one(1000e18)),
            clearinghouse.scenarioLoss(alice, _one(0), _one(100e18 - VOL)),
            "clamped at 100"
        );
    }

    /// @notice Options need both a spot return and a vol shift for their asset.
    function test_ScenarioLoss_RevertsOnAssetNotInScenarioSet() public {
        _buy(alice, bob, CALL_2000, 1e18, 182.6e18);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.AssetNotInScenarioSet.selector, 0, 0));
        clearinghouse.scenarioLoss(alice, new int256[](0), _one(0));
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.AssetNotInScenarioSet.selector, 0, 0));
        clearinghouse.scenarioLoss(alice, _one(0), new int256[](0));
    }
}

contract ClearinghouseOptionsExpiryTest is ClearinghouseOptionsFixture {
    int256 internal constant SIZE = 1.333333333333333333e18;
    int256 internal constant SETTLE_SPOT = 2300.12345678e18;

    function setUp() public override {
        super.setUp();
        _deposit(alice, 1000e6);
        _buy(alice, bob, CALL_2000, SIZE, 182.6e18);
        _buy(alice, bob, PUT_1800, 1e18, 80e18);
    }

    function _warpPastExpiry() internal {
        vm.warp(EXPIRY + 1 hours);
        _setMarks(2300.12345678e8, 0.8e8);
    }

    /// @notice From expiry on, an option is worth exactly its intrinsic value.
    function test_Equity_AfterExpiryValuesAtIntrinsic() public {
        _warpPastExpiry();
        int256 intrinsic = SETTLE_SPOT - 2000e18;
        assertEq(_bs(CALL_2000, SETTLE_SPOT, VOL), intrinsic, "BS at T = 0");
        assertEq(_bs(PUT_1800, SETTLE_SPOT, VOL), 0, "OTM put");
        int256 costs = _cost(SIZE, 182.6e18) + 80e18;
        assertEq(
            clearinghouse.equity(alice),
            1000e18 + _floorDiv(SIZE * intrinsic, WAD) - costs,
            "alice at intrinsic"
        );
        assertEq(
            clearinghouse.equity(bob),
            1_000_000e18 + _floorDiv(-SIZE * intrinsic, WAD) + costs,
            "bob at intrinsic"
        );
    }

    /// @notice Settlement pays size * intrinsic (rounded down: toward -infinity for the
    /// short) into cash, closes the position, removes the series and leaves equity unchanged.
    function test_SettleExpiredOption_PaysIntrinsicIntoCash() public {
        _warpPastExpiry();
        int256 intrinsic = SETTLE_SPOT - 2000e18;
        int256 payoff = _floorDiv(SIZE * intrinsic, WAD);
        int256 bobPayoff = _floorDiv(-SIZE * intrinsic, WAD);
        assertEq(payoff, 400.164609039999999899e18, "payoff");
        assertEq(bobPayoff, -payoff - 1, "short payoff rounds down");
        int256 cost = _cost(SIZE, 182.6e18);
        int256 aliceEquity = clearinghouse.equity(alice);
        int256 bobEquity = clearinghouse.equity(bob);

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionSettled(alice, CALL_2000, SIZE, SETTLE_SPOT, payoff);
        vm.prank(carol); // permissionless
        clearinghouse.settleExpiredOption(alice, CALL_2000);

        _assertOption(alice, CALL_2000, 0, 0);
        _assertHeld(alice, _list(PUT_1800));
        assertEq(clearinghouse.openPositionCount(alice), 1, "alice open");
        assertEq(clearinghouse.cash(alice), 1000e18 + payoff - cost, "alice cash");
        assertEq(clearinghouse.equity(alice), aliceEquity, "alice equity unchanged");

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionSettled(bob, CALL_2000, -SIZE, SETTLE_SPOT, bobPayoff);
        clearinghouse.settleExpiredOption(bob, CALL_2000);
        _assertHeld(bob, _list(PUT_1800));
        assertEq(clearinghouse.cash(bob), 1_000_000e18 + bobPayoff + cost, "bob cash");
        assertEq(clearinghouse.equity(bob), bobEquity, "bob equity unchanged");

        // The OTM put settles at 0: Alice's premium is lost, Bob keeps it.
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionSettled(alice, PUT_1800, 1e18, SETTLE_SPOT, 0);
        clearinghouse.settleExpiredOption(alice, PUT_1800);
        clearinghouse.settleExpiredOption(bob, PUT_1800);
        _assertHeld(alice, new uint256[](0));
        _assertHeld(bob, new uint256[](0));
        assertEq(clearinghouse.openPositionCount(alice), 0, "alice flat");
        assertEq(clearinghouse.cash(alice), 1000e18 + payoff - cost - 80e18, "alice final");
        assertEq(clearinghouse.cash(bob), 1_000_000e18 + bobPayoff + cost + 80e18, "bob final");

        // Flat, Alice can withdraw.
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _noMargin());
    }

    /// @notice Settling an account without a position changes nothing and emits nothing.
    function test_SettleExpiredOption_NoOpWithoutPosition() public {
        _warpPastExpiry();
        recorder.recordLogs();
        clearinghouse.settleExpiredOption(carol, CALL_2000);
        assertEq(recorder.getRecordedLogs().length, 0, "no logs");
        assertEq(clearinghouse.cash(carol), 0, "carol cash");
        assertEq(clearinghouse.heldSeries(carol).length, 0, "carol holds nothing");
        assertEq(clearinghouse.openPositionCount(carol), 0, "carol open");

        // A second settlement of a settled position is a no-op too.
        clearinghouse.settleExpiredOption(alice, CALL_2000);
        int256 cashAfter = clearinghouse.cash(alice);
        recorder.recordLogs();
        clearinghouse.settleExpiredOption(alice, CALL_2000);
        assertEq(recorder.getRecordedLogs().length, 0, "no logs on the second settlement");
        assertEq(clearinghouse.cash(alice), cashAfter, "cash unchanged");
    }

    /// @notice Before expiry settlement reverts; at the expiry second it works.
    function test_SettleExpiredOption_RevertsBeforeExpiry() public {
        vm.expectRevert(
            abi.encodeWithSelector(ISeriesRegistry.SeriesNotExpired.selector, CALL_2000, EXPIRY)
        );
        clearinghouse.settleExpiredOption(alice, CALL_2000);

        vm.warp(EXPIRY - 1);
        _setMarks(2100e8, 0.8e8);
        vm.expectRevert(
            abi.encodeWithSelector(ISeriesRegistry.SeriesNotExpired.selector, CALL_2000, EXPIRY)
        );
        clearinghouse.settleExpiredOption(alice, CALL_2000);

        vm.warp(EXPIRY);
        _setMarks(2100e8, 0.8e8);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionSettled(
            alice, CALL_2000, SIZE, 2100e18, _floorDiv(SIZE * 100e18, WAD)
        );
        clearinghouse.settleExpiredOption(alice, CALL_2000);
    }

    /// @notice Both sides of an expired series settle at the same price, fixed by the first
    /// settlement, so settlement moves value between them and creates none: the long
    /// settles at 2300.12, the spot then falls to 2000, and the short still settles at
    /// 2300.12. (Reading the oracle per call once created about 400 from nothing here.)
    function test_SettleExpiredOption_BothSidesSettleAtTheFirstPrice() public {
        _warpPastExpiry();
        int256 before = clearinghouse.cash(alice) + clearinghouse.cash(bob);
        clearinghouse.settleExpiredOption(alice, CALL_2000);
        _setMarks(2000e8, 0.8e8);
        clearinghouse.settleExpiredOption(bob, CALL_2000);
        int256 after_ = clearinghouse.cash(alice) + clearinghouse.cash(bob);
        // At one settlement price the sum is conserved up to the short's 1 wei of rounding.
        assertTrue(after_ - before <= 0 && after_ - before >= -1, "settlement is zero-sum");
    }

    /// @notice Once alice's settlement fixes the price, bob's unsettled short in the same
    /// series is valued at it whatever the spot does next, and no scenario moves it.
    function test_Equity_OfTheOtherSideUsesTheFixedSettlementPrice() public {
        _warpPastExpiry();
        clearinghouse.settleExpiredOption(alice, CALL_2000);
        int256 fixedEquity = clearinghouse.equity(bob);
        _setMarks(2000e8, 0.8e8); // intrinsic at the new spot would be 0
        assertEq(clearinghouse.equity(bob), fixedEquity, "bob valued at the fixed price");
        int256[] memory crash = new int256[](1);
        crash[0] = -0.5e18;
        int256[] memory spike = new int256[](1);
        spike[0] = 1e18;
        // Bob's other series (short one 1800 put, expired, unsettled) still moves: from 0
        // at 2000 to 800 at 1000. The settled call adds nothing.
        int256 putOnly = _bs(PUT_1800, 1000e18, 1.8e18) - _bs(PUT_1800, 2000e18, 0.8e18);
        assertEq(putOnly, 800e18, "put intrinsic move");
        assertEq(clearinghouse.scenarioLoss(bob, crash, spike), putOnly, "call does not move");
    }

    function test_SettleExpiredOption_RevertsOnUnknownSeries() public {
        vm.expectRevert(abi.encodeWithSelector(ISeriesRegistry.UnknownSeries.selector, 9, 4));
        clearinghouse.settleExpiredOption(alice, 9);
    }
}

contract ClearinghouseOptionsLiquidationTest is ClearinghouseOptionsFixture {
    int256 internal constant SIZE = 1.234567890123456789e18;
    int256 internal constant PREMIUM = 182.6e18;

    /// @notice What the test expects the liquidation to do.
    struct Expected {
        int256 equity;
        int256 bound;
        int256 mm;
        int256 unitCall;
        int256 unitPut;
        int256 valueCall;
        int256 valuePut;
        int256 remaining;
        int256 charged;
        int256 reward;
    }

    /// @notice Alice (560 of cash) sells Bob SIZE straddles 2000 at 182.6 per option. Her
    /// initial margin (the worst scenario loss at the default 99% level: about 514 with the
    /// call alone, 428 with the straddle) is shown with a threshold of 540.
    function setUp() public override {
        super.setUp();
        _deposit(alice, 560e6);
        _buyWith(bob, alice, CALL_2000, SIZE, PREMIUM, _threshold(bob), 540e18);
        _buyWith(bob, alice, PUT_2000, SIZE, PREMIUM, _threshold(bob), 540e18);
    }

    function _premiums() internal pure returns (int256) {
        return 2 * _cost(SIZE, PREMIUM);
    }

    /// @notice The losses of all 8 scenarios, asserting that 3 and 6 are the two worst.
    function _assertWorstAre3And6(address account) internal view returns (int256, int256) {
        int256[] memory losses = new int256[](N);
        for (uint256 i; i < N; ++i) {
            losses[i] = _scenarioLoss(account, i);
        }
        for (uint256 i; i < N; ++i) {
            if (i == 3 || i == 6) continue;
            assertTrue(losses[i] < losses[6] && losses[6] < losses[3], "3 and 6 are the worst");
        }
        return (losses[3], losses[6]);
    }

    /// @notice The series expire while Alice is being liquidated. Before expiry (1700 / 120%)
    /// the close factor lets a keeper close half of her straddle; at expiry, with ETH at 800
    /// and nobody settled yet, the rest closes into the backstop at intrinsic value (put
    /// 1200, call 0). Then Bob's long and the backstop's short settle at one price, fixed by the
    /// first settlement, and Alice is left with cash only.
    function test_Liquidate_AcrossExpiry_SettlesEverySideAtOnePrice() public {
        clearinghouse.setLiquidationParameters(0.5e18, 0, 0);
        _setMarks(1700e8, 1.2e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, 0.5e18);
        _assertOption(alice, PUT_2000, -SIZE + SIZE / 2, _optionCostBasis(alice, PUT_2000));
        assertEq(clearinghouse.optionPositionOf(backstop, PUT_2000).size, -SIZE / 2, "half");

        vm.warp(EXPIRY);
        _setMarks(800e8, 1.2e8);
        assertTrue(clearinghouse.isLiquidatable(alice, cert).liquidatable, "liquidatable at expiry");
        clearinghouse.setLiquidationParameters(WAD, 0.95e18, 100e18);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionPositionLiquidated(
            alice, PUT_2000, -SIZE + SIZE / 2, 1200e18, _floorDiv((-SIZE + SIZE / 2) * 1200e18, WAD)
        );
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);
        assertEq(clearinghouse.openPositionCount(alice), 0, "alice flat");
        assertTrue(clearinghouse.cash(alice) >= 0, "alice has cash only, no debt");

        int256 payoff = _floorDiv(-SIZE * 1200e18, WAD);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionSettled(backstop, PUT_2000, -SIZE, 800e18, payoff);
        clearinghouse.settleExpiredOption(backstop, PUT_2000);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionSettled(
            bob, PUT_2000, SIZE, 800e18, _floorDiv(SIZE * 1200e18, WAD)
        );
        clearinghouse.settleExpiredOption(bob, PUT_2000);
        clearinghouse.settleExpiredOption(bob, CALL_2000);
        clearinghouse.settleExpiredOption(backstop, CALL_2000);
        assertEq(seriesRegistry.settlementPrice(PUT_2000), 800e18, "one price");
        assertEq(clearinghouse.openPositionCount(backstop), 0, "backstop settled");
    }

    function _optionCostBasis(address account, uint256 seriesId) internal view returns (int256) {
        return clearinghouse.optionPositionOf(account, seriesId).costBasis;
    }

    /// @notice At 2000 / 80% Alice is healthy: MM = 1.2 * ES < equity.
    function test_Liquidate_ShortStraddle_HealthyBeforeCrash() public {
        (int256 l3, int256 l6) = _assertWorstAre3And6(alice);
        int256 bound = _lowerBound(l3, l6, K_NUM, 0);
        int256 mm = _floorDiv(MM_FACTOR * bound, WAD);
        int256 value = -SIZE * (_bs(CALL_2000, SPOT, VOL) + _bs(PUT_2000, SPOT, VOL));
        int256 eq = 560e18 + _floorDiv(value, WAD) + _premiums();
        assertEq(clearinghouse.equity(alice), eq, "equity");
        assertTrue(mm < eq, "healthy");
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.AccountHealthy.selector, alice, eq, mm)
        );
        clearinghouse.liquidate(alice, _certificate(epoch, _indices(3, 6)), WAD);
    }

    /// @notice The scenario leaves commit to the vol shifts: a certificate with zeroed
    /// shifts fails its proof.
    function test_Liquidate_RevertsWhenVolShiftsAreAltered() public {
        _setMarks(1700e8, 1.2e8);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        cert.volShifts[0] = _one(0);
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, 3));
        clearinghouse.liquidate(alice, cert, WAD);
    }

    /// @notice ETH 2000 -> 1700 and vol 80% -> 120%: the short straddle is liquidatable
    /// with the two worst scenarios (3, 6). Both options move to the backstop at their
    /// Black-Scholes marks, then the penalty is charged as for perps.
    function test_Liquidate_ShortStraddleAfterCrashAndVolSpike_ClosesOptionsIntoBackstop() public {
        _setMarks(1700e8, 1.2e8);
        Expected memory e = _expected();

        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));
        IMarginEngine.MarginCheck memory view_ = clearinghouse.isLiquidatable(alice, cert);
        _assertCheck(view_, e);

        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionPositionLiquidated(
            alice, CALL_2000, -SIZE, e.unitCall, e.valueCall
        );
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.OptionPositionLiquidated(alice, PUT_2000, -SIZE, e.unitPut, e.valuePut);
        vm.expectEmit(true, true, true, true, address(clearinghouse));
        emit IClearinghouse.Liquidated(
            alice, keeper, epoch, WAD, e.equity, e.bound, e.mm, e.reward, e.charged - e.reward
        );
        vm.prank(keeper);
        IMarginEngine.MarginCheck memory check = clearinghouse.liquidate(alice, cert, WAD);
        _assertCheck(check, e);

        // Alice: flat, cash = what closing left minus the charge.
        _assertHeld(alice, new uint256[](0));
        _assertOption(alice, CALL_2000, 0, 0);
        _assertOption(alice, PUT_2000, 0, 0);
        assertEq(clearinghouse.openPositionCount(alice), 0, "alice open");
        assertEq(clearinghouse.cash(alice), e.remaining - e.charged, "alice cash");
        assertEq(clearinghouse.equity(alice), e.remaining - e.charged, "alice equity");

        // Backstop: short both series at the marked values; the insurance fund has its share
        // of the penalty.
        _assertHeld(backstop, _list(CALL_2000, PUT_2000));
        _assertOption(backstop, CALL_2000, -SIZE, e.valueCall);
        _assertOption(backstop, PUT_2000, -SIZE, e.valuePut);
        assertEq(clearinghouse.openPositionCount(backstop), 2, "backstop open");
        assertEq(clearinghouse.cash(keeper), e.reward, "keeper cash");
        assertEq(clearinghouse.insuranceFund(), e.charged - e.reward, "insurance fund");
        assertEq(clearinghouse.cash(backstop), 0, "backstop cash");
        int256 backstopEquity =
            _floorDiv(-SIZE * (e.unitCall + e.unitPut), WAD) - e.valueCall - e.valuePut;
        assertEq(clearinghouse.equity(backstop), backstopEquity, "backstop equity");
        assertTrue(backstopEquity <= 0 && backstopEquity >= -1, "backstop took the options at mark");

        // Bob's long straddle is untouched; Alice can withdraw what is left.
        _assertHeld(bob, _list(CALL_2000, PUT_2000));
        vm.prank(alice);
        clearinghouse.withdraw(1e6, _noMargin());
    }

    /// @notice The numbers the test expects at the current marks (1700 / 120%).
    function _expected() internal view returns (Expected memory e) {
        (int256 l3, int256 l6) = _assertWorstAre3And6(alice);
        // The contract's scenario loss of the crash scenario, checked independently.
        int256 pnl3 = -SIZE
            * (_bsShocked(CALL_2000, 1700e18, 1.2e18, -0.3e18, 0.5e18)
                - _bs(CALL_2000, 1700e18, 1.2e18)
                + _bsShocked(PUT_2000, 1700e18, 1.2e18, -0.3e18, 0.5e18)
                - _bs(PUT_2000, 1700e18, 1.2e18));
        assertEq(l3, _ceilDiv(-pnl3, WAD), "loss of scenario 3");

        e.bound = _lowerBound(l3, l6, K_NUM, 0);
        e.mm = _floorDiv(MM_FACTOR * e.bound, WAD);
        e.unitCall = _bs(CALL_2000, 1700e18, 1.2e18);
        e.unitPut = _bs(PUT_2000, 1700e18, 1.2e18);
        e.equity = 560e18 + _floorDiv(-SIZE * (e.unitCall + e.unitPut), WAD) + _premiums();
        assertTrue(e.mm > e.equity, "liquidatable");
        assertTrue(e.equity > 0, "no bad debt in this test");

        e.valueCall = _floorDiv(-SIZE * e.unitCall, WAD);
        e.valuePut = _floorDiv(-SIZE * e.unitPut, WAD);
        // Closing a short at mark: cash += premium received + (negative) value.
        e.remaining = 560e18 + _premiums() + e.valueCall + e.valuePut;
        int256 notional = -e.valueCall - e.valuePut;
        int256 penalty = _ceilDiv(PENALTY * notional, WAD);
        if (e.remaining > 0) e.charged = penalty < e.remaining ? penalty : e.remaining;
        e.reward = _floorDiv(KEEPER_SHARE * e.charged, WAD);
        assertTrue(e.charged == penalty, "penalty charged in full");
    }

    /// @notice The backstop is exempt from MAX_OPTION_POSITIONS: after taking over 16 series
    /// it still takes a 17th, so an account in that series can be liquidated. (With the cap,
    /// this liquidation reverted with TooManyOptionPositions(backstop, 16).)
    function test_Liquidate_BackstopTakesMoreThanSixteenSeries() public {
        address dave = address(0xDA7E);
        address erin = address(0xE417);
        for (uint256 i = 4; i < 17; ++i) {
            seriesRegistry.listSeries(ETH, int256(1000e18 + i * 100e18), EXPIRY, i % 2 == 0);
        }
        // Dave sells Bob one of each of the 16 series 0..15, Erin sells Carol one of series
        // 16, at mark.
        _deposit(dave, 100_000e6);
        _deposit(erin, 100_000e6);
        _deposit(carol, 100_000e6);
        for (uint256 id; id < 16; ++id) {
            _buy(bob, dave, id, 1e18, _bs(id, SPOT, VOL));
        }
        _buy(carol, erin, 16, 1e18, _bs(16, SPOT, VOL));
        // An MM factor of 1000 makes any short-vol account liquidatable on (3, 6).
        clearinghouse.setRiskParameters(1000e18, PENALTY, KEEPER_SHARE);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(3, 6));

        vm.prank(keeper);
        clearinghouse.liquidate(dave, cert, WAD);
        assertEq(clearinghouse.heldSeries(backstop).length, 16, "backstop holds 16 series");

        vm.prank(keeper);
        clearinghouse.liquidate(erin, cert, WAD);
        assertEq(clearinghouse.heldSeries(backstop).length, 17, "backstop holds 17 series");
        assertEq(clearinghouse.heldSeries(erin).length, 0, "erin liquidated");
    }

    /// @notice How many of `logs`, from the clearinghouse, have these three topics and data.
    function _countLogs(
        VmRecorder.Log[] memory logs,
        bytes32 topic0,
        bytes32 topic1,
        bytes32 topic2,
        bytes memory data
    ) internal view returns (uint256 count) {
        for (uint256 i; i < logs.length; ++i) {
            VmRecorder.Log memory l = logs[i];
            if (
                l.emitter == address(clearinghouse) && l.topics.length == 3 && l.topics[0] == topic0
                    && l.topics[1] == topic1 && l.topics[2] == topic2
                    && keccak256(l.data) == keccak256(data)
            ) ++count;
        }
    }

    function _assertCheck(IMarginEngine.MarginCheck memory check, Expected memory e) internal pure {
        assertEq(check.equity, e.equity, "check.equity");
        assertEq(check.expectedShortfallLowerBound, e.bound, "check.expectedShortfallLowerBound");
        assertEq(check.maintenanceMargin, e.mm, "check.maintenanceMargin");
        assertEq(check.liquidatable, true, "check.liquidatable");
    }

    /// @notice A perp with a covered call (IM 600 for the perp alone, shown with threshold
    /// 600 = its equity; about 527 with the call, shown with 560): after ETH 1650 / 120% the
    /// witnesses 0 and 3 (the two worst for a long) liquidate it, closing both the perp and
    /// the option.
    function test_Liquidate_PerpAndOptionTogether() public {
        _deposit(carol, 600e6);
        IMarginEngine.MarginCertificate memory carolMargin = _margin(600e18);
        IMarginEngine.MarginCertificate memory bobMargin = _margin(_threshold(bob));
        vm.prank(settler);
        clearinghouse.settleTrade(carol, bob, ETH, 1e18, 2000e18, carolMargin, bobMargin);
        _buyWith(bob, carol, CALL_2200, 1e18, 120e18, _threshold(bob), 560e18);
        _setMarks(1650e8, 1.2e8);

        int256 unit = _bs(CALL_2200, 1650e18, 1.2e18);
        int256 value = _floorDiv(-1e18 * unit, WAD);
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(0, 3));
        recorder.recordLogs();
        vm.prank(keeper);
        clearinghouse.liquidate(carol, cert, WAD);
        // Both closings are logged; their relative order is not asserted (`liquidate` sums
        // `_closePerps(..) + _closeOptions(..)`, whose evaluation order Solidity leaves
        // unspecified: the legacy code generator closes the options first).
        VmRecorder.Log[] memory logs = recorder.getRecordedLogs();
        assertEq(
            _countLogs(
                logs,
                IClearinghouse.PositionLiquidated.selector,
                bytes32(uint256(uint160(carol))),
                bytes32(ETH),
                abi.encode(int256(1e18), int256(1650e18), int256(1650e18))
            ),
            1,
            "PositionLiquidated"
        );
        assertEq(
            _countLogs(
                logs,
                IClearinghouse.OptionPositionLiquidated.selector,
                bytes32(uint256(uint160(carol))),
                bytes32(CALL_2200),
                abi.encode(int256(-1e18), unit, value)
            ),
            1,
            "OptionPositionLiquidated"
        );
        assertEq(clearinghouse.openPositionCount(carol), 0, "carol flat");
        _assertHeld(carol, new uint256[](0));
        _assertHeld(backstop, _list(CALL_2200));
        assertEq(clearinghouse.positionOf(backstop, ETH).size, 1e18, "backstop perp");
    }
}

/// @notice The margin floor, on the attack review's reproduction: the options fixture with
/// every vol shift 0, and Alice (3000 of cash) long 10 calls 2000 bought 0.4 above their
/// value from Bob and delta-hedged with a short perp of 5.52 ETH. A hedged long call gains
/// under every spot move, so every scenario loss is negative and so is ES: without the
/// floor, IM (about -4.2) and MM (about 1.2 * -4.3) were negative too.
contract ClearinghouseOptionsMarginFloorTest is ClearinghouseOptionsFixture {
    int256 internal constant CALLS = 10e18;
    int256 internal constant HEDGE = 5.52e18;

    function _scenarioData()
        internal
        pure
        override
        returns (int256[8] memory r, int256[8] memory v)
    {
        (r,) = super._scenarioData();
    }

    function setUp() public override {
        super.setUp();
        _deposit(alice, 3000e6);
        _buy(alice, bob, CALL_2000, CALLS, _bs(CALL_2000, SPOT, VOL) + 0.4e18);
        _perp(bob, alice, HEDGE, 2000e18);
    }

    /// @notice Alice's loss in every scenario, asserting that each is a gain, and the largest
    /// (the ES at the IM level, 99% of 8 scenarios: k = 0.08, one witness).
    function _allGains() internal view returns (int256[N] memory losses, int256 largest) {
        largest = type(int256).min;
        for (uint256 i; i < N; ++i) {
            losses[i] = _scenarioLoss(alice, i);
            assertTrue(losses[i] < 0, "every scenario is a gain");
            if (losses[i] > largest) largest = losses[i];
        }
    }

    /// @notice The review's attack: withdraw all 3000 with the optimal certificate (threshold
    /// the largest loss, a gain). Unfloored, IM = that loss is below the equity left (-4: the
    /// overpaid premium), so the withdrawal passed and left the account insolvent. Floored,
    /// IM = 0 > -4.
    function test_Withdraw_HedgedLongCallsCannotWithdrawIntoNegativeEquity() public {
        (, int256 largest) = _allGains();
        int256 equityAfter = clearinghouse.equity(alice) - 3000e18;
        assertTrue(equityAfter < 0, "insolvent after");
        assertTrue(largest < equityAfter, "unfloored IM would pass");
        vm.expectRevert(
            abi.encodeWithSelector(
                IClearinghouse.InsufficientInitialMargin.selector, alice, equityAfter, int256(0)
            )
        );
        vm.prank(alice);
        clearinghouse.withdraw(3000e6, _margin(largest));
    }

    /// @notice IM is 0, so Alice may withdraw down to equity 1; one funding interval (shorts
    /// pay 0.05% of 2000, 5.52) then leaves her at -4.52 with the same scenario losses, all
    /// gains. The certificate of her two worst scenarios (2 and 5) bounds ES at about -4.3:
    /// unfloored, MM = 1.2 * that < equity and she was not liquidatable. Floored, MM = 0 >
    /// equity: she is liquidated in full and left flat.
    function test_Liquidate_EveryScenarioAGainButNegativeEquity() public {
        (int256[N] memory losses, int256 largest) = _allGains();
        vm.prank(alice);
        clearinghouse.withdraw(2995e6, _margin(largest));
        vm.prank(settler);
        clearinghouse.applyFunding(ETH, -0.0005e18);
        for (uint256 i; i < N; ++i) {
            if (i == 2 || i == 5) continue;
            assertTrue(losses[i] < losses[2] && losses[i] < losses[5], "2 and 5 are the worst");
        }
        IMarginEngine.LiquidationCertificate memory cert = _certificate(epoch, _indices(2, 5));
        IMarginEngine.MarginCheck memory check = clearinghouse.isLiquidatable(alice, cert);
        assertEq(
            check.expectedShortfallLowerBound,
            _lowerBound(losses[2], losses[5], K_NUM, 0),
            "bound of the two worst"
        );
        assertTrue(check.equity < 0, "insolvent");
        assertTrue(
            _floorDiv(MM_FACTOR * check.expectedShortfallLowerBound, WAD) < check.equity,
            "unfloored MM would not liquidate"
        );
        assertEq(check.maintenanceMargin, 0, "MM floored at 0");
        assertTrue(check.liquidatable, "liquidatable");
        vm.prank(keeper);
        clearinghouse.liquidate(alice, cert, WAD);
        assertEq(clearinghouse.openPositionCount(alice), 0, "alice flat");
    }
}
