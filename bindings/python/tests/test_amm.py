"""qpm.amm (experimental): liquidity positions, impermanent loss, liquidity
from amounts and swaps against closed forms and a pure-Python walk of a v3
pool; labels, fallbacks without numpy, error mapping; AMM positions in a
Book agree with lp_position."""
import ctypes
import math

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm.amm import (POSITION_FIELDS, AmmSide, LpLiquidity, Swap, SwapV3, impermanent_loss,
                     liquidity_from_amounts, lp_position, swap_v2, swap_v3)
from qpm.book import FIELDS, Book, Instrument

REL = 1e-13


def _v3_closed_form(P, L, lo, hi):
    """(coin, usd, value, delta, gamma) of amm.h's table, written with plain
    square roots (accurate to ~1e-15 relative away from the bounds)."""
    s, sa, sb = math.sqrt(P), math.sqrt(lo), math.sqrt(hi)
    if P < lo:  # at P = lo the range is active (its value from above)
        coin, usd, gamma = L * (1 / sa - 1 / sb), 0.0, 0.0
    elif P >= hi:
        coin, usd, gamma = 0.0, L * (sb - sa), 0.0
    else:
        coin, usd, gamma = L * (1 / s - 1 / sb), L * (s - sa), -L / (2 * P * s)
    return coin, usd, P * coin + usd, coin, gamma


# ---- positions ---------------------------------------------------------------
def test_full_range_share_closed_forms():
    P = np.array([0.5, 100.0, 3000.0, 97123.25])
    L = np.array([3.0, 10.0, 0.25, 1234.5])
    r = lp_position(P, L)
    assert set(r) == set(POSITION_FIELDS)
    np.testing.assert_allclose(r["value"], 2 * L * np.sqrt(P), rtol=REL)
    np.testing.assert_allclose(r["delta"], L / np.sqrt(P), rtol=REL)
    np.testing.assert_allclose(r["coin"], L / np.sqrt(P), rtol=REL)
    np.testing.assert_allclose(r["usd"], L * np.sqrt(P), rtol=REL)
    np.testing.assert_allclose(r["gamma"], -L / (2 * P ** 1.5), rtol=REL)
    # the reserves' product is L^2
    np.testing.assert_allclose(r["coin"] * r["usd"], L * L, rtol=REL)
    # lower 0 and upper inf given explicitly: the same shares, bit for bit
    r2 = lp_position(P, L, 0.0, math.inf)
    for f in POSITION_FIELDS:
        assert r2[f].tobytes() == r[f].tobytes(), f


def test_scalars_give_floats_and_broadcast():
    r = lp_position(100.0, 10.0)
    assert r == pytest.approx({"coin": 1.0, "usd": 100.0, "value": 200.0, "delta": 1.0,
                               "gamma": -0.005}, rel=REL)
    assert all(type(v) is float for v in r.values())
    # one array, the rest repeated
    r = lp_position([50.0, 100.0, 200.0], 10.0, 80.0, 150.0)
    assert isinstance(r["value"], np.ndarray) and r["value"].shape == (3,)
    with pytest.raises(ValueError, match="liquidity has 2 elements but price has 3"):
        lp_position([1.0, 2.0, 3.0], [1.0, 2.0])


def test_v3_position_below_in_and_above_its_range():
    lo, hi, L = 2500.0, 3600.0, 1000.0
    prices = [1000.0, 2500.0, 3000.0, 3599.0, 3600.0, 5000.0]
    r = lp_position(prices, L, lo, hi)
    for i, P in enumerate(prices):
        want = _v3_closed_form(P, L, lo, hi)
        for f, w in zip(POSITION_FIELDS, want):
            assert r[f][i] == pytest.approx(w, rel=1e-12, abs=1e-12), (P, f)
    # below the range: all coin, value P x coin, no USD, no gamma
    assert r["usd"][0] == 0.0 and r["gamma"][0] == 0.0
    assert r["coin"][0] == pytest.approx(L * (1 / 50 - 1 / 60), rel=REL)
    # above: all USD, no coin
    assert r["coin"][-1] == 0.0 and r["gamma"][-1] == 0.0
    assert r["usd"][-1] == pytest.approx(L * (60 - 50), rel=REL)
    assert r["value"][-1] == r["value"][-2]
    # the range is active at its lower price
    assert r["gamma"][1] == pytest.approx(-L / (2 * 2500.0 * 50.0), rel=REL)


