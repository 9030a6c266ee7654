// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {ClearinghouseOptionsFixture} from "./ClearinghouseOptions.t.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";

/// @notice The state cheatcodes these tests use beyond utils/Vm.sol.
interface VmStateCheats {
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
}

/// @notice One side of a matched trade, as the settler sends it.
struct Trade {
    bool isOption;
    /// @dev The series of an option, the asset of a perp.
    uint256 id;
    address buyer;
    address seller;
    int256 size;
    int256 price;
}

/// @notice What the attack tests share: send a trade, and measure the attacker's initial
/// margin after it. IM here is the largest scenario loss (ES at 99% of 8 scenarios: k = 0.08,
/// one witness; factor 1, no liquidity add-on), so the margin certificate whose threshold is
/// that loss bounds ES exactly: IM = max(worst loss, 0).
abstract contract BypassActions is SystemFixture {
    VmStateCheats internal constant state = VmStateCheats(address(vm));

    /// @notice The current epoch's margin certificate with threshold `threshold`.
    function _marginWith(int256 threshold)
        internal
        view
        virtual
        returns (IMarginEngine.MarginCertificate memory);

    /// @notice `account`'s loss under scenario `index` of the current epoch.
    function _lossOf(address account, uint256 index) internal view virtual returns (int256);

    /// @notice The number of scenarios.
    function _scenarioCount() internal pure virtual returns (uint256);

    /// @notice Send `t` with the given certificates.
    function _send(
        Trade memory t,
        IMarginEngine.MarginCertificate memory buyerMargin,
        IMarginEngine.MarginCertificate memory sellerMargin
    ) internal {
        vm.prank(settler);
        if (t.isOption) {
            clearinghouse.settleOptionTrade(
                t.buyer, t.seller, t.id, t.size, t.price, buyerMargin, sellerMargin
            );
        } else {
            clearinghouse.settleTrade(
                t.buyer, t.seller, t.id, t.size, t.price, buyerMargin, sellerMargin
            );
        }
    }

    /// @notice `account` withdraws `amount` (6 decimals) with a certificate of threshold
    /// `threshold` (which, at or above every loss, makes IM = threshold).
    function _withdraw(address account, uint256 amount, int256 threshold) internal {
        IMarginEngine.MarginCertificate memory margin = _marginWith(threshold);
        vm.prank(account);
        clearinghouse.withdraw(amount, margin);
    }

    /// @notice `account`'s largest scenario loss now: its IM before the floor at 0.
    function _worstLoss(address account) internal view returns (int256 worst) {
        worst = type(int256).min;
        for (uint256 i; i < _scenarioCount(); ++i) {
            int256 loss = _lossOf(account, i);
            if (loss > worst) worst = loss;
        }
    }

    /// @notice `attacker`'s equity and largest scenario loss after `t`, measured on a copy of
    /// the state (the trade sent with a large deposit and an ample certificate, then undone):
    /// losses do not depend on cash, and equity after is that equity less the deposit.
    function _after(
        Trade memory t,
        address attacker,
        IMarginEngine.MarginCertificate memory counterparty
    ) internal returns (int256 equityAfter, int256 worstAfter) {
        uint256 snapshot = state.snapshotState();
        _deposit(attacker, 100_000_000e6);
        IMarginEngine.MarginCertificate memory ample = _marginWith(50_000_000e18);
        bool attackerBuys = t.buyer == attacker;
        _send(t, attackerBuys ? ample : counterparty, attackerBuys ? counterparty : ample);
        equityAfter = clearinghouse.equity(attacker) - 100_000_000e18;
        worstAfter = _worstLoss(attacker);
        state.revertToState(snapshot);
    }

    /// @notice The attack `t` by `attacker` (its counterparty certified with `counterparty`):
    /// without a certificate it is refused with MarginCertificateRequired(attacker); with the
    /// exact certificate of the state after, it is refused with InsufficientInitialMargin when
    /// that state is below IM (`belowMargin`), else it passes. Returns the attacker's equity
    /// and IM after the trade.
    function _assertRefused(
        Trade memory t,
        address attacker,
        IMarginEngine.MarginCertificate memory counterparty,
        bool belowMargin
    ) internal returns (int256 equityAfter, int256 initialMargin) {
        int256 worstAfter;
        (equityAfter, worstAfter) = _after(t, attacker, counterparty);
        initialMargin = worstAfter > 0 ? worstAfter : int256(0);
        assertEq(belowMargin, initialMargin > equityAfter, "below IM after the attack");
        IMarginEngine.MarginCertificate memory none;
        bool attackerBuys = t.buyer == attacker;
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, attacker)
        );
        _send(t, attackerBuys ? none : counterparty, attackerBuys ? counterparty : none);

        IMarginEngine.MarginCertificate memory exact = _marginWith(worstAfter);
        if (belowMargin) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IClearinghouse.InsufficientInitialMargin.selector,
                    attacker,
                    equityAfter,
                    initialMargin
                )
            );
        }
        _send(t, attackerBuys ? exact : counterparty, attackerBuys ? counterparty : exact);
    }
}

