// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {OracleAdapter} from "../OracleAdapter.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {TestBase} from "./utils/Vm.sol";

contract OracleAdapterTest is TestBase {
    uint256 internal constant ETH = 0;
    uint32 internal constant HEARTBEAT = 3600;
    uint256 internal constant START = 1_700_000_000;

    address internal owner = address(this);
    MockAggregator internal ethFeed;
    OracleAdapter internal oracle;

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
        OracleAdapter.Feed memory f = oracle.feed(ETH);
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
                OracleAdapter.StalePrice.selector, ETH, START, HEARTBEAT, START + HEARTBEAT + 1
            )
        );
        oracle.price(ETH);
    }

    function test_Price_RevertsOnZeroAnswer() public {
        ethFeed.setAnswer(0, START);
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.NonPositivePrice.selector, ETH, 0));
        oracle.price(ETH);
    }

    function test_Price_RevertsOnNegativeAnswer() public {
        ethFeed.setAnswer(-1, START);
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.NonPositivePrice.selector, ETH, -1));
        oracle.price(ETH);
    }

    function test_Price_RevertsOnFutureTimestamp() public {
        ethFeed.setAnswer(2000e8, START + 1);
        vm.expectRevert(
            abi.encodeWithSelector(OracleAdapter.PriceFromFuture.selector, ETH, START + 1, START)
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
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.UnknownAsset.selector, 1));
        oracle.price(1);
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.UnknownAsset.selector, 1));
        oracle.feed(1);
    }

    function test_SetFeed_RevertsOnAssetOutOfOrder() public {
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.AssetOutOfOrder.selector, 2, 1));
        oracle.setFeed(2, ethFeed, HEARTBEAT);
    }

    function test_SetFeed_RevertsOnZeroHeartbeat() public {
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.ZeroHeartbeat.selector));
        oracle.setFeed(1, ethFeed, 0);
    }

    function test_SetFeed_RevertsOnTooManyDecimals() public {
        MockAggregator fine = new MockAggregator(owner, 19, "TOO FINE");
        vm.expectRevert(abi.encodeWithSelector(OracleAdapter.UnsupportedDecimals.selector, 19));
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
            abi.encodeWithSelector(OracleAdapter.StalePrice.selector, ETH, START, 60, START + 61)
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
}