def test_greeks_are_derivatives_of_the_value():
    P, L, lo, hi = 3000.0, 7.0, 2000.0, 4500.0
    h = 0.5
    v = lambda p: lp_position(p, L, lo, hi)["value"]  # noqa: E731
    r = lp_position(P, L, lo, hi)
    d = 0.01
    assert r["delta"] == pytest.approx((v(P + d) - v(P - d)) / (2 * d), rel=1e-8)
    assert r["gamma"] == pytest.approx((v(P + h) - 2 * v(P) + v(P - h)) / h ** 2, rel=1e-6)


def test_pandas_labels_kept():
    pd = pytest.importorskip("pandas")
    idx = pd.Index(["a", "b", "c"], name="pos")
    P = pd.Series([2000.0, 3000.0, 4000.0], index=idx)
    r = lp_position(P, 5.0, 2500.0, 3500.0)
    assert isinstance(r, pd.DataFrame)
    assert list(r.columns) == list(POSITION_FIELDS) and r.index.equals(idx)
    assert r.loc["b", "value"] == pytest.approx(_v3_closed_form(3000.0, 5.0, 2500.0, 3500.0)[2],
                                                rel=1e-12)
    il = impermanent_loss(3000.0, P)
    assert isinstance(il, pd.Series) and il.index.equals(idx) and il.name == "impermanent_loss"
    with pytest.raises(ValueError, match="different indexes"):
        lp_position(P, pd.Series([1.0, 1.0, 1.0], index=["x", "y", "z"]))


def test_lists_without_numpy(monkeypatch):
    want = lp_position([100.0, 400.0], [10.0, 2.0], [50.0, 0.0], [200.0, math.inf])
    want_il = impermanent_loss([1.0, 1.0], [2.0, 0.5])
    monkeypatch.setattr(_arrays, "np", None)
    r = lp_position([100.0, 400.0], [10.0, 2.0], [50.0, 0.0], [200.0, math.inf])
    for f in POSITION_FIELDS:
        assert type(r[f]) is list and r[f] == list(want[f]), f
    il = impermanent_loss([1.0, 1.0], [2.0, 0.5])
    assert type(il) is list and il == list(want_il)
    assert lp_position(100.0, 10.0)["value"] == pytest.approx(200.0, rel=REL)
    with pytest.raises(qpm.QpmInvalidError, match=r"price\[1\] = -1: must be > 0"):
        lp_position([1.0, -1.0], 1.0)


# ---- impermanent loss --------------------------------------------------------
def test_impermanent_loss_closed_forms():
    # a full-range share after the price doubles (or halves)
    assert impermanent_loss(1.0, 2.0) == pytest.approx(2 * math.sqrt(2) / 3 - 1, rel=1e-14)
    assert impermanent_loss(3000.0, 1500.0) == pytest.approx(2 * math.sqrt(2) / 3 - 1, rel=1e-14)
    k = np.array([0.25, 0.9, 1.0, 1.1, 4.0, 100.0])
    il = impermanent_loss(100.0, 100.0 * k)
    np.testing.assert_allclose(il, 2 * np.sqrt(k) / (1 + k) - 1, rtol=1e-12, atol=1e-16)
    assert il[2] == 0.0 and (il <= 0).all()
    # a v3 range: value at P1 over the value of the amounts held at P0
    lo, hi = 2500.0, 3600.0
    for p1 in (1000.0, 2600.0, 3000.0, 3500.0, 9000.0):
        c0, u0 = _v3_closed_form(3000.0, 1.0, lo, hi)[:2]
        v1 = _v3_closed_form(p1, 1.0, lo, hi)[2]
        want = v1 / (p1 * c0 + u0) - 1
        assert impermanent_loss(3000.0, p1, lo, hi) == pytest.approx(want, rel=1e-10,
                                                                      abs=1e-15), p1
    # a concentrated range loses more than the full range for the same move
    assert impermanent_loss(3000.0, 3500.0, lo, hi) < impermanent_loss(3000.0, 3500.0)


