// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {BN254} from "../libraries/BN254.sol";

/// @title IOperatorRegistry
/// @notice The structs, errors and events of `OperatorRegistry`: bonded risk operators with
/// BN254 BLS keys and their quorum signatures.
interface IOperatorRegistry {
    /// @notice A registered operator: its account, its G1 key, the bond it holds here, whether
    /// it may sign, and when its bond can be withdrawn once it asked to exit (unix seconds).
    struct Operator {
        address account;
        BN254.G1Point publicKeyG1;
        uint256 bond;
        bool active;
        uint64 exitAvailableAt;
    }

    /// @notice An aggregate signature: `signers` has bit i set for operator i; `apkG2` is
    /// the sum of their G2 keys (the contract sums their G1 keys itself).
    struct QuorumSignature {
        uint256 signers;
        BN254.G1Point signature;
        BN254.G2Point apkG2;
    }

    /// @notice Quorum in (0, 10000] basis points of the active bond, a positive minimum bond.
    error InvalidQuorumParameters(uint256 minimumBond, uint16 quorumBps, uint64 unbondingDelay);
    /// @notice `account` is already an operator.
    error AlreadyRegistered(address account);
    /// @notice All MAX_OPERATORS signer bits are taken.
    error TooManyOperators();
    /// @notice The registration bonds `bond`, less than `minimumBond`.
    error BondTooSmall(uint256 bond, uint256 minimumBond);
    /// @notice The registration's signature is not the key's on its own proof-of-possession
    /// message (or the G1 and G2 keys differ).
    error InvalidProofOfPossession(address account);
    /// @notice The G1 key is the point at infinity: its "signature" on anything is the point
    /// at infinity too, so it would pass every check.
    error KeyAtInfinity(address account);
    /// @notice `account` never registered.
    error NotAnOperator(address account);
    /// @notice Operator `index` asked to exit or was slashed: it no longer signs.
    error OperatorNotActive(uint256 index);
    /// @notice Operator `index` is still active: its bond is bound.
    error ExitNotRequested(uint256 index);
    /// @notice Operator `index`'s bond can be withdrawn from `availableAt` (unix seconds).
    error StillUnbonding(uint256 index, uint64 availableAt);
    /// @notice A quorum signature names no signer.
    error NoSigners();
    /// @notice A signer bit names no operator.
    error UnknownOperator(uint256 index);
    /// @notice The signers hold `signedBond`; a quorum needs `requiredBond`.
    error QuorumNotReached(uint256 signedBond, uint256 requiredBond);
    /// @notice The aggregate signature does not verify on `digest` under the signers' keys.
    error InvalidSignature(bytes32 digest);
    /// @notice `caller` is not the slasher.
    error NotSlasher(address caller);

    /// @notice New minimum bond, quorum share (basis points of the active bond) and unbonding
    /// delay (seconds).
    event QuorumParametersSet(uint256 minimumBond, uint16 quorumBps, uint64 unbondingDelay);
    /// @notice `slasher` may now slash bonds.
    event SlasherSet(address indexed slasher);
    /// @notice `account` registered as operator `index`, bonding `bond`, with the G1 key
    /// (`publicKeyX`, `publicKeyY`).
    event OperatorRegistered(
        uint256 indexed index,
        address indexed account,
        uint256 bond,
        uint256 publicKeyX,
        uint256 publicKeyY
    );
    /// @notice Operator `index` stopped signing; its bond can be withdrawn from `availableAt`.
    event ExitRequested(uint256 indexed index, uint64 availableAt);
    /// @notice Operator `index` withdrew its bond of `amount`.
    event BondWithdrawn(uint256 indexed index, uint256 amount);
    /// @notice Operator `index` lost its bond of `amount` to `recipient`.
    event OperatorSlashed(uint256 indexed index, uint256 amount, address indexed recipient);
}
