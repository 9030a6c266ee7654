// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AttestedMargin} from "../AttestedMargin.sol";
import {IAttestedMargin} from "../interfaces/IAttestedMargin.sol";
import {Clearinghouse} from "../Clearinghouse.sol";
import {IMarginEngine} from "../interfaces/IMarginEngine.sol";
import {OperatorRegistry} from "../OperatorRegistry.sol";
import {IOperatorRegistry} from "../interfaces/IOperatorRegistry.sol";
import {OracleAdapter} from "../OracleAdapter.sol";
import {ScenarioRegistry} from "../ScenarioRegistry.sol";
import {BN254} from "../libraries/BN254.sol";
import {MockToken} from "../mocks/MockToken.sol";
import {BlsVectors} from "./utils/BlsVectors.sol";
import {ScenarioMerkle} from "./utils/ScenarioMerkle.sol";
import {TestBase} from "./utils/Vm.sol";

/// @notice Stands in for the operator registry where a test is about AttestedMargin's own
/// checks (forge cannot sign a modified attestation): every quorum passes with
/// SIGNED_BOND, and a slash returns SLASHED without moving anything. Tests assert the
/// calls it receives with `vm.expectCall`.
contract StubOperatorRegistry {
    uint256 public constant SIGNED_BOND = 5000;
    uint256 public constant SLASHED = 777;

    function checkQuorum(bytes32, IOperatorRegistry.QuorumSignature calldata)
        external
        pure
        returns (uint256)
    {
        return SIGNED_BOND;
    }

    function slash(uint256, address) external pure returns (uint256) {
        return SLASHED;
    }
}