# ---- liquidity from amounts ----------------------------------------------------
def test_liquidity_from_amounts():
    # full range: L = sqrt(coin x usd) when the amounts are in the pool's ratio
    r = liquidity_from_amounts(100.0, None, None, 2.0, 200.0)
    assert isinstance(r, LpLiquidity)
    assert r.liquidity == pytest.approx(20.0, rel=REL)
    assert r.coin_left == pytest.approx(0.0, abs=1e-13)
    assert r.usd_left == pytest.approx(0.0, abs=1e-11)
    # a v3 range: the smaller of the two, the other amount partly left
    P, lo, hi = 3000.0, 2500.0, 3600.0
    c1, u1 = _v3_closed_form(P, 1.0, lo, hi)[:2]
    r = liquidity_from_amounts(P, lo, hi, 1.0, 10000.0)
    assert r.liquidity == pytest.approx(min(1.0 / c1, 10000.0 / u1), rel=1e-12)
    pos = lp_position(P, r.liquidity, lo, hi)
    assert pos["coin"] + r.coin_left == pytest.approx(1.0, rel=1e-12)
    assert pos["usd"] + r.usd_left == pytest.approx(10000.0, rel=1e-12)
    assert min(r.coin_left, r.usd_left) == 0.0
    # below the range only the coins count, above it only the USD
    r = liquidity_from_amounts(2000.0, lo, hi, 1.0, 500.0)
    assert r.liquidity == pytest.approx(1.0 / (1 / 50 - 1 / 60), rel=1e-12)
    assert r.usd_left == 500.0
    r = liquidity_from_amounts(4000.0, lo, hi, 1.0, 500.0)
    assert r.liquidity == pytest.approx(500.0 / 10.0, rel=1e-12) and r.coin_left == 1.0
    with pytest.raises(qpm.QpmInvalidError, match="buy no liquidity"):
        liquidity_from_amounts(P, lo, hi, 0.0, 0.0)
    with pytest.raises(qpm.QpmInvalidError, match="buy no liquidity"):
        liquidity_from_amounts(4000.0, lo, hi, 1.0, 0.0)  # above the range coins are unused
    with pytest.raises(qpm.QpmInvalidError, match="usd = -1"):
        liquidity_from_amounts(P, lo, hi, 1.0, -1.0)
    with pytest.raises(qpm.QpmNonFiniteError, match="coin = nan"):
        liquidity_from_amounts(P, lo, hi, math.nan, 1.0)


# ---- swaps ---------------------------------------------------------------------
def test_swap_v2_against_the_constant_product():
    x, y = 1000.0, 3_000_000.0  # 1000 coins, 3M USD: price 3000
    for side, a, fee in ((AmmSide.SELL_COIN, 10.0, 0.003), ("buy_coin", 50_000.0, 0.003),
                         ("sell_coin", 250.0, 0.0), (AmmSide.BUY_COIN, 1.0, 0.01), (0, 1.0, 0.0),
                         (1, 1.0, 0.0)):
        r = swap_v2(x, y, a, side, fee)
        assert isinstance(r, Swap)
        sell = int(side if not isinstance(side, str) else AmmSide[side.upper()]) == 0
        rin, rout = (x, y) if sell else (y, x)
        ap = a * (1 - fee)
        out = rout * ap / (rin + ap)
        assert r.amount_out == pytest.approx(out, rel=1e-14)
        # the fee stays in the pool; without it the product is kept
        nx, ny = (x + a, y - out) if sell else (x - out, y + a)
        assert r.price_after == pytest.approx(ny / nx, rel=1e-14)
        if fee == 0.0:
            assert nx * ny == pytest.approx(x * y, rel=1e-14)
        avg = out / a if sell else a / out
        assert r.impact == pytest.approx(abs(avg / (y / x) - 1), rel=1e-12)
        assert (r.price_after < y / x) == sell
    # the default fee is 0.3 %
    assert swap_v2(x, y, 10.0, "sell") == swap_v2(x, y, 10.0, "sell_coin", 0.003)


def _walk_v3(bounds, liq, P, a, side, fee):
    """Reference: a v3 swap walked interval by interval with the textbook
    formulas (Uniswap v3 whitepaper, 6.2.3): (out, price after, crossed),
    or None when the pool cannot fill it."""
    rem, s, out, crossed = a * (1 - fee), math.sqrt(P), 0.0, 0
    n = len(liq)
    if side == "buy":
        k = max(i for i in range(n) if bounds[i] <= P) if P < bounds[n] else n
        while k < n:
            L, shi = liq[k], math.sqrt(bounds[k + 1])
            cap = L * (shi - s)
            if L > 0 and rem <= cap:
                s1 = s + rem / L
                return out + L * (1 / s - 1 / s1), s1 * s1, crossed
            out += L * (1 / s - 1 / shi)
            rem -= cap
            s = shi
            k += 1
            crossed += 1
    else:
        k = min(i for i in range(n + 1) if bounds[i] >= P)  # intervals below: k-1, k-2, ...
        while k > 0:
            L, slo = liq[k - 1], math.sqrt(bounds[k - 1])
            cap = L * (1 / slo - 1 / s)
            if L > 0 and rem <= cap:
                s1 = 1 / (1 / s + rem / L)
                return out + L * (s - s1), s1 * s1, crossed
            out += L * (s - slo)
            rem -= cap
            s = slo
            k -= 1
            crossed += 1
    return None


