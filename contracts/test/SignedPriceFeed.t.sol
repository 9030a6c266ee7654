// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OperatorRegistry} from "../OperatorRegistry.sol";
import {IOperatorRegistry} from "../interfaces/IOperatorRegistry.sol";
import {OracleAdapter} from "../OracleAdapter.sol";
import {SignedPriceFeed} from "../SignedPriceFeed.sol";
import {ISignedPriceFeed} from "../interfaces/ISignedPriceFeed.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Stands in for the operator registry in these unit tests only (forge cannot make
/// BLS signatures): it accepts any quorum with a non-empty signer bitmap, returning
/// `signers * BOND_PER_SIGNER` as the signed bond, and refuses an empty bitmap naming the
/// digest it was asked about. The real registry's checks are tested on Anvil in
/// `tests/test_signed_price_feed.py`.
contract StubRegistry {
    uint256 public constant BOND_PER_SIGNER = 1000;

    error StubRefused(bytes32 digest);

    function checkQuorum(bytes32 digest, IOperatorRegistry.QuorumSignature calldata quorum)
        external
        pure
        returns (uint256)
    {
        if (quorum.signers == 0) revert StubRefused(digest);
        return quorum.signers * BOND_PER_SIGNER;
    }
}

contract SignedPriceFeedTest is TestBase {
    uint256 internal constant START = 1_700_000_000;
    uint8 internal constant DECIMALS = 8;

    StubRegistry internal stub;
    SignedPriceFeed internal feed;
    IOperatorRegistry.QuorumSignature internal quorum;

    function setUp() public {
        vm.warp(START);
        stub = new StubRegistry();
        feed = new SignedPriceFeed(OperatorRegistry(address(stub)), DECIMALS, "ETH / USD");
        quorum.signers = 7; // operators 0, 1 and 2
    }

    function _report(int256 price, uint256 timestamp, uint80 round)
        internal
        view
        returns (ISignedPriceFeed.PriceReport memory)
    {
        return ISignedPriceFeed.PriceReport(block.chainid, price, uint64(timestamp), round);
    }

    // ------------------------------------------------------------ accepted rounds

    function test_Metadata() public view {
        assertEq(uint256(feed.decimals()), DECIMALS, "decimals");
        assertEq(keccak256(bytes(feed.description())), keccak256("ETH / USD"), "description");
        assertEq(feed.version(), 1, "version");
        assertEq(address(feed.registry()), address(stub), "registry");
        assertEq(uint256(feed.latestRound()), 0, "no round yet");
    }

    function test_ReportDigest_BindsTagFeedAndReport() public {
        ISignedPriceFeed.PriceReport memory report = _report(2000e8, START, 1);
        assertEq(feed.REPORT_TAG(), keccak256("vmargin.SignedPriceFeed.PriceReport"), "domain tag");
        assertEq(
            feed.reportDigest(report),
            keccak256(abi.encode(feed.REPORT_TAG(), address(feed), report)),
            "digest"
        );
        SignedPriceFeed other =
            new SignedPriceFeed(OperatorRegistry(address(stub)), DECIMALS, "ETH / USD");
        assertTrue(
            other.reportDigest(report) != feed.reportDigest(report), "another feed, another digest"
        );
    }

    function test_Submit_StoresRoundsAndAnswersAsChainlink() public {
        assertEq(feed.submit(_report(2000e8, START - 60, 1), quorum), 7000, "signed bond");
        vm.warp(START + 30);
        feed.submit(_report(2010.5e8, START + 30, 2), quorum);

        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) =
            feed.latestRoundData();
        assertEq(uint256(roundId), 2, "latest round");
        assertEq(answer, 2010.5e8, "latest answer");
        assertEq(startedAt, START + 30, "latest startedAt");
        assertEq(updatedAt, START + 30, "latest updatedAt");
        assertEq(uint256(answeredIn), 2, "latest answeredInRound");

        (roundId, answer, startedAt, updatedAt, answeredIn) = feed.getRoundData(1);
        assertEq(uint256(roundId), 1, "round 1 id");
        assertEq(answer, 2000e8, "round 1 answer");
        assertEq(startedAt, START - 60, "round 1 startedAt");
        assertEq(updatedAt, START - 60, "round 1 updatedAt");
        assertEq(uint256(answeredIn), 1, "round 1 answeredInRound");
        assertEq(uint256(feed.latestRound()), 2, "latestRound");
    }

    function test_Submit_EmitsPriceReported() public {
        vm.expectEmit(true, false, false, true, address(feed));
        emit ISignedPriceFeed.PriceReported(1, 2000e8, START, 7, 7000);
        feed.submit(_report(2000e8, START, 1), quorum);
    }

    function test_Submit_AcceptsTimestampOfTheCurrentBlock() public {
        feed.submit(_report(2000e8, START, 1), quorum);
        (,,, uint256 updatedAt,) = feed.latestRoundData();
        assertEq(updatedAt, START, "updatedAt");
    }

    function test_OracleAdapter_ReadsTheSignedFeedInWad() public {
        OracleAdapter oracle = new OracleAdapter(address(this));
        oracle.setFeed(0, feed, 3600);
        feed.submit(_report(2345.67891234e8, START, 1), quorum);
        assertEq(oracle.price(0), 2345.67891234e18, "WAD price");
    }

    // ------------------------------------------------------------ refused reports

    function test_Submit_RevertsOnAnotherChainBeforeAnyOtherCheck() public {
        ISignedPriceFeed.PriceReport memory report = _report(-1, START + 1, 5);
        report.chainId = block.chainid + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignedPriceFeed.ReportForAnotherChain.selector, block.chainid + 1, block.chainid
            )
        );
        feed.submit(report, quorum);
    }

    function test_Submit_RevertsOnRoundOutOfOrder() public {
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.RoundOutOfOrder.selector, 0, 1));
        feed.submit(_report(2000e8, START, 0), quorum);
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.RoundOutOfOrder.selector, 2, 1));
        feed.submit(_report(2000e8, START, 2), quorum);

        ISignedPriceFeed.PriceReport memory first = _report(2000e8, START - 1, 1);
        feed.submit(first, quorum);
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.RoundOutOfOrder.selector, 1, 2));
        feed.submit(first, quorum);
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.RoundOutOfOrder.selector, 3, 2));
        feed.submit(_report(2000e8, START, 3), quorum);
    }

    function test_Submit_RevertsOnTimestampNotAfterThePreviousRound() public {
        vm.expectRevert(
            abi.encodeWithSelector(ISignedPriceFeed.TimestampNotIncreasing.selector, 0, 0)
        );
        feed.submit(_report(2000e8, 0, 1), quorum);

        feed.submit(_report(2000e8, START - 10, 1), quorum);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignedPriceFeed.TimestampNotIncreasing.selector, START - 10, START - 10
            )
        );
        feed.submit(_report(2001e8, START - 10, 2), quorum);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISignedPriceFeed.TimestampNotIncreasing.selector, START - 11, START - 10
            )
        );
        feed.submit(_report(2001e8, START - 11, 2), quorum);
        feed.submit(_report(2001e8, START - 9, 2), quorum);
        assertEq(uint256(feed.latestRound()), 2, "one second later is accepted");
    }

    function test_Submit_RevertsOnFutureTimestamp() public {
        vm.expectRevert(
            abi.encodeWithSelector(ISignedPriceFeed.ReportFromFuture.selector, START + 1, START)
        );
        feed.submit(_report(2000e8, START + 1, 1), quorum);
    }

    function test_Submit_RevertsOnNonPositivePrice() public {
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.NonPositivePrice.selector, 0));
        feed.submit(_report(0, START, 1), quorum);
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.NonPositivePrice.selector, -1));
        feed.submit(_report(-1, START, 1), quorum);
    }

    /// @notice The feed asks the registry about `reportDigest(report)` and lets its error
    /// through; nothing is stored.
    function test_Submit_PropagatesTheRegistrysRefusalOfTheDigest() public {
        ISignedPriceFeed.PriceReport memory report = _report(2000e8, START, 1);
        quorum.signers = 0;
        vm.expectRevert(
            abi.encodeWithSelector(StubRegistry.StubRefused.selector, feed.reportDigest(report))
        );
        feed.submit(report, quorum);
        assertEq(uint256(feed.latestRound()), 0, "nothing stored");
    }

    function test_GetRoundData_RevertsOnUnknownRound() public {
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.NoSuchRound.selector, 0));
        feed.latestRoundData();
        feed.submit(_report(2000e8, START, 1), quorum);
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.NoSuchRound.selector, 0));
        feed.getRoundData(0);
        vm.expectRevert(abi.encodeWithSelector(ISignedPriceFeed.NoSuchRound.selector, 2));
        feed.getRoundData(2);
    }
}
