// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {MarginEngine} from "./MarginEngine.sol";
import {OperatorRegistry} from "./OperatorRegistry.sol";
import {ScenarioRegistry} from "./ScenarioRegistry.sol";

/// @title AttestedMargin
/// @notice Optimistic initial margin: the risk operators' quorum signature on an account's
/// ES and IM for a state hash (its portfolio and the oracle marks it was valued at), under
/// the current scenario epoch. An accepted attestation stands in for a full margin
/// certificate in the clearinghouse until it expires, unless someone voids it first: within
/// the challenge window, a liquidation-style certificate (k witness scenarios with their
/// Merkle proofs) evaluated on the attested state's preimage that shows a larger ES lower
/// bound than the attested ES proves the attestation wrong; it is voided and every signer's
/// bond goes to the challenger. The signed digest is keccak256(abi.encode(ATTESTATION_TAG,
/// this contract, attestation)); the attestation names its chain and epoch, so one signed
/// for another chain or an epoch that is no longer current is refused with its own error
/// before any signature is checked. The twin is `proofs/attestation.py`.
contract AttestedMargin {
    /// @notice An attested margin (ES and IM in WAD) of `account` in the state `stateHash`
    /// (`MarginEngine.attestedState`), valued at `valuationTime` (unix seconds) from the
    /// oracle marks of block `blockNumber`; usable until `expiry` (unix seconds).
    struct Attestation {
        uint256 chainId;
        address account;
        bytes32 stateHash;
        uint64 epoch;
        bytes32 scenarioRoot;
        int256 expectedShortfall;
        int256 initialMargin;
        uint64 blockNumber;
        uint64 valuationTime;
        uint64 expiry;
    }

    /// @notice An accepted attestation and who signed it.
    struct Record {
        address account;
        bytes32 stateHash;
        uint64 epoch;
        uint64 valuationTime;
        uint64 expiry;
        uint64 acceptedAt;
        int256 expectedShortfall;
        int256 initialMargin;
        uint256 signers;
        bool voided;
    }

    /// @notice Domain tag of an attestation.
    bytes32 public constant ATTESTATION_TAG = keccak256("vmargin.AttestedMargin.Attestation");

    OperatorRegistry public immutable operators;
    ScenarioRegistry public immutable scenarios;
    MarginEngine public immutable engine;
    /// @notice Seconds after acceptance during which an attestation can be disproven.
    uint64 public immutable challengeWindow;

    mapping(bytes32 id => Record) public records;
    mapping(address account => mapping(bytes32 stateHash => bytes32 id)) public attestationOf;

    /// @notice The attestation was signed for chain `chainId`.
    error WrongChain(uint256 chainId, uint256 expected);
    /// @notice The attestation's epoch is not the current one.
    error EpochNotCurrent(uint64 epoch, uint64 current);
    /// @notice The attestation's scenario root is not its epoch's.
    error WrongScenarioRoot(bytes32 root, bytes32 expected);
    /// @notice The attestation expired at `expiry`.
    error AttestationExpired(uint64 expiry, uint256 timestamp);
    /// @notice The attestation names a block or a valuation time still to come.
    error FutureValuation(uint64 blockNumber, uint64 valuationTime);
    error AlreadyAccepted(bytes32 id);
    /// @notice No unexpired, unvoided attestation of `account` in state `stateHash`.
    error NoValidAttestation(address account, bytes32 stateHash);
    error UnknownAttestation(bytes32 id);
    error AlreadyVoided(bytes32 id);
    error ChallengeWindowClosed(bytes32 id, uint256 closedAt);
    /// @notice The challenge's preimage does not hash to the attested state.
    error StateMismatch(bytes32 given, bytes32 attested);
    /// @notice The challenge's bound does not exceed the attested ES: the attestation stands.
    error AttestationNotDisproven(int256 bound, int256 attestedExpectedShortfall);

    /// @notice `id` accepted: the operators in `signers` attest ES and IM of `account` in
    /// state `stateHash` under `epoch`.
    event AttestationAccepted(
        bytes32 indexed id,
        address indexed account,
        bytes32 stateHash,
        uint64 epoch,
        int256 expectedShortfall,
        int256 initialMargin,
        uint256 signers,
        uint64 expiry
    );
    /// @notice `challenger` proved `id` wrong: ES is at least `bound`, not the attested one;
    /// `slashed` of the signers' bonds went to the challenger.
    event AttestationVoided(
        bytes32 indexed id,
        address indexed account,
        address indexed challenger,
        int256 bound,
        int256 attestedExpectedShortfall,
        uint256 slashed
    );

    constructor(
        OperatorRegistry operators_,
        ScenarioRegistry scenarios_,
        MarginEngine engine_,
        uint64 challengeWindow_
    ) {
        operators = operators_;
        scenarios = scenarios_;
        engine = engine_;
        challengeWindow = challengeWindow_;
    }

    /// @notice The digest the operators sign for `attestation`.
    function attestationDigest(Attestation calldata attestation) public view returns (bytes32) {
        return keccak256(abi.encode(ATTESTATION_TAG, address(this), attestation));
    }

    /// @notice Check `attestation` and its quorum signature: this chain, the current epoch
    /// and its root, not expired, a past valuation, then the quorum (OperatorRegistry
    /// errors). Returns the bond that signed.
    function verify(
        Attestation calldata attestation,
        OperatorRegistry.QuorumSignature calldata quorum
    ) public view returns (uint256 signedBond) {
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
        if (attestation.blockNumber > block.number || attestation.valuationTime > block.timestamp) {
            revert FutureValuation(attestation.blockNumber, attestation.valuationTime);
        }
        return operators.checkQuorum(attestationDigest(attestation), quorum);
    }

    /// @notice Verify and record `attestation` (anyone may submit it); from now until its
    /// expiry the clearinghouse takes its IM for the attested state. Returns its id.
    function accept(
        Attestation calldata attestation,
        OperatorRegistry.QuorumSignature calldata quorum
    ) external returns (bytes32 id) {
        verify(attestation, quorum);
        id = attestationDigest(attestation);
        if (records[id].acceptedAt != 0) revert AlreadyAccepted(id);
        records[id] = Record(
            attestation.account,
            attestation.stateHash,
            attestation.epoch,
            attestation.valuationTime,
            attestation.expiry,
            uint64(block.timestamp),
            attestation.expectedShortfall,
            attestation.initialMargin,
            quorum.signers,
            false
        );
        attestationOf[attestation.account][attestation.stateHash] = id;
        emit AttestationAccepted(
            id,
            attestation.account,
            attestation.stateHash,
            attestation.epoch,
            attestation.expectedShortfall,
            attestation.initialMargin,
            quorum.signers,
            attestation.expiry
        );
    }

    /// @notice The attested IM of `account` in state `stateHash` and its epoch; reverts
    /// with NoValidAttestation unless one is accepted, unexpired and not voided.
    function initialMarginOf(address account, bytes32 stateHash)
        external
        view
        returns (int256 initialMargin, uint64 epoch)
    {
        Record storage record = records[attestationOf[account][stateHash]];
        if (record.acceptedAt == 0 || record.voided || block.timestamp > record.expiry) {
            revert NoValidAttestation(account, stateHash);
        }
        return (record.initialMargin, record.epoch);
    }

    /// @notice Disprove attestation `id` within the challenge window: `portfolio`, `spot`
    /// and `vol` must hash to the attested state; `certificate`'s witnesses of the attested
    /// epoch, valued at the attested time, must show an ES lower bound above the attested
    /// ES. The attestation is voided and the signers' bonds go to the caller.
    function challenge(
        bytes32 id,
        MarginEngine.Portfolio calldata portfolio,
        int256[] calldata spot,
        int256[] calldata vol,
        MarginEngine.LiquidationCertificate calldata certificate
    ) external returns (uint256 slashed) {
        Record storage record = records[id];
        if (record.acceptedAt == 0) revert UnknownAttestation(id);
        if (record.voided) revert AlreadyVoided(id);
        uint256 closesAt = uint256(record.acceptedAt) + challengeWindow;
        if (block.timestamp > closesAt) revert ChallengeWindowClosed(id, closesAt);
        (bytes32 stateHash, int256 bound) = engine.attestedLowerBound(
            portfolio, spot, vol, record.valuationTime, certificate, record.epoch
        );
        if (stateHash != record.stateHash) revert StateMismatch(stateHash, record.stateHash);
        if (bound <= record.expectedShortfall) {
            revert AttestationNotDisproven(bound, record.expectedShortfall);
        }
        record.voided = true;
        slashed = operators.slash(record.signers, msg.sender);
        emit AttestationVoided(
            id, record.account, msg.sender, bound, record.expectedShortfall, slashed
        );
    }
}
