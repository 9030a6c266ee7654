// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {OracleAdapter} from "../OracleAdapter.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {TestBase} from "./utils/Vm.sol";

contract OracleAdapterTest is TestBase {
    uint256 internal constant ETH = 0;
    uint32 internal constant HEARTBEAT = 3600;
    uint256 internal constant START = 1_700_000_000;
    uint32 internal constant REF_HEARTBEAT = 600;
    uint16 internal constant MAX_BPS = 500; // 5%

    address internal owner = address(this);
    MockAggregator internal ethFeed;
    OracleAdapter internal oracle;
    MockAggregator internal ethVol;
    MockAggregator internal ethRef;

    function setUp() public {
        vm.warp(START);
        ethFeed = new MockAggregator(owner, 8, "ETH / USD");
        ethFeed.setAnswer(2000e8, START);
        oracle = new OracleAdapter(owner);
        oracle.setFeed(ETH, ethFeed, HEARTBEAT);
    }

    // ------------------------------------------------------------ normalization

    function test_Price_NormalizesEightDecimalsToWad() public view {
        assertEq(oracle.price(ETH), 2000e18, "2000e8 -> 2000e18");
        assertEq(oracle.assetCount(), 1, "assetCount");
        IOracleAdapter.Feed memory f = oracle.feed(ETH);
        assertEq(address(f.aggregator), address(ethFeed), "feed aggregator");
        assertEq(uint256(f.heartbeat), HEARTBEAT, "feed heartbeat");
        assertEq(uint256(f.decimals), 8, "feed decimals");
    }

    function test_Price_NormalizesOtherDecimals() public {
        MockAggregator wad = new MockAggregator(owner, 18, "BTC / USD");
        wad.setAnswer(65_000.123456789012345678e18, START);
        MockAggregator whole = new MockAggregator(owner, 0, "SOL / USD");
        whole.setAnswer(150, START);
        oracle.setFeed(1, wad, HEARTBEAT);
        oracle.setFeed(2, whole, HEARTBEAT);
        assertEq(oracle.assetCount(), 3, "assetCount");
        assertEq(oracle.price(1), 65_000.123456789012345678e18, "18 decimals unchanged");
        assertEq(oracle.price(2), 150e18, "0 decimals scaled by 1e18");
    }

    // ------------------------------------------------------------ refused answers

    function test_Price_AcceptsAnswerExactlyHeartbeatOld() public {
        vm.warp(START + HEARTBEAT);
        assertEq(oracle.price(ETH), 2000e18, "fresh at the heartbeat");
    }

    function test_Price_RevertsOnStaleAnswer() public {
        vm.warp(START + HEARTBEAT + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.StalePrice.selector, ETH, START, HEARTBEAT, START + HEARTBEAT + 1
            )
        );
        oracle.price(ETH);
    }

    function test_Price_RevertsOnZeroAnswer() public {
        ethFeed.setAnswer(0, START);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.NonPositivePrice.selector, ETH, 0));
        oracle.price(ETH);
    }

    function test_Price_RevertsOnNegativeAnswer() public {
        ethFeed.setAnswer(-1, START);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.NonPositivePrice.selector, ETH, -1));
        oracle.price(ETH);
    }

    function test_Price_RevertsOnFutureTimestamp() public {
        ethFeed.setAnswer(2000e8, START + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleAdapter.PriceFromFuture.selector, ETH, START + 1, START)
        );
        oracle.price(ETH);
    }

    /// @notice A feed without any round reverts inside the aggregator (not wrapped).
    function test_Price_RevertsOnFeedWithoutAnswer() public {
        MockAggregator empty = new MockAggregator(owner, 8, "EMPTY");
        oracle.setFeed(1, empty, HEARTBEAT);
        vm.expectRevert(abi.encodeWithSelector(MockAggregator.UnknownRound.selector, 0));
        oracle.price(1);
    }

    // ------------------------------------------------------------ assets

    function test_PriceAndFeed_RevertOnUnknownAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.price(1);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.feed(1);
    }

    function test_SetFeed_RevertsOnAssetOutOfOrder() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.AssetOutOfOrder.selector, 2, 1));
        oracle.setFeed(2, ethFeed, HEARTBEAT);
    }

    function test_SetFeed_RevertsOnZeroHeartbeat() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.ZeroHeartbeat.selector));
        oracle.setFeed(1, ethFeed, 0);
    }

    function test_SetFeed_RevertsOnTooManyDecimals() public {
        MockAggregator fine = new MockAggregator(owner, 19, "TOO FINE");
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnsupportedDecimals.selector, 19));
        oracle.setFeed(1, fine, HEARTBEAT);
    }

    function test_SetFeed_RebindsExistingAsset() public {
        MockAggregator other = new MockAggregator(owner, 6, "ETH / USD (6)");
        other.setAnswer(1999.5e6, START);
        oracle.setFeed(ETH, other, 60);
        assertEq(oracle.assetCount(), 1, "assetCount unchanged");
        assertEq(oracle.price(ETH), 1999.5e18, "rebound feed");
        vm.warp(START + 61);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleAdapter.StalePrice.selector, ETH, START, 60, START + 61)
        );
        oracle.price(ETH);
    }

    function test_SetFeed_RevertsForNonOwner() public {
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(0xBAD))
        );
        vm.prank(address(0xBAD));
        oracle.setFeed(1, ethFeed, HEARTBEAT);
    }

    // ------------------------------------------------------------ volatility feed

    function _setVolatility() internal {
        ethVol = new MockAggregator(owner, 8, "ETH IV");
        ethVol.setAnswer(0.65e8, START);
        oracle.setVolatilityFeed(ETH, ethVol, HEARTBEAT);
    }

    function test_Volatility_NormalizesEightDecimalsToWad() public {
        _setVolatility();
        assertEq(oracle.volatility(ETH), 0.65e18, "0.65e8 -> 0.65e18 (65%)");
        IOracleAdapter.Feed memory f = oracle.volatilityFeed(ETH);
        assertEq(address(f.aggregator), address(ethVol), "vol aggregator");
        assertEq(uint256(f.heartbeat), HEARTBEAT, "vol heartbeat");
        assertEq(uint256(f.decimals), 8, "vol decimals");
        assertEq(oracle.price(ETH), 2000e18, "spot unaffected");
    }

    function test_Volatility_NormalizesOtherDecimals() public {
        MockAggregator wad = new MockAggregator(owner, 18, "IV 18");
        wad.setAnswer(1.234567890123456789e18, START);
        oracle.setVolatilityFeed(ETH, wad, HEARTBEAT);
        assertEq(oracle.volatility(ETH), 1.234567890123456789e18, "18 decimals unchanged");
        MockAggregator whole = new MockAggregator(owner, 0, "IV 0");
        whole.setAnswer(2, START);
        oracle.setVolatilityFeed(ETH, whole, 60);
        assertEq(oracle.volatility(ETH), 2e18, "0 decimals scaled by 1e18");
        assertEq(uint256(oracle.volatilityFeed(ETH).heartbeat), 60, "rebound heartbeat");
    }

    function test_SetVolatilityFeed_EmitsEvent() public {
        MockAggregator vol = new MockAggregator(owner, 8, "ETH IV");
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IOracleAdapter.VolatilityFeedSet(ETH, address(vol), HEARTBEAT, 8, address(0));
        oracle.setVolatilityFeed(ETH, vol, HEARTBEAT);
        MockAggregator next = new MockAggregator(owner, 6, "ETH IV 2");
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IOracleAdapter.VolatilityFeedSet(ETH, address(next), 60, 6, address(vol));
        oracle.setVolatilityFeed(ETH, next, 60);
    }

    function test_Volatility_AcceptsAnswerExactlyHeartbeatOld() public {
        _setVolatility();
        vm.warp(START + HEARTBEAT);
        assertEq(oracle.volatility(ETH), 0.65e18, "fresh at the heartbeat");
    }

    function test_Volatility_RevertsOnStaleAnswer() public {
        _setVolatility();
        ethFeed.setAnswer(2000e8, START + HEARTBEAT + 1); // the spot stays fresh
        vm.warp(START + HEARTBEAT + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.StaleVolatility.selector,
                ETH,
                START,
                HEARTBEAT,
                START + HEARTBEAT + 1
            )
        );
        oracle.volatility(ETH);
        assertEq(oracle.price(ETH), 2000e18, "spot still answers");
    }

    function test_Volatility_RevertsOnFutureTimestamp() public {
        _setVolatility();
        ethVol.setAnswer(0.65e8, START + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.VolatilityFromFuture.selector, ETH, START + 1, START
            )
        );
        oracle.volatility(ETH);
    }

    function test_Volatility_RevertsOnZeroAnswer() public {
        _setVolatility();
        ethVol.setAnswer(0, START);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleAdapter.NonPositiveVolatility.selector, ETH, 0)
        );
        oracle.volatility(ETH);
    }

    function test_Volatility_RevertsOnNegativeAnswer() public {
        _setVolatility();
        ethVol.setAnswer(-0.1e8, START);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleAdapter.NonPositiveVolatility.selector, ETH, -0.1e8)
        );
        oracle.volatility(ETH);
    }

    function test_Volatility_RevertsWithoutVolatilityFeed() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownVolatilityFeed.selector, ETH));
        oracle.volatility(ETH);
        assertEq(address(oracle.volatilityFeed(ETH).aggregator), address(0), "no vol feed");
    }

    function test_Volatility_RevertsOnUnknownAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.volatility(1);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.volatilityFeed(1);
    }

    function test_SetVolatilityFeed_RevertsOnBadConfiguration() public {
        MockAggregator vol = new MockAggregator(owner, 8, "IV");
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.setVolatilityFeed(1, vol, HEARTBEAT);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.ZeroHeartbeat.selector));
        oracle.setVolatilityFeed(ETH, vol, 0);
        MockAggregator fine = new MockAggregator(owner, 19, "IV 19");
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnsupportedDecimals.selector, 19));
        oracle.setVolatilityFeed(ETH, fine, HEARTBEAT);
        vm.expectRevert(
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(0xBAD))
        );
        vm.prank(address(0xBAD));
        oracle.setVolatilityFeed(ETH, vol, HEARTBEAT);
    }

    // ------------------------------------------------------------ circuit breaker

    /// @dev A reference feed at 2000 with 8 decimals, fresh for REF_HEARTBEAT, bound 5%.
    function _setReference() internal {
        ethRef = new MockAggregator(owner, 8, "ETH / USD (reference)");
        ethRef.setAnswer(2000e8, START);
        oracle.setReferenceFeed(ETH, ethRef, REF_HEARTBEAT, MAX_BPS);
    }

    function _assertStatus(IOracleAdapter.RiskStatus expected, int256 spot, int256 ref)
        internal
        view
    {
        (IOracleAdapter.RiskStatus status, int256 spotPrice, int256 referencePrice) =
            oracle.riskStatus(ETH);
        assertEq(uint256(status), uint256(expected), "risk status");
        assertEq(spotPrice, spot, "status spot");
        assertEq(referencePrice, ref, "status reference");
    }

    function test_Breaker_OffWithoutReference() public {
        assertEq(oracle.riskPaused(ETH), false, "no reference: not paused");
        oracle.checkRiskAllowed(ETH);
        _assertStatus(IOracleAdapter.RiskStatus.NoReference, 0, 0);
        IOracleAdapter.ReferenceFeed memory r = oracle.referenceFeed(ETH);
        assertEq(address(r.aggregator), address(0), "no reference aggregator");
        assertEq(uint256(r.maxDeviationBps), 0, "no bound");
        // Without a reference the spot feed is not even read.
        ethFeed.setAnswer(-1, START);
        assertEq(oracle.riskPaused(ETH), false, "not paused, spot not read");
    }

    function test_Breaker_OffWithinBound() public {
        _setReference();
        ethFeed.setAnswer(2050e8, START);
        assertEq(oracle.riskPaused(ETH), false, "2.5% apart");
        oracle.checkRiskAllowed(ETH);
        _assertStatus(IOracleAdapter.RiskStatus.WithinBound, 2050e18, 2000e18);
        IOracleAdapter.ReferenceFeed memory r = oracle.referenceFeed(ETH);
        assertEq(address(r.aggregator), address(ethRef), "reference aggregator");
        assertEq(uint256(r.heartbeat), REF_HEARTBEAT, "reference heartbeat");
        assertEq(uint256(r.decimals), 8, "reference decimals");
        assertEq(uint256(r.maxDeviationBps), MAX_BPS, "bound");
    }

    /// @notice 5% of the reference 2000 is 100: 2100 and 1900 are exactly at the bound (not
    /// paused), one unit of the feed further is paused.
    function test_Breaker_OffAtBoundOnJustAbove() public {
        _setReference();
        ethFeed.setAnswer(2100e8, START);
        assertEq(oracle.riskPaused(ETH), false, "+5% exactly");
        oracle.checkRiskAllowed(ETH);
        ethFeed.setAnswer(2100e8 + 1, START);
        assertEq(oracle.riskPaused(ETH), true, "+5% and 1e-8");
        _assertStatus(IOracleAdapter.RiskStatus.Deviation, 2100.00000001e18, 2000e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.RiskPaused.selector, ETH, 2100.00000001e18, 2000e18
            )
        );
        oracle.checkRiskAllowed(ETH);

        ethFeed.setAnswer(1900e8, START);
        assertEq(oracle.riskPaused(ETH), false, "-5% exactly");
        ethFeed.setAnswer(1900e8 - 1, START);
        assertEq(oracle.riskPaused(ETH), true, "-5% and 1e-8");
    }

    /// @notice The reference is the denominator: 1900 is 5.26% below... of itself, but 5% of
    /// the reference 2000, so not paused; with the roles swapped it is paused.
    function test_Breaker_ReferenceIsTheDenominator() public {
        _setReference();
        ethFeed.setAnswer(1900e8, START);
        assertEq(oracle.riskPaused(ETH), false, "|1900 - 2000| / 2000 = 5%");
        ethFeed.setAnswer(2000e8, START);
        ethRef.setAnswer(1900e8, START);
        assertEq(oracle.riskPaused(ETH), true, "|2000 - 1900| / 1900 = 5.26%");
    }

    /// @notice A reference with other decimals is compared in WAD, exactly at the 1 wei level.
    function test_Breaker_ComparesInWadAcrossDecimals() public {
        MockAggregator ref18 = new MockAggregator(owner, 18, "ETH / USD (18)");
        ref18.setAnswer(1905e18, START); // 5% of 1905 = 95.25: bound at 2000.25
        oracle.setReferenceFeed(ETH, ref18, REF_HEARTBEAT, MAX_BPS);
        ethFeed.setAnswer(2000.25e8, START);
        assertEq(oracle.riskPaused(ETH), false, "at the bound");
        ref18.setAnswer(1905e18 - 1, START);
        assertEq(oracle.riskPaused(ETH), true, "reference 1 wei lower");
    }

    function test_Breaker_PriceStillAnswersWhilePaused() public {
        _setReference();
        ethFeed.setAnswer(3000e8, START);
        assertEq(oracle.riskPaused(ETH), true, "paused");
        assertEq(oracle.price(ETH), 3000e18, "price answers while paused");
        ethRef.setAnswer(0, START);
        assertEq(oracle.price(ETH), 3000e18, "price answers with a zero reference");
        vm.warp(START + HEARTBEAT);
        assertEq(oracle.price(ETH), 3000e18, "price answers with a stale reference");
    }

    function test_Breaker_AcceptsReferenceExactlyHeartbeatOld() public {
        _setReference();
        vm.warp(START + REF_HEARTBEAT);
        assertEq(oracle.riskPaused(ETH), false, "fresh at the heartbeat");
    }

    /// @notice A stale reference pauses new risk (fail closed) even when the prices agree.
    function test_Breaker_StaleReferencePauses() public {
        _setReference();
        uint256 later = START + REF_HEARTBEAT + 1;
        vm.warp(later);
        assertEq(oracle.riskPaused(ETH), true, "stale reference: paused");
        _assertStatus(IOracleAdapter.RiskStatus.StaleReference, 2000e18, 2000e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.StaleReference.selector, ETH, START, REF_HEARTBEAT, later
            )
        );
        oracle.checkRiskAllowed(ETH);
        assertEq(oracle.price(ETH), 2000e18, "price answers");
        ethRef.setAnswer(2000e8, later);
        assertEq(oracle.riskPaused(ETH), false, "fresh reference again");
    }

    function test_Breaker_FutureReferencePauses() public {
        _setReference();
        ethRef.setAnswer(2000e8, START + 1);
        assertEq(oracle.riskPaused(ETH), true, "future reference: paused");
        _assertStatus(IOracleAdapter.RiskStatus.ReferenceFromFuture, 2000e18, 2000e18);
        vm.expectRevert(
            abi.encodeWithSelector(
                IOracleAdapter.ReferenceFromFuture.selector, ETH, START + 1, START
            )
        );
        oracle.checkRiskAllowed(ETH);
    }

    function test_Breaker_NonPositiveReferencePauses() public {
        _setReference();
        ethRef.setAnswer(0, START);
        assertEq(oracle.riskPaused(ETH), true, "zero reference: paused");
        _assertStatus(IOracleAdapter.RiskStatus.NonPositiveReference, 2000e18, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IOracleAdapter.NonPositiveReference.selector, ETH, 0)
        );
        oracle.checkRiskAllowed(ETH);
        ethRef.setAnswer(-5, START);
        assertEq(oracle.riskPaused(ETH), true, "negative reference: paused");
        vm.expectRevert(
            abi.encodeWithSelector(IOracleAdapter.NonPositiveReference.selector, ETH, -5)
        );
        oracle.checkRiskAllowed(ETH);
    }

    /// @notice With a reference, an unusable spot answer reverts the breaker as price() does.
    function test_Breaker_RevertsOnUnusableSpot() public {
        _setReference();
        ethRef.setAnswer(2000e8, START + HEARTBEAT + 1);
        vm.warp(START + HEARTBEAT + 1);
        bytes memory stale = abi.encodeWithSelector(
            IOracleAdapter.StalePrice.selector, ETH, START, HEARTBEAT, START + HEARTBEAT + 1
        );
        vm.expectRevert(stale);
        oracle.riskPaused(ETH);
        vm.expectRevert(stale);
        oracle.checkRiskAllowed(ETH);
    }

    function test_Breaker_RevertsOnUnknownAsset() public {
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.riskPaused(1);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.checkRiskAllowed(1);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.riskStatus(1);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.referenceFeed(1);
    }

    function test_Breaker_SurvivesSpotRebinding() public {
        _setReference();
        MockAggregator other = new MockAggregator(owner, 6, "ETH / USD (6)");
        other.setAnswer(2200e6, START);
        oracle.setFeed(ETH, other, HEARTBEAT);
        assertEq(oracle.riskPaused(ETH), true, "new spot 10% above the reference");
    }

    function test_SetReferenceFeed_EmitsEvents() public {
        MockAggregator ref = new MockAggregator(owner, 8, "REF");
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IOracleAdapter.ReferenceFeedSet(
            ETH, address(ref), REF_HEARTBEAT, 8, MAX_BPS, address(0)
        );
        oracle.setReferenceFeed(ETH, ref, REF_HEARTBEAT, MAX_BPS);
        MockAggregator next = new MockAggregator(owner, 18, "REF 18");
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IOracleAdapter.ReferenceFeedSet(ETH, address(next), 60, 18, 10_000, address(ref));
        oracle.setReferenceFeed(ETH, next, 60, 10_000);
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IOracleAdapter.ReferenceFeedRemoved(ETH, address(next));
        oracle.removeReferenceFeed(ETH);
    }

    function test_RemoveReferenceFeed_SwitchesBreakerOff() public {
        _setReference();
        ethFeed.setAnswer(3000e8, START);
        assertEq(oracle.riskPaused(ETH), true, "paused");
        oracle.removeReferenceFeed(ETH);
        assertEq(oracle.riskPaused(ETH), false, "breaker off");
        oracle.checkRiskAllowed(ETH);
        assertEq(address(oracle.referenceFeed(ETH).aggregator), address(0), "removed");
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.NoReferenceFeed.selector, ETH));
        oracle.removeReferenceFeed(ETH);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.removeReferenceFeed(1);
    }

    function test_SetReferenceFeed_RevertsOnBadConfiguration() public {
        MockAggregator ref = new MockAggregator(owner, 8, "REF");
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnknownAsset.selector, 1));
        oracle.setReferenceFeed(1, ref, REF_HEARTBEAT, MAX_BPS);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.InvalidMaxDeviation.selector, 0));
        oracle.setReferenceFeed(ETH, ref, REF_HEARTBEAT, 0);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.InvalidMaxDeviation.selector, 10_001));
        oracle.setReferenceFeed(ETH, ref, REF_HEARTBEAT, 10_001);
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.ZeroHeartbeat.selector));
        oracle.setReferenceFeed(ETH, ref, 0, MAX_BPS);
        MockAggregator fine = new MockAggregator(owner, 19, "REF 19");
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.UnsupportedDecimals.selector, 19));
        oracle.setReferenceFeed(ETH, fine, REF_HEARTBEAT, MAX_BPS);
    }

    function test_BreakerConfiguration_RevertsForNonOwner() public {
        _setReference();
        bytes memory unauthorized =
            abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, address(0xBAD));
        vm.expectRevert(unauthorized);
        vm.prank(address(0xBAD));
        oracle.setReferenceFeed(ETH, ethRef, REF_HEARTBEAT, MAX_BPS);
        vm.expectRevert(unauthorized);
        vm.prank(address(0xBAD));
        oracle.removeReferenceFeed(ETH);
    }

    // ------------------------------------------------------------ fuzz: the deviation rule

    /// @dev The rule computed without division: |p - r| * 10000 > bps * r, both products in
    /// 512 bits (WAD prices from int192 answers reach 2^251, so the products do not fit 256).
    function _expectedPaused(uint256 p, uint256 r, uint256 bps) internal pure returns (bool) {
        uint256 difference = p > r ? p - r : r - p;
        (uint256 leftHigh, uint256 leftLow) = _mul512(difference, 10_000);
        (uint256 rightHigh, uint256 rightLow) = _mul512(bps, r);
        return leftHigh > rightHigh || (leftHigh == rightHigh && leftLow > rightLow);
    }

    /// @dev a * b = high * 2^256 + low (the Chinese-remainder trick with mulmod).
    function _mul512(uint256 a, uint256 b) internal pure returns (uint256 high, uint256 low) {
        unchecked {
            uint256 mm = mulmod(a, b, type(uint256).max);
            low = a * b;
            high = mm - low - (mm < low ? 1 : 0);
        }
    }

    function test_Mul512_Reference() public pure {
        (uint256 high, uint256 low) = _mul512(type(uint256).max, type(uint256).max);
        assertEq(high, type(uint256).max - 1, "max^2 high");
        assertEq(low, 1, "max^2 low");
        (high, low) = _mul512(uint256(1) << 250, 10_000);
        assertEq(high, 10_000 >> 6, "2^250 * 10000 high");
        assertEq(low, (10_000 & 63) << 250, "2^250 * 10000 low");
    }

    function _positiveAnswer(uint256 seed) internal pure returns (int256) {
        // log-uniform magnitudes in [1, 2^191)
        uint256 bits = 1 + (seed % 191);
        return int256(1 + ((seed >> 8) % ((uint256(1) << bits) - 1)));
    }

    /// @notice Independent answers (log-uniform up to Chainlink's int192 range), decimals and
    /// bounds: large WAD prices exercise the 512-bit product in the contract's mulDiv.
    function testFuzz_Breaker_MatchesReferenceRule(
        uint256 priceSeed,
        uint256 referenceSeed,
        uint16 bpsSeed,
        uint8 priceDecimalsSeed,
        uint8 referenceDecimalsSeed
    ) public {
        uint8 priceDecimals = priceDecimalsSeed % 19;
        uint8 referenceDecimals = referenceDecimalsSeed % 19;
        uint16 bps = uint16(1 + (bpsSeed % 10_000));
        int256 priceAnswer = _positiveAnswer(priceSeed);
        int256 referenceAnswer = _positiveAnswer(referenceSeed);
        _checkRule(priceAnswer, priceDecimals, referenceAnswer, referenceDecimals, bps);
    }

    /// @notice Spot answers within a few units of the bound on either side of the reference.
    function testFuzz_Breaker_MatchesReferenceRuleNearTheBound(
        uint256 referenceSeed,
        uint16 bpsSeed,
        uint8 offsetSeed,
        bool below,
        bool eighteenDecimals
    ) public {
        uint8 decimals = eighteenDecimals ? 18 : 8;
        uint16 bps = uint16(1 + (bpsSeed % 10_000));
        int256 referenceAnswer = _positiveAnswer(referenceSeed);
        int256 edge = int256((uint256(referenceAnswer) * bps) / 10_000);
        int256 offset = edge + int256(uint256(offsetSeed % 5)) - 2; // edge - 2 .. edge + 2
        int256 priceAnswer = below ? referenceAnswer - offset : referenceAnswer + offset;
        if (priceAnswer <= 0) priceAnswer = 1;
        _checkRule(priceAnswer, decimals, referenceAnswer, decimals, bps);
    }

    function _checkRule(
        int256 priceAnswer,
        uint8 priceDecimals,
        int256 referenceAnswer,
        uint8 referenceDecimals,
        uint16 bps
    ) internal {
        MockAggregator spot = new MockAggregator(owner, priceDecimals, "SPOT");
        MockAggregator ref = new MockAggregator(owner, referenceDecimals, "REF");
        spot.setAnswer(priceAnswer, START);
        ref.setAnswer(referenceAnswer, START);
        oracle.setFeed(ETH, spot, HEARTBEAT);
        oracle.setReferenceFeed(ETH, ref, HEARTBEAT, bps);
        uint256 p = uint256(priceAnswer) * 10 ** (18 - priceDecimals);
        uint256 r = uint256(referenceAnswer) * 10 ** (18 - referenceDecimals);
        bool expected = _expectedPaused(p, r, bps);
        assertEq(oracle.riskPaused(ETH), expected, "riskPaused vs reference rule");
        assertEq(oracle.price(ETH), int256(p), "price answers either way");
        if (expected) {
            vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.RiskPaused.selector, ETH, p, r));
        }
        oracle.checkRiskAllowed(ETH);
    }
}