POOL_BOUNDS = [2000.0, 2500.0, 2800.0, 3000.0, 3200.0, 3600.0, 4500.0]
POOL_LIQ = [5000.0, 20000.0, 80000.0, 60000.0, 0.0, 3000.0]


# (the pool takes at most ~72.8 coins in, or ~166,000 USD)
@pytest.mark.parametrize("side,amount", [("buy", 1000.0), ("buy", 36_000.0),
                                         ("buy", 100_000.0), ("buy", 160_000.0),
                                         ("sell", 0.5), ("sell", 30.0), ("sell", 45.0),
                                         ("sell", 72.0)])
def test_swap_v3_against_a_pure_python_walk(side, amount):
    P, fee = 2950.0, 0.0005
    r = swap_v3(POOL_BOUNDS, POOL_LIQ, P, amount, side + "_coin", fee)
    want = _walk_v3(POOL_BOUNDS, POOL_LIQ, P, amount, side, fee)
    assert want is not None
    assert isinstance(r, SwapV3)
    assert r.amount_out == pytest.approx(want[0], rel=1e-11)
    assert r.price_after == pytest.approx(want[1], rel=1e-11)
    assert r.ticks_crossed == want[2]
    avg = r.amount_out / amount if side == "sell" else amount / r.amount_out
    assert r.impact == pytest.approx(abs(avg / P - 1), rel=1e-10)


def test_swap_v3_random_pools_against_the_walk():
    # pools with empty intervals, prices on a bound, trades the pool cannot fill
    import random
    rng = random.Random(20240607)
    checked = infeasible = 0
    for _ in range(400):
        n = rng.randint(1, 6)
        b = sorted(set(round(rng.uniform(100.0, 200.0), 3) for _ in range(n + 1)))
        n = len(b) - 1
        if n < 1:
            continue
        liq = [rng.choice([0.0, rng.uniform(1.0, 1000.0)]) for _ in range(n)]
        P = rng.choice([rng.uniform(b[0], b[-1])] + b)
        side = rng.choice(["buy", "sell"])
        a = rng.uniform(0.001, 1.0) * (100.0 if side == "buy" else 1.0)
        fee = rng.choice([0.0, 0.003])
        want = _walk_v3(b, liq, P, a, side, fee)
        if want is None:
            with pytest.raises(qpm.QpmInfeasibleError):
                swap_v3(b, liq, P, a, side, fee)
            infeasible += 1
            continue
        r = swap_v3(b, liq, P, a, side, fee)
        assert r.amount_out == pytest.approx(want[0], rel=1e-9), (b, liq, P, side, a)
        assert r.price_after == pytest.approx(want[1], rel=1e-9), (b, liq, P, side, a)
        assert r.ticks_crossed == want[2], (b, liq, P, side, a)
        checked += 1
    assert checked > 150 and infeasible > 20


def test_results_beyond_double_overflow():
    with pytest.raises(qpm.QpmNumericalError, match="beyond the range of double"):
        lp_position(1e300, 1e300)
    with pytest.raises(qpm.QpmNumericalError, match="leaves the range of double"):
        swap_v2(1e-300, 1e300, 1e300, "buy_coin")


def test_swap_v3_within_one_interval_is_the_v2_pool_of_that_liquidity():
    # inside one interval a v3 pool trades as a constant-product pool with
    # virtual reserves L/sqrt(P) coins and L sqrt(P) USD
    L, P = 80000.0, 2900.0
    for side, a in (("sell_coin", 20.0), ("buy_coin", 30000.0)):
        r3 = swap_v3(POOL_BOUNDS, POOL_LIQ, P, a, side, 0.003)
        r2 = swap_v2(L / math.sqrt(P), L * math.sqrt(P), a, side, 0.003)
        assert r3.ticks_crossed == 0
        assert r3.amount_out == pytest.approx(r2.amount_out, rel=1e-12)
        assert r3.impact == pytest.approx(r2.impact, rel=1e-9)
        # (v2's price after counts the fee in the reserves; v3's does not)
        s1 = math.sqrt(P) + a * 0.997 / L if side == "buy_coin" else \
            1 / (1 / math.sqrt(P) + a * 0.997 / L)
        assert r3.price_after == pytest.approx(s1 * s1, rel=1e-12)
    # a numpy pool passes as it is
    r = swap_v3(np.array(POOL_BOUNDS), np.array(POOL_LIQ), P, 20.0, AmmSide.SELL_COIN)
    assert r == swap_v3(POOL_BOUNDS, POOL_LIQ, P, 20.0, "sell", 0.003)


