"""Normal distribution and option pricing: Solidity against the Python twins on Anvil, and
against published tables.

``OptionPricingHarness`` exposes ``NormalDistribution`` and ``BlackScholes``; every function
is evaluated on at least 10,000 random inputs spread over its domain plus the edges, in
JSON-RPC batches, and must equal its twin to the wei. Out-of-domain inputs must revert with
the custom error (name and arguments) that Python raises. The prices are checked against
Hull's example and the Haug (1998) rows of QuantLib's ``test-suite/europeanoption.cpp``."""

import random
from collections.abc import Callable
from typing import Any

import pytest
from web3.contract import Contract

from support.option_inputs import (
    RANDOM_COUNT,
    Inputs,
    normal_inputs,
    random_spot_inputs,
)
from support.project import deploy_harness
from vmargin.chain.anvil import AnvilNode
from vmargin.chain.client import Chain, TransactionReverted, anvil_accounts
from vmargin.numerics import black_scholes as bs
from vmargin.numerics.exponential import exp_wad
from vmargin.numerics.fixedpoint import INT256_MAX, INT256_MIN, WAD, Rounding, mul_wad
from vmargin.numerics.normal_distribution import cdf, pdf


@pytest.fixture(scope="module")
def harness(anvil: AnvilNode) -> tuple[Chain, Contract]:
    chain = Chain.connect(anvil.rpc_url)
    (deployer,) = anvil_accounts(1)
    return chain, deploy_harness(chain, deployer, "OptionPricingHarness")


def test_normal_distribution_matches_twin(harness: tuple[Chain, Contract]) -> None:
    chain, contract = harness
    xs = normal_inputs()
    assert len(xs) >= RANDOM_COUNT
    block = chain.w3.eth.block_number
    arguments = [(x,) for x in xs]
    assert chain.call_batch(contract, "cdf", arguments, block) == [cdf(x) for x in xs]
    assert chain.call_batch(contract, "pdf", arguments, block) == [pdf(x) for x in xs]


