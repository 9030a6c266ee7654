// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {Clearinghouse} from "../Clearinghouse.sol";
import {IClearinghouse} from "../interfaces/IClearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {OracleAdapter} from "../OracleAdapter.sol";
import {IOracleAdapter} from "../interfaces/IOracleAdapter.sol";
import {ScenarioRegistry} from "../ScenarioRegistry.sol";
import {IScenarioRegistry} from "../interfaces/IScenarioRegistry.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {SystemFixture} from "./utils/SystemFixture.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice The log-recording and formatting cheatcodes the handler uses beyond utils/Vm.sol.
interface VmInvariantCheats {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
    function toString(bytes calldata value) external pure returns (string memory);
}

/// @notice The only fuzz target: bounded actions on 4 traders, the backstop and a keeper
/// against a perps-only clearinghouse (one ETH asset, 8 scenarios, zero vol shifts; IM = 1 *
/// ES at 75%, MM = 1 * ES at the epoch's level). It owns the mock stablecoin, the ETH spot
/// feed, its reference feed (the circuit breaker's) and the scenario registry, so it also
/// breaks and repairs the oracle and posts new risk epochs.
///
/// Before every call to the clearinghouse the handler predicts the outcome from its own exact
/// computation (equity, scenario losses, ES bounds, the oracle's checks, the certificate's
/// checks, in the contract's documented order): success, or the exact revert data of one
/// named error. Any other outcome is counted (`ghostUnexpectedReverts`,
/// `ghostUnexpectedSuccesses`); a Panic can never match a prediction. The events of every
/// successful call feed ledgers of every account's cash, the insurance fund and the
/// socialized-loss index.
contract ClearinghouseInvariantHandler is TestBase {
    /// @notice How a feed misbehaves: it stops updating (Stale), answers zero or a negative
    /// number, dates its answer after the block (FromFuture), or, the reference feed only,
    /// answers the healthy price moved by some basis points (Deviates).
    enum Fault {
        None,
        Stale,
        Zero,
        Negative,
        FromFuture,
        Deviates
    }

    /// @notice One feed as the handler drives it: its fault, with the negative answer's
    /// magnitude, the seconds ahead or the deviation in bps, the rounds (publications) it
    /// still lasts, and the latest round written.
    struct FeedState {
        Fault fault;
        int256 faultValue;
        uint256 roundsLeft;
        int256 answer;
        uint256 updatedAt;
    }

    /// @notice One risk epoch as the handler posted it: its ES level, root and spot returns.
    struct Epoch {
        uint64 id;
        uint16 alphaBps;
        bytes32 root;
        int256[8] spotReturns;
    }

    /// @notice An account as the handler values it: cash - cost basis - charges owed, its
    /// ETH perp size and its equity at the spot feed's latest answer.
    struct Valuation {
        int256 balance;
        int256 size;
        int256 equity;
    }

    int256 internal constant WAD = 1e18;
    int256 internal constant BPS = 10_000;
    uint256 internal constant ETH = 0;
    uint256 internal constant N = 8;
    /// @dev kNum of initial margin: N * (10_000 - 7500).
    int256 internal constant IM_K_NUM = 20_000;
    /// @dev USDC units (6 decimals) and 8-decimal spot answers to WAD.
    int256 internal constant SCALE = 1e12;
    int256 internal constant FEED_SCALE = 1e10;
    /// @dev The ordinary price band of movePrice (8 decimals).
    int256 internal constant MIN_PRICE = 1000e8;
    int256 internal constant MAX_PRICE = 3000e8;
    /// @dev Extreme spot answers (8 decimals): 1e-8 .. 1e-3 USD and 1e7 .. 1e18 USD per ETH.
    /// The top is what keeps every product of the contract (size * mark, size * funding
    /// index) far inside int256 for the positions the handler can build (below 1e22 wei):
    /// beyond that the documented answer is Panic 0x11, not a named error.
    uint256 internal constant EXTREME_LOW_MAX = 1e5;
    uint256 internal constant EXTREME_HIGH_MIN = 1e15;
    uint256 internal constant EXTREME_HIGH_MAX = 1e26;
    /// @dev Chainlink answers are int192: the largest magnitude of a negative answer.
    uint256 internal constant MAX_NEGATIVE_ANSWER = 2 ** 191;

    VmInvariantCheats internal constant cheats = VmInvariantCheats(address(vm));

    Clearinghouse public immutable clearinghouse;
    MockToken public immutable usdc;
    MockAggregator public immutable ethFeed;
    MockAggregator public immutable referenceFeed;
    OracleAdapter public immutable oracle;
    ScenarioRegistry public immutable registry;
    address public immutable settler;
    address public immutable backstop;
    address public immutable keeper;
    uint256 internal immutable _heartbeat;
    uint256 internal immutable _referenceHeartbeat;
    int256 internal immutable _maxDeviationBps;

    /// @dev 4 traders, then the backstop, then the keeper.
    address[6] internal _accounts;
    Epoch internal _current;
    /// @dev The epoch before the current one (id 0 until a second epoch is posted).
    Epoch internal _previous;
    /// @notice The healthy spot answer (8 decimals) that the feeds return when not faulty.
    int256 public price;
    FeedState internal _spot;
    FeedState internal _reference;

    // ------------------------------------------------------------ ghosts

    /// @notice Collateral deposited / withdrawn through the handler (token decimals).
    uint256 public ghostDeposited;
    uint256 public ghostWithdrawn;
    /// @notice Successful liquidate calls, and Liquidated events seen in any action's logs.
    uint256 public ghostLiquidations;
    uint256 public ghostLiquidatedEvents;
    /// @notice Sums over the waterfall events (WAD): BadDebt, then what the insurance fund,
    /// socialization and the backstop each took of it.
    int256 public ghostBadDebt;
    int256 public ghostInsuranceCovered;
    int256 public ghostSocialized;
    int256 public ghostBackstopAbsorbed;
    /// @notice Event-sourced ledgers: every account's cash (Deposited, Withdrawn, PnlRealized,
    /// ChargesSettled, Liquidated, BadDebt, BadDebtAbsorbedByBackstop), the insurance fund
    /// (InsuranceFunded, Liquidated, BadDebtCoveredByInsurance) and the ETH loss index
    /// (LossSocialized, each step recomputed as ceil(amount * WAD / open interest)).
    mapping(address account => int256) public ghostCash;
    int256 public ghostInsuranceFund;
    int256 public ghostLossIndex;
    /// @notice Events whose running total (fundAfter, lossIndexAfter) disagreed with the
    /// ledger.
    uint256 public ghostLedgerMismatches;
    /// @notice Set if a liquidation succeeded while the handler's own exact computation, with
    /// the strongest certificate at the live mark, found MM <= equity.
    bool public ghostLiquidatedHealthy;
    /// @notice Set if a liquidation succeeded with a certificate the handler's own check
    /// refuses (wrong epoch, count, order, range, asset count or Merkle proof).
    bool public ghostLiquidatedWithoutValidCertificate;
    /// @notice Times the contract's equity, lower bound, MM or liquidatable flag
    /// (isLiquidatable, liquidate's return) or the size left by a liquidation differed from the
    /// handler's own computation.
    uint256 public ghostCheckMismatches;
    /// @notice Calls that reverted other than predicted, or succeeded although predicted to
    /// revert; the last such revert data and the prediction it broke.
    uint256 public ghostUnexpectedReverts;
    uint256 public ghostUnexpectedSuccesses;
    bytes public lastUnexpected;
    bytes public lastExpected;
    /// @notice Trades that left a side flat with negative cash: the documented limitation
    /// that a risk-reducing trade is not margin-checked (docs/protocol.md), e.g. an
    /// underwater account closing at market. Such an account is flagged in `knownDebt` until
    /// a liquidation moves the deficit down the waterfall.
    uint256 public ghostUnderwaterCloses;
    mapping(address account => bool) public knownDebt;
    /// @notice Adversarial trades (`adversarialTrade`) that took their side from IM <= equity
    /// to IM > equity at the mark without a certificate (the handler's own IM; 2 wei of the
    /// trade's rounding allowed): must stay 0.
    uint256 public ghostUncertifiedMarginBreaches;
    /// @notice Adversarial flips refused MarginCertificateRequired, and adversarial trades
    /// that passed without a certificate (scale-downs of the account's only position).
    uint256 public ghostFlipsRefused;
    uint256 public ghostUncertifiedScaleDowns;
    /// @notice What the run exercised (printed by the test with -vv).
    uint256 public ghostTrades;
    uint256 public ghostWithdrawals;
    uint256 public ghostPartialLiquidations;
    uint256 public ghostFundings;
    uint256 public ghostInsuranceFunded;
    uint256 public ghostEpochs;
    uint256 public ghostExtremePrices;
    uint256 public ghostOracleFaults;
    /// @notice Predicted rejections by kind: the oracle's errors (spot, reference, breaker),
    /// StaleEpoch, InsufficientInitialMargin, AccountHealthy, ERC20InsufficientBalance (below)
    /// and every other named error.
    uint256 public ghostOracleRejections;
    uint256 public ghostStaleEpochRejections;
    uint256 public ghostMarginRejections;
    /// @notice Predicted MarginCertificateRequired rejections.
    uint256 public ghostCertificateRequired;
    uint256 public ghostHealthyProbes;
    /// @notice Withdrawals within the account's cash that the clearinghouse could not pay:
    /// cash realized against a counterparty whose loss is not collected yet exceeds the
    /// collateral held (the token reverts ERC20InsufficientBalance).
    uint256 public ghostUnbackedWithdrawals;
    uint256 public ghostOtherRejections;

    /// @param spotReturns The current epoch's ETH return per scenario, as posted.
    constructor(
        Clearinghouse clearinghouse_,
        MockToken usdc_,
        MockAggregator ethFeed_,
        MockAggregator referenceFeed_,
        address settler_,
        address[4] memory traders,
        address keeper_,
        int256[8] memory spotReturns
    ) {
        clearinghouse = clearinghouse_;
        usdc = usdc_;
        ethFeed = ethFeed_;
        referenceFeed = referenceFeed_;
        oracle = clearinghouse_.oracle();
        registry = clearinghouse_.engine().registry();
        settler = settler_;
        backstop = clearinghouse_.backstop();
        keeper = keeper_;
        _heartbeat = oracle.feed(ETH).heartbeat;
        IOracleAdapter.ReferenceFeed memory ref = oracle.referenceFeed(ETH);
        _referenceHeartbeat = ref.heartbeat;
        _maxDeviationBps = int256(uint256(ref.maxDeviationBps));
        for (uint256 i; i < 4; ++i) {
            _accounts[i] = traders[i];
        }
        _accounts[4] = backstop;
        _accounts[5] = keeper_;

        (uint64 id, IScenarioRegistry.ScenarioSet memory set) = registry.current();
        _current.id = id;
        _current.alphaBps = set.alphaBps;
        _current.spotReturns = spotReturns;
        _current.root = ScenarioMerkle.root(ScenarioMerkle.leaves(_rows(spotReturns)));
        assertEq(_current.root, set.root, "posted root");

        (, price,, _spot.updatedAt,) = ethFeed.latestRoundData();
        _spot.answer = price;
        (, _reference.answer,, _reference.updatedAt,) = referenceFeed.latestRoundData();
    }

    // ------------------------------------------------------------ actions: collateral

    /// @notice Mint, approve and deposit 1 .. 10_000 USDC to one of the 6 accounts; needs no
    /// price, so it succeeds whatever the oracle does.
    function deposit(uint256 accountSeed, uint256 amount) external {
        _deposit(_accounts[accountSeed % 6], _bound(amount, 1e6, 10_000e6));
    }

    /// @notice Add 1 .. 1_000 USDC to the insurance fund.
    function fundInsurance(uint256 amount) external {
        amount = _bound(amount, 1e6, 1_000e6);
        usdc.mint(address(this), amount);
        usdc.approve(address(clearinghouse), amount);
        _recordNext();
        clearinghouse.fundInsurance(amount);
        _recordEvents();
        ghostDeposited += amount;
        ++ghostInsuranceFunded;
    }

    /// @notice Withdraw 1 token unit .. half the cash from one of the 6 accounts (1 unit from
    /// an account without one: InsufficientCash), with a margin certificate of the current
    /// epoch when it has a position.
    function withdraw(uint256 accountSeed, uint256 amount) external {
        address account = _accounts[accountSeed % 6];
        int256 cashWad = clearinghouse.cash(account);
        uint256 available = cashWad > 0 ? uint256(cashWad / SCALE) : 0;
        _withdraw(account, _bound(amount, 1, available / 2 + 1));
    }

    // ------------------------------------------------------------ actions: trading

    /// @notice One funding interval later (both feeds publish a round, faults as they stand),
    /// apply a funding rate of -1% .. +1% of the mark.
    function applyFunding(uint256 rateSeed) external {
        vm.warp(block.timestamp + clearinghouse.FUNDING_INTERVAL());
        _publish();
        int256 rate = int256(_bound(rateSeed, 0, 0.02e18)) - 0.01e18;
        bytes memory expected = _spotError();
        _recordNext();
        vm.prank(settler);
        try clearinghouse.applyFunding(ETH, rate) {
            _recordEvents();
            _succeeded(expected);
            ++ghostFundings;
        } catch (bytes memory reason) {
            _reverted(reason, expected);
        }
    }

    /// @notice A trader buys ETH from another (see `_tradeSize`) at the healthy price +- 1%.
    /// A side whose risk grows carries the optimal-threshold certificate of the current epoch
    /// on its position after the trade; one certificate in sixteen is the previous epoch's
    /// (StaleEpoch), one in sixteen is missing (MarginCertificateRequired).
    function settleTrade(
        uint256 buyerSeed,
        uint256 sellerSeed,
        uint256 sizeSeed,
        uint256 bps,
        uint256 certificateSeed
    ) external {
        uint256 b = buyerSeed % 4;
        address buyer = _accounts[b];
        address seller = _accounts[(b + 1 + sellerSeed % 3) % 4];
        int256 size = _tradeSize(buyer, seller, sizeSeed);
        _settle(
            buyer,
            seller,
            size,
            price * FEED_SCALE * int256(_bound(bps, 9900, 10_100)) / BPS,
            _tradeCertificate(buyer, size, _mix(certificateSeed)),
            _tradeCertificate(seller, -size, _mix(certificateSeed) / 16)
        );
    }

    /// @notice The adversary of issue 19: a trader that holds a position trades against it,
    /// without a certificate for its side, at the healthy price: three in four flip it (101%
    /// to 300% of its size: initial margin needed, so MarginCertificateRequired), one in four
    /// scale it down (1% to 100%: its only exposure, so no certificate needed). Its
    /// counterparty, another trader, carries `_tradeCertificate`. When the spot feed can be
    /// read, a trade that passes must not take the adversary from IM <= equity to IM > equity.
    function adversarialTrade(uint256 accountSeed, uint256 sizeSeed, uint256 certificateSeed)
        external
    {
        uint256 a = accountSeed % 4;
        address adversary = _accounts[a];
        int256 held = clearinghouse.positionOf(adversary, ETH).size;
        if (held == 0) return;
        address other = _accounts[(a + 1 + certificateSeed % 3) % 4];
        uint256 percent =
            _mix(sizeSeed) % 4 == 0 ? _bound(sizeSeed, 1, 100) : _bound(sizeSeed, 101, 300);
        int256 size = int256(_abs(held) * percent / 100);
        if (size == 0) return;
        bool readable = _spotError().length == 0;
        int256 tradePrice = readable ? _markWad() : price * FEED_SCALE;
        bool atMarginBefore;
        if (readable) {
            Valuation memory v = _valuation(adversary);
            atMarginBefore = _initialMargin(v.size, _markWad()) <= v.equity;
        }
        IMarginEngine.MarginCertificate memory none;
        IMarginEngine.MarginCertificate memory counterparty =
            _tradeCertificate(other, held > 0 ? size : -size, _mix(certificateSeed));
        uint256 refusedBefore = ghostCertificateRequired;
        uint256 tradesBefore = ghostTrades;
        if (held > 0) _settle(other, adversary, size, tradePrice, counterparty, none);
        else _settle(adversary, other, size, tradePrice, none, counterparty);
        if (ghostCertificateRequired != refusedBefore) ++ghostFlipsRefused;
        if (ghostTrades == tradesBefore) return;
        ++ghostUncertifiedScaleDowns;
        if (!atMarginBefore || _spotError().length != 0) return;
        Valuation memory after_ = _valuation(adversary);
        if (_initialMargin(after_.size, _markWad()) > after_.equity + 2) {
            ++ghostUncertifiedMarginBreaches;
        }
    }

    /// @notice Liquidate, as the keeper, the first trader the handler's own computation finds
    /// liquidatable (three calls in four, screening from a random one) or else one of the 6
    /// accounts (the backstop: BackstopNotLiquidatable), with a random certificate and
    /// fraction. Two certificates in three are the strongest one (the account's ceil(k) worst
    /// scenarios at the keeper's mark); the others are random valid witnesses, the previous
    /// epoch's, or broken (witness count, array lengths, duplicate, order, range, a changed
    /// return, a changed proof node, asset count). Three fractions in four are what a keeper
    /// would send; the others are out of range, any partial fraction, or just above the
    /// close-factor rule's maximum.
    function liquidate(uint256 accountSeed, uint256 fractionSeed, uint256 certificateSeed)
        external
    {
        address account = _accounts[accountSeed % 6];
        if (_mix(accountSeed) % 4 != 0) account = _screen(accountSeed, account);
        _liquidate(
            account,
            _randomCertificate(account, certificateSeed),
            _randomFraction(account, fractionSeed)
        );
    }

    // ------------------------------------------------------------ actions: oracle, epochs

    /// @notice Move the healthy price by -20% .. +20%, kept within 1000 .. 3000; one call in
    /// sixteen jumps to an extreme price instead (1e-8 .. 1e-3 or 1e7 .. 1e18 USD, both
    /// feeds agreeing). Both feeds publish a round, faults as they stand.
    function movePrice(uint256 bps) external {
        if (_mix(bps) % 16 == 0) {
            uint256 seed = bps / 16;
            price = seed % 2 == 0
                ? int256(_bound(seed, 1, EXTREME_LOW_MAX))
                : int256(_bound(seed, EXTREME_HIGH_MIN, EXTREME_HIGH_MAX));
            ++ghostExtremePrices;
        } else {
            int256 change = int256(_bound(bps, 0, 4000)) - 2000;
            price = price * (BPS + change) / BPS;
            if (price < MIN_PRICE) price = MIN_PRICE;
            if (price > MAX_PRICE) price = MAX_PRICE;
        }
        _publish();
    }

    /// @notice Break the oracle: the spot feed (kinds 0-3) or the reference feed (4-7) goes
    /// stale (time passes beyond its heartbeat with no new round), answers zero, answers a
    /// negative int192, or dates its answer 1 s .. 1 day ahead; or (8, 9) the reference
    /// answers 0 .. 3 times the breaker's bound above or below the healthy price, which
    /// pauses new risk only beyond the bound. A fault lasts this round and 0 .. 1 more (an
    /// outage ends), or until recoverOracle; the spot and reference faults add up.
    function breakOracle(uint256 kindSeed, uint256 valueSeed) external {
        uint256 kind = kindSeed % 10;
        FeedState storage state = kind < 4 ? _spot : _reference;
        state.roundsLeft = 1 + _mix(kindSeed) % 2;
        if (kind < 8) {
            state.fault = Fault(1 + kind % 4);
        } else {
            state.fault = Fault.Deviates;
            int256 offset = int256(valueSeed % uint256(3 * _maxDeviationBps + 1));
            state.faultValue = kind == 8 ? offset : -offset;
        }
        if (state.fault == Fault.Negative) {
            state.faultValue = int256(_bound(valueSeed, 1, MAX_NEGATIVE_ANSWER));
        } else if (state.fault == Fault.FromFuture) {
            state.faultValue = int256(_bound(valueSeed, 1, 1 days));
        } else if (state.fault == Fault.Stale) {
            uint256 heartbeat = kind < 4 ? _heartbeat : _referenceHeartbeat;
            vm.warp(block.timestamp + heartbeat + 1 + valueSeed % 1 days);
        }
        _publish();
        ++ghostOracleFaults;
    }

    /// @notice Repair the oracle: both feeds publish the healthy price now.
    function recoverOracle() external {
        _recover();
    }

    /// @notice The owner posts and publishes a new epoch: 8 random ETH returns in -30% ..
    /// +30% at ES level 75% (k = 2) or 68.75% (k = 2.5: three witnesses, the last at half
    /// weight). Certificates of the epoch before must then fail with StaleEpoch.
    function postEpoch(uint256 seed) external {
        int256[8] memory r;
        for (uint256 i; i < N; ++i) {
            r[i] = int256(uint256(keccak256(abi.encode(seed, i))) % 0.6e18) - 0.3e18;
        }
        _previous = _current;
        _current.alphaBps = seed % 2 == 0 ? 7500 : 6875;
        _current.spotReturns = r;
        int256[][] memory rows = _rows(r);
        _current.root = ScenarioMerkle.root(ScenarioMerkle.leaves(rows));
        _current.id = registry.postScenarioSet(_current.root, uint32(N), _current.alphaBps, 1);
        registry.publishScenarios(_current.id, 0, rows, ScenarioMerkle.zeros(rows));
        ++ghostEpochs;
    }

    // ------------------------------------------------------------ wind-down (not a target)

    /// @notice Close the books (the test's afterInvariant, never fuzzed): repair the oracle,
    /// liquidate every trader the strongest certificate condemns until it is healthy or flat,
    /// close every remaining position by risk-reducing trades at the mark, liquidate every
    /// flat account left with debt (its deficit goes down the waterfall), let the backstop's
    /// owner pay in the backstop's deficit, then withdraw every account's whole cash.
    function windDown() external {
        _recover();
        for (uint256 i; i < 4; ++i) {
            _liquidateWhileUnderwater(_accounts[i]);
        }
        _closeOut();
        for (uint256 i; i < 6; ++i) {
            address account = _accounts[i];
            if (account != backstop && clearinghouse.cash(account) < 0) {
                _liquidate(account, _strongestCertificate(account), WAD);
            }
        }
        int256 deficit = -clearinghouse.cash(backstop);
        if (deficit > 0) _deposit(backstop, uint256(_ceilDiv(deficit, SCALE)));
        for (uint256 i; i < 6; ++i) {
            int256 cashWad = clearinghouse.cash(_accounts[i]);
            if (cashWad >= SCALE) _withdraw(_accounts[i], uint256(cashWad / SCALE));
        }
    }

    // ------------------------------------------------------------ calls and predictions

    function _deposit(address account, uint256 amount) internal {
        usdc.mint(account, amount);
        vm.startPrank(account);
        usdc.approve(address(clearinghouse), amount);
        _recordNext();
        clearinghouse.deposit(amount);
        vm.stopPrank();
        _recordEvents();
        ghostDeposited += amount;
    }

    /// @dev Withdraw `amount`: InsufficientCash beyond the cash; a flat account needs nothing
    /// else (no price either); with a position, the breaker's leave, then initial margin on
    /// the account after it. The token transfer comes last: beyond the collateral the
    /// clearinghouse holds it fails with the token's ERC20InsufficientBalance (cash realized
    /// against an account whose loss is not yet collected, see ghostUnbackedWithdrawals).
    function _withdraw(address account, uint256 amount) internal {
        int256 debited = int256(amount) * SCALE;
        int256 cashBefore = clearinghouse.cash(account);
        IMarginEngine.MarginCertificate memory margin;
        bytes memory expected;
        if (debited > cashBefore) {
            expected = abi.encodeWithSelector(
                IClearinghouse.InsufficientCash.selector, account, cashBefore, debited
            );
        } else if (clearinghouse.positionOf(account, ETH).size != 0) {
            expected = _riskError();
            if (expected.length == 0) {
                Valuation memory v = _valuation(account);
                margin = _marginCertificate(_current, v.size);
                expected = _marginError(account, margin, v.balance - debited, v.size);
            }
        }
        uint256 held = usdc.balanceOf(address(clearinghouse));
        if (expected.length == 0 && amount > held) {
            expected = abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientBalance.selector, address(clearinghouse), held, amount
            );
        }
        _recordNext();
        vm.prank(account);
        try clearinghouse.withdraw(amount, margin) {
            _recordEvents();
            _succeeded(expected);
            ghostWithdrawn += amount;
            ++ghostWithdrawals;
        } catch (bytes memory reason) {
            _reverted(reason, expected);
        }
    }

    function _settle(
        address buyer,
        address seller,
        int256 size,
        int256 tradePrice,
        IMarginEngine.MarginCertificate memory buyerMargin,
        IMarginEngine.MarginCertificate memory sellerMargin
    ) internal {
        bytes memory expected =
            _tradeError(buyer, seller, size, tradePrice, buyerMargin, sellerMargin);
        int256 buyerAfter = clearinghouse.positionOf(buyer, ETH).size + size;
        int256 sellerAfter = clearinghouse.positionOf(seller, ETH).size - size;
        _recordNext();
        vm.prank(settler);
        try clearinghouse.settleTrade(
            buyer, seller, ETH, size, tradePrice, buyerMargin, sellerMargin
        ) {
            _recordEvents();
            _succeeded(expected);
            ++ghostTrades;
            _flagDebtAfterClose(buyer, buyerAfter);
            _flagDebtAfterClose(seller, sellerAfter);
        } catch (bytes memory reason) {
            _reverted(reason, expected);
        }
    }

    /// @dev A trade in which each side scales its position down (toward zero, no flip: each
    /// trader holds only its ETH perp, so that is its only exposure) needs no price and no
    /// certificate. Otherwise the breaker's leave (which reads the spot feed first), then the
    /// certificate and initial margin of each side that does not, buyer first. A side's balance after the trade is its
    /// balance before -+ cost (docs/protocol.md: cash - costBasis moves by -cost; charges
    /// settling into cash leave the balance unchanged).
    function _tradeError(
        address buyer,
        address seller,
        int256 size,
        int256 tradePrice,
        IMarginEngine.MarginCertificate memory buyerMargin,
        IMarginEngine.MarginCertificate memory sellerMargin
    ) internal view returns (bytes memory failure) {
        int256 buyerBefore = clearinghouse.positionOf(buyer, ETH).size;
        int256 sellerBefore = clearinghouse.positionOf(seller, ETH).size;
        bool buyerGrows = !_scalesDown(buyerBefore, buyerBefore + size);
        bool sellerGrows = !_scalesDown(sellerBefore, sellerBefore - size);
        if (!buyerGrows && !sellerGrows) return "";
        failure = _riskError();
        if (failure.length != 0) return failure;
        int256 cost = _ceilDiv(size * tradePrice, WAD);
        if (buyerGrows) {
            Valuation memory v = _valuation(buyer);
            failure = _marginError(buyer, buyerMargin, v.balance - cost, v.size + size);
            if (failure.length != 0) return failure;
        }
        if (sellerGrows) {
            Valuation memory v = _valuation(seller);
            failure = _marginError(seller, sellerMargin, v.balance + cost, v.size - size);
        }
    }

    /// @dev The initial-margin check of `account` after an action, with a certificate the
    /// handler built (for the epoch it names, holding exactly that epoch's scenarios, with
    /// the optimal threshold: its bound is the exact ES at 75%, rounded up).
    function _marginError(
        address account,
        IMarginEngine.MarginCertificate memory certificate,
        int256 balanceAfter,
        int256 sizeAfter
    ) internal view returns (bytes memory) {
        if (certificate.indices.length == 0) {
            return abi.encodeWithSelector(
                IClearinghouse.MarginCertificateRequired.selector, account
            );
        }
        if (certificate.epoch != _current.id) {
            return abi.encodeWithSelector(
                IMarginEngine.StaleEpoch.selector, certificate.epoch, _current.id
            );
        }
        int256 mark = _markWad();
        int256 equityAfter = balanceAfter + _floorDiv(sizeAfter * mark, WAD);
        int256 margin = _initialMargin(sizeAfter, mark);
        if (margin > equityAfter) {
            return abi.encodeWithSelector(
                IClearinghouse.InsufficientInitialMargin.selector, account, equityAfter, margin
            );
        }
        return "";
    }

    function _liquidate(
        address account,
        IMarginEngine.LiquidationCertificate memory certificate,
        int256 fraction
    ) internal {
        (bytes memory expected, IMarginEngine.MarginCheck memory own) =
            _liquidationOutcome(account, certificate, fraction);
        if (_isPricedCheck(expected)) _crossCheck(account, certificate, own);
        bool validCertificate =
            certificate.epoch == _current.id && _certificateError(certificate).length == 0;
        (bool priced, IMarginEngine.MarginCheck memory strongest,) = _strongestCheck(account);
        bool healthy = priced && !strongest.liquidatable;
        int256 sizeBefore = clearinghouse.positionOf(account, ETH).size;
        _recordNext();
        vm.prank(keeper);
        try clearinghouse.liquidate(account, certificate, fraction) returns (
            IMarginEngine.MarginCheck memory check
        ) {
            _recordEvents();
            _succeeded(expected);
            ++ghostLiquidations;
            if (fraction < WAD) ++ghostPartialLiquidations;
            knownDebt[account] = false;
            if (!validCertificate) ghostLiquidatedWithoutValidCertificate = true;
            if (healthy) ghostLiquidatedHealthy = true;
            if (expected.length == 0 && !_sameCheck(check, own)) ++ghostCheckMismatches;
            int256 closed = fraction == WAD ? sizeBefore : sizeBefore * fraction / WAD;
            if (clearinghouse.positionOf(account, ETH).size != sizeBefore - closed) {
                ++ghostCheckMismatches;
            }
        } catch (bytes memory reason) {
            _reverted(reason, expected);
        }
    }

    /// @dev What `liquidate(account, certificate, fraction)` must do, in the contract's
    /// order: the backstop and the fraction's range; the epoch; the spot price (read only if
    /// the account holds ETH); the certificate (the handler's own check); MM > equity by the
    /// handler's own computation; the close-factor rule; an insolvent account in full only.
    /// Also returns the handler's own MarginCheck once the certificate and price are usable.
    function _liquidationOutcome(
        address account,
        IMarginEngine.LiquidationCertificate memory certificate,
        int256 fraction
    ) internal view returns (bytes memory failure, IMarginEngine.MarginCheck memory own) {
        if (account == backstop) {
            return (abi.encodeWithSelector(IClearinghouse.BackstopNotLiquidatable.selector), own);
        }
        if (fraction <= 0 || fraction > WAD) {
            return (abi.encodeWithSelector(IClearinghouse.InvalidFraction.selector, fraction), own);
        }
        if (certificate.epoch != _current.id) {
            failure = abi.encodeWithSelector(
                IMarginEngine.StaleEpoch.selector, certificate.epoch, _current.id
            );
            return (failure, own);
        }
        if (clearinghouse.positionOf(account, ETH).size != 0) failure = _spotError();
        if (failure.length == 0) failure = _certificateError(certificate);
        if (failure.length != 0) return (failure, own);
        Valuation memory v = _valuation(account);
        own = _ownCheck(v, certificate.spotReturns);
        if (!own.liquidatable) {
            failure = abi.encodeWithSelector(
                IClearinghouse.AccountHealthy.selector, account, own.equity, own.maintenanceMargin
            );
        } else if (fraction > _maxFraction(own, v)) {
            failure = abi.encodeWithSelector(
                IClearinghouse.FractionAboveCloseFactor.selector, fraction, _maxFraction(own, v)
            );
        } else if (own.equity < 0 && fraction != WAD) {
            failure = abi.encodeWithSelector(
                IClearinghouse.PartialLiquidationOfInsolventAccount.selector, account, own.equity
            );
        }
    }

    /// @dev The handler's own check of a liquidation certificate of the current epoch, in the
    /// engine's order, its Merkle proofs verified against the root the handler committed.
    /// Empty if valid.
    function _certificateError(IMarginEngine.LiquidationCertificate memory c)
        internal
        view
        returns (bytes memory)
    {
        uint256 count = c.indices.length;
        if (
            c.spotReturns.length != count || c.volShifts.length != count || c.proofs.length != count
        ) {
            return abi.encodeWithSelector(
                IMarginEngine.CertificateLengthMismatch.selector,
                count,
                c.spotReturns.length,
                c.proofs.length
            );
        }
        uint256 expected = _witnessCount(_current.alphaBps);
        if (count != expected) {
            return abi.encodeWithSelector(IMarginEngine.WrongWitnessCount.selector, expected, count);
        }
        for (uint256 i; i < count; ++i) {
            uint256 index = c.indices[i];
            if (i > 0 && index == c.indices[i - 1]) {
                return abi.encodeWithSelector(IMarginEngine.DuplicateScenarioIndex.selector, index);
            }
            if (i > 0 && index < c.indices[i - 1]) {
                return abi.encodeWithSelector(
                    IMarginEngine.ScenarioIndicesNotIncreasing.selector, index, c.indices[i - 1]
                );
            }
            if (index >= N) {
                return
                    abi.encodeWithSelector(IMarginEngine.ScenarioIndexOutOfRange.selector, index, N);
            }
            if (c.spotReturns[i].length != 1) {
                return abi.encodeWithSelector(
                    IMarginEngine.WrongAssetCount.selector, index, c.spotReturns[i].length, 1
                );
            }
            if (c.volShifts[i].length != 1) {
                return abi.encodeWithSelector(
                    IMarginEngine.WrongAssetCount.selector, index, c.volShifts[i].length, 1
                );
            }
            bytes32 leaf = ScenarioMerkle.leaf(index, c.spotReturns[i], c.volShifts[i]);
            if (!MerkleProof.verify(c.proofs[i], _current.root, leaf)) {
                return abi.encodeWithSelector(IMarginEngine.InvalidScenarioProof.selector, index);
            }
        }
        return "";
    }

    /// @dev The handler's own exact check of `account` with its strongest certificate (MM =
    /// the floor of its exact ES) at the live mark, and its valuation. `priced` is false when
    /// the account holds ETH and the spot feed cannot be read (a liquidation that succeeds
    /// then already breaks a prediction).
    function _strongestCheck(address account)
        internal
        view
        returns (bool priced, IMarginEngine.MarginCheck memory own, Valuation memory v)
    {
        if (clearinghouse.positionOf(account, ETH).size != 0 && _spotError().length != 0) {
            return (false, own, v);
        }
        v = _valuation(account);
        own = _ownCheck(v, _strongestCertificate(account).spotReturns);
        priced = true;
    }

    /// @dev A keeper screening the traders from the `seed`-th: the first one the handler's own
    /// computation finds liquidatable, else `otherwise`.
    function _screen(uint256 seed, address otherwise) internal view returns (address) {
        for (uint256 i; i < 4; ++i) {
            address account = _accounts[(seed % 4 + i) % 4];
            (bool priced, IMarginEngine.MarginCheck memory own,) = _strongestCheck(account);
            if (priced && own.liquidatable) return account;
        }
        return otherwise;
    }

    /// @dev isLiquidatable must agree with the handler's own check to the wei.
    function _crossCheck(
        address account,
        IMarginEngine.LiquidationCertificate memory certificate,
        IMarginEngine.MarginCheck memory own
    ) internal {
        if (!_sameCheck(clearinghouse.isLiquidatable(account, certificate), own)) {
            ++ghostCheckMismatches;
        }
    }

    /// @dev Whether a predicted outcome comes after every certificate and price check (so
    /// isLiquidatable answers): success or a liquidation-rule error.
    function _isPricedCheck(bytes memory expected) internal pure returns (bool) {
        if (expected.length == 0) return true;
        bytes4 selector = bytes4(expected);
        return selector == IClearinghouse.AccountHealthy.selector
            || selector == IClearinghouse.FractionAboveCloseFactor.selector
            || selector == IClearinghouse.PartialLiquidationOfInsolventAccount.selector;
    }

    function _succeeded(bytes memory expected) internal {
        if (expected.length == 0) return;
        ++ghostUnexpectedSuccesses;
        lastUnexpected = "";
        lastExpected = expected;
    }

    function _reverted(bytes memory reason, bytes memory expected) internal {
        if (expected.length == 0 || keccak256(reason) != keccak256(expected)) {
            ++ghostUnexpectedReverts;
            lastUnexpected = reason;
            lastExpected = expected;
            return;
        }
        bytes4 selector = bytes4(expected);
        if (_isOracleError(selector)) {
            ++ghostOracleRejections;
        } else if (selector == IMarginEngine.StaleEpoch.selector) {
            ++ghostStaleEpochRejections;
        } else if (selector == IClearinghouse.InsufficientInitialMargin.selector) {
            ++ghostMarginRejections;
        } else if (selector == IClearinghouse.MarginCertificateRequired.selector) {
            ++ghostCertificateRequired;
        } else if (selector == IClearinghouse.AccountHealthy.selector) {
            ++ghostHealthyProbes;
        } else if (selector == IERC20Errors.ERC20InsufficientBalance.selector) {
            ++ghostUnbackedWithdrawals;
        } else {
            ++ghostOtherRejections;
        }
    }

    function _isOracleError(bytes4 selector) internal pure returns (bool) {
        return selector == IOracleAdapter.StalePrice.selector
            || selector == IOracleAdapter.PriceFromFuture.selector
            || selector == IOracleAdapter.NonPositivePrice.selector
            || selector == IOracleAdapter.StaleReference.selector
            || selector == IOracleAdapter.ReferenceFromFuture.selector
            || selector == IOracleAdapter.NonPositiveReference.selector
            || selector == IOracleAdapter.RiskPaused.selector;
    }

    // ------------------------------------------------------------ wind-down helpers

    /// @dev Liquidate `account` with its strongest certificate at the largest fraction the
    /// rule allows while the handler's own computation finds it liquidatable (a partial
    /// liquidation may leave it so).
    function _liquidateWhileUnderwater(address account) internal {
        for (uint256 round; round < 16; ++round) {
            (, IMarginEngine.MarginCheck memory own, Valuation memory v) = _strongestCheck(account);
            if (v.size == 0 || !own.liquidatable) return;
            _liquidate(account, _strongestCertificate(account), _maxFraction(own, v));
        }
    }

    /// @dev Close every position by trades at the mark between a long seller and a short
    /// buyer: both sides reduce, so no certificate is needed. Each trade flattens one side.
    function _closeOut() internal {
        IMarginEngine.MarginCertificate memory none;
        for (uint256 round; round < 5; ++round) {
            (address long, int256 longSize) = _firstPosition(true);
            (address short, int256 shortSize) = _firstPosition(false);
            if (longSize == 0 || shortSize == 0) return;
            int256 size = longSize < -shortSize ? longSize : -shortSize;
            _settle(short, long, size, _markWad(), none, none);
        }
    }

    /// @dev The first of the traders and the backstop holding a long (or short) position.
    function _firstPosition(bool isLong) internal view returns (address, int256) {
        for (uint256 i; i < 5; ++i) {
            int256 size = clearinghouse.positionOf(_accounts[i], ETH).size;
            if (isLong ? size > 0 : size < 0) return (_accounts[i], size);
        }
        return (address(0), 0);
    }

    function _recover() internal {
        _spot.fault = Fault.None;
        _reference.fault = Fault.None;
        _publish();
    }

    // ------------------------------------------------------------ oracle model

    /// @dev Write a new round on both feeds as their faults dictate; a stale feed writes none.
    /// The reference feed has 18 decimals: its healthy answer is the price in WAD.
    function _publish() internal {
        _write(ethFeed, _spot, price);
        _write(referenceFeed, _reference, price * FEED_SCALE);
    }

    /// @dev One round of `feed`: a fault whose rounds are over ends first.
    function _write(MockAggregator feed, FeedState storage state, int256 healthy) internal {
        if (state.fault != Fault.None) {
            if (state.roundsLeft == 0) state.fault = Fault.None;
            else --state.roundsLeft;
        }
        Fault fault = state.fault;
        if (fault == Fault.Stale) return;
        int256 answer = healthy;
        if (fault == Fault.Zero) answer = 0;
        if (fault == Fault.Negative) answer = -state.faultValue;
        if (fault == Fault.Deviates) answer = healthy * (BPS + state.faultValue) / BPS;
        uint256 updatedAt = block.timestamp;
        if (fault == Fault.FromFuture) updatedAt += uint256(state.faultValue);
        feed.setAnswer(answer, updatedAt);
        state.answer = answer;
        state.updatedAt = updatedAt;
    }

    /// @dev OracleAdapter.price's error for the spot feed's latest round (answer, then time,
    /// then age), or empty.
    function _spotError() internal view returns (bytes memory) {
        FeedState memory s = _spot;
        if (s.answer <= 0) {
            return abi.encodeWithSelector(IOracleAdapter.NonPositivePrice.selector, ETH, s.answer);
        }
        if (s.updatedAt > block.timestamp) {
            return abi.encodeWithSelector(
                IOracleAdapter.PriceFromFuture.selector, ETH, s.updatedAt, block.timestamp
            );
        }
        if (block.timestamp - s.updatedAt > _heartbeat) {
            return abi.encodeWithSelector(
                IOracleAdapter.StalePrice.selector, ETH, s.updatedAt, _heartbeat, block.timestamp
            );
        }
        return "";
    }

    /// @dev OracleAdapter.checkRiskAllowed's error: the spot's, the reference round's (answer,
    /// time, age), then the deviation |spot - reference| * 10000 > bound * reference; or empty.
    function _riskError() internal view returns (bytes memory failure) {
        failure = _spotError();
        if (failure.length != 0) return failure;
        FeedState memory r = _reference;
        if (r.answer <= 0) {
            return
                abi.encodeWithSelector(IOracleAdapter.NonPositiveReference.selector, ETH, r.answer);
        }
        if (r.updatedAt > block.timestamp) {
            return abi.encodeWithSelector(
                IOracleAdapter.ReferenceFromFuture.selector, ETH, r.updatedAt, block.timestamp
            );
        }
        if (block.timestamp - r.updatedAt > _referenceHeartbeat) {
            return abi.encodeWithSelector(
                IOracleAdapter.StaleReference.selector,
                ETH,
                r.updatedAt,
                _referenceHeartbeat,
                block.timestamp
            );
        }
        int256 spotWad = _markWad();
        if (int256(_abs(spotWad - r.answer)) * BPS > _maxDeviationBps * r.answer) {
            return
                abi.encodeWithSelector(IOracleAdapter.RiskPaused.selector, ETH, spotWad, r.answer);
        }
        return "";
    }

    /// @dev The mark the contract reads: the spot feed's latest answer in WAD.
    function _markWad() internal view returns (int256) {
        return _spot.answer * FEED_SCALE;
    }

    /// @dev The mark a keeper or settler builds certificates at: the spot feed's latest
    /// answer, or the healthy price while that answer is not positive. It is the contract's
    /// mark whenever the contract can read one.
    function _keeperMark() internal view returns (int256) {
        return _spot.answer > 0 ? _markWad() : price * FEED_SCALE;
    }

    // ------------------------------------------------------------ own valuation

    /// @dev cash - costBasis - charges owed (funding size * dF and socialized loss |size| * dL,
    /// each / WAD rounded up), and equity = balance + floor(size * mark / WAD); the mark is
    /// read only for a non-zero size.
    function _valuation(address account) internal view returns (Valuation memory v) {
        IClearinghouse.Position memory p = clearinghouse.positionOf(account, ETH);
        v.size = p.size;
        v.balance = clearinghouse.cash(account);
        if (p.size == 0) {
            v.equity = v.balance;
            return v;
        }
        (int256 fundingIndex, int256 lossIndex,,) = clearinghouse.markets(ETH);
        int256 fundingCharge = _ceilDiv(p.size * (fundingIndex - p.fundingIndex), WAD);
        int256 lossCharge = int256(
            Math.mulDiv(
                _abs(p.size), uint256(lossIndex - p.lossIndex), uint256(WAD), Math.Rounding.Ceil
            )
        );
        v.balance -= p.costBasis + fundingCharge + lossCharge;
        v.equity = v.balance + _floorDiv(p.size * _markWad(), WAD);
    }

    /// @dev Equity, ES lower bound of the witnesses' returns (all but the smallest loss at
    /// full weight, the smallest at frac / 10_000, over kNum, rounded down), MM = factor * LB
    /// rounded down, liquidatable iff MM > equity: the engine's MarginCheck, computed here.
    function _ownCheck(Valuation memory v, int256[][] memory witnessReturns)
        internal
        view
        returns (IMarginEngine.MarginCheck memory own)
    {
        (int256 kNum, int256 frac) = _tail(_current.alphaBps);
        int256 mark = v.size == 0 ? int256(0) : _markWad();
        int256 sum;
        int256 smallest = type(int256).max;
        for (uint256 i; i < witnessReturns.length; ++i) {
            int256 loss = _loss(v.size, mark, witnessReturns[i][0]);
            sum += loss;
            if (loss < smallest) smallest = loss;
        }
        int256 weighted = sum * BPS;
        if (frac != 0) weighted -= (BPS - frac) * smallest;
        own.expectedShortfallLowerBound = _floorDiv(weighted, kNum);
        // MM floors the ES lower bound at zero (docs/protocol.md, "Margin is never negative").
        int256 floored =
            own.expectedShortfallLowerBound > 0 ? own.expectedShortfallLowerBound : int256(0);
        own.maintenanceMargin = _floorDiv(clearinghouse.maintenanceMarginFactor() * floored, WAD);
        own.equity = v.equity;
        own.liquidatable = own.maintenanceMargin > own.equity;
    }

    /// @dev The close-factor rule: everything when equity < floor(health * MM / WAD) or the
    /// position is worth at most the dust value at mark, else the close factor.
    function _maxFraction(IMarginEngine.MarginCheck memory own, Valuation memory v)
        internal
        view
        returns (int256)
    {
        (int256 closeFactor, int256 fullLiquidationHealth, int256 dustValue) =
            clearinghouse.liquidationParameters();
        int256 value = int256(_abs(_floorDiv(v.size * _markWad(), WAD)));
        bool unhealthy = own.equity < _floorDiv(fullLiquidationHealth * own.maintenanceMargin, WAD);
        return unhealthy || value <= dustValue ? WAD : closeFactor;
    }

    function _sameCheck(IMarginEngine.MarginCheck memory a, IMarginEngine.MarginCheck memory b)
        internal
        pure
        returns (bool)
    {
        return a.equity == b.equity
            && a.expectedShortfallLowerBound == b.expectedShortfallLowerBound
            && a.maintenanceMargin == b.maintenanceMargin && a.liquidatable == b.liquidatable;
    }

    /// @dev Loss of a perp of `size` at `mark` under return `r`, as the contract computes it:
    /// ceil(-(size * floor(mark * r / WAD)) / WAD).
    function _loss(int256 size, int256 mark, int256 r) internal pure returns (int256) {
        return _ceilDiv(-(size * _floorDiv(mark * r, WAD)), WAD);
    }

    /// @dev IM (factor 1, no add-on) of a perp of `size` at `mark` under the current epoch:
    /// the Rockafellar-Uryasev bound at 75% with the optimal threshold (the second largest
    /// loss), t + ceil(10_000 * sum max(L - t, 0) / kNum).
    function _initialMargin(int256 size, int256 mark) internal view returns (int256) {
        int256[8] memory losses = _losses(_current, size, mark);
        int256 t = _secondLargest(losses);
        int256 excess;
        for (uint256 i; i < N; ++i) {
            if (losses[i] > t) excess += losses[i] - t;
        }
        // IM floors ES at zero (docs/protocol.md, "Margin is never negative"); IM factor 1.
        int256 es = t + _ceilDiv(BPS * excess, IM_K_NUM);
        return es > 0 ? es : int256(0);
    }

    function _losses(Epoch storage e, int256 size, int256 mark)
        internal
        view
        returns (int256[8] memory losses)
    {
        for (uint256 i; i < N; ++i) {
            losses[i] = _loss(size, mark, e.spotReturns[i]);
        }
    }

    function _secondLargest(int256[8] memory values) internal pure returns (int256) {
        int256 first = type(int256).min;
        int256 second = type(int256).min;
        for (uint256 i; i < N; ++i) {
            if (values[i] > first) {
                second = first;
                first = values[i];
            } else if (values[i] > second) {
                second = values[i];
            }
        }
        return second;
    }

    /// @dev kNum = N * (10_000 - alpha) and the fractional weight frac = kNum mod 10_000.
    function _tail(uint16 alphaBps) internal pure returns (int256 kNum, int256 frac) {
        kNum = int256(N) * (BPS - int256(uint256(alphaBps)));
        frac = kNum % BPS;
    }

    /// @dev ceil(k) = ceil(kNum / 10_000).
    function _witnessCount(uint16 alphaBps) internal pure returns (uint256) {
        (int256 kNum,) = _tail(alphaBps);
        return uint256(_ceilDiv(kNum, BPS));
    }

    // ------------------------------------------------------------ certificates

    function _rows(int256[8] memory r) internal pure returns (int256[][] memory rows) {
        rows = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            rows[i] = new int256[](1);
            rows[i][0] = r[i];
        }
    }

    /// @dev The liquidation certificate of `indices` (increasing) of epoch `e`.
    function _certificate(Epoch storage e, uint256[] memory indices)
        internal
        view
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        return ScenarioMerkle.certificate(e.id, _rows(e.spotReturns), indices);
    }

    /// @dev The `count` scenarios of `e` with the largest losses for a perp of `size` at the
    /// keeper's mark, in increasing index order.
    function _worst(Epoch storage e, int256 size, uint256 count)
        internal
        view
        returns (uint256[] memory)
    {
        int256[8] memory losses = _losses(e, size, _keeperMark());
        bool[8] memory taken;
        for (uint256 c; c < count; ++c) {
            uint256 best = N;
            for (uint256 i; i < N; ++i) {
                if (!taken[i] && (best == N || losses[i] > losses[best])) best = i;
            }
            taken[best] = true;
        }
        return _takenIndices(taken, count);
    }

    function _takenIndices(bool[8] memory taken, uint256 count)
        internal
        pure
        returns (uint256[] memory indices)
    {
        indices = new uint256[](count);
        uint256 next;
        for (uint256 i; i < N; ++i) {
            if (taken[i]) indices[next++] = i;
        }
    }

    function _strongestCertificate(address account)
        internal
        view
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        int256 size = clearinghouse.positionOf(account, ETH).size;
        return _certificate(_current, _worst(_current, size, _witnessCount(_current.alphaBps)));
    }

    /// @dev See `liquidate`: _mix(seed) % 30 picks random valid witnesses (0), another epoch
    /// (1), one witness too many (2), a proofs array of the wrong length (3), a duplicate (4),
    /// two witnesses out of order (5), an index >= N (6), a changed return (7), a changed
    /// proof node (8), two vol shifts for one asset (9), else the strongest certificate.
    function _randomCertificate(address account, uint256 seed)
        internal
        view
        returns (IMarginEngine.LiquidationCertificate memory c)
    {
        uint256 mode = _mix(seed) % 30;
        int256 size = clearinghouse.positionOf(account, ETH).size;
        uint256 count = _witnessCount(_current.alphaBps);
        if (mode == 1 && _previous.id != 0) {
            return
                _certificate(_previous, _worst(_previous, size, _witnessCount(_previous.alphaBps)));
        }
        if (mode == 0) return _certificate(_current, _randomIndices(seed, count));
        c = _certificate(_current, _worst(_current, size, mode == 2 ? count + 1 : count));
        uint256 j = (seed / 30) % count;
        if (mode == 1) {
            c.epoch = _current.id + 1;
        } else if (mode == 3) {
            c.proofs = new bytes32[][](count + 1);
        } else if (mode == 4) {
            c.indices[1] = c.indices[0];
            c.spotReturns[1] = c.spotReturns[0];
            c.proofs[1] = c.proofs[0];
        } else if (mode == 5) {
            (c.indices[0], c.indices[1]) = (c.indices[1], c.indices[0]);
            (c.spotReturns[0], c.spotReturns[1]) = (c.spotReturns[1], c.spotReturns[0]);
            (c.proofs[0], c.proofs[1]) = (c.proofs[1], c.proofs[0]);
        } else if (mode == 6) {
            c.indices[count - 1] = N + seed % 100;
        } else if (mode == 7) {
            c.spotReturns[j][0] += 1;
        } else if (mode == 8) {
            c.proofs[j][seed % 3] ^= bytes32(uint256(1));
        } else if (mode == 9) {
            c.volShifts[j] = new int256[](2);
        }
    }

    /// @dev `count` distinct indices < N drawn from `seed`, increasing.
    function _randomIndices(uint256 seed, uint256 count) internal pure returns (uint256[] memory) {
        bool[8] memory taken;
        for (uint256 c; c < count; ++c) {
            uint256 index = uint256(keccak256(abi.encode(seed, c))) % N;
            while (taken[index]) index = (index + 1) % N;
            taken[index] = true;
        }
        return _takenIndices(taken, count);
    }

    /// @dev _mix(seed) % 12: 0 out of range (0, negative or above 1), 1 any partial fraction,
    /// 2 just above what the rule allows, else what a keeper would send: all of an insolvent
    /// account, otherwise 1% .. the rule's maximum (by the handler's own computation with the
    /// strongest certificate; 1% .. 100% when the price cannot be read).
    function _randomFraction(address account, uint256 seed) internal view returns (int256) {
        uint256 mode = _mix(seed) % 12;
        if (mode == 0) {
            uint256 pick = (seed / 12) % 3;
            return pick == 0 ? int256(0) : pick == 1 ? -int256(seed % 1e18) - 1 : WAD + 1;
        }
        if (mode == 1) return int256(_bound(seed, 0.01e18, uint256(WAD) - 1));
        int256 maxFraction = WAD;
        (bool priced, IMarginEngine.MarginCheck memory own, Valuation memory v) =
            _strongestCheck(account);
        if (priced) {
            if (own.equity < 0) return mode == 2 ? WAD + 1 : WAD;
            maxFraction = _maxFraction(own, v);
        }
        if (mode == 2) return maxFraction + 1;
        return int256(_bound(seed, 0.01e18, uint256(maxFraction)));
    }

    /// @dev One trade in four closes a side exactly (a short buyer or a long seller). Else
    /// 0.01 ETH up to 1.5 times the room both sides have at initial margin, at most 100 ETH
    /// (10 ETH while the spot feed cannot be read): about a third of these trades fail
    /// InsufficientInitialMargin, the others leave the sides leveraged enough for price moves
    /// and new epochs to make them liquidatable.
    function _tradeSize(address buyer, address seller, uint256 seed)
        internal
        view
        returns (int256)
    {
        if (_mix(seed) % 4 == 0) {
            int256 buyerSize = clearinghouse.positionOf(buyer, ETH).size;
            if (buyerSize < 0) return -buyerSize;
            int256 sellerSize = clearinghouse.positionOf(seller, ETH).size;
            if (sellerSize > 0) return sellerSize;
        }
        int256 capacity = 10e18;
        if (_spotError().length == 0) {
            int256 buyerRoom = _room(buyer, WAD);
            int256 sellerRoom = _room(seller, -WAD);
            capacity = buyerRoom < sellerRoom ? buyerRoom : sellerRoom;
            capacity = capacity * 3 / 2;
            if (capacity > 100e18) capacity = 100e18;
        }
        if (capacity < 0.01e18) capacity = 0.01e18;
        return int256(_bound(seed, 0.01e18, uint256(capacity)));
    }

    /// @dev How much ETH `account` can add on the side of `unit` (WAD to buy, -WAD to sell)
    /// and stay at initial margin: the position its equity carries (equity / IM of one unit:
    /// IM is homogeneous in the size) less what it holds on that side.
    function _room(address account, int256 unit) internal view returns (int256) {
        int256 unitMargin = _initialMargin(unit, _markWad());
        if (unitMargin <= 0) return 100e18;
        Valuation memory v = _valuation(account);
        return v.equity * WAD / unitMargin - v.size * unit / WAD;
    }

    /// @dev Whether a position of `before` going to `after_` is a scale-down: toward zero,
    /// without flipping (Clearinghouse._book).
    function _scalesDown(int256 before, int256 after_) internal pure returns (bool) {
        return _abs(after_) < _abs(before) && (after_ == 0 || (after_ > 0) == (before > 0));
    }

    /// @dev The margin certificate of `account`'s side of a trade moving its position by
    /// `change`: none if it scales its position down; else, by seed % 16, the previous epoch's (0; before
    /// a second epoch, one naming the next epoch), none (1), or the current epoch's.
    function _tradeCertificate(address account, int256 change, uint256 seed)
        internal
        view
        returns (IMarginEngine.MarginCertificate memory c)
    {
        int256 sizeBefore = clearinghouse.positionOf(account, ETH).size;
        int256 sizeAfter = sizeBefore + change;
        if (_scalesDown(sizeBefore, sizeAfter) || seed % 16 == 1) return c;
        if (seed % 16 != 0) return _marginCertificate(_current, sizeAfter);
        if (_previous.id != 0) return _marginCertificate(_previous, sizeAfter);
        c = _marginCertificate(_current, sizeAfter);
        c.epoch = _current.id + 1;
    }

    /// @dev A margin certificate of all 8 scenarios of `e` in index order, with the optimal
    /// threshold for a perp of `size` at the keeper's mark.
    function _marginCertificate(Epoch storage e, int256 size)
        internal
        view
        returns (IMarginEngine.MarginCertificate memory)
    {
        return ScenarioMerkle.marginCertificate(
            e.id, _rows(e.spotReturns), _secondLargest(_losses(e, size, _keeperMark()))
        );
    }

    // ------------------------------------------------------------ event ledgers

    /// @dev Start recording the logs of the next clearinghouse call, dropping what was recorded
    /// before: forge records the logs of reverted calls too, and those must not reach the
    /// ledgers.
    function _recordNext() internal {
        cheats.recordLogs();
    }

    /// @dev Add the clearinghouse's events recorded since `_recordNext` (a call that
    /// succeeded) to the ghost ledgers.
    function _recordEvents() internal {
        VmInvariantCheats.Log[] memory logs = cheats.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(clearinghouse) && logs[i].topics.length != 0) {
                _recordEvent(logs[i]);
            }
        }
    }

    function _recordEvent(VmInvariantCheats.Log memory log) internal {
        bytes32 topic = log.topics[0];
        if (topic == IClearinghouse.Deposited.selector) {
            (uint256 amount,) = abi.decode(log.data, (uint256, int256));
            ghostCash[_topicAddress(log, 1)] += int256(amount) * SCALE;
        } else if (topic == IClearinghouse.Withdrawn.selector) {
            (uint256 amount,) = abi.decode(log.data, (uint256, int256));
            ghostCash[_topicAddress(log, 1)] -= int256(amount) * SCALE;
        } else if (topic == IClearinghouse.InsuranceFunded.selector) {
            (uint256 amount, int256 fundAfter) = abi.decode(log.data, (uint256, int256));
            ghostInsuranceFund += int256(amount) * SCALE;
            _checkLedger(fundAfter, ghostInsuranceFund);
        } else if (topic == IClearinghouse.PnlRealized.selector) {
            (, int256 pnl) = abi.decode(log.data, (bool, int256));
            ghostCash[_topicAddress(log, 1)] += pnl;
        } else if (topic == IClearinghouse.ChargesSettled.selector) {
            (, int256 charge) = abi.decode(log.data, (bool, int256));
            ghostCash[_topicAddress(log, 1)] -= charge;
        } else if (topic == IClearinghouse.Liquidated.selector) {
            (,,,, int256 reward, int256 insuranceFee) =
                abi.decode(log.data, (int256, int256, int256, int256, int256, int256));
            ++ghostLiquidatedEvents;
            ghostCash[_topicAddress(log, 1)] -= reward + insuranceFee;
            ghostCash[_topicAddress(log, 2)] += reward;
            ghostInsuranceFund += insuranceFee;
        } else if (topic == IClearinghouse.BadDebt.selector) {
            int256 badDebt = abi.decode(log.data, (int256));
            ghostBadDebt += badDebt;
            ghostCash[_topicAddress(log, 1)] += badDebt;
        } else if (topic == IClearinghouse.BadDebtCoveredByInsurance.selector) {
            (int256 amount, int256 fundAfter) = abi.decode(log.data, (int256, int256));
            ghostInsuranceCovered += amount;
            ghostInsuranceFund -= amount;
            _checkLedger(fundAfter, ghostInsuranceFund);
        } else if (topic == IClearinghouse.LossSocialized.selector) {
            (int256 amount, int256 openInterest, int256 indexAfter) =
                abi.decode(log.data, (int256, int256, int256));
            ghostSocialized += amount;
            ghostLossIndex += int256(
                Math.mulDiv(
                    uint256(amount), uint256(WAD), uint256(openInterest), Math.Rounding.Ceil
                )
            );
            _checkLedger(indexAfter, ghostLossIndex);
        } else if (topic == IClearinghouse.BadDebtAbsorbedByBackstop.selector) {
            int256 amount = abi.decode(log.data, (int256));
            ghostBackstopAbsorbed += amount;
            ghostCash[backstop] -= amount;
        }
    }

    function _checkLedger(int256 reported, int256 ledger) internal {
        if (reported != ledger) ++ghostLedgerMismatches;
    }

    function _topicAddress(VmInvariantCheats.Log memory log, uint256 i)
        internal
        pure
        returns (address)
    {
        return address(uint160(uint256(log.topics[i])));
    }

    // ------------------------------------------------------------ small helpers

    function _flagDebtAfterClose(address account, int256 sizeAfter) internal {
        if (sizeAfter == 0 && clearinghouse.cash(account) < 0) {
            knownDebt[account] = true;
            ++ghostUnderwaterCloses;
        }
    }

    function _abs(int256 x) internal pure returns (uint256) {
        return x < 0 ? uint256(-x) : uint256(x);
    }

    function _floorDiv(int256 a, int256 b) internal pure returns (int256 q) {
        q = a / b;
        if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    }

    function _ceilDiv(int256 a, int256 b) internal pure returns (int256) {
        return -_floorDiv(-a, b);
    }

    /// @dev A uniform draw from a fuzzed seed: the fuzzer favours small and edge values, which
    /// would skew every "one call in n" choice toward its first cases.
    function _mix(uint256 seed) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed)));
    }

    /// @dev `x` itself if in [lo, hi] (as forge-std's bound: setUp's seed deposits are exact),
    /// else wrapped into it.
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (x >= lo && x <= hi) return x;
        return lo + x % (hi - lo + 1);
    }
}

