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

import {DefaultWaterfall} from "./libraries/DefaultWaterfall.sol";
import {FixedPointMath} from "./libraries/FixedPointMath.sol";
import {LiquidationLogic} from "./libraries/LiquidationLogic.sol";
import {OptionValuation} from "./libraries/OptionValuation.sol";
import {PositionAccounting} from "./libraries/PositionAccounting.sol";
import {IClearinghouse} from "./interfaces/IClearinghouse.sol";
import {IMarginEngine} from "./interfaces/IMarginEngine.sol";
import {AttestedMargin} from "./AttestedMargin.sol";
import {MarginEngine} from "./MarginEngine.sol";
import {OracleAdapter} from "./OracleAdapter.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";
import {SeriesRegistry} from "./SeriesRegistry.sol";

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
/// @dev The certificate checks and valuation live in `MarginEngine`, and the option series
/// and their settlement prices in `SeriesRegistry`: this contract deploys both, passes each
/// account to the engine as a `Portfolio` and reads series from the registry, in one call
/// per account with options (none for an account without). The books are one `Ledger`;
/// positions are booked by `PositionAccounting`, and a checked liquidation is carried out by
/// the linked library `LiquidationLogic` (closing, penalty, `DefaultWaterfall`).
contract Clearinghouse is IClearinghouse, Ownable {
    using SafeERC20 for IERC20;
    using FixedPointMath for int256;
    using PositionAccounting for Position;

    int256 internal constant WAD = 1e18;
    /// @notice At most this many option series open per account but the backstop (bounds
    /// every loop over an account's options).
    uint256 public constant MAX_OPTION_POSITIONS = PositionAccounting.MAX_OPTION_POSITIONS;
    /// @notice The market of a bad debt that no market can share (see BadDebtAbsorbedByBackstop).
    uint256 public constant NO_MARKET = DefaultWaterfall.NO_MARKET;
    /// @notice Funding is applied to a market at most once per interval.
    uint64 public constant FUNDING_INTERVAL = 1 hours;

    /// @notice The stablecoin of cash, deposits and withdrawals.
    IERC20 public immutable collateral;
    /// @notice 10^(18 - the stablecoin's decimals): one token unit in WAD.
    int256 public immutable collateralScale;
    /// @notice The oracle of every mark and of the circuit breaker.
    OracleAdapter public immutable oracle;
    /// @notice Values accounts and checks certificates; deployed by this contract.
    MarginEngine public immutable engine;
    /// @notice The option series and their settlement prices; deployed by this contract.
    SeriesRegistry public immutable seriesRegistry;
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

    /// @notice Cash, collateral, markets and positions (see `IClearinghouse.Ledger`).
    Ledger internal _ledger;
    /// @notice Who may settle matched trades and apply funding.
    mapping(address settler => bool) public isSettler;

    modifier onlySettler() {
        if (!isSettler[msg.sender]) revert NotSettler(msg.sender);
        _;
    }

    /// @param initialOwner The owner: sets parameters and settlers, and lists series.
    /// @param collateral_ The stablecoin (at most 18 decimals).
    /// @param oracle_ The oracle adapter.
    /// @param registry_ The scenario registry whose epochs certificates are checked against.
    /// @param backstop_ The account that takes over liquidated positions (not 0).
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
        seriesRegistry = new SeriesRegistry(oracle_);
        backstop = backstop_;
    }

    // ---------------------------------------------------------------- owner

    /// @notice Allow or forbid `settler` to settle matched trades and apply funding.
    /// @param settler The account.
    /// @param allowed Whether it may.
    function setSettler(address settler, bool allowed) external onlyOwner {
        isSettler[settler] = allowed;
        emit SettlerSet(settler, allowed);
    }

    /// @notice Set MM factor (> 0), liquidation penalty and keeper share (each in [0, 1]), WAD.
    /// @param mmFactor The maintenance margin factor: MM = mmFactor * max(ES, 0).
    /// @param penalty The liquidation penalty, a fraction of the closed notional.
    /// @param keeperShare_ The keeper's fraction of the penalty.
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

    /// @notice Set the IM factor and the ES level of initial margin.
    /// @param factor The IM factor (WAD, > 0): IM = factor * max(ES, 0) + the add-on.
    /// @param alphaBps The ES level of initial margin (basis points, in [5000, 10000)).
    function setInitialMarginParameters(int256 factor, uint16 alphaBps) external onlyOwner {
        if (factor <= 0 || alphaBps < 5000 || alphaBps >= 10_000) {
            revert InvalidInitialMarginParameters(factor, alphaBps);
        }
        initialMarginFactor = factor;
        initialMarginAlphaBps = alphaBps;
        emit InitialMarginParametersSet(factor, alphaBps);
    }

    /// @notice Set the liquidity add-on of initial margin.
    /// @param addOn A WAD fraction in [0, 1] of the account's gross notional (sum of
    /// |size| * spot over perps and options).
    function setLiquidityAddOn(int256 addOn) external onlyOwner {
        if (addOn < 0 || addOn > WAD) revert InvalidLiquidityAddOn(addOn);
        liquidityAddOn = addOn;
        emit LiquidityAddOnSet(addOn);
    }

    /// @notice Accept attested margin in place of a margin certificate.
    /// @param attestedMargin_ The attested margin contract (address 0: no longer).
    function setAttestedMargin(AttestedMargin attestedMargin_) external onlyOwner {
        attestedMargin = attestedMargin_;
        emit AttestedMarginSet(address(attestedMargin_));
    }

    /// @notice Set the close-factor rule (see `LiquidationParameters`), WAD.
    /// @param closeFactor The largest fraction closed at once, in (0, 1].
    /// @param fullLiquidationHealth Below this health (equity / MM), in [0, 1], all may close.
    /// @param dustValue At or below this value of positions at mark (>= 0), all may close.
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

    /// @notice Set the largest funding rate per interval.
    /// @param rate A WAD fraction of the spot mark, in [0, 0.1].
    function setMaxFundingRate(int256 rate) external onlyOwner {
        if (rate < 0 || rate > WAD / 10) revert InvalidMaxFundingRate(rate);
        maxFundingRate = rate;
        emit MaxFundingRateSet(rate);
    }

    /// @notice Accept `token` as spot collateral for oracle asset `asset`, valued at the spot
    /// mark less `haircut`. The token may change only while no account holds the old one
    /// (`totalCollateral` is 0; tokens sent here without a deposit do not count); the
    /// haircut any time.
    /// @param asset A known oracle asset.
    /// @param token The token (at most 18 decimals, not the stablecoin).
    /// @param haircut The WAD fraction of the mark not counted, in [0, 1).
    function setCollateralAsset(uint256 asset, IERC20Metadata token, int256 haircut)
        external
        onlyOwner
    {
        _requireAsset(asset);
        uint8 decimals = token.decimals();
        CollateralAsset storage current = _ledger.collateralAssets[asset];
        bool replaces =
            address(current.token) != address(0) && address(current.token) != address(token);
        if (
            haircut < 0 || haircut >= WAD || decimals > 18 || address(token) == address(collateral)
                || (replaces && _ledger.totalCollateral[asset] != 0)
        ) revert InvalidCollateralAsset(asset, address(token), haircut);
        _ledger.collateralAssets[asset] =
            CollateralAsset(token, int256(10 ** (18 - decimals)), haircut);
        emit CollateralAssetSet(asset, address(token), haircut);
    }

    // ---------------------------------------------------------------- collateral

    /// @notice Deposit collateral to the caller's account.
    /// @param amount The amount of the stablecoin (token decimals, > 0), approved beforehand.
    function deposit(uint256 amount) external {
        int256 credited = _pull(amount);
        _ledger.cash[msg.sender] += credited;
        emit Deposited(msg.sender, amount, _ledger.cash[msg.sender]);
    }

    /// @notice Add collateral to the insurance fund.
    /// @param amount The amount of the stablecoin (token decimals, > 0), approved beforehand.
    function fundInsurance(uint256 amount) external {
        _ledger.insuranceFund += _pull(amount);
        emit InsuranceFunded(msg.sender, amount, _ledger.insuranceFund);
    }

    /// @notice Withdraw collateral. With open positions the account must stay at or above
    /// initial margin, shown by `margin`, and no asset it holds may be paused by the
    /// oracle's circuit breaker; without positions (and, holding spot collateral, without
    /// debt) `margin` is ignored and may be empty.
    /// @param amount The amount of the stablecoin (token decimals, > 0, at most the cash).
    /// @param margin A margin certificate on the account after the withdrawal.
    function withdraw(uint256 amount, IMarginEngine.MarginCertificate calldata margin) external {
        if (amount == 0) revert ZeroAmount();
        int256 debited = SafeCast.toInt256(amount) * collateralScale;
        int256 balance = _ledger.cash[msg.sender];
        if (debited > balance) revert InsufficientCash(msg.sender, balance, debited);
        _ledger.cash[msg.sender] = balance - debited;
        _requireMarginAfterWithdrawal(margin);
        emit Withdrawn(msg.sender, amount, balance - debited);
        collateral.safeTransfer(msg.sender, amount);
    }

    /// @notice Deposit spot collateral.
    /// @param asset An asset with a spot collateral token.
    /// @param amount The amount of its token (token decimals, > 0), approved beforehand.
    function depositCollateral(uint256 asset, uint256 amount) external {
        _creditCollateral(asset, amount).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraw spot collateral. Unless the account has no positions and no debt, it
    /// must stay at or above initial margin, shown by `margin`, with no held asset paused by
    /// the circuit breaker.
    /// @dev The margin check precedes the transfer: a token that calls back into this
    /// contract (transfer hooks) must not find the account unchecked.
    /// @param asset An asset with a spot collateral token.
    /// @param amount The amount of its token (token decimals, > 0, at most the balance).
    /// @param margin A margin certificate on the account after the withdrawal.
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
    /// withdraw `amountOut` of `assetOut`'s, with the margin rule of `withdrawCollateral`
    /// checked once, on the account after both, before either transfer.
    /// @param assetIn The asset deposited.
    /// @param amountIn The amount deposited (token decimals, > 0), approved beforehand.
    /// @param assetOut The asset withdrawn.
    /// @param amountOut The amount withdrawn (token decimals, > 0, at most the balance).
    /// @param margin A margin certificate on the account after the swap.
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

    /// @notice Settle a matched perp trade. Initial margin is an account-level property: a
    /// side needs nothing only if it scales down the account's only exposure (its one open
    /// position, toward zero without flipping, or closed, with no other position and no spot
    /// collateral), which cannot raise its ES under any scenario. Every other side must end
    /// at or above initial margin, shown by its certificate (on the account after the trade)
    /// or an attestation, and then the asset must not be paused by the circuit breaker.
    /// Only a settler.
    /// @param buyer The account that buys.
    /// @param seller The account that sells (not the buyer).
    /// @param asset The perp's asset.
    /// @param size The size (WAD, > 0).
    /// @param price The price (WAD, > 0); the cost is size * price / WAD, rounded up.
    /// @param buyerMargin The buyer's margin certificate (empty for a scale-down or an attestation).
    /// @param sellerMargin The seller's margin certificate (empty for a scale-down or an attestation).
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
        _settle(buyer, seller, asset, false, asset, size, price, buyerMargin, sellerMargin);
    }

    /// @notice Settle a matched option trade before expiry, with the same initial-margin
    /// rule as `settleTrade`. Only a settler.
    /// @param buyer The account that buys.
    /// @param seller The account that sells (not the buyer).
    /// @param seriesId A listed series, not expired.
    /// @param size The number of options (WAD, > 0).
    /// @param premium The premium per option (WAD, >= 0); the cost is size * premium / WAD,
    /// rounded up.
    /// @param buyerMargin The buyer's margin certificate (empty for a scale-down or an attestation).
    /// @param sellerMargin The seller's margin certificate (empty for a scale-down or an attestation).
    function settleOptionTrade(
        address buyer,
        address seller,
        uint256 seriesId,
        int256 size,
        int256 premium,
        IMarginEngine.MarginCertificate calldata buyerMargin,
        IMarginEngine.MarginCertificate calldata sellerMargin
    ) external onlySettler {
        OptionValuation.Series memory s = seriesRegistry.series(seriesId);
        if (s.expiry <= block.timestamp) revert SeriesExpired(seriesId, s.expiry);
        _settle(buyer, seller, seriesId, true, s.asset, size, premium, buyerMargin, sellerMargin);
    }

    /// @notice Apply one interval's funding to `asset`'s perps: longs pay shorts `rate` of
    /// the spot mark per unit. The index moves by mulWad(mark, rate, Floor); each position
    /// settles it lazily, the payer's charge rounded up. At most once per FUNDING_INTERVAL.
    /// Only a settler.
    /// @param asset The market's asset.
    /// @param rate The rate (WAD, |rate| <= maxFundingRate; negative: shorts pay).
    function applyFunding(uint256 asset, int256 rate) external onlySettler {
        _requireAsset(asset);
        Market storage market = _ledger.markets[asset];
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
    /// side, uses it, so settlement is zero-sum (see `SeriesRegistry.settle`). Without a
    /// position it does nothing. Permissionless.
    /// @param account Any account.
    /// @param seriesId A listed series, expired.
    function settleExpiredOption(address account, uint256 seriesId) external {
        int256 size = _ledger.optionPositions[account][seriesId].size;
        (uint256 asset, int256 price, int256 payoff) = seriesRegistry.settle(seriesId, size);
        // slither-disable-next-line incorrect-equality
        if (size == 0) return;
        // slither-disable-next-line unused-return
        PositionAccounting.addToPosition(
            _ledger, account, seriesId, true, asset, -size, -payoff, backstop
        );
        // slither-disable-next-line reentrancy-events
        emit OptionSettled(account, seriesId, size, price, payoff);
    }

    // ---------------------------------------------------------------- views

    /// @notice The perp position of `account` in `asset`.
    /// @param account The account.
    /// @param asset The asset.
    /// @return The position.
    function positionOf(address account, uint256 asset) external view returns (Position memory) {
        return _ledger.positions[account][asset];
    }

    /// @notice The option position of `account` in `seriesId`.
    /// @param account The account.
    /// @param seriesId The series.
    /// @return The position.
    function optionPositionOf(address account, uint256 seriesId)
        external
        view
        returns (Position memory)
    {
        return _ledger.optionPositions[account][seriesId];
    }

    /// @notice The option series `account` holds, in the order the account opened them.
    /// @param account The account.
    /// @return The series ids.
    function heldSeries(address account) external view returns (uint256[] memory) {
        return _ledger.heldSeries[account];
    }

    /// @notice `account` as the margin engine sees it (see `IMarginEngine.Portfolio`).
    /// @param account The account.
    /// @return portfolio Its balance, spot exposure per asset and options in held order.
    function portfolioOf(address account)
        external
        view
        returns (IMarginEngine.Portfolio memory portfolio)
    {
        return _portfolio(account);
    }

    /// @notice Equity of `account` at oracle marks: cash - cost bases - charges owed +
    /// (sum size * unit value) / WAD, the division rounded down.
    /// @param account The account.
    /// @return accountEquity Its equity (WAD).
    function equity(address account) external view returns (int256 accountEquity) {
        IMarginEngine.Portfolio memory portfolio = _portfolio(account);
        // slither-disable-next-line unused-return
        (accountEquity,) = engine.valuation(portfolio);
    }

    /// @notice Loss of `account` under one scenario; see `MarginEngine.scenarioLoss`.
    /// @param account The account.
    /// @param spotReturns One WAD spot return per asset.
    /// @param volShifts One WAD implied-vol shift per asset.
    /// @return The loss (WAD, positive = loss).
    function scenarioLoss(
        address account,
        int256[] calldata spotReturns,
        int256[] calldata volShifts
    ) external view returns (int256) {
        IMarginEngine.Portfolio memory portfolio = _portfolio(account);
        return engine.scenarioLoss(portfolio, spotReturns, volShifts);
    }

    /// @notice Check `certificate` against `account` without liquidating. Reverts, with the
    /// same errors as `liquidate`, when the certificate itself is invalid.
    /// @param account The account.
    /// @param certificate A liquidation certificate of the current epoch.
    /// @return check Its equity, the certified ES lower bound and MM, and whether MM > equity.
    function isLiquidatable(
        address account,
        IMarginEngine.LiquidationCertificate calldata certificate
    ) external view returns (IMarginEngine.MarginCheck memory check) {
        IMarginEngine.Portfolio memory portfolio = _portfolio(account);
        // slither-disable-next-line unused-return
        (check,) = engine.checkLiquidation(portfolio, certificate, maintenanceMarginFactor);
    }

    /// @notice The largest fraction a liquidation of an account in the state `check` shows,
    /// whose positions are worth `positionValue` at mark, may close.
    /// @param check The account's equity and maintenance margin (as `isLiquidatable` shows).
    /// @param positionValue The value of its positions at mark (sum of |size * unit value|).
    /// @return The largest fraction (WAD): 1e18, or the close factor.
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

    /// @notice Penalties' insurance share and donations; covers bad debt first.
    /// @return The insurance fund (WAD).
    function insuranceFund() external view returns (int256) {
        return _ledger.insuranceFund;
    }

    /// @notice The market of oracle asset `asset` (see `IClearinghouse.Market`).
    /// @param asset The asset.
    /// @return fundingIndex The cumulative funding a long pays per unit (WAD).
    /// @return lossIndex The cumulative socialized loss per unit of absolute size (WAD).
    /// @return openInterest The sum of absolute perp and option sizes on the asset (WAD).
    /// @return lastFunding When funding was last applied (unix seconds).
    function markets(uint256 asset)
        external
        view
        returns (int256 fundingIndex, int256 lossIndex, int256 openInterest, uint64 lastFunding)
    {
        Market storage market = _ledger.markets[asset];
        return (market.fundingIndex, market.lossIndex, market.openInterest, market.lastFunding);
    }

    /// @notice The spot collateral token accepted for oracle asset `asset` (token 0: none).
    /// @param asset The asset.
    /// @return token The token.
    /// @return scale 10^(18 - its decimals): one token unit in WAD.
    /// @return haircut The WAD fraction of the mark not counted.
    function collateralAssets(uint256 asset)
        external
        view
        returns (IERC20 token, int256 scale, int256 haircut)
    {
        CollateralAsset storage c = _ledger.collateralAssets[asset];
        return (c.token, c.scale, c.haircut);
    }

    /// @notice `account`'s spot collateral balance in `asset`.
    /// @param account The account.
    /// @param asset The asset.
    /// @return The balance (WAD units of the asset).
    function collateralBalance(address account, uint256 asset) external view returns (int256) {
        return _ledger.collateralBalance[account][asset];
    }

    /// @notice Spot collateral of `asset` held for accounts: the sum of `collateralBalance`
    /// over accounts. Tokens sent here without a deposit are not in it.
    /// @param asset The asset.
    /// @return The total (WAD units of the asset).
    function totalCollateral(uint256 asset) external view returns (int256) {
        return _ledger.totalCollateral[asset];
    }

    /// @notice `account`'s cash: deposits, realized PnL and settled charges.
    /// @param account The account.
    /// @return The cash (WAD).
    function cash(address account) external view returns (int256) {
        return _ledger.cash[account];
    }

    /// @notice How many positions (perps and option series) `account` has open.
    /// @param account The account.
    /// @return The count.
    function openPositionCount(address account) external view returns (uint256) {
        return _ledger.openPositionCount[account];
    }

    // ---------------------------------------------------------------- liquidation

    /// @notice Liquidate `fraction` of `account` if `certificate` shows MM > equity: close
    /// that fraction of every position (rounded toward zero) at oracle mark into the backstop
    /// and charge the penalty on the closed value, up to the account's equity (keeper share
    /// to the caller's cash, the rest to the insurance fund). The fraction may exceed the
    /// close factor only for accounts below the full-liquidation health or worth at most the
    /// dust value, and must be 1 for an account with negative equity, whose bad debt then
    /// goes down the waterfall. Permissionless.
    /// @dev The checks are here; `LiquidationLogic.execute` carries the liquidation out.
    /// @param account Any account but the backstop.
    /// @param certificate A liquidation certificate of the current epoch.
    /// @param fraction The fraction closed (WAD, in (0, 1e18]).
    /// @return check What the certificate showed: equity, ES lower bound, MM.
    function liquidate(
        address account,
        IMarginEngine.LiquidationCertificate calldata certificate,
        int256 fraction
    ) external returns (IMarginEngine.MarginCheck memory check) {
        if (account == backstop) revert BackstopNotLiquidatable();
        if (fraction <= 0 || fraction > WAD) revert InvalidFraction(fraction);
        IMarginEngine.Portfolio memory portfolio = _portfolio(account);
        IMarginEngine.Marks memory marks;
        (check, marks) = engine.checkLiquidation(portfolio, certificate, maintenanceMarginFactor);
        if (!check.liquidatable) {
            revert AccountHealthy(account, check.equity, check.maintenanceMargin);
        }
        int256 maxFraction =
            maxLiquidationFraction(check, _positionValue(account, portfolio, marks));
        if (fraction > maxFraction) revert FractionAboveCloseFactor(fraction, maxFraction);
        if (check.equity < 0 && fraction != WAD) {
            revert PartialLiquidationOfInsolventAccount(account, check.equity);
        }
        uint256[] memory seriesAssets = new uint256[](portfolio.options.length);
        for (uint256 i; i < seriesAssets.length; ++i) {
            seriesAssets[i] = portfolio.options[i].series.asset;
        }
        LiquidationLogic.execute(
            _ledger,
            LiquidationOrder({
                account: account,
                backstop: backstop,
                oracle: oracle,
                epoch: certificate.epoch,
                fraction: fraction,
                penalty: liquidationPenalty,
                keeperShare: keeperShare,
                check: check,
                spot: marks.spot,
                optionValues: marks.optionValues,
                seriesAssets: seriesAssets
            })
        );
    }

    // ---------------------------------------------------------------- internal: positions

    function _requireAsset(uint256 asset) internal view {
        uint256 assets = oracle.assetCount();
        if (asset >= assets) revert UnknownAsset(asset, assets);
    }

    /// @dev Settle a matched trade of `size` at `price` (a perp of `asset`, `id` = asset, or
    /// option series `id` on `asset`): check the sides and the terms, book both sides, then,
    /// if either side is not a scale-down of its account's only exposure, require the
    /// circuit breaker's leave for `asset` and the initial margin of each such side.
    function _settle(
        address buyer,
        address seller,
        uint256 id,
        bool isOption,
        uint256 asset,
        int256 size,
        int256 price,
        IMarginEngine.MarginCertificate calldata buyerMargin,
        IMarginEngine.MarginCertificate calldata sellerMargin
    ) internal {
        if (buyer == seller) revert SelfTrade(buyer);
        // A perp trades at a positive price; an option's premium may be 0.
        if (size <= 0 || price < 0 || (price == 0 && !isOption)) revert InvalidTrade(size, price);
        int256 cost = size.mulWad(price, Math.Rounding.Ceil);
        bool buyerNeedsMargin = _book(buyer, id, isOption, asset, size, cost);
        bool sellerNeedsMargin = _book(seller, id, isOption, asset, -size, -cost);
        if (isOption) emit OptionTradeSettled(buyer, seller, id, size, price, cost);
        else emit TradeSettled(buyer, seller, id, size, price, cost);
        if (buyerNeedsMargin || sellerNeedsMargin) oracle.checkRiskAllowed(asset);
        if (buyerNeedsMargin) _requireInitialMargin(buyer, _portfolio(buyer), buyerMargin);
        if (sellerNeedsMargin) _requireInitialMargin(seller, _portfolio(seller), sellerMargin);
    }

    /// @dev Book `account`'s side of a trade (`PositionAccounting.addToPosition`); returns
    /// whether the side needs initial margin: unless it scaled down the account's only
    /// exposure. That is, the fill moved the traded position toward zero without flipping it,
    /// and after it no other position is open and no spot collateral is held (spot collateral
    /// is an exposure too). Such a side shrinks every exposure by the same fraction, so no
    /// scenario's loss grows; any other side may raise ES (a flip, a hedge sold).
    function _book(
        address account,
        uint256 id,
        bool isOption,
        uint256 asset,
        int256 size,
        int256 cost
    ) internal returns (bool needsMargin) {
        bool scaledDown = PositionAccounting.addToPosition(
            _ledger, account, id, isOption, asset, size, cost, backstop
        );
        if (!scaledDown) return true;
        uint256 stillOpen =
            PositionAccounting.position(_ledger, account, id, isOption).size != 0 ? 1 : 0;
        if (_ledger.openPositionCount[account] != stillOpen) return true;
        uint256 assets = oracle.assetCount();
        for (uint256 i; i < assets; ++i) {
            if (_ledger.collateralBalance[account][i] != 0) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- internal: collateral

    /// @dev Credit the caller `amount` (token decimals, > 0) of `asset`'s spot collateral;
    /// returns the token, for the caller to pull the amount.
    function _creditCollateral(uint256 asset, uint256 amount) internal returns (IERC20) {
        CollateralAsset memory c = _collateralAsset(asset);
        if (amount == 0) revert ZeroAmount();
        int256 credited = SafeCast.toInt256(amount) * c.scale;
        int256 balance = _ledger.collateralBalance[msg.sender][asset] + credited;
        _ledger.collateralBalance[msg.sender][asset] = balance;
        _ledger.totalCollateral[asset] += credited;
        emit CollateralDeposited(msg.sender, asset, amount, balance);
        return c.token;
    }

    /// @dev Debit the caller `amount` (token decimals, > 0) of `asset`'s spot collateral;
    /// returns the token, for the caller to send the amount once the margin rule holds.
    function _debitCollateral(uint256 asset, uint256 amount) internal returns (IERC20) {
        CollateralAsset memory c = _collateralAsset(asset);
        if (amount == 0) revert ZeroAmount();
        int256 debited = SafeCast.toInt256(amount) * c.scale;
        int256 balance = _ledger.collateralBalance[msg.sender][asset];
        if (debited > balance) revert InsufficientCollateral(msg.sender, asset, balance, debited);
        _ledger.collateralBalance[msg.sender][asset] = balance - debited;
        _ledger.totalCollateral[asset] -= debited;
        emit CollateralWithdrawn(msg.sender, asset, amount, balance - debited);
        return c.token;
    }

    function _collateralAsset(uint256 asset) internal view returns (CollateralAsset memory c) {
        c = _ledger.collateralAssets[asset];
        if (address(c.token) == address(0)) revert UnknownCollateral(asset);
    }

    /// @dev Pull `amount` (token decimals, > 0) of collateral from the caller; returns it in
    /// WAD.
    function _pull(uint256 amount) internal returns (int256 credited) {
        if (amount == 0) revert ZeroAmount();
        credited = SafeCast.toInt256(amount) * collateralScale;
        collateral.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ---------------------------------------------------------------- internal: valuation

    /// @dev `account` as the margin engine sees it: balance = cash - cost bases - charges
    /// owed, the perp size plus haircut spot collateral of every asset and the options in
    /// held order (their series read from the series registry in one call, and only if
    /// there are any).
    function _portfolio(address account)
        internal
        view
        returns (IMarginEngine.Portfolio memory portfolio)
    {
        int256 balance = _ledger.cash[account];
        uint256 assets = oracle.assetCount();
        portfolio.spotExposure = new int256[](assets);
        for (uint256 asset; asset < assets; ++asset) {
            int256 units = _ledger.collateralBalance[account][asset];
            if (units != 0) {
                units =
                    DefaultWaterfall.haircutUnits(units, _ledger.collateralAssets[asset].haircut);
            }
            Position storage p = _ledger.positions[account][asset];
            int256 size = p.size;
            if (size != 0) {
                Market storage market = _ledger.markets[asset];
                units += size;
                balance -= p.costBasis + p.charges(market.fundingIndex, market.lossIndex);
            }
            portfolio.spotExposure[asset] = units;
        }
        uint256[] memory held = _ledger.heldSeries[account];
        portfolio.options = new IMarginEngine.OptionHolding[](held.length);
        if (held.length != 0) {
            (OptionValuation.Series[] memory series, int256[] memory prices) =
                seriesRegistry.seriesOf(held);
            for (uint256 i; i < held.length; ++i) {
                Position storage p = _ledger.optionPositions[account][held[i]];
                portfolio.options[i] = IMarginEngine.OptionHolding(series[i], p.size, prices[i]);
                balance -= p.costBasis + p.charges(0, _ledger.markets[series[i].asset].lossIndex);
            }
        }
        portfolio.balance = balance;
    }

    /// @dev The value at mark of `account`'s positions: sum of |size * unit value| / WAD.
    function _positionValue(
        address account,
        IMarginEngine.Portfolio memory portfolio,
        IMarginEngine.Marks memory marks
    ) internal view returns (int256 value) {
        for (uint256 asset; asset < marks.spot.length; ++asset) {
            int256 size = _ledger.positions[account][asset].size;
            value += PositionAccounting.abs(size.mulWad(marks.spot[asset], Math.Rounding.Floor));
        }
        for (uint256 i; i < portfolio.options.length; ++i) {
            int256 size = portfolio.options[i].size;
            value += PositionAccounting.abs(size.mulWad(marks.optionValues[i], Math.Rounding.Floor));
        }
    }

    // ---------------------------------------------------------------- internal: initial margin

    /// @dev After the caller took collateral out: unless it has no positions and no debt,
    /// require the circuit breaker's leave and initial margin.
    function _requireMarginAfterWithdrawal(IMarginEngine.MarginCertificate calldata margin)
        internal
    {
        // slither-disable-next-line incorrect-equality
        if (_ledger.openPositionCount[msg.sender] == 0 && _ledger.cash[msg.sender] >= 0) {
            return;
        }
        IMarginEngine.Portfolio memory portfolio = _portfolio(msg.sender);
        _requireRiskAllowed(msg.sender, portfolio);
        _requireInitialMargin(msg.sender, portfolio, margin);
    }

    /// @dev Revert unless the circuit breaker allows new risk on every asset `account` (as
    /// `portfolio`) holds: its perps in asset order, then its options in held order.
    function _requireRiskAllowed(address account, IMarginEngine.Portfolio memory portfolio)
        internal
        view
    {
        for (uint256 asset; asset < portfolio.spotExposure.length; ++asset) {
            // slither-disable-next-line calls-loop
            if (_ledger.positions[account][asset].size != 0) oracle.checkRiskAllowed(asset);
        }
        for (uint256 i; i < portfolio.options.length; ++i) {
            // slither-disable-next-line calls-loop
            oracle.checkRiskAllowed(portfolio.options[i].series.asset);
        }
    }

    /// @dev Revert unless IM <= equity for `account` as it stands now (`portfolio`), IM as
    /// `certificate` bounds it or, for an empty certificate, as an accepted attestation of
    /// this very state states it.
    function _requireInitialMargin(
        address account,
        IMarginEngine.Portfolio memory portfolio,
        IMarginEngine.MarginCertificate calldata certificate
    ) internal {
        // slither-disable-next-line uninitialized-local
        int256 accountEquity;
        // slither-disable-next-line uninitialized-local
        int256 initialMargin;
        uint64 epoch = certificate.epoch;
        if (certificate.indices.length != 0) {
            (accountEquity, initialMargin) = engine.initialMargin(
                portfolio, certificate, initialMarginFactor, initialMarginAlphaBps, liquidityAddOn
            );
        } else if (address(attestedMargin) != address(0)) {
            bytes32 stateHash;
            (stateHash, accountEquity) = engine.attestedState(portfolio);
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
