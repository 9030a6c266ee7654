// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {OperatorRegistry} from "./OperatorRegistry.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";

/// @title AttestationVerifier
/// @notice Checks an attested margin: the risk operators' quorum signature on an account's
/// state hash, the scenario set, its ES and IM, the block they computed at and an expiry.
/// The signed digest is keccak256(abi.encode(ATTESTATION_TAG, this contract, attestation)),
/// and the attestation names its chain and epoch, so that one signed for another chain,
/// another verifier or an epoch that is no longer current is refused with its own error
/// before any signature is checked. The twin is `proofs/attestation.py`.
contract AttestationVerifier {
    /// @notice An attested margin (ES and IM in WAD). `stateHash` commits to the account's
    /// portfolio and the oracle marks it was valued at; `blockNumber` is the block the
    /// operators read; the attestation is usable until `expiry` (unix seconds).
    struct Attestation {
        uint256 chainId;
        address account;
        bytes32 stateHash;
        uint64 epoch;
        bytes32 scenarioRoot;
        int256 expectedShortfall;
        int256 initialMargin;
        uint64 blockNumber;
        uint64 expiry;
    }

    /// @notice Domain tag of an attestation.
    bytes32 public constant ATTESTATION_TAG = keccak256("vmargin.AttestationVerifier.Attestation");

    OperatorRegistry public immutable operators;
    ScenarioRegistry public immutable scenarios;

    /// @notice The attestation was signed for chain `chainId`.
    error WrongChain(uint256 chainId, uint256 expected);
    /// @notice The attestation's epoch is not the current one.
    error EpochNotCurrent(uint64 epoch, uint64 current);
    /// @notice The attestation's scenario root is not its epoch's.
    error WrongScenarioRoot(bytes32 root, bytes32 expected);
    /// @notice The attestation expired at `expiry`.
    error AttestationExpired(uint64 expiry, uint256 timestamp);
    /// @notice The attestation names a block that is not yet mined.
    error FutureBlock(uint64 blockNumber, uint256 current);

    constructor(OperatorRegistry operators_, ScenarioRegistry scenarios_) {
        operators = operators_;
        scenarios = scenarios_;
    }

    /// @notice The digest the operators sign for `attestation` (this chain's verifier).
    function attestationDigest(Attestation calldata attestation) public view returns (bytes32) {
        return keccak256(abi.encode(ATTESTATION_TAG, address(this), attestation));
    }

    /// @notice Check `attestation` and its quorum signature: this chain, the current epoch
    /// and its root, not expired, a mined block, then the quorum (OperatorRegistry errors).
    /// Returns the bond that signed.
    function verify(
        Attestation calldata attestation,
        OperatorRegistry.QuorumSignature calldata quorum
    ) external view returns (uint256 signedBond) {
        if (attestation.chainId != block.chainid) {
            revert WrongChain(attestation.chainId, block.chainid);
        }
        (uint64 epoch, ScenarioRegistry.ScenarioSet memory set) = scenarios.current();
        if (attestation.epoch != epoch) revert EpochNotCurrent(attestation.epoch, epoch);
        if (attestation.scenarioRoot != set.root) {
            revert WrongScenarioRoot(attestation.scenarioRoot, set.root);
        }
        if (block.timestamp > attestation.expiry) {
            revert AttestationExpired(attestation.expiry, block.timestamp);
        }
        if (attestation.blockNumber > block.number) {
            revert FutureBlock(attestation.blockNumber, block.number);
        }
        return operators.checkQuorum(attestationDigest(attestation), quorum);
    }
}
