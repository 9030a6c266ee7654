// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {OracleAdapter} from "../OracleAdapter.sol";
import {IMarginEngine} from "./IMarginEngine.sol";

/// @title IClearinghouse
/// @notice The structs, errors and events of `Clearinghouse`. All amounts are WAD (1e18)
/// signed integers unless stated otherwise.
interface IClearinghouse {
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

    /// @notice The clearinghouse's books, in one storage struct so that its libraries
    /// (`PositionAccounting`, `DefaultWaterfall`, `LiquidationLogic`) take them as one
    /// pointer. Storage only (it holds mappings); the clearinghouse has a getter for each
    /// field but the position mappings, whose getters are `positionOf`, `optionPositionOf`
    /// and `heldSeries`.
    struct Ledger {
        /// @dev Penalties' insurance share and donations; covers bad debt first (WAD).
        int256 insuranceFund;
        /// @dev The market of each oracle asset.
        mapping(uint256 asset => Market) markets;
        /// @dev Spot collateral accepted per oracle asset (token 0: none).
        mapping(uint256 asset => CollateralAsset) collateralAssets;
        /// @dev Spot collateral balances (WAD units of the asset).
        mapping(address account => mapping(uint256 asset => int256)) collateralBalance;
        /// @dev The sum of `collateralBalance` over accounts, per asset (WAD units).
        mapping(uint256 asset => int256) totalCollateral;
        /// @dev Each account's cash (WAD).
        mapping(address account => int256) cash;
        /// @dev How many positions (perps and option series) each account has open.
        mapping(address account => uint256) openPositionCount;
        /// @dev Perp positions.
        mapping(address account => mapping(uint256 asset => Position)) positions;
        /// @dev Option positions.
        mapping(address account => mapping(uint256 seriesId => Position)) optionPositions;
        /// @dev The option series each account holds, in the order it opened them.
        mapping(address account => uint256[]) heldSeries;
    }

    /// @notice What a liquidation closes and charges, as the clearinghouse hands it to
    /// `LiquidationLogic` once the certificate (of `epoch`, showing `check`) has shown the
    /// account liquidatable and the fraction is allowed: close `fraction` of every perp of
    /// `account` at its `spot` mark (one per oracle asset) and of every option it holds (the
    /// held series in order, on `seriesAssets`) at its `optionValues` mark into `backstop`;
    /// charge the `penalty` (share `keeperShare` to the caller); run the default waterfall,
    /// which reads `oracle`, if that leaves the account flat in debt.
    struct LiquidationOrder {
        address account;
        address backstop;
        OracleAdapter oracle;
        uint64 epoch;
        int256 fraction;
        int256 penalty;
        int256 keeperShare;
        IMarginEngine.MarginCheck check;
        int256[] spot;
        int256[] optionValues;
        uint256[] seriesAssets;
    }

    /// @notice A deposit, withdrawal or insurance top-up of zero tokens.
    error ZeroAmount();
    /// @notice The stablecoin has more than 18 decimals: it cannot be scaled to WAD exactly.
    error UnsupportedCollateralDecimals(uint8 decimals);
    /// @notice The backstop takes over liquidated positions: it must be a real account.
    error ZeroBackstop();
    /// @notice The MM factor is not positive, or the penalty or keeper share is outside
    /// [0, 1e18].
    error InvalidRiskParameters(int256 maintenanceMarginFactor, int256 penalty, int256 keeperShare);
    /// @notice The IM factor is not positive, or the IM level is outside [5000, 10000) bps.
    error InvalidInitialMarginParameters(int256 initialMarginFactor, uint16 alphaBps);
    /// @notice The liquidity add-on is outside [0, 1e18].
    error InvalidLiquidityAddOn(int256 addOn);
    /// @notice The close factor is outside (0, 1e18], the full-liquidation health outside
    /// [0, 1e18] or the dust value negative.
    error InvalidLiquidationParameters(
        int256 closeFactor, int256 fullLiquidationHealth, int256 dustValue
    );
    /// @notice The funding rate bound is outside [0, 0.1e18].
    error InvalidMaxFundingRate(int256 rate);
    /// @notice A spot collateral token that the clearinghouse cannot accept: a haircut
    /// outside [0, 1e18), more than 18 decimals, the stablecoin itself, or a replacement
    /// while accounts still hold the old token.
    error InvalidCollateralAsset(uint256 asset, address token, int256 haircut);
    /// @notice `asset` has no spot collateral token.
    error UnknownCollateral(uint256 asset);
    /// @notice `account` holds `balance` of `asset`'s spot collateral, less than the
    /// `requested` withdrawal (both WAD units).
    error InsufficientCollateral(address account, uint256 asset, int256 balance, int256 requested);
    /// @notice `caller` is not an authorized settler.
    error NotSettler(address caller);
    /// @notice `asset` is not one of the oracle's `assetCount` assets.
    error UnknownAsset(uint256 asset, uint256 assetCount);
    /// @notice Option series `seriesId` expired at `expiry`: it no longer trades.
    error SeriesExpired(uint256 seriesId, uint64 expiry);
    /// @notice `account` already holds `limit` option series.
    error TooManyOptionPositions(address account, uint256 limit);
    /// @notice A trade's buyer and seller are the same `account`.
    error SelfTrade(address account);
    /// @notice A trade's size is not positive, or its price (premium) is out of range.
    error InvalidTrade(int256 size, int256 price);
    /// @notice `account` has `cash`, less than the `requested` withdrawal (WAD).
    error InsufficientCash(address account, int256 cash, int256 requested);
    /// @notice An action of `account` that needs initial margin (a trade side other than a
    /// scale-down of its only exposure, a withdrawal or swap with positions or debt) came
    /// without a margin certificate, and no attested margin is configured.
    error MarginCertificateRequired(address account);
    /// @notice After the action the account's equity would be below its initial margin.
    error InsufficientInitialMargin(address account, int256 equity, int256 initialMargin);
    /// @notice Funding of `asset` was applied less than FUNDING_INTERVAL ago.
    error FundingTooSoon(uint256 asset, uint64 nextAt);
    /// @notice |rate| is above maxFundingRate.
    error FundingRateTooLarge(int256 rate, int256 maxRate);
    /// @notice The certificate does not show `account`'s maintenance margin above its equity.
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