/// @notice Issue 19, attack 1: initial margin skipped by flipping or by selling a hedge. On
/// main a side whose position did not grow in |size| skipped initial margin, so each trade
/// below passed with no certificate and left the attacker below IM (or, for the spot hedge,
/// with a larger ES). The account-level rule (docs/protocol.md) refuses each one unless a
/// certificate shows the account at or above IM after it.
///
/// The market of `ClearinghouseOptionsFixture`: ETH at 2000, vol 80%, 30 days to expiry;
/// scenario 6 is +25% spot and +30 vol points, scenario 3 is -30% and +50 points. Bob, with
/// 1,000,000, is every attacker's counterparty.
contract InitialMarginBypassTest is ClearinghouseOptionsFixture, BypassActions {
    int256 internal constant TEN = 10e18;

    function setUp() public override {
        super.setUp();
    }

    function _deposit(address account, uint256 amount)
        internal
        override(ClearinghouseOptionsFixture, SystemFixture)
    {
        ClearinghouseOptionsFixture._deposit(account, amount);
    }

    function _marginWith(int256 threshold)
        internal
        view
        override
        returns (IMarginEngine.MarginCertificate memory)
    {
        return _margin(threshold);
    }

    function _lossOf(address account, uint256 index) internal view override returns (int256) {
        return _scenarioLoss(account, index);
    }

    function _scenarioCount() internal pure override returns (uint256) {
        return N;
    }

    function _bob() internal view returns (IMarginEngine.MarginCertificate memory) {
        return _margin(_threshold(bob));
    }

    /// @notice Alice sells `size` of option `seriesId` to Bob at its Black-Scholes value.
    function _aliceSells(uint256 seriesId, int256 size) internal view returns (Trade memory) {
        return Trade(true, seriesId, bob, alice, size, _bs(seriesId, SPOT, VOL));
    }

    /// @notice Alice buys `size` of option `seriesId` from Bob at its Black-Scholes value.
    function _aliceBuys(uint256 seriesId, int256 size) internal view returns (Trade memory) {
        return Trade(true, seriesId, alice, bob, size, _bs(seriesId, SPOT, VOL));
    }

    /// @notice Open `t` with both sides certified (Alice at 90% of her deposit).
    function _open(Trade memory t) internal {
        _send(t, _margin(_threshold(t.buyer)), _margin(_threshold(t.seller)));
    }

    // ------------------------------------------------------------ flips

    /// @notice Long 2 ETH perp, one sale of 4 ETH leaves Alice short 2: |size| does not
    /// grow, so main skipped IM, but the short is a new exposure (its worst scenario is 6,
    /// +25%, not 3). Her 2,000 cover its IM of 1,000, so a certificate lets it through.
    function test_Attack_PerpFlip_RequiresMargin() public {
        _deposit(alice, 2000e6);
        _perp(alice, bob, 2e18, 2000e18);
        (int256 equityAfter, int256 im) =
            _assertRefused(Trade(false, ETH, bob, alice, 4e18, 2000e18), alice, _bob(), false);
        assertEq(im, 1000e18, "short 2 ETH loses 1,000 at +25%");
        assertEq(equityAfter, 2000e18, "equity unchanged by trades at the mark");
    }

    /// @notice The issue's example: long 10 calls, one sale of 20 leaves Alice short 10 calls,
    /// whose IM is 4,162 (scenario 6, +25% spot and +30 vol points) against her 3,000.
    function test_Attack_OptionFlip_LongTenCallsSoldTwenty() public {
        _deposit(alice, 3000e6);
        _open(_aliceBuys(CALL_2000, TEN));
        (int256 equityAfter, int256 im) =
            _assertRefused(_aliceSells(CALL_2000, 2 * TEN), alice, _bob(), true);
        assertEq(im, 4161.711596390825055e18, "short 10 calls lose 4,162 in scenario 6");
        assertTrue(equityAfter - im < -1000e18, "scenario 6 leaves her more than 1,000 short");
    }

    // ------------------------------------------------------------ spreads and straddles

    /// @notice A long call spread (long 2000 call, short 2200 call): selling the long leg
    /// leaves a naked short call below IM.
    function test_Attack_CallSpread_SellLongLeg() public {
        _deposit(alice, 1500e6);
        _open(_aliceBuys(CALL_2000, TEN));
        _open(_aliceSells(CALL_2200, TEN));
        _assertRefused(_aliceSells(CALL_2000, TEN), alice, _bob(), true);
    }

    /// @notice The same spread: buying back the short leg leaves the long call alone, whose
    /// ES is larger than the spread's (it can lose its whole value). Her equity covers it, so
    /// a certificate lets it through; no certificate does not.
    function test_Attack_CallSpread_BuyBackShortLeg() public {
        _deposit(alice, 3000e6);
        _open(_aliceBuys(CALL_2000, TEN));
        _open(_aliceSells(CALL_2200, TEN));
        int256 worstBefore = _worstLoss(alice);
        (, int256 im) = _assertRefused(_aliceBuys(CALL_2200, TEN), alice, _bob(), false);
        assertTrue(im > worstBefore, "ES rose");
    }

    /// @notice Alice sells 10 2000 straddles (IM 3,463) with 10,000, then withdraws down to
    /// 4,000: each naked leg's IM is above that (call 4,162, put 4,731).
    function _shortStraddle() internal {
        _deposit(alice, 10_000e6);
        _open(_aliceSells(CALL_2000, TEN));
        _open(_aliceSells(PUT_2000, TEN));
        _withdraw(alice, 6000e6, 3600e18);
    }

    /// @notice A short straddle: buying back the put leaves a naked short call, which loses
    /// more at +25% than the straddle did (the put's premium no longer offsets it).
    function test_Attack_ShortStraddle_BuyBackPut() public {
        _shortStraddle();
        _assertRefused(_aliceBuys(PUT_2000, TEN), alice, _bob(), true);
    }

    /// @notice The same straddle: buying back the call leaves a naked short put, which loses
    /// more at -30% than the straddle did.
    function test_Attack_ShortStraddle_BuyBackCall() public {
        _shortStraddle();
        _assertRefused(_aliceBuys(CALL_2000, TEN), alice, _bob(), true);
    }

    /// @notice An option roll that closes the protective leg first: short 2000 calls covered
    /// by long 2200 calls (a bear call spread), the 2200 calls sold to roll them.
    function test_Attack_OptionRoll_ProtectiveLegSoldFirst() public {
        _deposit(alice, 2500e6);
        _open(_aliceBuys(CALL_2200, TEN));
        _open(_aliceSells(CALL_2000, TEN));
        _assertRefused(_aliceSells(CALL_2200, TEN), alice, _bob(), true);
    }

    /// @notice A perp hedged by a put (long 10 ETH, long 10 2000 puts): selling the puts
    /// leaves the naked perp below IM.
    function test_Attack_PutHedgedPerp_SellPuts() public {
        _deposit(alice, 3000e6);
        _open(_aliceBuys(PUT_2000, TEN));
        _perp(alice, bob, TEN, 2000e18);
        _assertRefused(_aliceSells(PUT_2000, TEN), alice, _bob(), true);
    }

    // ------------------------------------------------------------ spot collateral

    /// @notice Spot collateral is an exposure: 10 WETH (8 after the 20% haircut) hedged by a
    /// short 8 ETH perp has ES 0; buying back part of the perp raises it.
    function test_Attack_SpotCollateralHedge_CloseShortPerp() public {
        MockToken weth = new MockToken(owner, "Mock Wrapped Ether", "mWETH", 18);
        clearinghouse.setCollateralAsset(ETH, weth, 0.2e18);
        weth.mint(alice, 10e18);
        vm.startPrank(alice);
        weth.approve(address(clearinghouse), 10e18);
        clearinghouse.depositCollateral(ETH, 10e18);
        vm.stopPrank();
        _send(Trade(false, ETH, bob, alice, 8e18, 2000e18), _bob(), _margin(0));
        assertEq(_worstLoss(alice), 0, "hedged: no loss in any scenario");

        (, int256 im) =
            _assertRefused(Trade(false, ETH, alice, bob, 4e18, 2000e18), alice, _bob(), false);
        assertEq(im, 2400e18, "4 ETH unhedged lose 2,400 at -30%");
    }

    // ------------------------------------------------------------ what still needs nothing

    /// @notice A scale-down of the account's only position, and closing it, need no
    /// certificate: neither can raise ES under any scenario.
    function test_ReducingOnlyPosition_NeedsNoCertificate() public {
        _deposit(alice, 3000e6);
        _open(_aliceBuys(CALL_2000, TEN));
        IMarginEngine.MarginCertificate memory none;
        _send(_aliceSells(CALL_2000, 4e18), _bob(), none);
        _send(_aliceSells(CALL_2000, 6e18), _bob(), none);
        assertEq(clearinghouse.openPositionCount(alice), 0, "closed");

        _perp(alice, bob, 1e18, 2000e18);
        _send(Trade(false, ETH, bob, alice, 0.5e18, 2000e18), _bob(), none);
        _send(Trade(false, ETH, bob, alice, 0.5e18, 2000e18), _bob(), none);
        assertEq(clearinghouse.openPositionCount(alice), 0, "closed");
    }

    /// @notice Reducing one of two positions is not a uniform scale-down: it needs a
    /// certificate even when ES falls.
    function test_ReducingOneOfTwoPositions_NeedsCertificate() public {
        _deposit(alice, 3000e6);
        _open(_aliceBuys(CALL_2000, TEN));
        _open(_aliceBuys(PUT_2000, TEN));
        IMarginEngine.MarginCertificate memory none;
        Trade memory sale = _aliceSells(CALL_2000, 4e18);
        vm.expectRevert(
            abi.encodeWithSelector(IClearinghouse.MarginCertificateRequired.selector, alice)
        );
        _send(sale, _bob(), none);
        _send(sale, _bob(), _margin(_threshold(alice)));
    }

    // ------------------------------------------------------------ property

    /// @notice A sequence of Alice's own trades at the marks (perp at 2000, options at their
    /// Black-Scholes value), each sent without a certificate for her side, never takes her
    /// from IM <= equity to IM > equity: a trade that passes without one is a scale-down of
    /// her only exposure. The trades are the adversary's: against a position she holds, up to
    /// twice its size (reductions, closes and flips); on main, flipping her 10 calls with the
    /// perp still open left her below IM.
    function testFuzz_OwnTradesWithoutCertificate_NeverBreachInitialMargin(uint256 seed) public {
        _deposit(alice, 3000e6);
        _open(_aliceBuys(CALL_2000, TEN));
        _perp(alice, bob, 1e18, 2000e18);
        IMarginEngine.MarginCertificate memory none;
        for (uint256 step; step < 8; ++step) {
            seed = uint256(keccak256(abi.encode(seed, step)));
            Trade memory t = _randomTrade(seed);
            bool aliceBuys = t.buyer == alice;
            IMarginEngine.MarginCertificate memory mb = aliceBuys ? none : _bob();
            IMarginEngine.MarginCertificate memory ms = aliceBuys ? _bob() : none;
            vm.prank(settler);
            if (t.isOption) {
                try clearinghouse.settleOptionTrade(
                    t.buyer, t.seller, t.id, t.size, t.price, mb, ms
                ) {}
                    catch {}
            } else {
                try clearinghouse.settleTrade(t.buyer, t.seller, t.id, t.size, t.price, mb, ms) {}
                    catch {}
            }
            int256 im = _worstLoss(alice);
            assertTrue((im > 0 ? im : int256(0)) <= clearinghouse.equity(alice), "at IM after");
        }
    }

    /// @notice A trade of Alice's against Bob on the perp or one of the four series: against
    /// her position, 1% to 200% of it; 0.1 to 10 units either way if she holds none.
    function _randomTrade(uint256 seed) internal view returns (Trade memory t) {
        uint256 kind = seed % 5;
        t.isOption = kind != 4;
        t.id = t.isOption ? kind : ETH;
        t.price = t.isOption ? _bs(kind, SPOT, VOL) : int256(2000e18);
        int256 held = t.isOption
            ? clearinghouse.optionPositionOf(alice, kind).size
            : clearinghouse.positionOf(alice, ETH).size;
        if (held == 0) {
            t.size = int256(0.1e18 + (seed >> 8) % 10e18);
            (t.buyer, t.seller) = (seed >> 4) % 2 == 0 ? (alice, bob) : (bob, alice);
            return t;
        }
        int256 magnitude = held > 0 ? held : -held;
        t.size = magnitude * int256(1 + (seed >> 8) % 200) / 100;
        (t.buyer, t.seller) = held > 0 ? (bob, alice) : (alice, bob);
    }
}