def test_swap_v3_too_large_is_infeasible():
    with pytest.raises(qpm.QpmInfeasibleError) as e:
        swap_v3(POOL_BOUNDS, POOL_LIQ, 2950.0, 1e12, "buy_coin", 0.003)
    assert "above the price cannot fill it" in str(e.value) and "takes at most" in str(e.value)
    assert isinstance(e.value, qpm.QpmNumericalError)
    with pytest.raises(qpm.QpmInfeasibleError, match="below the price"):
        swap_v3(POOL_BOUNDS, POOL_LIQ, 2950.0, 1e9, "sell_coin", 0.003)
    # the most it takes, as the message says, is taken
    msg = str(e.value)
    most = float(msg.split("takes at most ")[1].split(",")[0])
    r = swap_v3(POOL_BOUNDS, POOL_LIQ, 2950.0, most * (1 - 1e-12), "buy_coin", 0.003)
    assert r.price_after == pytest.approx(POOL_BOUNDS[-1], rel=1e-9)


# ---- bad input -------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,msg", [
    (lambda: lp_position(100.0, 1.0, 120.0, 110.0), qpm.QpmInvalidError,
     "upper[0] = 110: must be > lower = 120"),
    (lambda: lp_position(100.0, 1.0, 120.0, 120.0), qpm.QpmInvalidError, "must be > lower"),
    (lambda: lp_position([100.0, 100.0], [1.0, 0.0]), qpm.QpmInvalidError,
     "liquidity[1] = 0: must be > 0"),
    (lambda: lp_position(100.0, -2.0), qpm.QpmInvalidError, "liquidity[0] = -2: must be > 0"),
    (lambda: lp_position([100.0, math.nan], 1.0), qpm.QpmNonFiniteError, "price[1] = nan"),
    (lambda: lp_position(math.inf, 1.0), qpm.QpmNonFiniteError, "price[0] = inf"),
    (lambda: lp_position(100.0, 1.0, -1.0), qpm.QpmInvalidError, "lower[0] = -1: must be >= 0"),
    (lambda: lp_position(100.0, 1.0, 1.0, math.nan), qpm.QpmNonFiniteError, "upper[0] = nan"),
    (lambda: lp_position([], []), qpm.QpmSizeError, "len(price) = 0"),
    (lambda: impermanent_loss(1.0, [2.0, -1.0]), qpm.QpmInvalidError,
     "price1[1] = -1: must be > 0"),
    (lambda: impermanent_loss(1.0, 2.0, 3.0, 2.0), qpm.QpmInvalidError, "must be > lower"),
    (lambda: impermanent_loss(math.nan, 2.0), qpm.QpmNonFiniteError, "price0[0] = nan"),
    (lambda: liquidity_from_amounts(100.0, 5.0, 5.0, 1.0, 1.0), qpm.QpmInvalidError,
     "upper = 5: must be > lower = 5"),
    (lambda: liquidity_from_amounts(0.0, None, None, 1.0, 1.0), qpm.QpmInvalidError,
     "price = 0: must be > 0"),
    (lambda: swap_v2(10.0, 1000.0, 1.0, "sell_coin", 1.0), qpm.QpmInvalidError,
     "fee = 1: must be in [0, 1)"),
    (lambda: swap_v2(10.0, 1000.0, 1.0, "sell_coin", -0.01), qpm.QpmInvalidError,
     "fee = -0.01"),
    (lambda: swap_v2(10.0, 1000.0, 1.0, "sell_coin", math.nan), qpm.QpmNonFiniteError,
     "fee = nan"),
    (lambda: swap_v2(10.0, 1000.0, 1.0, 2), qpm.QpmInvalidError,
     "side = 2: must be AmmSide.SELL_COIN (0) or AmmSide.BUY_COIN (1)"),
    (lambda: swap_v2(10.0, 1000.0, 1.0, "hold"), ValueError, "unknown side 'hold'"),
    (lambda: swap_v2(10.0, 1000.0, 1.0, 1.5), TypeError, "side must be an integer"),
    (lambda: swap_v2(0.0, 1000.0, 1.0, "buy"), qpm.QpmInvalidError, "reserve_coin = 0"),
    (lambda: swap_v2(10.0, 1000.0, 0.0, "buy"), qpm.QpmInvalidError, "amount_in = 0"),
    (lambda: swap_v2(10.0, math.inf, 1.0, "buy"), qpm.QpmNonFiniteError, "reserve_usd = inf"),
    (lambda: swap_v3(POOL_BOUNDS, POOL_LIQ, 2950.0, 1.0, "sell", 1.5), qpm.QpmInvalidError,
     "fee = 1.5"),
    (lambda: swap_v3(POOL_BOUNDS, POOL_LIQ, 2950.0, 1.0, 7), qpm.QpmInvalidError, "side = 7"),
    (lambda: swap_v3(POOL_BOUNDS, POOL_LIQ, 2950.0, 1.0, "up"), ValueError, "unknown side"),
    (lambda: swap_v3(POOL_BOUNDS, POOL_LIQ, 1500.0, 1.0, "sell"), qpm.QpmInvalidError,
     "price = 1500: must be within [bounds[0], bounds[6]]"),
    (lambda: swap_v3([1.0, 3.0, 2.0], [1.0, 1.0], 1.5, 1.0, "sell"), qpm.QpmInvalidError,
     "bounds[2] = 2: must be > bounds[1] = 3"),
    (lambda: swap_v3([1.0, 2.0, 3.0], [1.0, -1.0], 1.5, 1.0, "sell"), qpm.QpmInvalidError,
     "liquidity[1] = -1: must be >= 0"),
    (lambda: swap_v3([1.0, 2.0, 3.0], [1.0, math.nan], 1.5, 1.0, "sell"),
     qpm.QpmNonFiniteError, "liquidity[1] = nan"),
    (lambda: swap_v3([1.0, 2.0, math.inf], [1.0, 1.0], 1.5, 1.0, "sell"),
     qpm.QpmNonFiniteError, "bounds[2] = inf"),
    (lambda: swap_v3([0.0, 2.0], [1.0], 1.5, 1.0, "sell"), qpm.QpmInvalidError,
     "bounds[0] = 0: must be > 0"),
    (lambda: swap_v3([1.0, 2.0], [1.0, 1.0], 1.5, 1.0, "sell"), ValueError,
     "len(bounds) = len(liquidity) + 1"),
    (lambda: swap_v3([1.0], [], 1.0, 1.0, "sell"), qpm.QpmSizeError, "len(liquidity) = 0"),
    (lambda: swap_v3([1.0, 2.0], [1.0], 1.5, -1.0, "buy"), qpm.QpmInvalidError,
     "amount_in = -1: must be > 0"),
])
def test_bad_input_raises_with_a_message(call, exc, msg):
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)


