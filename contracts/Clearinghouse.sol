// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {
    IERC20,
    IERC20Metadata
} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {SignedMath} from "@openzeppelin/contracts/utils/math/SignedMath.sol";

import {FixedPointMath} from "./libraries/FixedPointMath.sol";
import {OptionValuation} from "./libraries/OptionValuation.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {AttestedMargin} from "./AttestedMargin.sol";
import {MarginEngine} from "./MarginEngine.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";

/// @title Clearinghouse
/// @notice Cross-margined accounts of perps and European options against one stablecoin.
/// Risk-increasing trades and withdrawals must leave the account at or above initial margin,
/// shown by a margin certificate (all N scenarios of the current epoch and a threshold);
/// an account whose maintenance margin exceeds its equity, shown by a liquidation
/// certificate (ceil(k) witness scenarios), is liquidated in part or in full against the
/// backstop, and any bad debt goes down the default waterfall: insurance fund, then a loss
/// socialized over the open interest of the markets the account held. Perps pay funding
/// through a cumulative index per market. All amounts are WAD (1e18) signed integers; see
/// docs/protocol.md.
/// @dev The certificate checks and valuation live in `MarginEngine`, which this contract
/// deploys and passes each account to as a `Portfolio`.
contract Clearinghouse is Ownable {
    using SafeERC20 for IERC20;
    using FixedPointMath for int256;

    /// @notice A position: `size` in units (WAD, negative = short); `costBasis`, the cost of
    /// its open part (WAD, quote units: the trades' size * price / WAD rounded up, less the
    /// part realized by reductions); and the market's funding and socialized-loss indices
    /// when its charges were last settled into cash.
    struct Position {
        int256 size;
        int256 costBasis;
        int256 fundingIndex;
        int256 lossIndex;
    }

    /// @notice The state of one asset's market: the cumulative funding a long pays per unit
    /// (WAD quote per WAD unit), the cumulative socialized loss every position pays per unit
    /// of absolute size, the open interest (sum of absolute perp and option sizes on the
    /// asset, WAD units) and when funding was last applied (unix seconds).
    struct Market {
        int256 fundingIndex;
        int256 lossIndex;
        int256 openInterest;
        uint64 lastFunding;
    }

    /// @notice The close-factor rule: a liquidation closes at most `closeFactor` of every
    /// position, unless the account's health (equity / MM) is below `fullLiquidationHealth`
    /// or the value of its positions at mark is at most `dustValue`; then it may close all.
    struct LiquidationParameters {
        int256 closeFactor;
        int256 fullLiquidationHealth;
        int256 dustValue;
    }

    /// @notice A spot collateral token for an oracle asset, its scale to WAD and its haircut
    /// (WAD fraction of the mark not counted).
    struct CollateralAsset {
        IERC20 token;
        int256 scale;
        int256 haircut;
    }

    int256 internal constant WAD = 1e18;
    /// @notice At most this many option series open per account but the backstop (bounds
    /// every loop over an account's options).
    uint256 public constant MAX_OPTION_POSITIONS = 16;
    /// @notice The market of a bad debt that no market can share (see BadDebtAbsorbedByBackstop).
    uint256 public constant NO_MARKET = type(uint256).max;
    /// @notice Funding is applied to a market at most once per interval.
    uint64 public constant FUNDING_INTERVAL = 1 hours;

    IERC20 public immutable collateral;
    int256 public immutable collateralScale;
    OracleAdapter public immutable oracle;
    /// @notice Values accounts and checks certificates; deployed by this contract.
    MarginEngine public immutable engine;
    /// @notice Where operators' attested margin stands in for a margin certificate (none:
    /// every initial-margin check needs a certificate).
    AttestedMargin public attestedMargin;
    /// @notice The account that takes over liquidated positions at mark.
    address public immutable backstop;

    /// @notice MM = maintenanceMarginFactor * max(ES, 0) (WAD; 1e18 means MM = ES).
    int256 public maintenanceMarginFactor;
    /// @notice Penalty charged on liquidation, as a WAD fraction of the closed notional.
    int256 public liquidationPenalty;
    /// @notice WAD fraction of the penalty paid to the keeper; the rest goes to the
    /// insurance fund.
    int256 public keeperShare;
    /// @notice IM = initialMarginFactor * max(ES, 0) at initialMarginAlphaBps + the liquidity
    /// add-on (WAD; 1e18 means IM = ES).
    int256 public initialMarginFactor = 1e18;
    /// @notice The ES level of initial margin, in basis points (99% by default, above MM's).
    uint16 public initialMarginAlphaBps = 9900;
    /// @notice The liquidity add-on of initial margin, a WAD fraction of gross notional.
    int256 public liquidityAddOn;
    /// @notice The largest funding rate per interval, as a WAD fraction of the spot mark.
    int256 public maxFundingRate = 0.01e18;
    /// @notice The close-factor rule of partial liquidation.
    LiquidationParameters public liquidationParameters = LiquidationParameters({
        closeFactor: 0.5e18, fullLiquidationHealth: 0.95e18, dustValue: 100e18
    });

    /// @notice Penalties' insurance share and donations; covers bad debt first (WAD).
    int256 public insuranceFund;
    mapping(uint256 asset => Market) public markets;

    /// @notice Listed option series; a series' id is its index.
    OptionValuation.Series[] internal _series;
    /// @notice The oracle price an expired series settles at, fixed by its first settlement
    /// (0 until then); both sides of every position settle at it.
    mapping(uint256 seriesId => int256) public settlementPrice;

    /// @notice Spot collateral accepted per oracle asset (token 0: none).
    mapping(uint256 asset => CollateralAsset) public collateralAssets;
    /// @notice Spot collateral balances (WAD units of the asset).
    mapping(address account => mapping(uint256 asset => int256)) public collateralBalance;
    /// @notice Spot collateral of an asset held for accounts (WAD units): the sum of
    /// `collateralBalance` over accounts. Tokens sent here without a deposit are not in it.
    mapping(uint256 asset => int256) public totalCollateral;

    mapping(address account => int256) public cash;
    mapping(address account => uint256) public openPositionCount;
    mapping(address account => mapping(uint256 asset => Position)) private _positions;
    mapping(address account => mapping(uint256 seriesId => Position)) private _optionPositions;
    mapping(address account => uint256[]) private _heldSeries;
    mapping(address settler => bool) public isSettler;

    error ZeroAmount();
    error UnsupportedCollateralDecimals(uint8 decimals);
    /// @notice The backstop takes over liquidated positions: it must be a real account.
    error ZeroBackstop();
    error InvalidRiskParameters(int256 maintenanceMarginFactor, int256 penalty, int256 keeperShare);
    error InvalidInitialMarginParameters(int256 initialMarginFactor, uint16 alphaBps);
    error InvalidLiquidityAddOn(int256 addOn);
    error InvalidLiquidationParameters(
        int256 closeFactor, int256 fullLiquidationHealth, int256 dustValue
    );
    error InvalidMaxFundingRate(int256 rate);
    error InvalidCollateralAsset(uint256 asset, address token, int256 haircut);
    /// @notice `asset` has no spot collateral token.
    error UnknownCollateral(uint256 asset);
    error InsufficientCollateral(address account, uint256 asset, int256 balance, int256 requested);
    error NotSettler(address caller);
    error UnknownAsset(uint256 asset, uint256 assetCount);
    error UnknownSeries(uint256 seriesId, uint256 seriesCount);
    error InvalidSeries(uint256 asset, int256 strike, uint64 expiry);
    error SeriesExpired(uint256 seriesId, uint64 expiry);
    error SeriesNotExpired(uint256 seriesId, uint64 expiry);
    error TooManyOptionPositions(address account, uint256 limit);
    error SelfTrade(address account);
    error InvalidTrade(int256 size, int256 price);
    error InsufficientCash(address account, int256 cash, int256 requested);
    /// @notice A risk-increasing action of `account` came without a margin certificate.
    error MarginCertificateRequired(address account);
    /// @notice After the action the account's equity would be below its initial margin.
    error InsufficientInitialMargin(address account, int256 equity, int256 initialMargin);
    /// @notice Funding of `asset` was applied less than FUNDING_INTERVAL ago.
    error FundingTooSoon(uint256 asset, uint64 nextAt);
    /// @notice |rate| is above maxFundingRate.
    error FundingRateTooLarge(int256 rate, int256 maxRate);
    error AccountHealthy(address account, int256 equity, int256 maintenanceMargin);
    /// @notice The backstop absorbs liquidations; it is never liquidated itself.
    error BackstopNotLiquidatable();
    /// @notice A liquidation fraction must be in (0, 1e18].
    error InvalidFraction(int256 fraction);
    /// @notice The fraction exceeds what the close-factor rule allows for this account.
    error FractionAboveCloseFactor(int256 fraction, int256 maxFraction);
    /// @notice An account with negative equity is liquidated in full, so its bad debt goes
    /// down the waterfall at once.
    error PartialLiquidationOfInsolventAccount(address account, int256 equity);

    event SettlerSet(address indexed settler, bool allowed);
    event RiskParametersSet(int256 maintenanceMarginFactor, int256 penalty, int256 keeperShare);
    event InitialMarginParametersSet(int256 initialMarginFactor, uint16 alphaBps);
    event LiquidityAddOnSet(int256 addOn);
    event AttestedMarginSet(address indexed attestedMargin);
    event LiquidationParametersSet(
        int256 closeFactor, int256 fullLiquidationHealth, int256 dustValue
    );
    event MaxFundingRateSet(int256 rate);
    /// @notice `account` passed an initial-margin check after a risk-increasing action.
    event InitialMarginChecked(
        address indexed account, uint64 indexed epoch, int256 equity, int256 initialMargin
    );
    event Deposited(address indexed account, uint256 amount, int256 cashAfter);
    event Withdrawn(address indexed account, uint256 amount, int256 cashAfter);
    event InsuranceFunded(address indexed from, uint256 amount, int256 fundAfter);
    event CollateralAssetSet(uint256 indexed asset, address token, int256 haircut);
    event CollateralDeposited(
        address indexed account, uint256 indexed asset, uint256 amount, int256 balanceAfter
    );
    event CollateralWithdrawn(
        address indexed account, uint256 indexed asset, uint256 amount, int256 balanceAfter
    );
    /// @notice Waterfall step 1: a fully liquidated `account` with negative cash sold its
    /// `amount` (WAD units) of `asset` collateral to the backstop at the haircut mark for
    /// `value` of cash.
    event CollateralSeized(
        address indexed account, uint256 indexed asset, int256 amount, int256 price, int256 value
    );
    /// @notice A new option series `seriesId`.
    event SeriesListed(
        uint256 indexed seriesId, uint256 indexed asset, int256 strike, uint64 expiry, bool isCall
    );
    /// @notice `buyer` bought `size` of `asset`'s perp from `seller` at `price`;
    /// cost = size*price/WAD, rounded up.
    event TradeSettled(
        address indexed buyer,
        address indexed seller,
        uint256 indexed asset,
        int256 size,
        int256 price,
        int256 cost
    );
    /// @notice `buyer` bought `size` options of `seriesId` from `seller` at `premium` each.
    event OptionTradeSettled(
        address indexed buyer,
        address indexed seller,
        uint256 indexed seriesId,
        int256 size,
        int256 premium,
        int256 cost
    );
    /// @notice Funding at `rate` of the mark `price` moved `asset`'s index to `indexAfter`.
    event FundingApplied(uint256 indexed asset, int256 rate, int256 price, int256 indexAfter);
    /// @notice A reduction of `account`'s position in a perp market (`isOption` false,
    /// `market` = asset) or an option series realized `pnl` into cash.
    event PnlRealized(address indexed account, uint256 indexed market, bool isOption, int256 pnl);
    /// @notice Funding and socialized losses of a position (`market` as in PnlRealized)
    /// settled into cash; `charge` > 0 was paid.
    event ChargesSettled(
        address indexed account, uint256 indexed market, bool isOption, int256 charge
    );
    /// @notice Expired `seriesId` settles at `price` (the oracle's at its first settlement).
    event SettlementPriceFixed(uint256 indexed seriesId, int256 price);
    /// @notice An expired option position of `account` settled at `settlementPrice`.
    event OptionSettled(
        address indexed account,
        uint256 indexed seriesId,
        int256 size,
        int256 settlementPrice,
        int256 payoff
    );
    /// @notice `size` of `account`'s perp was closed at `markPrice` into the backstop.
    event PositionLiquidated(
        address indexed account, uint256 indexed asset, int256 size, int256 markPrice, int256 value
    );
    /// @notice `size` of `account`'s options was closed at `markValue` (per option) into the
    /// backstop.
    event OptionPositionLiquidated(
        address indexed account,
        uint256 indexed seriesId,
        int256 size,
        int256 markValue,
        int256 value
    );
    /// @notice `keeper` closed `fraction` of every position of `account` with a certificate
    /// on `epoch`. The witness scenarios are in the transaction's calldata.
    event Liquidated(
        address indexed account,
        address indexed keeper,
        uint64 indexed epoch,
        int256 fraction,
        int256 equity,
        int256 expectedShortfallLowerBound,
        int256 maintenanceMargin,
        int256 keeperReward,
        int256 insuranceFee
    );
    /// @notice Waterfall step 1: the liquidated `account`'s own cash left `badDebt` unpaid.
    event BadDebt(address indexed account, int256 badDebt);
    /// @notice Waterfall step 2: the insurance fund paid `amount` of `account`'s bad debt.
    event BadDebtCoveredByInsurance(address indexed account, int256 amount, int256 fundAfter);
    /// @notice Waterfall step 3: `amount` of `account`'s bad debt was charged to every
    /// position on `asset` per unit of its absolute size.
    event LossSocialized(
        address indexed account,
        uint256 indexed asset,
        int256 amount,
        int256 openInterest,
        int256 lossIndexAfter
    );
    /// @notice Waterfall, last resort: `asset`'s market had no open interest left to share
    /// `amount` (or `asset` is NO_MARKET: the account held no position to close); the
    /// backstop account absorbed it.
    event BadDebtAbsorbedByBackstop(address indexed account, uint256 indexed asset, int256 amount);

    modifier onlySettler() {
        if (!isSettler[msg.sender]) revert NotSettler(msg.sender);
        _;
    }

    constructor(
        address initialOwner,
        IERC20Metadata collateral_,
        OracleAdapter oracle_,
        ScenarioRegistry registry_,
        address backstop_
    ) Ownable(initialOwner) {
        uint8 decimals = collateral_.decimals();
        if (decimals > 18) revert UnsupportedCollateralDecimals(decimals);
        if (backstop_ == address(0)) revert ZeroBackstop();
        collateral = collateral_;
        collateralScale = int256(10 ** (18 - decimals));
        oracle = oracle_;
        engine = new MarginEngine(oracle_, registry_);
        backstop = backstop_;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Allow or forbid `settler` to settle matched trades and apply funding.
    function setSettler(address settler, bool allowed) external onlyOwner {
        isSettler[settler] = allowed;
        emit SettlerSet(settler, allowed);
    }

    /// @notice Set MM factor (> 0), liquidation penalty and keeper share (each in [0, 1]), WAD.
    function setRiskParameters(int256 mmFactor, int256 penalty, int256 keeperShare_)
        external
        onlyOwner
    {
        if (mmFactor <= 0 || penalty < 0 || penalty > WAD || keeperShare_ < 0 || keeperShare_ > WAD)
        {
            revert InvalidRiskParameters(mmFactor, penalty, keeperShare_);
        }
        maintenanceMarginFactor = mmFactor;
        liquidationPenalty = penalty;
        keeperShare = keeperShare_;
        emit RiskParametersSet(mmFactor, penalty, keeperShare_);
    }

    /// @notice Set the IM factor (> 0, WAD) and the ES level of initial margin (basis points,
    /// in [5000, 10000)).
    function setInitialMarginParameters(int256 factor, uint16 alphaBps) external onlyOwner {
        if (factor <= 0 || alphaBps < 5000 || alphaBps >= 10_000) {
            revert InvalidInitialMarginParameters(factor, alphaBps);
        }
        initialMarginFactor = factor;
        initialMarginAlphaBps = alphaBps;
        emit InitialMarginParametersSet(factor, alphaBps);
    }

    /// @notice Set the liquidity add-on of initial margin: a WAD fraction in [0, 1] of the
    /// account's gross notional (sum of |size| * spot over perps and options).
    function setLiquidityAddOn(int256 addOn) external onlyOwner {
        if (addOn < 0 || addOn > WAD) revert InvalidLiquidityAddOn(addOn);
        liquidityAddOn = addOn;
        emit LiquidityAddOnSet(addOn);
    }

    /// @notice Accept attested margin from `attestedMargin_` in place of a margin
    /// certificate (address 0: no longer).
    function setAttestedMargin(AttestedMargin attestedMargin_) external onlyOwner {
        attestedMargin = attestedMargin_;
        emit AttestedMarginSet(address(attestedMargin_));
    }

    /// @notice Set the close-factor rule: close factor in (0, 1], full-liquidation health in
    /// [0, 1], dust value >= 0 (WAD).
    function setLiquidationParameters(
        int256 closeFactor,
        int256 fullLiquidationHealth,
        int256 dustValue
    ) external onlyOwner {
        if (
            closeFactor <= 0 || closeFactor > WAD || fullLiquidationHealth < 0
                || fullLiquidationHealth > WAD || dustValue < 0
        ) {
            revert InvalidLiquidationParameters(closeFactor, fullLiquidationHealth, dustValue);
        }
        liquidationParameters = LiquidationParameters(closeFactor, fullLiquidationHealth, dustValue);
        emit LiquidationParametersSet(closeFactor, fullLiquidationHealth, dustValue);
    }

    /// @notice Set the largest funding rate per interval, a WAD fraction in [0, 0.1].
    function setMaxFundingRate(int256 rate) external onlyOwner {
        if (rate < 0 || rate > WAD / 10) revert InvalidMaxFundingRate(rate);
        maxFundingRate = rate;
        emit MaxFundingRateSet(rate);
    }

    /// @notice Accept `token` as spot collateral for oracle asset `asset`, valued at the spot
    /// mark less `haircut` (WAD, in [0, 1)). The token may change only while no account
    /// holds the old one (`totalCollateral` is 0; tokens sent here without a deposit do not
    /// count); the haircut any time.
    function setCollateralAsset(uint256 asset, IERC20Metadata token, int256 haircut)
        external
        onlyOwner
    {
        _requireAsset(asset);
        uint8 decimals = token.decimals();
        CollateralAsset storage current = collateralAssets[asset];
        bool replaces =
            address(current.token) != address(0) && address(current.token) != address(token);
        if (
            haircut < 0 || haircut >= WAD || decimals > 18 || address(token) == address(collateral)
                || (replaces && totalCollateral[asset] != 0)
        ) revert InvalidCollateralAsset(asset, address(token), haircut);
        collateralAssets[asset] = CollateralAsset(token, int256(10 ** (18 - decimals)), haircut);
        emit CollateralAssetSet(asset, address(token), haircut);
    }

    /// @notice List a European option series on `asset`: strike in (0, 1e36] WAD, expiry in
    /// the future and at most 100 years away. Returns its id.
    function listSeries(uint256 asset, int256 strike, uint64 expiry, bool isCall)
        external
        onlyOwner
        returns (uint256 seriesId)
    {
        _requireAsset(asset);
        if (strike <= 0 || strike > 1e36 || expiry <= block.timestamp) {
            revert InvalidSeries(asset, strike, expiry);
        }
        if (OptionValuation.yearsToExpiry(expiry, block.timestamp) > 100e18) {
            revert InvalidSeries(asset, strike, expiry);
        }
        seriesId = _series.length;
        _series.push(OptionValuation.Series(asset, strike, expiry, isCall));
        emit SeriesListed(seriesId, asset, strike, expiry, isCall);
    }

    // ---------------------------------------------------------------- collateral

    /// @notice Deposit `amount` of collateral (token decimals) to the caller's account.
    function deposit(uint256 amount) external {
        int256 credited = _pull(amount);
        cash[msg.sender] += credited;
        emit Deposited(msg.sender, amount, cash[msg.sender]);
    }

    /// @notice Add `amount` of collateral (token decimals) to the insurance fund.
    function fundInsurance(uint256 amount) external {
        insuranceFund += _pull(amount);
        emit InsuranceFunded(msg.sender, amount, insuranceFund);
    }

    /// @notice Withdraw `amount` of collateral (token decimals). With open positions the
    /// account must stay at or above initial margin, shown by `margin` (a certificate on the
    /// account after the withdrawal), and no asset it holds may be paused by the oracle's
    /// circuit breaker; without positions (and, holding spot collateral, without debt)
    /// `margin` is ignored and may be empty.
    function withdraw(uint256 amount, IMarginEngine.MarginCertificate calldata margin) external {
        if (amount == 0) revert ZeroAmount();
        int256 debited = SafeCast.toInt256(amount) * collateralScale;
        int256 balance = cash[msg.sender];
        if (debited > balance) revert InsufficientCash(msg.sender, balance, debited);
        cash[msg.sender] = balance - debited;
        _requireMarginAfterWithdrawal(margin);
        emit Withdrawn(msg.sender, amount, balance - debited);
        collateral.safeTransfer(msg.sender, amount);
    }

    /// @notice Deposit `amount` (token decimals) of `asset`'s spot collateral token.
    function depositCollateral(uint256 asset, uint256 amount) external {
        _creditCollateral(asset, amount).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraw `amount` (token decimals) of `asset`'s spot collateral. Unless the
    /// account has no positions and no debt, it must stay at or above initial margin, shown
    /// by `margin`, with no held asset paused by the circuit breaker.
    /// @dev The margin check precedes the transfer: a token that calls back into this
    /// contract (transfer hooks) must not find the account unchecked.
    function withdrawCollateral(
        uint256 asset,
        uint256 amount,
        IMarginEngine.MarginCertificate calldata margin
    ) external {
        IERC20 token = _debitCollateral(asset, amount);
        _requireMarginAfterWithdrawal(margin);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Swap collateral in one step: deposit `amountIn` of `assetIn`'s token and
    /// withdraw `amountOut` of `assetOut`'s (token decimals), with the margin rule of
    /// `withdrawCollateral` checked once, on the account after both, before either transfer.
    function swapCollateral(
        uint256 assetIn,
        uint256 amountIn,
        uint256 assetOut,
        uint256 amountOut,
        IMarginEngine.MarginCertificate calldata margin
    ) external {
        IERC20 tokenIn = _creditCollateral(assetIn, amountIn);
        IERC20 tokenOut = _debitCollateral(assetOut, amountOut);
        _requireMarginAfterWithdrawal(margin);
        tokenIn.safeTransferFrom(msg.sender, address(this), amountIn);
        tokenOut.safeTransfer(msg.sender, amountOut);
    }

    // ---------------------------------------------------------------- trading

    /// @notice Settle a matched perp trade: `buyer` buys `size` (> 0, WAD) of `asset` from
    /// `seller` at `price` (> 0, WAD). Each side whose position grows in absolute size must
    /// end at or above initial margin, shown by its certificate (on the account after the
    /// trade), and the asset must not be paused by the circuit breaker; a side whose risk
    /// falls needs neither.
    function settleTrade(
        address buyer,
        address seller,
        uint256 asset,
        int256 size,
        int256 price,
        IMarginEngine.MarginCertificate calldata buyerMargin,
        IMarginEngine.MarginCertificate calldata sellerMargin
    ) external onlySettler {
        _requireAsset(asset);
        if (buyer == seller) revert SelfTrade(buyer);
        if (size <= 0 || price <= 0) revert InvalidTrade(size, price);
        int256 cost = size.mulWad(price, Math.Rounding.Ceil);
        bool buyerRisk = _addToPosition(buyer, asset, size, cost);
        bool sellerRisk = _addToPosition(seller, asset, -size, -cost);
        emit TradeSettled(buyer, seller, asset, size, price, cost);
        if (buyerRisk || sellerRisk) oracle.checkRiskAllowed(asset);
        if (buyerRisk) _requireInitialMargin(buyer, buyerMargin);
        if (sellerRisk) _requireInitialMargin(seller, sellerMargin);
    }

    /// @notice Settle a matched option trade: `buyer` buys `size` (> 0, WAD) options of
    /// `seriesId` from `seller` at `premium` (>= 0, WAD per option) before expiry, with
    /// the same initial-margin rule as `settleTrade`.
    function settleOptionTrade(
        address buyer,
        address seller,
        uint256 seriesId,
        int256 size,
        int256 premium,
        IMarginEngine.MarginCertificate calldata buyerMargin,
        IMarginEngine.MarginCertificate calldata sellerMargin
    ) external onlySettler {
        OptionValuation.Series memory s = _seriesOf(seriesId);
        if (s.expiry <= block.timestamp) revert SeriesExpired(seriesId, s.expiry);
        if (buyer == seller) revert SelfTrade(buyer);
        if (size <= 0 || premium < 0) revert InvalidTrade(size, premium);
        int256 cost = size.mulWad(premium, Math.Rounding.Ceil);
        bool buyerRisk = _addToOptionPosition(buyer, seriesId, size, cost);
        bool sellerRisk = _addToOptionPosition(seller, seriesId, -size, -cost);
        emit OptionTradeSettled(buyer, seller, seriesId, size, premium, cost);
        if (buyerRisk || sellerRisk) oracle.checkRiskAllowed(s.asset);
        if (buyerRisk) _requireInitialMargin(buyer, buyerMargin);
        if (sellerRisk) _requireInitialMargin(seller, sellerMargin);
    }

    /// @notice Apply one interval's funding to `asset`'s perps: longs pay shorts
    /// `rate` (WAD, |rate| <= maxFundingRate, negative: shorts pay) of the spot mark per unit.
    /// The index moves by mulWad(mark, rate, Floor); each position settles it lazily, the
    /// payer's charge rounded up. At most once per FUNDING_INTERVAL.
    function applyFunding(uint256 asset, int256 rate) external onlySettler {
        _requireAsset(asset);
        Market storage market = markets[asset];
        uint64 nextAt = market.lastFunding + FUNDING_INTERVAL;
        if (block.timestamp < nextAt) revert FundingTooSoon(asset, nextAt);
        if (SignedMath.abs(rate) > SafeCast.toUint256(maxFundingRate)) {
            revert FundingRateTooLarge(rate, maxFundingRate);
        }
        int256 price = oracle.price(asset);
        market.fundingIndex += price.mulWad(rate, Math.Rounding.Floor);
        market.lastFunding = uint64(block.timestamp);
        emit FundingApplied(asset, rate, price, market.fundingIndex);
    }

    /// @notice Settle `account`'s position in expired `seriesId`: the payoff size * intrinsic
    /// value (rounded down) at the series' settlement price replaces the position. The first
    /// settlement of a series fixes that price from the oracle; every later one, on either
    /// side, uses it, so settlement is zero-sum. Permissionless.
    function settleExpiredOption(address account, uint256 seriesId) external {
        OptionValuation.Series memory s = _seriesOf(seriesId);
        if (s.expiry > block.timestamp) revert SeriesNotExpired(seriesId, s.expiry);
        Position memory p = _optionPositions[account][seriesId];
        if (p.size == 0) return;
        int256 price = settlementPrice[seriesId];
        if (price == 0) {
            price = oracle.price(s.asset);
            settlementPrice[seriesId] = price;
            emit SettlementPriceFixed(seriesId, price);
        }
        int256 payoff = p.size.mulWad(OptionValuation.intrinsic(s, price), Math.Rounding.Floor);
        _addToOptionPosition(account, seriesId, -p.size, -payoff);
        emit OptionSettled(account, seriesId, p.size, price, payoff);
    }

    // ---------------------------------------------------------------- views

    /// @notice The perp position of `account` in `asset`.
    function positionOf(address account, uint256 asset) external view returns (Position memory) {
        return _positions[account][asset];
    }

    /// @notice The option position of `account` in `seriesId`.
    function optionPositionOf(address account, uint256 seriesId)
        external
        view
        returns (Position memory)
    {
        return _optionPositions[account][seriesId];
    }

    /// @notice The option series `account` holds, in the order the account opened them.
    function heldSeries(address account) external view returns (uint256[] memory) {
        return _heldSeries[account];
    }

    /// @notice The option series `seriesId`.
    function series(uint256 seriesId) external view returns (OptionValuation.Series memory) {
        return _seriesOf(seriesId);
    }

    /// @notice The number of listed option series.
    function seriesCount() external view returns (uint256) {
        return _series.length;
    }

    /// @notice `account` as the margin engine sees it (see `IMarginEngine.Portfolio`).
    function portfolioOf(address account) external view returns (IMarginEngine.Portfolio memory) {
        return _portfolio(account);
    }

    /// @notice Equity of `account` at oracle marks (WAD): cash - cost bases - charges owed +
    /// (sum size * unit value) / WAD, the division rounded down.
    function equity(address account) external view returns (int256 accountEquity) {
        // slither-disable-next-line unused-return
        (accountEquity,) = engine.valuation(_portfolio(account));
    }

    /// @notice Loss of `account` under one scenario; see `MarginEngine.scenarioLoss`.
    function scenarioLoss(
        address account,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) external view returns (int256) {
        return engine.scenarioLoss(_portfolio(account), spotReturns, volShifts);
    }

    /// @notice Check `certificate` against `account` without liquidating. Reverts, with the
    /// same errors as `liquidate`, when the certificate itself is invalid.
    function isLiquidatable(
        address account,
        IMarginEngine.LiquidationCertificate calldata certificate
    ) external view returns (IMarginEngine.MarginCheck memory check) {
        // slither-disable-next-line unused-return
        (check,) =
            engine.checkLiquidation(_portfolio(account), certificate, maintenanceMarginFactor);
    }

    /// @notice The largest fraction (WAD) a liquidation of an account in the state `check`
    /// shows, whose positions are worth `positionValue` at mark, may close.
    function maxLiquidationFraction(IMarginEngine.MarginCheck memory check, int256 positionValue)
        public
        view
        returns (int256)
    {
        LiquidationParameters memory rule = liquidationParameters;
        bool unhealthy = check.equity
            < rule.fullLiquidationHealth.mulWad(check.maintenanceMargin, Math.Rounding.Floor);
        return unhealthy || positionValue <= rule.dustValue ? WAD : rule.closeFactor;
    }

    // ---------------------------------------------------------------- liquidation

    /// @notice Liquidate `fraction` (WAD, in (0, 1]) of `account` (any account but the
    /// backstop) if `certificate` shows MM > equity: close that fraction of every position
    /// (rounded toward zero) at oracle mark into the backstop and charge the penalty on the
    /// closed value, up to the account's equity (keeper share to the caller's cash, the rest
    /// to the insurance fund). The fraction may exceed the close factor only for accounts
    /// below the full-liquidation health or worth at most the dust value, and must be 1 for
    /// an account with negative equity, whose bad debt then goes down the waterfall.
    function liquidate(
        address account,
        IMarginEngine.LiquidationCertificate calldata certificate,
        int256 fraction
    ) external returns (IMarginEngine.MarginCheck memory check) {
        if (account == backstop) revert BackstopNotLiquidatable();
        if (fraction <= 0 || fraction > WAD) revert InvalidFraction(fraction);
        IMarginEngine.Marks memory marks;
        (check, marks) =
            engine.checkLiquidation(_portfolio(account), certificate, maintenanceMarginFactor);
        if (!check.liquidatable) {
            revert AccountHealthy(account, check.equity, check.maintenanceMargin);
        }
        int256 maxFraction = maxLiquidationFraction(check, _positionValue(account, marks));
        if (fraction > maxFraction) revert FractionAboveCloseFactor(fraction, maxFraction);
        if (check.equity < 0 && fraction != WAD) {
            revert PartialLiquidationOfInsolventAccount(account, check.equity);
        }

        int256[] memory closedSize = new int256[](marks.spot.length);
        int256 notional = _closePerps(account, marks, fraction, closedSize)
            + _closeOptions(account, marks, fraction, closedSize);
        int256 penalty = liquidationPenalty.mulWad(notional, Math.Rounding.Ceil);
        int256 charged = check.equity <= 0 ? int256(0) : SignedMath.min(penalty, check.equity);
        int256 reward = keeperShare.mulWad(charged, Math.Rounding.Floor);
        cash[account] -= charged;
        cash[msg.sender] += reward;
        insuranceFund += charged - reward;
        emit Liquidated(
            account,
            msg.sender,
            certificate.epoch,
            fraction,
            check.equity,
            check.expectedShortfallLowerBound,
            check.maintenanceMargin,
            reward,
            charged - reward
        );
        if (openPositionCount[account] == 0 && cash[account] < 0) {
            _seizeCollateral(account);
            if (cash[account] < 0) _absorbBadDebt(account, closedSize);
        }
    }

    // ---------------------------------------------------------------- internal: waterfall

    /// @dev Waterfall step 1, for a fully liquidated account with negative cash: its spot
    /// collateral goes to the backstop, which pays the haircut mark (rounded down) for it
    /// in cash. Balances move between accounts: `totalCollateral` is unchanged.
    function _seizeCollateral(address account) internal {
        uint256 assets = oracle.assetCount();
        for (uint256 asset; asset < assets; ++asset) {
            int256 amount = collateralBalance[account][asset];
            if (amount == 0) continue;
            // slither-disable-next-line calls-loop
            int256 price = oracle.price(asset);
            int256 value = _haircutCollateral(account, asset).mulWad(price, Math.Rounding.Floor);
            collateralBalance[account][asset] = 0;
            collateralBalance[backstop][asset] += amount;
            cash[account] += value;
            cash[backstop] -= value;
            emit CollateralSeized(account, asset, amount, price, value);
        }
    }

    /// @dev The default waterfall for a flat account with negative cash: the bad debt is
    /// written off the account, paid by the insurance fund as far as it goes, and the rest
    /// socialized over the markets the account held, in proportion to the absolute size
    /// closed in each (`closedSize`, WAD units per asset).
    function _absorbBadDebt(address account, int256[] memory closedSize) internal {
        int256 badDebt = -cash[account];
        cash[account] = 0;
        emit BadDebt(account, badDebt);
        int256 covered = SignedMath.min(badDebt, SignedMath.max(insuranceFund, 0));
        if (covered > 0) {
            insuranceFund -= covered;
            emit BadDebtCoveredByInsurance(account, covered, insuranceFund);
        }
        int256 rest = badDebt - covered;
        // slither-disable-next-line incorrect-equality
        if (rest == 0) return;
        // slither-disable-next-line uninitialized-local
        int256 totalSize;
        // slither-disable-next-line uninitialized-local
        uint256 lastAsset;
        for (uint256 asset; asset < closedSize.length; ++asset) {
            totalSize += closedSize[asset];
            if (closedSize[asset] != 0) lastAsset = asset;
        }
        // slither-disable-next-line incorrect-equality
        if (totalSize == 0) {
            // The account held nothing to close (its debt came from a risk-reducing trade):
            // no market to share the loss.
            _absorbByBackstop(account, NO_MARKET, rest);
            return;
        }
        int256 remaining = rest;
        for (uint256 asset; asset <= lastAsset; ++asset) {
            // slither-disable-next-line incorrect-equality
            if (closedSize[asset] == 0) continue;
            int256 share = asset == lastAsset
                ? remaining
                : rest.mulDiv(closedSize[asset], totalSize, Math.Rounding.Floor);
            remaining -= share;
            _socialize(account, asset, share);
        }
    }

    /// @dev Charge `amount` to every position on `asset` per unit of absolute size (the
    /// index moves up by amount / open interest, rounded up); with no open interest left the
    /// backstop account absorbs it.
    function _socialize(address account, uint256 asset, int256 amount) internal {
        // slither-disable-next-line incorrect-equality
        if (amount == 0) return;
        Market storage market = markets[asset];
        if (market.openInterest == 0) {
            _absorbByBackstop(account, asset, amount);
            return;
        }
        market.lossIndex += amount.mulDiv(WAD, market.openInterest, Math.Rounding.Ceil);
        emit LossSocialized(account, asset, amount, market.openInterest, market.lossIndex);
    }

    function _absorbByBackstop(address account, uint256 asset, int256 amount) internal {
        cash[backstop] -= amount;
        emit BadDebtAbsorbedByBackstop(account, asset, amount);
    }

    // ---------------------------------------------------------------- internal: positions

    function _requireAsset(uint256 asset) internal view {
        uint256 assets = oracle.assetCount();
        if (asset >= assets) revert UnknownAsset(asset, assets);
    }

    function _seriesOf(uint256 seriesId) internal view returns (OptionValuation.Series memory) {
        if (seriesId >= _series.length) revert UnknownSeries(seriesId, _series.length);
        return _series[seriesId];
    }

    /// @dev Credit the caller `amount` (token decimals, > 0) of `asset`'s spot collateral;
    /// returns the token, for the caller to pull the amount.
    function _creditCollateral(uint256 asset, uint256 amount) internal returns (IERC20) {
        CollateralAsset memory c = _collateralAsset(asset);
        if (amount == 0) revert ZeroAmount();
        int256 credited = SafeCast.toInt256(amount) * c.scale;
        int256 balance = collateralBalance[msg.sender][asset] + credited;
        collateralBalance[msg.sender][asset] = balance;
        totalCollateral[asset] += credited;
        emit CollateralDeposited(msg.sender, asset, amount, balance);
        return c.token;
    }

    /// @dev Debit the caller `amount` (token decimals, > 0) of `asset`'s spot collateral;
    /// returns the token, for the caller to send the amount once the margin rule holds.
    function _debitCollateral(uint256 asset, uint256 amount) internal returns (IERC20) {
        CollateralAsset memory c = _collateralAsset(asset);
        if (amount == 0) revert ZeroAmount();
        int256 debited = SafeCast.toInt256(amount) * c.scale;
        int256 balance = collateralBalance[msg.sender][asset];
        if (debited > balance) revert InsufficientCollateral(msg.sender, asset, balance, debited);
        collateralBalance[msg.sender][asset] = balance - debited;
        totalCollateral[asset] -= debited;
        emit CollateralWithdrawn(msg.sender, asset, amount, balance - debited);
        return c.token;
    }

    function _collateralAsset(uint256 asset) internal view returns (CollateralAsset memory c) {
        c = collateralAssets[asset];
        if (address(c.token) == address(0)) revert UnknownCollateral(asset);
    }

    /// @dev After the caller took collateral out: unless it has no positions and no debt,
    /// require the circuit breaker's leave and initial margin.
    function _requireMarginAfterWithdrawal(IMarginEngine.MarginCertificate calldata margin)
        internal
    {
        if (openPositionCount[msg.sender] == 0 && cash[msg.sender] >= 0) return;
        _requireRiskAllowed(msg.sender);
        _requireInitialMargin(msg.sender, margin);
    }

    /// @dev Pull `amount` (token decimals, > 0) of collateral from the caller; returns it in
    /// WAD.
    function _pull(uint256 amount) internal returns (int256 credited) {
        if (amount == 0) revert ZeroAmount();
        credited = SafeCast.toInt256(amount) * collateralScale;
        collateral.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @dev Add `size` at total `cost` to `account`'s perp in `asset`; returns whether the
    /// position grew in absolute size (a risk increase).
    function _addToPosition(address account, uint256 asset, int256 size, int256 cost)
        internal
        returns (bool grew)
    {
        Position storage p = _positions[account][asset];
        Market storage market = markets[asset];
        int256 before = p.size;
        _settleCharges(account, asset, false, p, market.fundingIndex, market.lossIndex);
        _fill(account, asset, false, p, size, cost);
        market.openInterest += _absChange(before, p.size);
        grew = _absChange(before, p.size) > 0;
        if (before == 0) openPositionCount[account] += 1;
        if (p.size == 0) openPositionCount[account] -= 1;
    }

    /// @dev The same for an option series, keeping `account`'s held list (at most
    /// MAX_OPTION_POSITIONS series, except for the backstop: it takes over every liquidated
    /// series, so a cap would block liquidations). Options pay socialized losses of their
    /// underlying's market, not funding.
    function _addToOptionPosition(address account, uint256 seriesId, int256 size, int256 cost)
        internal
        returns (bool grew)
    {
        Position storage p = _optionPositions[account][seriesId];
        Market storage market = markets[_series[seriesId].asset];
        int256 before = p.size;
        _settleCharges(account, seriesId, true, p, 0, market.lossIndex);
        _fill(account, seriesId, true, p, size, cost);
        market.openInterest += _absChange(before, p.size);
        grew = _absChange(before, p.size) > 0;
        if (before == 0) {
            if (account != backstop && _heldSeries[account].length == MAX_OPTION_POSITIONS) {
                revert TooManyOptionPositions(account, MAX_OPTION_POSITIONS);
            }
            _heldSeries[account].push(seriesId);
            openPositionCount[account] += 1;
        }
        if (p.size == 0) {
            openPositionCount[account] -= 1;
            _removeHeldSeries(account, seriesId);
        }
    }

    /// @dev Settle the funding and socialized losses `p` owes since its last settlement into
    /// `account`'s cash and move its snapshots to the market's current indices.
    function _settleCharges(
        address account,
        uint256 market,
        bool isOption,
        Position storage p,
        int256 fundingIndex,
        int256 lossIndex
    ) internal {
        int256 charge = _charges(p, fundingIndex, lossIndex);
        p.fundingIndex = fundingIndex;
        p.lossIndex = lossIndex;
        // slither-disable-next-line incorrect-equality
        if (charge == 0) return;
        cash[account] -= charge;
        emit ChargesSettled(account, market, isOption, charge);
    }

    /// @dev What `p` owes since its snapshots (WAD, negative = receives): funding
    /// size * (F - F0) / WAD and socialized loss |size| * (L - L0) / WAD, each rounded up.
    function _charges(Position storage p, int256 fundingIndex, int256 lossIndex)
        internal
        view
        returns (int256)
    {
        int256 size = p.size;
        if (size == 0) return 0;
        return size.mulDiv(fundingIndex - p.fundingIndex, WAD, Math.Rounding.Ceil)
            + _abs(size).mulDiv(lossIndex - p.lossIndex, WAD, Math.Rounding.Ceil);
    }

    /// @dev Add `size` at total `cost` to position `p` of `account`. The part of `size` that
    /// reduces the position realizes into cash: its proceeds (its share of `cost`, rounded
    /// toward zero, on a flip) less the closed share of the cost basis (rounded toward zero;
    /// all of it when the position closes or flips). The rest of `cost` adds to the basis.
    function _fill(
        address account,
        uint256 market,
        bool isOption,
        Position storage p,
        int256 size,
        int256 cost
    ) internal {
        int256 before = p.size;
        int256 after_ = before + size;
        p.size = after_;
        if (before == 0 || (before > 0) == (size > 0)) {
            p.costBasis += cost;
            return;
        }
        bool flips = after_ != 0 && (after_ > 0) != (before > 0);
        int256 closedCost = flips ? cost.mulDiv(-before, size, Math.Rounding.Trunc) : cost;
        int256 closedBasis = after_ == 0 || flips
            ? p.costBasis
            : p.costBasis.mulDiv(-size, before, Math.Rounding.Trunc);
        int256 pnl = -closedCost - closedBasis;
        p.costBasis += cost - closedCost - closedBasis;
        cash[account] += pnl;
        emit PnlRealized(account, market, isOption, pnl);
    }

    /// @dev |after| - |before|.
    function _absChange(int256 before, int256 after_) internal pure returns (int256) {
        return _abs(after_) - _abs(before);
    }

    /// @dev |x| as int256 (reverts for type(int256).min).
    function _abs(int256 x) internal pure returns (int256) {
        return SafeCast.toInt256(SignedMath.abs(x));
    }

    /// @dev Remove `seriesId` from `account`'s held list, keeping the others in order.
    function _removeHeldSeries(address account, uint256 seriesId) internal {
        uint256[] storage held = _heldSeries[account];
        uint256 last = held.length - 1;
        uint256 i;
        while (held[i] != seriesId) ++i;
        for (; i < last; ++i) {
            held[i] = held[i + 1];
        }
        held.pop();
    }

    /// @dev Close `fraction` of every perp of `account` at mark into the backstop, adding the
    /// closed absolute sizes to `closedSize`; returns the closed notional.
    function _closePerps(
        address account,
        IMarginEngine.Marks memory marks,
        int256 fraction,
        int256[] memory closedSize
    ) internal returns (int256 notional) {
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            int256 size = _closedPart(_positions[account][asset].size, fraction);
            if (size == 0) continue;
            int256 value = size.mulWad(marks.spot[asset], Math.Rounding.Floor);
            _addToPosition(account, asset, -size, -value);
            _addToPosition(backstop, asset, size, value);
            notional += _abs(value);
            closedSize[asset] += _abs(size);
            emit PositionLiquidated(account, asset, size, marks.spot[asset], value);
        }
    }

    /// @dev The same for options, at their Black-Scholes marks; returns the closed notional
    /// (the closed options' marked value).
    function _closeOptions(
        address account,
        IMarginEngine.Marks memory marks,
        int256 fraction,
        int256[] memory closedSize
    ) internal returns (int256 notional) {
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            int256 size = _closedPart(_optionPositions[account][held[i]].size, fraction);
            if (size == 0) continue;
            int256 unitValue = marks.optionValues[i];
            int256 value = size.mulWad(unitValue, Math.Rounding.Floor);
            _addToOptionPosition(account, held[i], -size, -value);
            _addToOptionPosition(backstop, held[i], size, value);
            notional += _abs(value);
            closedSize[_series[held[i]].asset] += _abs(size);
            emit OptionPositionLiquidated(account, held[i], size, unitValue, value);
        }
    }

    /// @dev The part of a position of `size` that a liquidation of `fraction` closes:
    /// size * fraction / WAD rounded toward zero, all of it at fraction 1.
    function _closedPart(int256 size, int256 fraction) internal pure returns (int256) {
        return fraction == WAD ? size : size.mulDiv(fraction, WAD, Math.Rounding.Trunc);
    }

    // ---------------------------------------------------------------- internal: valuation

    /// @dev `account` as the margin engine sees it: balance = cash - cost bases - charges
    /// owed, the perp size of every asset and the options in held order.
    function _portfolio(address account)
        internal
        view
        returns (IMarginEngine.Portfolio memory portfolio)
    {
        int256 balance = cash[account];
        uint256 assets = oracle.assetCount();
        portfolio.spotExposure = new int256[](assets);
        for (uint256 asset; asset < assets; ++asset) {
            portfolio.spotExposure[asset] = _haircutCollateral(account, asset);
            Position storage p = _positions[account][asset];
            if (p.size == 0) continue;
            Market storage market = markets[asset];
            portfolio.spotExposure[asset] += p.size;
            balance -= p.costBasis + _charges(p, market.fundingIndex, market.lossIndex);
        }
        uint256[] memory held = _heldSeries[account];
        portfolio.options = new IMarginEngine.OptionHolding[](held.length);
        for (uint256 i; i < held.length; ++i) {
            Position storage p = _optionPositions[account][held[i]];
            OptionValuation.Series memory s = _series[held[i]];
            portfolio.options[i] = IMarginEngine.OptionHolding(s, p.size, settlementPrice[held[i]]);
            balance -= p.costBasis + _charges(p, 0, markets[s.asset].lossIndex);
        }
        portfolio.balance = balance;
    }

    /// @dev `account`'s spot collateral in `asset` less the haircut: balance * (1 - haircut)
    /// / WAD, rounded down (WAD units).
    function _haircutCollateral(address account, uint256 asset) internal view returns (int256) {
        int256 balance = collateralBalance[account][asset];
        if (balance == 0) return 0;
        return balance.mulWad(WAD - collateralAssets[asset].haircut, Math.Rounding.Floor);
    }

    /// @dev The value at mark of `account`'s positions: sum of |size * unit value| / WAD.
    function _positionValue(address account, IMarginEngine.Marks memory marks)
        internal
        view
        returns (int256 value)
    {
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            int256 size = _positions[account][asset].size;
            value += _abs(size.mulWad(marks.spot[asset], Math.Rounding.Floor));
        }
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            int256 size = _optionPositions[account][held[i]].size;
            value += _abs(size.mulWad(marks.optionValues[i], Math.Rounding.Floor));
        }
    }

    // ---------------------------------------------------------------- internal: initial margin

    /// @dev Revert unless the circuit breaker allows new risk on every asset `account` holds.
    function _requireRiskAllowed(address account) internal view {
        uint256 assets = oracle.assetCount();
        for (uint256 asset; asset < assets; ++asset) {
            // slither-disable-next-line calls-loop
            if (_positions[account][asset].size != 0) oracle.checkRiskAllowed(asset);
        }
        uint256[] memory held = _heldSeries[account];
        for (uint256 i; i < held.length; ++i) {
            // slither-disable-next-line calls-loop
            oracle.checkRiskAllowed(_series[held[i]].asset);
        }
    }

    /// @dev Revert unless IM <= equity for `account` as it stands now, IM as `certificate`
    /// bounds it or, for an empty certificate, as an accepted attestation of this very state
    /// states it.
    function _requireInitialMargin(
        address account,
        IMarginEngine.MarginCertificate calldata certificate
    ) internal {
        // slither-disable-next-line uninitialized-local
        int256 accountEquity;
        // slither-disable-next-line uninitialized-local
        int256 initialMargin;
        uint64 epoch = certificate.epoch;
        if (certificate.indices.length != 0) {
            (accountEquity, initialMargin) = engine.initialMargin(
                _portfolio(account),
                certificate,
                initialMarginFactor,
                initialMarginAlphaBps,
                liquidityAddOn
            );
        } else if (address(attestedMargin) != address(0)) {
            bytes32 stateHash;
            (stateHash, accountEquity) = engine.attestedState(_portfolio(account));
            (initialMargin, epoch) = attestedMargin.initialMarginOf(account, stateHash);
        } else {
            revert MarginCertificateRequired(account);
        }
        if (initialMargin > accountEquity) {
            revert InsufficientInitialMargin(account, accountEquity, initialMargin);
        }
        emit InitialMarginChecked(account, epoch, accountEquity, initialMargin);
    }
}