/// @notice The cross-asset hedge: ETH (asset 0) and BTC (asset 1), perps only, 8 scenarios
/// in which BTC moves with ETH but not by exactly as much. Long 1 ETH hedged by short
/// 0.5 BTC at 4,000 has a small IM; buying back the BTC hedge (a reduction of that position,
/// so no certificate on main) leaves the ETH perp naked, far below IM.
contract InitialMarginBypassCrossAssetTest is BypassActions {
    uint256 internal constant BTC = 1;
    uint256 internal constant SCENARIOS = 8;

    MockAggregator internal btcFeed;
    uint64 internal epoch;

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploySystem(1e18, 0.01e18, 0.5e18);
        btcFeed = new MockAggregator(owner, 8, "BTC / USD");
        btcFeed.setAnswer(4000e8, block.timestamp);
        oracle.setFeed(BTC, btcFeed, HEARTBEAT);
        int256[][] memory s = _rows();
        epoch = registry.postScenarioSet(
            ScenarioMerkle.root(ScenarioMerkle.leaves(s)), uint32(SCENARIOS), 7500, 2
        );
        registry.publishScenarios(epoch, 0, s, ScenarioMerkle.zeros(s));
        _deposit(bob, 1_000_000e6);
    }

    /// @notice Scenario i: ETH by eth[i], BTC by btc[i].
    function _rows() internal pure returns (int256[][] memory s) {
        int256[8] memory eth =
            [int256(-0.3e18), -0.15e18, -0.05e18, 0, 0.05e18, 0.1e18, 0.2e18, 0.25e18];
        int256[8] memory btc =
            [int256(-0.28e18), -0.14e18, -0.06e18, 0.01e18, 0.04e18, 0.11e18, 0.19e18, 0.26e18];
        s = new int256[][](SCENARIOS);
        for (uint256 i; i < SCENARIOS; ++i) {
            s[i] = new int256[](2);
            s[i][0] = eth[i];
            s[i][1] = btc[i];
        }
    }

    function _marginWith(int256 threshold)
        internal
        view
        override
        returns (IMarginEngine.MarginCertificate memory)
    {
        return ScenarioMerkle.marginCertificate(epoch, _rows(), threshold);
    }

    function _lossOf(address account, uint256 index) internal view override returns (int256) {
        int256[][] memory s = _rows();
        return clearinghouse.scenarioLoss(account, s[index], new int256[](2));
    }

    function _scenarioCount() internal pure override returns (uint256) {
        return SCENARIOS;
    }

    function test_Attack_CrossAssetHedge_BuyBackBtcShort() public {
        _deposit(alice, 1000e6);
        IMarginEngine.MarginCertificate memory ample = _marginWith(900e18);
        _send(Trade(false, ETH, alice, bob, 1e18, 2000e18), ample, ample);
        _send(Trade(false, BTC, bob, alice, 0.5e18, 4000e18), ample, ample);
        assertTrue(_worstLoss(alice) <= 40e18, "hedged: at most 40 in any scenario");
        _withdraw(alice, 800e6, 190e18);

        (int256 equityAfter, int256 im) = _assertRefused(
            Trade(false, BTC, alice, bob, 0.5e18, 4000e18), alice, _marginWith(900_000e18), true
        );
        assertEq(im, 600e18, "1 ETH unhedged loses 600 at -30%");
        assertEq(equityAfter, 200e18, "equity unchanged by trades at the mark");
    }
}