/// @notice AttestedMargin on the real clearinghouse, margin engine and scenario registry
/// (8 one-asset scenarios at the IM level 75%: k = 2), twice: `attested` on the real
/// OperatorRegistry with `BlsVectors`' operators (bonds 100, 200, 300, 401) and Python's
/// quorum signature of operators 1 and 3 on the vector attestation, and `stubbed` on
/// `StubOperatorRegistry`. The vector attestation states ALICE's ES (2 ETH long at 2000) as
/// 500 where the two worst scenarios (-20%, -15%) make it (800 + 600) / 2 = 700.
contract AttestedMarginTest is TestBase {
    uint64 internal constant WINDOW = 3600;
    uint256 internal constant START = BlsVectors.START;
    uint256 internal constant BLOCK = 100;
    uint64 internal constant EPOCH = 1;
    int256 internal constant TRUE_ES = 700e18;
    address internal constant SUBMITTER = address(0x5AB);
    address internal constant CHALLENGER = address(0xC4A1);

    MockToken internal usdc;
    OperatorRegistry internal operators;
    ScenarioRegistry internal scenarios;
    Clearinghouse internal clearinghouse;
    AttestedMargin internal attested;
    StubOperatorRegistry internal stub;
    AttestedMargin internal stubbed;

    function setUp() public {
        vm.warp(START);
        vm.roll(BLOCK);
        // Creation order fixes the addresses BlsVectors signed for (see bls_vectors.py).
        usdc = new MockToken(address(this), "Mock USD Coin", "mUSDC", 6);
        operators = new OperatorRegistry(address(this), usdc, 100, 6000, 7 days);
        assertEq(address(operators), BlsVectors.REGISTRY, "registry where the vectors expect it");
        for (uint256 i; i < BlsVectors.OPERATOR_COUNT; ++i) {
            _registerOperator(i, i < 3 ? 100 * (i + 1) : 401);
        }
        OracleAdapter oracle = new OracleAdapter(address(this));
        scenarios = new ScenarioRegistry(address(this));
        _postEpoch();
        clearinghouse = new Clearinghouse(address(this), usdc, oracle, scenarios, address(0xBAC5));
        clearinghouse.setInitialMarginParameters(BlsVectors.IM_FACTOR, BlsVectors.ALPHA_BPS);
        clearinghouse.setLiquidityAddOn(BlsVectors.LIQUIDITY_ADD_ON);
        attested = new AttestedMargin(operators, clearinghouse, WINDOW);
        assertEq(address(attested), BlsVectors.ATTESTED_MARGIN, "AttestedMargin address");
        operators.setSlasher(address(attested));
        stub = new StubOperatorRegistry();
        stubbed = new AttestedMargin(OperatorRegistry(address(stub)), clearinghouse, WINDOW);
    }

    // ------------------------------------------------------------ fixture

    function _registerOperator(uint256 i, uint256 bond) internal {
        address account = BlsVectors.account(i);
        usdc.mint(account, bond);
        vm.startPrank(account);
        usdc.approve(address(operators), bond);
        operators.register(
            BlsVectors.publicKeyG1(i),
            BlsVectors.publicKeyG2(i),
            BlsVectors.proofOfPossession(i),
            bond
        );
        vm.stopPrank();
    }

    function _scenarios() internal pure returns (int256[][] memory s) {
        int256[8] memory r = BlsVectors.scenarioReturns();
        s = new int256[][](8);
        for (uint256 i; i < 8; ++i) {
            s[i] = new int256[](1);
            s[i][0] = r[i];
        }
    }

    /// @notice Post and publish the vector scenarios as a new epoch.
    function _postEpoch() internal returns (uint64 epoch) {
        int256[][] memory s = _scenarios();
        bytes32 root = ScenarioMerkle.root(ScenarioMerkle.leaves(s));
        assertEq(root, BlsVectors.SCENARIO_ROOT, "scenario root as Python builds it");
        epoch = scenarios.postScenarioSet(root, 8, 9750, 1);
        scenarios.publishScenarios(epoch, 0, s, ScenarioMerkle.zeros(s));
    }

    /// @notice The vector attestation (Python's, signed by operators 1 and 3 for `attested`).
    function _attestation() internal pure returns (IAttestedMargin.Attestation memory) {
        return IAttestedMargin.Attestation({
            chainId: BlsVectors.CHAIN_ID,
            account: BlsVectors.ALICE,
            stateHash: BlsVectors.STATE_HASH,
            epoch: EPOCH,
            scenarioRoot: BlsVectors.SCENARIO_ROOT,
            alphaBps: BlsVectors.ALPHA_BPS,
            expectedShortfall: BlsVectors.EXPECTED_SHORTFALL,
            initialMargin: BlsVectors.INITIAL_MARGIN,
            blockNumber: BlsVectors.BLOCK_NUMBER,
            valuationTime: BlsVectors.VALUATION_TIME,
            expiry: BlsVectors.EXPIRY
        });
    }

    /// @notice Python's quorum signature of operators 1 and 3 on the vector attestation.
    function _quorum() internal pure returns (IOperatorRegistry.QuorumSignature memory) {
        return IOperatorRegistry.QuorumSignature(
            BlsVectors.QUORUM_SIGNERS, BlsVectors.attestationSignature(), BlsVectors.quorumApkG2()
        );
    }

    /// @notice ALICE's state: balance 1000, 2 ETH, marked at 2000 (vol unused).
    function _state() internal pure returns (IAttestedMargin.State memory state) {
        state.portfolio.balance = BlsVectors.BALANCE;
        state.portfolio.spotExposure = new int256[](1);
        state.portfolio.spotExposure[0] = BlsVectors.EXPOSURE;
        state.spot = new int256[](1);
        state.spot[0] = BlsVectors.SPOT;
        state.vol = new int256[](1);
    }

    function _stateHash(IAttestedMargin.State memory state) internal pure returns (bytes32) {
        return keccak256(abi.encode(state.portfolio, state.spot, state.vol));
    }

    function _claim(int256 es, uint256 signers, uint64 acceptedAt)
        internal
        pure
        returns (IAttestedMargin.Claim memory)
    {
        return IAttestedMargin.Claim({
            account: BlsVectors.ALICE,
            stateHash: BlsVectors.STATE_HASH,
            epoch: EPOCH,
            alphaBps: BlsVectors.ALPHA_BPS,
            valuationTime: BlsVectors.VALUATION_TIME,
            acceptedAt: acceptedAt,
            expectedShortfall: es,
            signers: signers
        });
    }

    /// @notice The certificate of scenarios `a` < `b` of `epoch`, with their Merkle proofs.
    function _certificate(uint64 epoch, uint256 a, uint256 b)
        internal
        pure
        returns (IMarginEngine.LiquidationCertificate memory)
    {
        return ScenarioMerkle.certificate(epoch, _scenarios(), a, b);
    }

    /// @notice The worst two scenarios, 3 (-20%) and 6 (-15%): losses 800 and 600.
    function _worst() internal pure returns (IMarginEngine.LiquidationCertificate memory) {
        return _certificate(EPOCH, 3, 6);
    }

    /// @notice `attestation` with the ES and the IM it makes (1.5 ES + 40, rounded up).
    function _withEs(int256 es) internal pure returns (IAttestedMargin.Attestation memory a) {
        a = _attestation();
        a.expectedShortfall = es;
        a.initialMargin = _ceilDiv(es * 3, 2) + 40e18;
    }

    function _ceilDiv(int256 a, int256 b) internal pure returns (int256) {
        return (a + b - 1) / b; // a, b > 0 here
    }

    function _accept(AttestedMargin target, IAttestedMargin.Attestation memory a)
        internal
        returns (bytes32 id)
    {
        vm.prank(SUBMITTER);
        id = target.accept(a, _quorum(), _state());
    }

    function _expectVerifyRevert(IAttestedMargin.Attestation memory a, bytes memory revertData)
        internal
    {
        vm.expectRevert(revertData);
        attested.verify(a, _quorum());
    }

    function _assertMargin(AttestedMargin target, bytes32 id, int256 im, uint64 expiry)
        internal
        view
    {
        (int128 initialMargin, uint64 epoch, uint64 storedExpiry) = target.margins(id);
        assertEq(int256(initialMargin), im, "margins.initialMargin");
        assertEq(uint256(epoch), im == 0 ? 0 : EPOCH, "margins.epoch");
        assertEq(uint256(storedExpiry), expiry, "margins.expiry");
    }

    // ------------------------------------------------------------ the Python twin

    function test_Fixture_MatchesThePythonVectors() public view {
        assertEq(_stateHash(_state()), BlsVectors.STATE_HASH, "state hash");
        assertEq(attested.ATTESTATION_TAG(), keccak256("vmargin.AttestedMargin.Attestation"), "tag");
        assertEq(
            attested.attestationDigest(_attestation()), BlsVectors.ATTESTATION_DIGEST, "digest"
        );
        assertTrue(
            stubbed.attestationDigest(_attestation()) != BlsVectors.ATTESTATION_DIGEST,
            "another verifier, another digest"
        );
        (bytes32 stateHash, int256 margin) = clearinghouse.engine()
            .attestedInitialMargin(
                _state().portfolio,
                _state().spot,
                _state().vol,
                BlsVectors.EXPECTED_SHORTFALL,
                BlsVectors.IM_FACTOR,
                BlsVectors.LIQUIDITY_ADD_ON
            );
        assertEq(stateHash, BlsVectors.STATE_HASH, "engine's state hash");
        assertEq(margin, BlsVectors.INITIAL_MARGIN, "engine's IM");
    }

    // ------------------------------------------------------------ verify

    function test_Verify_RealQuorumReturnsSignedBond() public view {
        assertEq(attested.verify(_attestation(), _quorum()), 601, "operators 1 and 3");
    }

    function test_Verify_AsksTheRegistryAboutTheDigest() public {
        IAttestedMargin.Attestation memory a = _attestation();
        vm.expectCall(
            address(stub),
            abi.encodeCall(OperatorRegistry.checkQuorum, (stubbed.attestationDigest(a), _quorum()))
        );
        assertEq(stubbed.verify(a, _quorum()), stub.SIGNED_BOND(), "the registry's answer");
    }

    function test_Verify_RevertsOnWrongChain() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.chainId = 1;
        a.epoch = 2; // also wrong: the chain is checked first
        _expectVerifyRevert(
            a, abi.encodeWithSelector(IAttestedMargin.WrongChain.selector, 1, 31_337)
        );
    }

    function test_Verify_RevertsOnEpochNotCurrent() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.epoch = 2;
        _expectVerifyRevert(
            a, abi.encodeWithSelector(IAttestedMargin.EpochNotCurrent.selector, 2, 1)
        );
        // Once epoch 2 is current, the signed attestation of epoch 1 is refused.
        assertEq(uint256(_postEpoch()), 2, "epoch 2");
        _expectVerifyRevert(
            _attestation(), abi.encodeWithSelector(IAttestedMargin.EpochNotCurrent.selector, 1, 2)
        );
    }

    function test_Verify_RevertsOnWrongScenarioRoot() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.scenarioRoot = bytes32(uint256(1));
        _expectVerifyRevert(
            a,
            abi.encodeWithSelector(
                IAttestedMargin.WrongScenarioRoot.selector,
                bytes32(uint256(1)),
                BlsVectors.SCENARIO_ROOT
            )
        );
    }

    function test_Verify_UsableUntilItsExpiry() public {
        vm.warp(BlsVectors.EXPIRY);
        assertEq(attested.verify(_attestation(), _quorum()), 601, "at the expiry");
        vm.warp(BlsVectors.EXPIRY + 1);
        _expectVerifyRevert(
            _attestation(),
            abi.encodeWithSelector(
                IAttestedMargin.AttestationExpired.selector,
                BlsVectors.EXPIRY,
                BlsVectors.EXPIRY + 1
            )
        );
    }

    function test_Verify_RevertsOnFutureValuation() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.blockNumber = uint64(BLOCK + 1);
        _expectVerifyRevert(
            a,
            abi.encodeWithSelector(
                IAttestedMargin.FutureValuation.selector, BLOCK + 1, BlsVectors.VALUATION_TIME
            )
        );
        a = _attestation();
        a.valuationTime = uint64(START + 1);
        _expectVerifyRevert(
            a,
            abi.encodeWithSelector(
                IAttestedMargin.FutureValuation.selector, BlsVectors.BLOCK_NUMBER, START + 1
            )
        );
        // The current block and second are not in the future.
        a = _attestation();
        a.blockNumber = uint64(BLOCK);
        a.valuationTime = uint64(START);
        assertEq(stubbed.verify(a, _quorum()), stub.SIGNED_BOND(), "now is not the future");
    }

    /// @notice The registry's refusals come through unchanged, after AttestedMargin's checks.
    function test_Verify_PropagatesRegistryErrors() public {
        IOperatorRegistry.QuorumSignature memory q = _quorum();
        q.signers = 0;
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.NoSigners.selector));
        attested.verify(_attestation(), q);

        q.signers = 0x7; // 100 + 200 + 300 of 1001
        vm.expectRevert(
            abi.encodeWithSelector(IOperatorRegistry.QuorumNotReached.selector, 600, 601)
        );
        attested.verify(_attestation(), q);

        // The signed attestation with its IM lowered by one wei: the signature fails.
        IAttestedMargin.Attestation memory a = _attestation();
        a.initialMargin -= 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IOperatorRegistry.InvalidSignature.selector, attested.attestationDigest(a)
            )
        );
        attested.verify(a, _quorum());
    }

    // ------------------------------------------------------------ accept

    function test_Accept_StoresTheClaimAndTheMargin() public {
        IAttestedMargin.Attestation memory a = _attestation();
        bytes32 id = stubbed.attestationDigest(a);
        IAttestedMargin.Claim memory claim =
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START));
        vm.expectEmit(true, true, true, true, address(stubbed));
        emit IAttestedMargin.AttestationAccepted(
            id, BlsVectors.ALICE, claim, BlsVectors.INITIAL_MARGIN, BlsVectors.EXPIRY, _state()
        );
        assertEq(_accept(stubbed, a), id, "id is the digest");

        assertEq(stubbed.claimHashes(id), keccak256(abi.encode(claim)), "claim hash");
        _assertMargin(stubbed, id, BlsVectors.INITIAL_MARGIN, BlsVectors.EXPIRY);
        assertEq(stubbed.attestationOf(BlsVectors.ALICE, BlsVectors.STATE_HASH), id, "latest");
        (int256 im, uint64 epoch) = stubbed.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);
        assertEq(im, BlsVectors.INITIAL_MARGIN, "initialMarginOf");
        assertEq(uint256(epoch), EPOCH, "initialMarginOf epoch");
    }

    function test_Accept_RevertsOnWrongLevel() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.alphaBps = 9750; // the scenario set's own level, not the clearinghouse's IM level
        vm.expectRevert(
            abi.encodeWithSelector(IAttestedMargin.WrongLevel.selector, 9750, BlsVectors.ALPHA_BPS)
        );
        stubbed.accept(a, _quorum(), _state());
    }

    function test_Accept_RevertsOnAnotherStatesPreimage() public {
        IAttestedMargin.State memory state = _state();
        state.portfolio.balance += 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.StateMismatch.selector, _stateHash(state), BlsVectors.STATE_HASH
            )
        );
        stubbed.accept(_attestation(), _quorum(), state);

        state = _state();
        state.spot[0] = 1999e18;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.StateMismatch.selector, _stateHash(state), BlsVectors.STATE_HASH
            )
        );
        stubbed.accept(_attestation(), _quorum(), state);
    }

    /// @notice IM = 1.5 max(ES, 0) + 1% of the 4000 notional, rounded up, and nothing else.
    function test_Accept_RevertsOnInitialMarginMismatch() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.initialMargin = BlsVectors.INITIAL_MARGIN - 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.InitialMarginMismatch.selector,
                BlsVectors.INITIAL_MARGIN - 1,
                BlsVectors.INITIAL_MARGIN
            )
        );
        stubbed.accept(a, _quorum(), _state());

        // ES + 1 wei: 1.5 wei of IM, rounded up to 2.
        a = _attestation();
        a.expectedShortfall += 1;
        a.initialMargin += 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.InitialMarginMismatch.selector,
                BlsVectors.INITIAL_MARGIN + 1,
                BlsVectors.INITIAL_MARGIN + 2
            )
        );
        stubbed.accept(a, _quorum(), _state());
        a.initialMargin += 1;
        _accept(stubbed, a);

        // A negative ES (every tail scenario a gain) makes the add-on alone: 1.5 * max(ES, 0)
        // + 40 = 40, not 1.5 * -100 + 40 = -110.
        a = _attestation();
        a.expectedShortfall = -100e18;
        a.initialMargin = -110e18;
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.InitialMarginMismatch.selector, int256(-110e18), int256(40e18)
            )
        );
        stubbed.accept(a, _quorum(), _state());
        a.initialMargin = 40e18;
        _assertMargin(stubbed, _accept(stubbed, a), 40e18, BlsVectors.EXPIRY);
    }

    function test_Accept_RevertsIfAlreadyAccepted() public {
        bytes32 id = _accept(stubbed, _attestation());
        vm.expectRevert(abi.encodeWithSelector(IAttestedMargin.AlreadyAccepted.selector, id));
        stubbed.accept(_attestation(), _quorum(), _state());
    }

    function test_Accept_RunsVerifyFirst() public {
        IAttestedMargin.Attestation memory a = _attestation();
        a.chainId = 1;
        a.alphaBps = 9750;
        vm.expectRevert(abi.encodeWithSelector(IAttestedMargin.WrongChain.selector, 1, 31_337));
        stubbed.accept(a, _quorum(), _state());
    }

    /// @notice A later attestation of the same state replaces the earlier one.
    function test_Accept_LatestAttestationOfAStateWins() public {
        bytes32 first = _accept(stubbed, _attestation());
        IAttestedMargin.Attestation memory a = _withEs(TRUE_ES);
        a.expiry = BlsVectors.EXPIRY + 60;
        bytes32 second = _accept(stubbed, a);
        assertEq(stubbed.attestationOf(BlsVectors.ALICE, BlsVectors.STATE_HASH), second, "id");
        (int256 im,) = stubbed.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);
        assertEq(im, 1090e18, "1.5 * 700 + 40");
        _assertMargin(stubbed, first, BlsVectors.INITIAL_MARGIN, BlsVectors.EXPIRY);
    }

    // ------------------------------------------------------------ initialMarginOf

    function test_InitialMarginOf_OnlyWhileAcceptedAndUnexpired() public {
        bytes memory none = abi.encodeWithSelector(
            IAttestedMargin.NoValidAttestation.selector, BlsVectors.ALICE, BlsVectors.STATE_HASH
        );
        vm.expectRevert(none);
        stubbed.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);

        _accept(stubbed, _attestation());
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.NoValidAttestation.selector, SUBMITTER, BlsVectors.STATE_HASH
            )
        );
        stubbed.initialMarginOf(SUBMITTER, BlsVectors.STATE_HASH);

        vm.warp(BlsVectors.EXPIRY);
        (int256 im,) = stubbed.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);
        assertEq(im, BlsVectors.INITIAL_MARGIN, "at the expiry");
        vm.warp(BlsVectors.EXPIRY + 1);
        vm.expectRevert(none);
        stubbed.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);
    }

    // ------------------------------------------------------------ challenge

    function test_Challenge_RevertsOnUnknownAttestation() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAttestedMargin.UnknownAttestation.selector, bytes32(uint256(2)))
        );
        stubbed.challenge(
            bytes32(uint256(2)),
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            _state(),
            _worst()
        );
    }

    /// @notice The claim must be the accepted one to the field: not a lower ES, a later
    /// acceptance (a longer window) or other signers (other bonds).
    function test_Challenge_RevertsOnClaimMismatch() public {
        bytes32 id = _accept(stubbed, _attestation());
        IAttestedMargin.Claim[3] memory forged = [
            _claim(0, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START + 1)),
            _claim(BlsVectors.EXPECTED_SHORTFALL, 0x1, uint64(START))
        ];
        for (uint256 i; i < forged.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IAttestedMargin.ClaimMismatch.selector, id));
            vm.prank(CHALLENGER);
            stubbed.challenge(id, forged[i], _state(), _worst());
        }
    }

    function test_Challenge_ClosesAfterTheWindow() public {
        bytes32 id = _accept(stubbed, _attestation());
        IAttestedMargin.Claim memory claim =
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START));
        vm.warp(START + WINDOW + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.ChallengeWindowClosed.selector, id, START + WINDOW
            )
        );
        stubbed.challenge(id, claim, _state(), _worst());
        // At the window's last second (after the attestation's expiry) it still voids.
        vm.warp(START + WINDOW);
        vm.prank(CHALLENGER);
        assertEq(stubbed.challenge(id, claim, _state(), _worst()), stub.SLASHED(), "slashed");
    }

    function test_Challenge_RevertsOnAnotherStatesPreimage() public {
        bytes32 id = _accept(stubbed, _attestation());
        IAttestedMargin.State memory state = _state();
        state.portfolio.spotExposure[0] = 3e18; // would show a larger ES
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.StateMismatch.selector, _stateHash(state), BlsVectors.STATE_HASH
            )
        );
        stubbed.challenge(
            id,
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            state,
            _worst()
        );
    }

    /// @notice The certificate must be of the attested epoch (the engine's StaleEpoch).
    function test_Challenge_RevertsOnCertificateOfAnotherEpoch() public {
        bytes32 id = _accept(stubbed, _attestation());
        _postEpoch();
        vm.expectRevert(abi.encodeWithSelector(IMarginEngine.StaleEpoch.selector, 2, 1));
        stubbed.challenge(
            id,
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            _state(),
            _certificate(2, 3, 6)
        );
    }

    /// @notice The exact ES does not disprove an attestation of it; nor does a weak
    /// certificate (scenarios 1 and 2: losses 200 and -80, bound 60) disprove a lie.
    function test_Challenge_RevertsWhenNotDisproven() public {
        _accept(stubbed, _withEs(TRUE_ES));
        bytes32 honest = stubbed.attestationDigest(_withEs(TRUE_ES));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.AttestationNotDisproven.selector, TRUE_ES, TRUE_ES
            )
        );
        stubbed.challenge(
            honest, _claim(TRUE_ES, BlsVectors.QUORUM_SIGNERS, uint64(START)), _state(), _worst()
        );

        bytes32 lie = _accept(stubbed, _attestation());
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.AttestationNotDisproven.selector,
                60e18,
                BlsVectors.EXPECTED_SHORTFALL
            )
        );
        stubbed.challenge(
            lie,
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            _state(),
            _certificate(EPOCH, 1, 2)
        );
    }

    function test_Challenge_VoidsAndSlashesTheSigners() public {
        bytes32 id = _accept(stubbed, _attestation());
        IAttestedMargin.Claim memory claim =
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START));
        vm.warp(START + 10);

        vm.expectCall(
            address(stub),
            abi.encodeCall(OperatorRegistry.slash, (BlsVectors.QUORUM_SIGNERS, CHALLENGER))
        );
        vm.expectEmit(true, true, true, true, address(stubbed));
        emit IAttestedMargin.AttestationVoided(
            id, BlsVectors.ALICE, CHALLENGER, TRUE_ES, BlsVectors.EXPECTED_SHORTFALL, 777
        );
        vm.prank(CHALLENGER);
        assertEq(stubbed.challenge(id, claim, _state(), _worst()), 777, "slashed");

        assertEq(stubbed.claimHashes(id), stubbed.VOIDED(), "voided");
        _assertMargin(stubbed, id, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestedMargin.NoValidAttestation.selector, BlsVectors.ALICE, BlsVectors.STATE_HASH
            )
        );
        stubbed.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);
        vm.expectRevert(abi.encodeWithSelector(IAttestedMargin.AlreadyVoided.selector, id));
        stubbed.challenge(id, claim, _state(), _worst());
        // A voided attestation cannot be accepted again.
        vm.expectRevert(abi.encodeWithSelector(IAttestedMargin.AlreadyAccepted.selector, id));
        stubbed.accept(_attestation(), _quorum(), _state());
    }

    /// @notice A claim of an epoch that is no longer current is judged on its own epoch.
    function test_Challenge_OfAnEarlierEpoch() public {
        bytes32 id = _accept(stubbed, _attestation());
        _postEpoch();
        vm.prank(CHALLENGER);
        uint256 slashed = stubbed.challenge(
            id,
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            _state(),
            _worst()
        );
        assertEq(slashed, stub.SLASHED(), "slashed");
    }

    // ------------------------------------------------------------ end to end, real quorum

    /// @notice Python's signed understatement is accepted on the real registry, then
    /// disproven: operators 1 and 3 lose their whole bonds (200 + 401) to the challenger.
    function test_RealQuorum_AcceptThenDisproveAndSlash() public {
        bytes32 id = _accept(attested, _attestation());
        assertEq(id, BlsVectors.ATTESTATION_DIGEST, "id");
        (int256 im, uint64 epoch) =
            attested.initialMarginOf(BlsVectors.ALICE, BlsVectors.STATE_HASH);
        assertEq(im, BlsVectors.INITIAL_MARGIN, "initialMarginOf");
        assertEq(uint256(epoch), EPOCH, "epoch");

        vm.warp(START + 60);
        vm.prank(CHALLENGER);
        uint256 slashed = attested.challenge(
            id,
            _claim(BlsVectors.EXPECTED_SHORTFALL, BlsVectors.QUORUM_SIGNERS, uint64(START)),
            _state(),
            _worst()
        );
        assertEq(slashed, 601, "200 + 401");
        assertEq(usdc.balanceOf(CHALLENGER), 601, "challenger paid");
        assertEq(usdc.balanceOf(address(operators)), 400, "0 and 2 keep their bonds");
        assertEq(operators.totalActiveBond(), 400, "totalActiveBond");
        assertEq(operators.operatorAt(1).active, false, "operator 1 out");
        assertEq(operators.operatorAt(3).bond, 0, "operator 3 bond");
        assertEq(operators.operatorAt(0).bond, 100, "operator 0 bond");
        // The slashed operators can no longer sign: the same quorum now fails.
        vm.expectRevert(abi.encodeWithSelector(IOperatorRegistry.OperatorNotActive.selector, 1));
        attested.verify(_attestation(), _quorum());
    }
}