def test_side_enum():
    assert [int(m) for m in AmmSide] == [0, 1]
    assert swap_v2(10.0, 1000.0, 1.0, AmmSide.BUY_COIN) == swap_v2(10.0, 1000.0, 1.0, "BUY_COIN")


# ---- AMM positions in a Book -----------------------------------------------------
def _amm_book(spot=3000.0, use_frame=False):
    b = Book()
    b.add_underlying("BTC", 60000.0, 0.04)
    b.add_underlying("ETH", spot, 0.04)
    b.set_forward("ETH", "E1", spot * 1.01, 0.25)
    cols = dict(
        instrument=["amm_v2", "amm_v3", "spot", Instrument.AMM_V3, "linear_option"],
        underlying=["ETH", "ETH", "BTC", "ETH", "ETH"],
        quantity=[2.0, 500.0, 1.5, 3.0, -4.0],
        multiplier=[10.0, 1.0, 1.0, 100.0, 1.0],
        expiry=[None, None, None, None, "E1"],
        option_type=[None, None, None, None, "call"],
        strike=[None, None, None, None, 3200.0],
        sigma=[None, None, None, None, 0.7],
        price_lower=[np.nan, 2500.0, np.nan, 3500.0, np.nan],
        price_upper=[np.nan, 3600.0, np.nan, math.inf, np.nan],
        fee_rate=[0.08, 0.25, np.nan, 0.0, np.nan])
    if use_frame:
        import pandas as pd
        df = pd.DataFrame(cols, index=list("vwxyz"))
        b.add_positions(df["instrument"], df["underlying"], df["quantity"], df["multiplier"],
                        expiry=df["expiry"], option_type=df["option_type"],
                        strike=df["strike"], sigma=df["sigma"],
                        price_lower=df["price_lower"], price_upper=df["price_upper"],
                        fee_rate=df["fee_rate"])
        return b, df
    b.add_positions(cols.pop("instrument"), cols.pop("underlying"), cols.pop("quantity"),
                    cols.pop("multiplier"), **cols)
    return b, None