/// @notice Gas of the trade paths the initial-margin rule decides between, recorded as forge
/// gas snapshots in group "trades" (snapshots/trades.json) in isolation mode (each measured
/// call is its own transaction), on the options fixture (N = 8). Never asserted.
/// forge-config: default.isolate = true
contract InitialMarginTradeGasTest is ClearinghouseOptionsFixture {
    function setUp() public override {
        super.setUp();
        _deposit(alice, 20_000e6);
        _deposit(carol, 20_000e6);
    }

    function _perpWith(
        address buyer,
        address seller,
        int256 size,
        IMarginEngine.MarginCertificate memory buyerMargin,
        IMarginEngine.MarginCertificate memory sellerMargin
    ) internal {
        vm.prank(settler);
        clearinghouse.settleTrade(buyer, seller, ETH, size, 2000e18, buyerMargin, sellerMargin);
    }

    function test_Gas_Perp_BothSidesOpen() public {
        _perp(alice, carol, 1e18, 2000e18);
        vm.snapshotGasLastCall("trades", "settleTrade, both sides open (two certificates)");
        assertEq(clearinghouse.openPositionCount(alice), 1, "opened");
    }

    function test_Gas_Perp_SellerScalesDownOnlyPosition() public {
        _perp(alice, carol, 1e18, 2000e18);
        _perpWith(bob, alice, 0.5e18, _margin(_threshold(bob)), _noMargin());
        vm.snapshotGasLastCall(
            "trades", "settleTrade, seller scales down its only position (one certificate)"
        );
        assertEq(clearinghouse.positionOf(alice, ETH).size, 0.5e18, "scaled down");
    }

    function test_Gas_Perp_SellerReducesOneOfTwo() public {
        _perp(alice, carol, 1e18, 2000e18);
        _buy(alice, carol, CALL_2000, 1e18, _bs(CALL_2000, SPOT, VOL));
        _perpWith(bob, alice, 0.5e18, _margin(_threshold(bob)), _margin(_threshold(alice)));
        vm.snapshotGasLastCall(
            "trades", "settleTrade, seller reduces one of two positions (two certificates sent)"
        );
        assertEq(clearinghouse.positionOf(alice, ETH).size, 0.5e18, "reduced");
    }

    function test_Gas_Option_BothSidesOpen() public {
        _buy(alice, carol, CALL_2000, 1e18, _bs(CALL_2000, SPOT, VOL));
        vm.snapshotGasLastCall("trades", "settleOptionTrade, both sides open (two certificates)");
        assertEq(clearinghouse.openPositionCount(alice), 1, "opened");
    }

    function test_Gas_Option_SellerClosesOnlyPosition() public {
        int256 premium = _bs(CALL_2000, SPOT, VOL);
        _buy(alice, carol, CALL_2000, 1e18, premium);
        IMarginEngine.MarginCertificate memory mb = _margin(_threshold(bob));
        vm.prank(settler);
        clearinghouse.settleOptionTrade(bob, alice, CALL_2000, 1e18, premium, mb, _noMargin());
        vm.snapshotGasLastCall(
            "trades", "settleOptionTrade, seller closes its only position (one certificate)"
        );
        assertEq(clearinghouse.openPositionCount(alice), 0, "closed");
    }
}