def edge_spot_inputs() -> list[Inputs]:
    """Bounds, 1 wei, zero vol and time, at/deep in/deep out of the money, sign changes."""
    cases = []
    prices = (1, 2, WAD, 40 * WAD, bs.MAX_PRICE - 1, bs.MAX_PRICE)
    for s in prices:
        for k in prices:
            for sigma in (0, 1, WAD // 5, bs.MAX_VOLATILITY):
                for t in (0, 1, WAD // 2, bs.MAX_TIME):
                    for r in (0, WAD // 10, -WAD // 10, bs.MAX_RATE, -bs.MAX_RATE):
                        if abs(mul_wad(r, t, Rounding.TRUNC)) <= bs.MAX_RATE_TIME:
                            cases.append((s, k, sigma, t, r))
    # |rT| exactly at its bound, and the products that truncate onto it.
    for r, t in ((10 * WAD, 4 * WAD), (-10 * WAD, 4 * WAD), (-WAD // 2, 80 * WAD + 1)):
        cases += [(42 * WAD, 40 * WAD, WAD // 5, t, r), (1, bs.MAX_PRICE, WAD, t, r)]
    # At the money forward, where the v == 0 branch splits three ways, and just around it.
    for r, t in ((0, WAD), (WAD // 20, WAD // 2)):
        k = 40 * WAD
        forward_strike = mul_wad(k, exp_wad(-mul_wad(r, t, Rounding.TRUNC)), Rounding.FLOOR)
        for s in (forward_strike - 1, forward_strike, forward_strike + 1):
            cases += [(s, k, 0, t, r), (s, k, 1, t, r), (s, k, WAD // 5, t, r)]
    return cases


def spot_inputs() -> list[Inputs]:
    rng = random.Random(13)
    cases = edge_spot_inputs()
    for group, count in (("typical", 3000), ("wide", 3000), ("domain", 4000)):
        cases += [random_spot_inputs(rng, group) for _ in range(count)]
    return cases


def test_black_scholes_matches_twin(harness: tuple[Chain, Contract]) -> None:
    """callPrice, putPrice, callDelta, putDelta and vega, each on every input."""
    chain, contract = harness
    cases = spot_inputs()
    assert len(cases) >= RANDOM_COUNT
    onchain = chain.call_batch(contract, "blackScholesAll", cases, chain.w3.eth.block_number)
    expected = [
        (bs.call_price(*c), bs.put_price(*c), bs.call_delta(*c), bs.put_delta(*c), bs.vega(*c))
        for c in cases
    ]
    assert [tuple(result) for result in onchain] == expected


def test_black76_matches_twin(harness: tuple[Chain, Contract]) -> None:
    """black76Call and black76Put on every input (the spot inputs read as forwards)."""
    chain, contract = harness
    cases = spot_inputs()
    onchain = chain.call_batch(contract, "black76All", cases, chain.w3.eth.block_number)
    expected = [(bs.black76_call(*c), bs.black76_put(*c)) for c in cases]
    assert [tuple(result) for result in onchain] == expected


def test_single_functions_match_twin(harness: tuple[Chain, Contract]) -> None:
    """The one-function entry points agree with the combined ones (a few hundred inputs)."""
    chain, contract = harness
    rng = random.Random(14)
    cases = [random_spot_inputs(rng, "domain") for _ in range(300)]
    block = chain.w3.eth.block_number
    twins: dict[str, Callable[..., int]] = {
        "callPrice": bs.call_price,
        "putPrice": bs.put_price,
        "callDelta": bs.call_delta,
        "putDelta": bs.put_delta,
        "vega": bs.vega,
        "black76Call": bs.black76_call,
        "black76Put": bs.black76_put,
    }
    for name, twin in twins.items():
        assert chain.call_batch(contract, name, cases, block) == [twin(*c) for c in cases], name


# ------------------------------------------------------------------ out of the domain


def revert_of(chain: Chain, contract: Contract, function: str, inputs: Inputs) -> tuple[str, Any]:
    """The custom error (name without its contract, arguments) with which the harness
    reverts."""
    with pytest.raises(TransactionReverted) as caught:
        chain.call(getattr(contract.functions, function)(*inputs))
    return caught.value.error.rsplit(".", 1)[-1], caught.value.arguments


SPOT_FUNCTIONS: dict[str, Callable[..., int]] = {
    "callPrice": bs.call_price,
    "putPrice": bs.put_price,
    "callDelta": bs.call_delta,
    "putDelta": bs.put_delta,
    "vega": bs.vega,
}
FORWARD_FUNCTIONS: dict[str, Callable[..., int]] = {
    "black76Call": bs.black76_call,
    "black76Put": bs.black76_put,
}

GOOD: Inputs = (42 * WAD, 40 * WAD, WAD // 5, WAD // 2, WAD // 10)


def bad_inputs() -> list[tuple[Inputs, str]]:
    """Inputs outside the domain, each with the error it must raise (first check wins)."""
    s, k, sigma, t, r = GOOD
    return [
        ((0, k, sigma, t, r), "NonPositiveSpot"),
        ((-1, k, sigma, t, r), "NonPositiveSpot"),
        ((INT256_MIN, k, sigma, t, r), "NonPositiveSpot"),
        ((bs.MAX_PRICE + 1, k, sigma, t, r), "PriceTooLarge"),
        ((INT256_MAX, k, sigma, t, r), "PriceTooLarge"),
        ((s, 0, sigma, t, r), "NonPositiveStrike"),
        ((s, -40 * WAD, sigma, t, r), "NonPositiveStrike"),
        ((s, bs.MAX_PRICE + 1, sigma, t, r), "PriceTooLarge"),
        ((s, k, -1, t, r), "NegativeVolatility"),
        ((s, k, INT256_MIN, t, r), "NegativeVolatility"),
        ((s, k, bs.MAX_VOLATILITY + 1, t, r), "VolatilityTooLarge"),
        ((s, k, sigma, -1, r), "NegativeTime"),
        ((s, k, sigma, bs.MAX_TIME + 1, r), "TimeTooLarge"),
        ((s, k, sigma, INT256_MAX, r), "TimeTooLarge"),
        ((s, k, sigma, t, bs.MAX_RATE + 1), "RateOutOfRange"),
        ((s, k, sigma, t, -bs.MAX_RATE - 1), "RateOutOfRange"),
        ((s, k, sigma, t, INT256_MIN), "RateOutOfRange"),
        ((s, k, sigma, 4 * WAD + 1, bs.MAX_RATE), "DiscountOutOfRange"),
        ((s, k, sigma, 80 * WAD + 2, -WAD // 2), "DiscountOutOfRange"),
        ((s, k, sigma, bs.MAX_TIME, WAD), "DiscountOutOfRange"),
        # Several bad inputs: the first check in the documented order reports.
        ((0, 0, -1, -1, INT256_MAX), "NonPositiveSpot"),
        ((s, 0, -1, -1, INT256_MAX), "NonPositiveStrike"),
        ((s, k, -1, -1, INT256_MAX), "NegativeVolatility"),
        ((s, k, sigma, -1, INT256_MAX), "NegativeTime"),
    ]


def python_error(twin: Callable[..., int], inputs: Inputs) -> tuple[str, dict[str, int]]:
    with pytest.raises(bs.OptionDomainError) as caught:
        twin(*inputs)
    return caught.value.error, caught.value.arguments


def test_out_of_domain_fails_alike(harness: tuple[Chain, Contract]) -> None:
    """Every error, for every function: the same name and arguments on both sides."""
    chain, contract = harness
    for inputs, error in bad_inputs():
        for name, twin in {**SPOT_FUNCTIONS, **FORWARD_FUNCTIONS}.items():
            expected = python_error(twin, inputs)
            if name in FORWARD_FUNCTIONS and error == "NonPositiveSpot":
                assert expected == ("NonPositiveForward", {"forward": inputs[0]})
            else:
                assert expected[0] == error, (name, inputs, expected)
            assert revert_of(chain, contract, name, inputs) == expected, (name, inputs)


def test_random_out_of_domain_fails_alike(harness: tuple[Chain, Contract]) -> None:
    """Random int256 arguments, mostly outside the domain: revert exactly where Python raises."""
    chain, contract = harness
    rng = random.Random(15)

    def draw() -> int:
        """A random int256, or a value near the domain, at even odds."""
        return rng.choice([rng.randint(INT256_MIN, INT256_MAX), rng.randint(-2 * WAD, 200 * WAD)])

    failures = 0
    for _ in range(300):
        inputs = (draw(), draw(), draw(), draw(), draw())
        name = rng.choice([*SPOT_FUNCTIONS, *FORWARD_FUNCTIONS])
        twin = {**SPOT_FUNCTIONS, **FORWARD_FUNCTIONS}[name]
        try:
            value = twin(*inputs)
        except bs.OptionDomainError as error:
            failures += 1
            assert revert_of(chain, contract, name, inputs) == (error.error, error.arguments)
        else:
            assert chain.call(getattr(contract.functions, name)(*inputs)) == value
    assert failures > 200


# ------------------------------------------------------------------ accuracy


HULL = (42 * WAD, 40 * WAD, WAD // 5, WAD // 2, WAD // 10)

# Haug, "Option pricing formulas" (1998), as tabulated in QuantLib's
# test-suite/europeanoption.cpp (EuropeanOptionTest::testValues):
# (type, strike, spot, q, r, t, vol, value), all to 1e-4.
HAUG_VALUES = [
    ("call", "65.00", "60.00", "0.00", "0.08", "0.25", "0.30", "2.1334"),
    ("put", "95.00", "100.00", "0.05", "0.10", "0.50", "0.20", "2.4648"),
    ("put", "19.00", "19.00", "0.10", "0.10", "0.75", "0.28", "1.7011"),
    ("call", "19.00", "19.00", "0.10", "0.10", "0.75", "0.28", "1.7011"),
    ("call", "1.60", "1.56", "0.08", "0.06", "0.50", "0.12", "0.0291"),
    ("put", "70.00", "75.00", "0.05", "0.10", "0.50", "0.35", "4.0870"),
    ("call", "100.00", "90.00", "0.10", "0.10", "0.10", "0.15", "0.0205"),
    ("call", "100.00", "100.00", "0.10", "0.10", "0.10", "0.15", "1.8734"),
    ("call", "100.00", "110.00", "0.10", "0.10", "0.10", "0.15", "9.9413"),
    ("call", "100.00", "90.00", "0.10", "0.10", "0.10", "0.25", "0.3150"),
    ("call", "100.00", "100.00", "0.10", "0.10", "0.10", "0.25", "3.1217"),
    ("call", "100.00", "110.00", "0.10", "0.10", "0.10", "0.25", "10.3556"),
    ("call", "100.00", "90.00", "0.10", "0.10", "0.10", "0.35", "0.9474"),
    ("call", "100.00", "100.00", "0.10", "0.10", "0.10", "0.35", "4.3693"),
    ("call", "100.00", "110.00", "0.10", "0.10", "0.10", "0.35", "11.1381"),
    ("call", "100.00", "90.00", "0.10", "0.10", "0.50", "0.15", "0.8069"),
    ("call", "100.00", "100.00", "0.10", "0.10", "0.50", "0.15", "4.0232"),
    ("call", "100.00", "110.00", "0.10", "0.10", "0.50", "0.15", "10.5769"),
    ("call", "100.00", "90.00", "0.10", "0.10", "0.50", "0.25", "2.7026"),
    ("call", "100.00", "100.00", "0.10", "0.10", "0.50", "0.25", "6.6997"),
    ("call", "100.00", "110.00", "0.10", "0.10", "0.50", "0.25", "12.7857"),
    ("call", "100.00", "90.00", "0.10", "0.10", "0.50", "0.35", "4.9329"),
    ("call", "100.00", "100.00", "0.10", "0.10", "0.50", "0.35", "9.3679"),
    ("call", "100.00", "110.00", "0.10", "0.10", "0.50", "0.35", "15.3086"),
    ("put", "100.00", "90.00", "0.10", "0.10", "0.10", "0.15", "9.9210"),
    ("put", "100.00", "100.00", "0.10", "0.10", "0.10", "0.15", "1.8734"),
    ("put", "100.00", "110.00", "0.10", "0.10", "0.10", "0.15", "0.0408"),
    ("put", "100.00", "90.00", "0.10", "0.10", "0.10", "0.25", "10.2155"),
    ("put", "100.00", "100.00", "0.10", "0.10", "0.10", "0.25", "3.1217"),
    ("put", "100.00", "110.00", "0.10", "0.10", "0.10", "0.25", "0.4551"),
    ("put", "100.00", "90.00", "0.10", "0.10", "0.10", "0.35", "10.8479"),
    ("put", "100.00", "100.00", "0.10", "0.10", "0.10", "0.35", "4.3693"),
    ("put", "100.00", "110.00", "0.10", "0.10", "0.10", "0.35", "1.2376"),
    ("put", "100.00", "90.00", "0.10", "0.10", "0.50", "0.15", "10.3192"),
    ("put", "100.00", "100.00", "0.10", "0.10", "0.50", "0.15", "4.0232"),
    ("put", "100.00", "110.00", "0.10", "0.10", "0.50", "0.15", "1.0646"),
    ("put", "100.00", "90.00", "0.10", "0.10", "0.50", "0.25", "12.2149"),
    ("put", "100.00", "100.00", "0.10", "0.10", "0.50", "0.25", "6.6997"),
    ("put", "100.00", "110.00", "0.10", "0.10", "0.50", "0.25", "3.2734"),
    ("put", "100.00", "90.00", "0.10", "0.10", "0.50", "0.35", "14.4452"),
    ("put", "100.00", "100.00", "0.10", "0.10", "0.50", "0.35", "9.3679"),
    ("put", "100.00", "110.00", "0.10", "0.10", "0.50", "0.35", "5.7963"),
    ("call", "40.00", "42.00", "0.08", "0.04", "0.75", "0.35", "5.0975"),
]
# EuropeanOptionTest::testGreekValues: (greek, type, strike, spot, q, r, t, vol, value).
HAUG_GREEKS = [
    ("delta", "call", "100.00", "105.00", "0.10", "0.10", "0.50", "0.36", "0.5946"),
    ("delta", "put", "100.00", "105.00", "0.10", "0.10", "0.50", "0.36", "-0.3566"),
    ("vega", "call", "60.00", "55.00", "0.00", "0.10", "0.75", "0.30", "18.9358"),
    ("vega", "put", "60.00", "55.00", "0.00", "0.10", "0.75", "0.30", "18.9358"),
]


def dec(text: str) -> int:
    """A decimal string as an exact WAD integer."""
    whole, _, fraction = text.partition(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * WAD + int(fraction.ljust(18, "0")))


def dividend_adjusted(spot: int, q: int, t: int) -> int:
    """S e^{-qT} with the library's own exp and a floor: prices a dividend yield q as
    Black-Scholes on the adjusted spot (d1, d2 and both legs are then exactly Merton's)."""
    return mul_wad(spot, exp_wad(-mul_wad(q, t, Rounding.TRUNC)), Rounding.FLOOR)


def test_hull_example(harness: tuple[Chain, Contract]) -> None:
    """Hull, Options, Futures and Other Derivatives: call 4.7594, put 0.8086."""
    chain, contract = harness
    call = chain.call(contract.functions.callPrice(*HULL))
    put = chain.call(contract.functions.putPrice(*HULL))
    assert (call, put) == (bs.call_price(*HULL), bs.put_price(*HULL))
    assert abs(call - dec("4.7594")) <= dec("0.00005")
    assert abs(put - dec("0.8086")) <= dec("0.00005")


def test_haug_table(harness: tuple[Chain, Contract]) -> None:
    """All 43 Haug rows to 1e-4, on chain; rows with q on S e^{-qT} (see dividend_adjusted)."""
    chain, contract = harness
    cases, expected, kinds = [], [], []
    for kind, strike, spot, q, r, t, vol, value in HAUG_VALUES:
        adjusted = dividend_adjusted(dec(spot), dec(q), dec(t))
        cases.append((adjusted, dec(strike), dec(vol), dec(t), dec(r)))
        expected.append(dec(value))
        kinds.append(kind)
    onchain = chain.call_batch(contract, "blackScholesAll", cases, chain.w3.eth.block_number)
    for case, kind, reference, result in zip(cases, kinds, expected, onchain, strict=True):
        price = result[0] if kind == "call" else result[1]
        twin = bs.call_price(*case) if kind == "call" else bs.put_price(*case)
        assert price == twin
        assert abs(price - reference) <= dec("0.0001"), (case, kind, price, reference)


def test_haug_greeks_and_black76(harness: tuple[Chain, Contract]) -> None:
    """Haug's delta and vega rows (deltas with q are e^{-qT} N(d1), so the library's delta on
    S e^{-qT} is scaled by e^{-qT}); Black-76 on the rows with q == r, where F = S."""
    chain, contract = harness
    for greek, kind, strike, spot, q, r, t, vol, value in HAUG_GREEKS:
        case = (dividend_adjusted(dec(spot), dec(q), dec(t)), dec(strike), dec(vol), dec(t), dec(r))
        if greek == "delta":
            function = "callDelta" if kind == "call" else "putDelta"
            raw = chain.call(getattr(contract.functions, function)(*case))
            computed = mul_wad(
                raw, exp_wad(-mul_wad(dec(q), dec(t), Rounding.TRUNC)), Rounding.TRUNC
            )
        else:
            computed = chain.call(contract.functions.vega(*case))
        assert abs(computed - dec(value)) <= dec("0.0001"), (greek, kind, computed)
    for kind, strike, spot, q, r, t, vol, value in HAUG_VALUES:
        if q != r:
            continue
        function = "black76Call" if kind == "call" else "black76Put"
        case = (dec(spot), dec(strike), dec(vol), dec(t), dec(r))
        computed = chain.call(getattr(contract.functions, function)(*case))
        assert abs(computed - dec(value)) <= dec("0.0001"), (kind, case, computed)
