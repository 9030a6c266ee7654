// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OptionValuation} from "../libraries/OptionValuation.sol";

/// @title IMarginEngine
/// @notice The structs and errors of `MarginEngine`: the portfolio it values, the two kinds
/// of Expected Shortfall certificate it checks and what it returns. All amounts are WAD
/// (1e18) signed integers.
interface IMarginEngine {
    /// @notice One option position: `size` options (WAD, negative = short) of `series`, and
    /// the series' settlement price once fixed (WAD, else 0).
    struct OptionHolding {
        OptionValuation.Series series;
        int256 size;
        int256 settlementPrice;
    }

    /// @notice What valuation needs of an account: `balance` = cash - sum of cost bases -
    /// funding and socialized losses owed (WAD); per asset of the oracle (`spotExposure[i]`
    /// for asset i), the units whose value moves one for one with the spot: the perp size
    /// plus the haircut spot collateral (balance * (1 - haircut), rounded down); and the
    /// options in the account's held order.
    struct Portfolio {
        int256 balance;
        int256[] spotExposure;
        OptionHolding[] options;
    }

    /// @notice ceil(k) distinct scenarios of `epoch`, in strictly increasing index order, each
    /// with its leaf data (one WAD spot return and one WAD vol shift per asset) and its
    /// Merkle proof.
    struct LiquidationCertificate {
        uint64 epoch;
        uint256[] indices;
        int256[][] spotReturns;
        int256[][] volShifts;
        bytes32[][] proofs;
    }

    /// @notice All N scenarios of `epoch` with a threshold t: the Rockafellar-Uryasev upper
    /// bound of ES. The scenarios are in the leaf order of OpenZeppelin's multiproof of the
    /// whole tree (tree positions descending), so they verify against the root with no
    /// proof nodes. An empty certificate (no indices) stands for "none" on a side whose risk
    /// does not increase.
    struct MarginCertificate {
        uint64 epoch;
        int256 threshold;
        uint256[] indices;
        int256[][] spotReturns;
        int256[][] volShifts;
    }

    /// @notice What a liquidation certificate shows about an account at current marks (WAD):
    /// the maintenance margin is mmFactor * max(bound, 0), so it is never negative.
    struct MarginCheck {
        int256 equity;
        int256 expectedShortfallLowerBound;
        int256 maintenanceMargin;
        bool liquidatable;
    }

    /// @notice Oracle spot prices and implied vols of the assets a portfolio needs (0 for
    /// the others, never read), one option's value per holding, in holding order, and the
    /// time (unix seconds) the options are valued at.
    struct Marks {
        int256[] spot;
        int256[] vol;
        int256[] optionValues;
        uint256 time;
    }

    /// @notice The certificate is of epoch `given`; the current one is `current`.
    error StaleEpoch(uint64 given, uint64 current);
    /// @notice A liquidation certificate's arrays differ in length.
    error CertificateLengthMismatch(uint256 indices, uint256 spotReturns, uint256 proofs);
    /// @notice A liquidation certificate needs ceil(k) = `expected` witnesses.
    error WrongWitnessCount(uint256 expected, uint256 given);
    /// @notice Scenario `index` appears twice in a certificate.
    error DuplicateScenarioIndex(uint256 index);
    /// @notice A witness index is below the one before it.
    error ScenarioIndicesNotIncreasing(uint256 index, uint256 previous);
    /// @notice Scenario `index` is not below the epoch's N = `n`.
    error ScenarioIndexOutOfRange(uint256 index, uint256 n);
    /// @notice Scenario `index` has `length` values per kind; the set has `expected` assets.
    error WrongAssetCount(uint256 index, uint256 length, uint256 expected);
    /// @notice Scenario `index` moves `asset` by a spot return outside (-1e18,
    /// MAX_SPOT_RETURN] or its vol by a shift outside [-MAX_VOLATILITY, MAX_VOLATILITY]
    /// (BlackScholes, 100e18): no certificate may carry it.
    error ScenarioOutOfDomain(uint256 index, uint256 asset, int256 spotReturn, int256 volShift);
    /// @notice Witness `index`'s Merkle proof does not reach the epoch's root.
    error InvalidScenarioProof(uint256 index);
    /// @notice A margin certificate must hold all N scenarios.
    error WrongScenarioCount(uint256 expected, uint256 given);
    /// @notice The certificate's scenarios are not the committed set.
    error InvalidMarginCertificate(uint64 epoch);
    /// @notice A margin certificate's threshold is outside [-MAX_THRESHOLD, MAX_THRESHOLD].
    error ThresholdOutOfDomain(int256 threshold);
    /// @notice The portfolio holds `asset`, which the scenarios (over `assetCount` assets)
    /// omit.
    error AssetNotInScenarioSet(uint256 asset, uint256 assetCount);
}