/// @notice Invariants of the perps-only clearinghouse under the handler's random actions,
/// including oracle faults, new epochs and random certificates: collateral conservation, no
/// healthy account liquidated, no liquidation without a valid certificate, bad debt only
/// through the waterfall with events, every failure a predicted named error, all asserted
/// after every call, and no funds stuck, shown at the end of every run.
/// @dev One invariant function asserts every property: forge runs each invariant function
/// as its own campaign from the same seed, so separate functions would replay the very same
/// call sequences, each checking one property, at that many times the cost.
contract ClearinghouseInvariantTest is SystemFixture {
    /// @notice forge's selector filter (forge-std's StdInvariant.FuzzSelector).
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    uint32 internal constant REFERENCE_HEARTBEAT = 7200;
    uint16 internal constant MAX_DEVIATION_BPS = 500;
    uint32 internal constant N = 8;
    uint16 internal constant ALPHA = 7500;
    /// @dev Rounding surplus bound (WAD wei, 1e-12 of a dollar): each charge settlement rounds
    /// at most 2 wei in the contract's favour, each socialization at most OI / 1e18 + 1 wei.
    int256 internal constant MAX_SURPLUS = 1e6;
    int256 internal constant SCALE = 1e12;

    address[4] internal traders = [alice, bob, carol, dave];

    MockAggregator internal referenceFeed;
    ClearinghouseInvariantHandler internal handler;

    /// @dev The first epoch's returns: worst for a long are -20% and -15%, for a short +10%,
    /// +5%.
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

    function setUp() public {
        vm.warp(1_700_000_000);
        _deploySystem(1e18, 0.01e18, 0.5e18);
        referenceFeed = new MockAggregator(owner, 18, "ETH / USD reference");
        referenceFeed.setAnswer(2000e18, block.timestamp);
        oracle.setReferenceFeed(ETH, referenceFeed, REFERENCE_HEARTBEAT, MAX_DEVIATION_BPS);
        clearinghouse.setInitialMarginParameters(1e18, ALPHA);

        int256[8] memory r = _returns();
        int256[][] memory s = new int256[][](N);
        for (uint256 i; i < N; ++i) {
            s[i] = new int256[](1);
            s[i][0] = r[i];
        }
        uint64 epoch =
            registry.postScenarioSet(ScenarioMerkle.root(ScenarioMerkle.leaves(s)), N, ALPHA, 1);
        registry.publishScenarios(epoch, 0, s, ScenarioMerkle.zeros(s));

        handler = new ClearinghouseInvariantHandler(
            clearinghouse, usdc, ethFeed, referenceFeed, settler, traders, keeper, r
        );
        usdc.transferOwnership(address(handler));
        ethFeed.transferOwnership(address(handler));
        referenceFeed.transferOwnership(address(handler));
        registry.transferOwnership(address(handler));

        // Seed every trader and the backstop so that trades start early in each run.
        for (uint256 i; i < 5; ++i) {
            handler.deposit(i, 10_000e6);
        }
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @notice Every action of the handler but windDown.
    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](11);
        selectors[0] = handler.deposit.selector;
        selectors[1] = handler.fundInsurance.selector;
        selectors[2] = handler.withdraw.selector;
        selectors[3] = handler.applyFunding.selector;
        selectors[4] = handler.settleTrade.selector;
        selectors[5] = handler.liquidate.selector;
        selectors[6] = handler.movePrice.selector;
        selectors[7] = handler.breakOracle.selector;
        selectors[8] = handler.recoverOracle.selector;
        selectors[9] = handler.postEpoch.selector;
        selectors[10] = handler.adversarialTrade.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// @dev The 4 traders, the backstop and the keeper.
    function _accounts() internal view returns (address[6] memory a) {
        for (uint256 i; i < 4; ++i) {
            a[i] = traders[i];
        }
        a[4] = backstop;
        a[5] = keeper;
    }

    /// @notice Every property after every call.
    function invariant_clearinghouseProperties() public view {
        _assertCollateralConservation();
        _assertNoLiquidationWithoutValidCertificate();
        _assertNoHealthyAccountLiquidated();
        _assertBadDebtOnlyThroughWaterfall();
        _assertFaultsRevertWithNamedErrors();
        _assertNoUncertifiedMarginBreach();
    }

    /// @notice At the end of every run: every property again, then no funds stuck. The
    /// handler repairs the oracle, liquidates and closes every position, sends every flat
    /// account's debt down the waterfall, has the backstop's owner pay in the backstop's
    /// deficit and withdraws every account's cash. Then every property still holds, every
    /// position is closed, every account's cash is in [0, 1 token unit) and the collateral
    /// left is the insurance fund plus at most that dust and the rounding surplus.
    function afterInvariant() public {
        invariant_clearinghouseProperties();
        _logRun();
        handler.windDown();
        invariant_clearinghouseProperties();
        address[6] memory a = _accounts();
        for (uint256 i; i < 6; ++i) {
            assertEq(clearinghouse.openPositionCount(a[i]), 0, "position left after wind-down");
            int256 c = clearinghouse.cash(a[i]);
            assertTrue(c >= 0 && c < SCALE, "cash left after withdrawing everything");
        }
        int256 left =
            int256(usdc.balanceOf(address(clearinghouse))) * SCALE - clearinghouse.insuranceFund();
        assertTrue(left >= 0, "collateral left < insurance fund");
        assertTrue(left <= 6 * (SCALE - 1) + MAX_SURPLUS, "collateral stuck beyond dust");
    }

    /// @notice Collateral conservation. The collateral held (WAD) equals the insurance fund
    /// plus the sum over accounts of cash - costBasis - charges owed (the portfolio balance),
    /// up to a rounding surplus of at most MAX_SURPLUS wei that the contract keeps: funding
    /// and socialized losses round every charge up and every credit down, so the surplus is
    /// never negative. The collateral held equals net deposits. Positions are zero-sum and
    /// the market's open interest is the sum of their absolute sizes.
    /// @dev "cash + costBasis" is not conserved: a reduction realizes its PnL into cash
    /// (Clearinghouse._fill), so the conserved quantity is cash - costBasis (equity = cash +
    /// size * mark - costBasis - charges).
    function _assertCollateralConservation() internal view {
        address[6] memory a = _accounts();
        int256 total = clearinghouse.insuranceFund();
        int256 sizes;
        int256 absoluteSizes;
        for (uint256 i; i < 6; ++i) {
            total += clearinghouse.portfolioOf(a[i]).balance;
            int256 size = clearinghouse.positionOf(a[i], ETH).size;
            sizes += size;
            absoluteSizes += size < 0 ? -size : size;
        }
        uint256 balance = usdc.balanceOf(address(clearinghouse));
        int256 surplus = int256(balance) * SCALE - total;
        assertTrue(surplus >= 0, "collateral held < insurance fund + sum of balances");
        assertTrue(surplus <= MAX_SURPLUS, "rounding surplus above MAX_SURPLUS");
        assertEq(
            balance, handler.ghostDeposited() - handler.ghostWithdrawn(), "balance != net deposits"
        );
        assertEq(sizes, int256(0), "sum of ETH perp sizes");
        (,, int256 openInterest,) = clearinghouse.markets(ETH);
        assertEq(openInterest, absoluteSizes, "open interest != sum of |size|");
    }

    /// @notice No liquidation without a valid certificate: none succeeded with a certificate
    /// the handler's own check refuses, and every Liquidated event is one of the handler's
    /// successful liquidate calls.
    function _assertNoLiquidationWithoutValidCertificate() internal view {
        assertTrue(
            !handler.ghostLiquidatedWithoutValidCertificate(),
            "liquidated with an invalid certificate"
        );
        assertEq(handler.ghostLiquidatedEvents(), handler.ghostLiquidations(), "Liquidated events");
    }

    /// @notice No healthy account is ever liquidated: no liquidation succeeded while the
    /// handler's own exact computation (the strongest certificate at the live mark) found
    /// MM <= equity, and isLiquidatable, liquidate's MarginCheck and the size it leaves
    /// always equal the handler's own numbers to the wei.
    function _assertNoHealthyAccountLiquidated() internal view {
        assertTrue(!handler.ghostLiquidatedHealthy(), "liquidated a healthy account");
        assertEq(handler.ghostCheckMismatches(), 0, "contract check != own computation");
    }

    /// @notice Bad debt only through the waterfall, with events. What the BadDebt events wrote
    /// off equals what the insurance fund, socialization and the backstop took; every
    /// account's cash, the insurance fund and the loss index equal the ledgers rebuilt from
    /// the events alone (so the backstop's, the insurance fund's and socialized balances move
    /// only with an event); and every account but the backstop without a position has
    /// cash >= 0, except in the documented case (docs/protocol.md: a risk-reducing trade is
    /// not margin-checked): an account the handler saw closed underwater by a trade and that
    /// no liquidation has cleaned up since. A liquidation always leaves cash >= 0 behind.
    function _assertBadDebtOnlyThroughWaterfall() internal view {
        assertEq(
            handler.ghostBadDebt(),
            handler.ghostInsuranceCovered() + handler.ghostSocialized()
                + handler.ghostBackstopAbsorbed(),
            "bad debt != insurance + socialized + backstop"
        );
        assertEq(handler.ghostLedgerMismatches(), 0, "event running totals != ledgers");
        assertEq(
            clearinghouse.insuranceFund(), handler.ghostInsuranceFund(), "insurance fund != events"
        );
        (, int256 lossIndex,,) = clearinghouse.markets(ETH);
        assertEq(lossIndex, handler.ghostLossIndex(), "loss index != LossSocialized events");
        address[6] memory a = _accounts();
        for (uint256 i; i < 6; ++i) {
            int256 c = clearinghouse.cash(a[i]);
            if (c != handler.ghostCash(a[i])) {
                revert(string.concat("cash != its events: ", vm.toString(a[i])));
            }
            if (a[i] == backstop || clearinghouse.openPositionCount(a[i]) != 0) continue;
            if (c < 0 && !handler.knownDebt(a[i])) {
                revert(
                    string.concat(
                        "flat account ", vm.toString(a[i]), " has negative cash ", vm.toString(c)
                    )
                );
            }
        }
    }

    /// @notice Every call failed exactly as the handler predicted, or succeeded as predicted:
    /// under a faulty oracle every call that needs a price reverts with the oracle's named
    /// error (StalePrice, PriceFromFuture, NonPositivePrice; for new risk also StaleReference,
    /// ReferenceFromFuture, NonPositiveReference, RiskPaused), every bad certificate, fraction
    /// or withdrawal with its own named error and arguments, and nothing Panics.
    function _assertFaultsRevertWithNamedErrors() internal view {
        if (handler.ghostUnexpectedReverts() + handler.ghostUnexpectedSuccesses() != 0) {
            revert(
                string.concat(
                    "unexpected outcome: got ",
                    _outcome(handler.lastUnexpected()),
                    ", expected ",
                    _outcome(handler.lastExpected())
                )
            );
        }
    }

    /// @notice Initial margin is an account-level property (issue 19): no trade an account
    /// makes without a certificate takes it from IM <= equity to IM > equity at the mark.
    function _assertNoUncertifiedMarginBreach() internal view {
        assertEq(handler.ghostUncertifiedMarginBreaches(), 0, "uncertified trade breached IM");
    }

    /// @notice Print what the run exercised before the wind-down (shown with -vv).
    function _logRun() internal view {
        _log("trades", handler.ghostTrades());
        _log("withdrawals", handler.ghostWithdrawals());
        _log("liquidations", handler.ghostLiquidations());
        _log("partial liquidations", handler.ghostPartialLiquidations());
        _log("fundings", handler.ghostFundings());
        _log("insurance top-ups", handler.ghostInsuranceFunded());
        _log("epochs posted", handler.ghostEpochs());
        _log("extreme prices", handler.ghostExtremePrices());
        _log("oracle faults", handler.ghostOracleFaults());
        _log("oracle rejections", handler.ghostOracleRejections());
        _log("StaleEpoch rejections", handler.ghostStaleEpochRejections());
        _log("IM rejections", handler.ghostMarginRejections());
        _log("MarginCertificateRequired", handler.ghostCertificateRequired());
        _log("healthy probes", handler.ghostHealthyProbes());
        _log("unbacked withdrawals", handler.ghostUnbackedWithdrawals());
        _log("other named rejections", handler.ghostOtherRejections());
        _log("underwater closes", handler.ghostUnderwaterCloses());
        _log("adversarial flips refused", handler.ghostFlipsRefused());
        _log("adversarial scale-downs", handler.ghostUncertifiedScaleDowns());
        _log("bad debt (WAD)", uint256(handler.ghostBadDebt()));
        _log("socialized (WAD)", uint256(handler.ghostSocialized()));
    }

    /// @dev "success" for empty revert data, else the data in hex.
    function _outcome(bytes memory revertData) internal pure returns (string memory) {
        if (revertData.length == 0) return "success";
        return VmInvariantCheats(address(vm)).toString(revertData);
    }

    function _log(string memory label, uint256 value) internal view {
        address console = 0x000000000000000000636F6e736F6c652e6c6f67;
        (bool ok,) =
            console.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        ok;
    }
}