AMM_ROWS = [(0, 20.0, None, None, 0.08), (1, 500.0, 2500.0, 3600.0, 0.25),
            (3, 300.0, 3500.0, math.inf, 0.0)]


def test_book_amm_positions_match_lp_position():
    b, _ = _amm_book()
    with b:
        assert b.n_positions == 5
        v = b.values()
        S = 3000.0
        for i, L, lo, hi, fee in AMM_ROWS:
            lp = lp_position(S, L, lo, hi)
            assert v["value_usd"][i] == pytest.approx(lp["value"], rel=1e-14)
            assert v["delta_coin"][i] == pytest.approx(lp["delta"], rel=1e-14)
            assert v["gamma"][i] == pytest.approx(lp["gamma"], rel=1e-14, abs=0.0)
            assert v["theta"][i] == pytest.approx(fee * lp["value"], rel=1e-14, abs=0.0)
            assert v["vega"][i] == 0.0
            assert v["value_coin"][i] == pytest.approx(lp["value"] / S, rel=1e-14)
            assert v["delta_usd"][i] == pytest.approx(S * lp["delta"], rel=1e-14)
            assert v["delta_exchange"][i] == pytest.approx(lp["coin"], rel=1e-14)
        # v2 share: 2 L sqrt(S); the v3 position above its range holds coins only
        assert v["value_usd"][0] == pytest.approx(2 * 20.0 * math.sqrt(S), rel=1e-14)
        assert v["gamma"][3] == 0.0 and v["value_usd"][3] == pytest.approx(
            3000.0 * 300.0 * (1 / math.sqrt(3500.0)), rel=1e-14)
        # the underlying's total holds them; the expiry total does not
        g = b.greeks()
        eth = [i for i in (0, 1, 3, 4)]
        assert g["value_usd"][1] == pytest.approx(sum(v["value_usd"][i] for i in eth), rel=1e-13)
        e = b.greeks(by="expiry")
        assert e["value_usd"][0] == pytest.approx(v["value_usd"][4], rel=1e-14)


def test_book_pnl_of_amm_positions_is_the_change_of_lp_value():
    b = Book()
    b.add_underlying("ETH", 3000.0)
    b.add_positions(["amm_v2", "amm_v3"], "ETH", [20.0, 500.0], 1.0,
                    price_lower=[np.nan, 2500.0], price_upper=[np.nan, 3600.0],
                    fee_rate=0.1)
    moves = np.array([-0.5, -0.2, -0.1667, 0.0, 0.05, 0.2, 0.5])
    with b:
        pnl = b.pnl(moves)
        S1 = 3000.0 * (1 + moves)
        want = (lp_position(S1, 20.0)["value"] - lp_position(3000.0, 20.0)["value"]
                + lp_position(S1, 500.0, 2500.0, 3600.0)["value"]
                - lp_position(3000.0, 500.0, 2500.0, 3600.0)["value"])
        np.testing.assert_allclose(pnl, want, rtol=1e-12, atol=1e-9)
        assert pnl[3] == 0.0
        # a spot set by hand revalues the same way
        b.set_spot("ETH", 3600.0)
        assert b.values()["value_usd"][1] == pytest.approx(
            lp_position(3600.0, 500.0, 2500.0, 3600.0)["value"], rel=1e-14)


def test_book_amm_positions_from_dataframe_columns_without_copies(monkeypatch):
    pytest.importorskip("pandas")
    import qpm.book as bk
    seen = {}
    c_call = Book._c

    def spy(self, fname, *args, **kw):
        if fname == "qpm_book_add_position_columns":
            s = args[1]._obj
            seen.update({f: getattr(s, f) for f in bk._POSITION_FIELDS}, size=s.size)
        return c_call(self, fname, *args, **kw)

    monkeypatch.setattr(Book, "_c", spy)
    b, df = _amm_book(use_frame=True)
    assert seen["size"] == ctypes.sizeof(bk._Positions)
    for f in ("quantity", "multiplier", "price_lower", "price_upper", "fee_rate"):
        assert seen[f] == df[f].to_numpy().ctypes.data, f  # no copy
    ref, _ = _amm_book()
    with b, ref:
        va, vr = b.values(), ref.values()
        for f in FIELDS:
            assert va[f].to_numpy().tobytes() == vr[f].tobytes(), f
    # the three fields follow the stable ones, in this order, then the venue
    names = [f for f, _ in bk._Positions._fields_]
    assert names[-4:] == ["price_lower", "price_upper", "fee_rate", "venue"]
    assert names[:10] == ["size", "instrument", "underlying", "expiry", "option_type", "strike",
                          "quantity", "multiplier", "entry_price", "sigma"]
    assert ctypes.sizeof(bk._Positions) == 14 * ctypes.sizeof(ctypes.c_void_p)
    # a book without AMM columns passes them as NULL (an older library that
    # does not know them accepts the struct)
    seen.clear()
    with Book() as c:
        c.add_underlying("BTC", 60000.0)
        c.add_positions("spot", "BTC", 1.0)
        assert seen["price_lower"] is None and seen["price_upper"] is None
        assert seen["fee_rate"] is None