    /// @notice `settler` may (`allowed`) or may no longer settle trades and apply funding.
    event SettlerSet(address indexed settler, bool allowed);
    /// @notice New MM factor, liquidation penalty and keeper share.
    event RiskParametersSet(int256 maintenanceMarginFactor, int256 penalty, int256 keeperShare);
    /// @notice New IM factor and IM level (basis points).
    event InitialMarginParametersSet(int256 initialMarginFactor, uint16 alphaBps);
    /// @notice New liquidity add-on of initial margin.
    event LiquidityAddOnSet(int256 addOn);
    /// @notice Attested margin from `attestedMargin` (0: none) now stands in for a margin
    /// certificate.
    event AttestedMarginSet(address indexed attestedMargin);
    /// @notice New close-factor rule.
    event LiquidationParametersSet(
        int256 closeFactor, int256 fullLiquidationHealth, int256 dustValue
    );
    /// @notice New bound of the funding rate per interval.
    event MaxFundingRateSet(int256 rate);
    /// @notice `account` passed an initial-margin check after a risk-increasing action.
    event InitialMarginChecked(
        address indexed account, uint64 indexed epoch, int256 equity, int256 initialMargin
    );
    /// @notice `account` deposited `amount` of the stablecoin (token decimals); its cash is
    /// now `cashAfter`.
    event Deposited(address indexed account, uint256 amount, int256 cashAfter);
    /// @notice `account` withdrew `amount` of the stablecoin (token decimals); its cash is
    /// now `cashAfter`.
    event Withdrawn(address indexed account, uint256 amount, int256 cashAfter);
    /// @notice `from` added `amount` of the stablecoin (token decimals) to the insurance
    /// fund, now `fundAfter`.
    event InsuranceFunded(address indexed from, uint256 amount, int256 fundAfter);
    /// @notice `token` is `asset`'s spot collateral, at `haircut`.
    event CollateralAssetSet(uint256 indexed asset, address token, int256 haircut);
    /// @notice `account` deposited `amount` (token decimals) of `asset`'s spot collateral;
    /// its balance is now `balanceAfter` (WAD units).
    event CollateralDeposited(
        address indexed account, uint256 indexed asset, uint256 amount, int256 balanceAfter
    );
    /// @notice `account` withdrew `amount` (token decimals) of `asset`'s spot collateral;
    /// its balance is now `balanceAfter` (WAD units).
    event CollateralWithdrawn(
        address indexed account, uint256 indexed asset, uint256 amount, int256 balanceAfter
    );
    /// @notice Waterfall step 1: a fully liquidated `account` with negative cash sold its
    /// `amount` (WAD units) of `asset` collateral to the backstop at the haircut mark for
    /// `value` of cash.
    event CollateralSeized(
        address indexed account, uint256 indexed asset, int256 amount, int256 price, int256 value
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
}