def test_book_amm_positions_go_through_the_struct(monkeypatch):
    import qpm.book as bk
    monkeypatch.setattr(bk, "_USE_STRUCT", False)  # the arrays path where it can serve
    b, _ = _amm_book()
    ref = None
    monkeypatch.setattr(bk, "_USE_STRUCT", True)
    ref, _ = _amm_book()
    with b, ref:
        for f in FIELDS:
            assert b.values()[f].tobytes() == ref.values()[f].tobytes(), f
    # a library without the struct entry point cannot take AMM positions
    monkeypatch.setattr(bk, "_USE_STRUCT", False)
    monkeypatch.setattr(bk, "_struct_exported", lambda: False)
    with Book() as c:
        c.add_underlying("ETH", 3000.0)
        c.add_positions("spot", "ETH", 1.0)  # the arrays path still serves the rest
        with pytest.raises(qpm.QpmUnsupportedError, match="need qpm_book_add_position_columns"):
            c.add_positions("amm_v2", "ETH", 1.0, fee_rate=0.1)
        with pytest.raises(qpm.QpmUnsupportedError):
            c.add_positions("amm_v2", "ETH", 1.0)
        assert c.n_positions == 1


@pytest.mark.parametrize("kw,exc,msg", [
    (dict(instrument="amm_v3", quantity=1.0, price_lower=3000.0, price_upper=2000.0,
          fee_rate=0.1), qpm.QpmInvalidError,
     "position 1: price_upper = 2000: must be > price_lower = 3000"),
    (dict(instrument="amm_v3", quantity=1.0, price_lower=-1.0, price_upper=2000.0,
          fee_rate=0.1), qpm.QpmInvalidError, "position 1: price_lower = -1"),
    (dict(instrument="amm_v2", quantity=-1.0, fee_rate=0.1), qpm.QpmInvalidError,
     "position 1: quantity x multiplier = -1: the liquidity of an AMM position must be > 0"),
    (dict(instrument="amm_v3", quantity=0.0, price_lower=1.0, price_upper=2.0, fee_rate=0.1),
     qpm.QpmInvalidError, "the liquidity of an AMM position must be > 0"),
    (dict(instrument="amm_v2", quantity=1.0, fee_rate=-0.1), qpm.QpmInvalidError,
     "position 1: fee_rate = -0.1"),
    (dict(instrument="amm_v2", quantity=1.0, fee_rate=math.nan), qpm.QpmNonFiniteError,
     "position 1: fee_rate = nan"),
    (dict(instrument="amm_v2", quantity=1.0), qpm.QpmNullError, "position 1: fee_rate is None"),
    (dict(instrument="amm_v3", quantity=1.0, fee_rate=0.1), qpm.QpmNullError,
     "position 1: price_lower is None"),
    (dict(instrument="amm_v3", quantity=1.0, price_lower=1.0, price_upper=math.nan,
          fee_rate=0.1), qpm.QpmNonFiniteError, "position 1: price_upper = nan"),
])
def test_book_bad_amm_positions_raise_and_leave_the_book_unchanged(kw, exc, msg):
    with Book() as b:
        b.add_underlying("ETH", 3000.0)
        instr = kw.pop("instrument")
        q = kw.pop("quantity")
        # the bad position is the second of two: all or nothing
        kw = {k: [math.nan, v] for k, v in kw.items()}  # spot reads none of them
        with pytest.raises(exc) as e:
            b.add_positions(["spot", instr], "ETH", [1.0, q], **kw)
        assert msg in str(e.value), str(e.value)
        assert b.n_positions == 0
        b.add_positions("amm_v2", "ETH", 1.0, fee_rate=0.0)  # still usable
        assert b.n_positions == 1
