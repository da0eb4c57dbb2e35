"""qpm.models (experimental): Heston, Bates and Merton prices against the
reference files (README sections 5 and 6), Greeks against central
differences, Bates without jumps as Heston, Merton without jumps as the
Black-Scholes pricer, smiles against the implied-vol solver; scalars,
arrays, pandas labels and the error mapping."""
import math

import numpy as np
import pandas as pd
import pytest

import qpm
from qpm.models import (GREEK_FIELDS, Heston, Jumps, bates_price, heston_price, heston_smile,
                        merton_price, merton_smile)

H = Heston(0.25, 1.5, 0.35, 1.1, -0.6)
J = Jumps(2.0, -0.05, 0.12)
KS = np.array([60.0, 80.0, 95.0, 100.0, 105.0, 120.0, 150.0])


def test_heston_reference_rows(refcsv):
    c = refcsv("heston_public.csv")
    cols = {k: c.col(k) for k in ("S", "K", "T", "r", "q", "v0", "kappa", "theta", "sigma",
                                  "rho", "price")}
    types = c.str("type")
    worst = 0.0
    for i in range(len(c)):
        h = Heston(*(cols[k][i] for k in ("v0", "kappa", "theta", "sigma", "rho")))
        p = heston_price(cols["S"][i], cols["K"][i], cols["T"][i], h, cols["r"][i], cols["q"][i],
                         types[i])
        assert type(p) is float
        worst = max(worst, abs(p - cols["price"][i]) / cols["S"][i])
    assert worst <= 1e-12, worst


def test_merton_reference_rows(refcsv):
    c = refcsv("merton_public.csv")
    cols = {k: c.col(k) for k in ("S", "K", "T", "r", "q", "sigma", "lambda", "muJ", "deltaJ",
                                  "price", "delta")}
    types = c.str("type")
    for i in range(len(c)):
        j = Jumps(cols["lambda"][i], cols["muJ"][i], cols["deltaJ"][i])
        g = merton_price(cols["S"][i], cols["K"][i], cols["T"][i], cols["sigma"][i], j,
                         cols["r"][i], cols["q"][i], types[i], greeks=True)
        assert abs(g["price"] - cols["price"][i]) <= 1e-11 * cols["S"][i], i
        assert abs(g["delta"] - cols["delta"][i]) <= 1e-11, i


def test_chain_shapes_labels_and_types():
    p = heston_price(100.0, KS, 0.5, H, 0.03, 0.01)
    assert isinstance(p, np.ndarray) and p.shape == KS.shape
    # mixed types broadcast with K; the list and tuple forms of the model
    ty = ["call", "put", "p", "c", "PUT", "Call", "call"]
    p2 = heston_price(100.0, list(KS), 0.5, list(H), 0.03, 0.01, ty)
    puts = heston_price(100.0, KS, 0.5, tuple(H), 0.03, 0.01, "put")
    for i, t in enumerate(ty):
        want = p[i] if t.lower() in ("call", "c") else puts[i]
        assert p2[i] == want
    # put-call parity
    np.testing.assert_allclose(p - puts, 100 * math.exp(-0.005) - KS * math.exp(-0.015),
                               atol=1e-12 * 100)
    # a Series K gives a Series / DataFrame on its index
    s = pd.Series(KS, index=["k%d" % i for i in range(len(KS))])
    ps = heston_price(100.0, s, 0.5, H, 0.03, 0.01)
    assert isinstance(ps, pd.Series) and list(ps.index) == list(s.index)
    np.testing.assert_array_equal(ps.to_numpy(), p)
    g = heston_price(100.0, s, 0.5, H, 0.03, 0.01, greeks=True)
    assert isinstance(g, pd.DataFrame) and list(g.columns) == list(GREEK_FIELDS)
    g1 = heston_price(100.0, 100.0, 0.5, H, 0.03, 0.01, greeks=True)
    assert set(g1) == set(GREEK_FIELDS) and all(type(v) is float for v in g1.values())
    # a dict of parameters
    d = heston_price(100.0, 100.0, 0.5, H._asdict(), 0.03, 0.01)
    assert d == g1["price"]


@pytest.mark.parametrize("model", ["heston", "bates", "merton"])
def test_greeks_against_central_differences(model):
    S, T, r, q = 100.0, 0.5, 0.03, 0.01

    def price(s=S, x=None, greeks=False):
        if model == "heston":
            return heston_price(s, KS, T, H if x is None else H._replace(v0=x), r, q, "call",
                                greeks)
        if model == "bates":
            return bates_price(s, KS, T, H if x is None else H._replace(v0=x), J, r, q, "put",
                               greeks)
        return merton_price(s, KS, T, 0.45 if x is None else x, J, r, q, "call", greeks)

    g = price(greeks=True)
    np.testing.assert_array_equal(g["price"], price())
    h = 1e-4 * S
    np.testing.assert_allclose(g["delta"], (price(S + h) - price(S - h)) / (2 * h), atol=1e-7)
    h2 = 2e-4 * S
    np.testing.assert_allclose(g["gamma"], (price(S + h2) - 2 * price() + price(S - h2)) / h2**2,
                               atol=2e-8, rtol=1e-4)
    x = 0.45 if model == "merton" else H.v0
    hx = 1e-5 * x
    np.testing.assert_allclose(g["vega"], (price(x=x + hx) - price(x=x - hx)) / (2 * hx),
                               rtol=1e-6, atol=1e-6)


def test_bates_without_jumps_is_heston_and_merton_without_jumps_is_bsm():
    a = heston_price(100.0, KS, 0.7, H, 0.02, 0.0, "put", greeks=True)
    b = bates_price(100.0, KS, 0.7, H, Jumps(0.0, -0.3, 0.2), 0.02, 0.0, "put", greeks=True)
    for f in GREEK_FIELDS:
        assert a[f].tobytes() == b[f].tobytes(), f
    with qpm.Pricer(qpm.Model.BSM) as pr:
        want = pr.price(100.0, KS, 0.7, 0.55, "call", r=0.02, q=0.01)
    got = merton_price(100.0, KS, 0.7, 0.55, Jumps(0.0, 0.1, 0.1), 0.02, 0.01)
    np.testing.assert_allclose(got, want, atol=1e-12 * 100)


def test_smiles():
    # deterministic constant variance: flat at sqrt(theta)
    sm = heston_smile(100.0, KS, 0.5, Heston(0.09, 1.0, 0.09, 0.0, 0.0), r=0.01)
    assert set(sm) == {"price", "iv", "ok"}
    np.testing.assert_allclose(sm["iv"], 0.3, atol=1e-9)
    assert sm["ok"].all()
    # Bates: jumps down lift the low strikes' vols
    h = Heston(0.09, 1.5, 0.09, 0.8, -0.7)
    a = heston_smile(100.0, KS, 0.5, h)
    b = heston_smile(100.0, KS, 0.5, h, Jumps(1.0, -0.2, 0.1))
    assert b["iv"][0] > a["iv"][0]
    # each vol reprices the model's out-of-the-money price
    with qpm.Pricer(qpm.Model.BSM) as pr:
        ty = np.where(KS < 100.0, qpm.PUT, qpm.CALL).astype(np.int32)
        back = pr.price(100.0, KS, 0.5, a["iv"], ty)
    np.testing.assert_allclose(back, a["price"], rtol=1e-9, atol=1e-11 * 100)
    # Merton, labels, a wing without implied vol
    s = pd.Series([100.0, 1e5], index=["atm", "far"])
    m = merton_smile(100.0, s, 1 / 365, 0.1, Jumps(0.0, 0.0, 0.0))
    assert isinstance(m, pd.DataFrame) and list(m.index) == ["atm", "far"]
    assert bool(m.loc["atm", "ok"]) and abs(m.loc["atm", "iv"] - 0.1) < 1e-10
    assert not bool(m.loc["far", "ok"]) and math.isnan(m.loc["far", "iv"])
    one = merton_smile(100.0, 100.0, 0.25, 0.4, J)
    assert type(one["iv"]) is float and one["ok"] is True


def test_errors():
    with pytest.raises(qpm.QpmInvalidError, match=r"heston.rho = 1: must be in \(-1, 1\)"):
        heston_price(100.0, KS, 0.5, H._replace(rho=1.0))
    with pytest.raises(qpm.QpmInvalidError, match=r"K\[2\] = -1: must be > 0"):
        bates_price(100.0, [90.0, 100.0, -1.0], 0.5, H, J)
    with pytest.raises(qpm.QpmInvalidError, match="T = 0: must be > 0"):
        merton_price(100.0, KS, 0.0, 0.3, J)
    with pytest.raises(qpm.QpmNonFiniteError, match="sigma = nan"):
        merton_smile(100.0, KS, 0.5, float("nan"), J)
    with pytest.raises(qpm.QpmInvalidError, match="jumps.lambda = -1: must be >= 0"):
        heston_smile(100.0, KS, 0.5, H, Jumps(-1.0, 0.0, 0.1))
    with pytest.raises(qpm.QpmSizeError, match=r"len\(K\) = 0: at least one strike"):
        heston_price(100.0, np.array([]), 0.5, H)
    with pytest.raises(qpm.QpmNoConvergeError, match="total variance too small"):
        heston_smile(100.0, KS, 1e-3, Heston(1e-14, 1.0, 1e-14, 0.0, 0.0))
    with pytest.raises(ValueError, match="heston needs 5 numbers"):
        heston_price(100.0, KS, 0.5, (0.1, 1.0, 0.1, 0.5))
    with pytest.raises(ValueError, match="option type 'straddle'"):
        heston_price(100.0, KS, 0.5, H, type="straddle")
    with pytest.raises(ValueError, match="jumps: missing"):
        bates_price(100.0, KS, 0.5, H, {"mu": 0.0, "delta": 0.1})


# ---- coin settlement, theta, parallel vega -------------------------------------------
from qpm.models import (CALIB_PARAMS, EVAL_FIELDS, CalibOutcome, CalibQuote, CalibResidual,
                        Calibration, calibrate_heston, heston_eval, heston_smile_settle,
                        merton_eval)


def test_eval_coin_is_usd_over_forward_and_matches_price():
    S, T, r, q = 100.0, 0.7, 0.03, 0.01
    F = S * math.exp((r - q) * T)
    for jumps in (None, J):
        lin = heston_eval(S, KS, T, H, jumps, r, q, "put")
        inv = heston_eval(S, KS, T, H, jumps, r, q, "put", settle="inverse")
        assert list(lin.keys()) == list(EVAL_FIELDS)
        ref = (heston_price(S, KS, T, H, r, q, "put", greeks=True) if jumps is None else
               bates_price(S, KS, T, H, jumps, r, q, "put", greeks=True))
        assert np.array_equal(lin["price"], ref["price"])
        assert np.array_equal(lin["vega_v0"], ref["vega"])
        assert np.array_equal(inv["price"], lin["price"] / F)
        assert np.array_equal(inv["theta"], lin["theta"])
        np.testing.assert_allclose(inv["delta_coin"], lin["delta"] / math.exp((r - q) * T)
                                   - lin["price"] / F, rtol=1e-14, atol=1e-16)
    # theta against a central difference in T, parallel vega against a vol shift
    one = heston_eval(S, 105.0, T, H, None, r, q, "call")
    h = 1e-5
    up = heston_price(S, 105.0, T + h, H, r, q)
    dn = heston_price(S, 105.0, T - h, H, r, q)
    assert abs(one["theta"] + (up - dn) / (2 * h)) <= 1e-6 * abs(one["theta"])
    sh = lambda x: Heston((math.sqrt(H.v0) + x) ** 2, H.kappa, (math.sqrt(H.theta) + x) ** 2,  # noqa: E731
                          H.sigma, H.rho)
    fd = (heston_price(S, 105.0, T, sh(h), r, q) - heston_price(S, 105.0, T, sh(-h), r, q)) / (2 * h)
    assert abs(one["vega_parallel"] - fd) <= 1e-6 * abs(fd)
    m = merton_eval(S, pd.Series(KS, index=list("abcdefg")), T, 0.3, J, r, q, "call",
                    settle=qpm.Settlement.INVERSE)
    assert isinstance(m, pd.DataFrame) and list(m.index) == list("abcdefg")
    np.testing.assert_allclose(m["price"] * F, merton_price(S, KS, T, 0.3, J, r, q), rtol=1e-15)
    sm = heston_smile_settle(S, KS, T, H, J, r, q, settle="inverse")
    ref = heston_smile(S, KS, T, H, J, r, q)
    assert np.array_equal(sm["iv"], ref["iv"])
    np.testing.assert_allclose(sm["price"] * F, ref["price"], rtol=1e-15)
    with pytest.raises(ValueError, match="settle"):
        heston_eval(S, KS, T, H, settle="bogus")


def _chain(truth, jumps=None, df=True):
    S, r, q = 100.0, 0.03, 0.01
    rows = []
    for T in (0.08, 0.25, 0.5, 1.0, 2.0):
        F = S * math.exp((r - q) * T)
        K = F * np.exp(0.25 * math.sqrt(T) * (-1.75 + 0.5 * np.arange(8)))
        ty = np.where(K < F, "put", "call")
        p = np.array([heston_eval(S, k, T, truth, jumps, r, q, t)["price"] for k, t in zip(K, ty)])
        iv = heston_smile(S, K, T, truth, jumps, r, q)["iv"]
        for i in range(8):
            rows.append({"T": T, "strike": K[i], "type": ty[i], "price": p[i], "iv": iv[i],
                         "coin_price": p[i] / F})
    d = pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # any row order
    return d if df else {c: d[c].to_numpy() for c in d.columns}


def test_calibrate_heston_round_trip():
    truth = Heston(0.045, 2.2, 0.065, 0.75, -0.7)
    chain = _chain(truth)
    res = calibrate_heston(chain, 100.0, 0.03, 0.01)
    assert isinstance(res, Calibration)
    assert res.status == CalibOutcome.CONVERGED
    assert isinstance(res.params, pd.Series) and list(res.params.index) == list(CALIB_PARAMS[:5])
    assert max(abs(a - b) for a, b in zip(res.heston, truth)) <= 1e-6
    assert res.rmse_volpts <= 1e-6 and res.iterations > 0 and res.evaluations > 0
    assert res.feller == (2 * truth.kappa * truth.theta > truth.sigma ** 2)
    # vol quotes with price residuals, numpy arrays, coin quotes
    arr = _chain(truth, df=False)
    arr.pop("price")
    r2 = calibrate_heston({k: v for k, v in arr.items() if k != "coin_price"}, 100.0, 0.03, 0.01,
                          quote=CalibQuote.IV, residual=CalibResidual.PRICE)
    assert max(abs(a - b) for a, b in zip(r2.heston, truth)) <= 1e-6
    r3 = calibrate_heston(arr, 100.0, 0.03, 0.01, quote="coin")
    assert max(abs(a - b) for a, b in zip(r3.heston, truth)) <= 1e-6


def test_calibrate_bates_progress_and_errors():
    truth, jt = Heston(0.04, 1.8, 0.05, 0.6, -0.6), Jumps(0.5, -0.12, 0.18)
    chain = _chain(truth, jt)
    res = calibrate_heston(chain, 100.0, 0.03, 0.01, bates=True, jumps=Jumps(0.2, -0.05, 0.1),
                           max_iter=200)
    assert res.status == CalibOutcome.CONVERGED
    assert max(abs(a - b) for a, b in zip(list(res.heston) + list(res.jumps),
                                          list(truth) + list(jt))) <= 1e-6
    fixed = calibrate_heston(chain, 100.0, 0.03, 0.01, bates=True, jumps=jt, fix_jumps=True,
                             lower=[1e-6, 1e-3, 1e-6, 1e-3, -0.999, 0, -2, 1e-4],
                             upper=[4, 50, 4, 10, 0.999, 10, 2, 2], ftol=1e-13, xtol=1e-13,
                             gtol=1e-13, max_eval=500)
    assert fixed.jumps == jt
    calls = []
    stop = calibrate_heston(chain, 100.0, 0.03, 0.01, progress=lambda d: calls.append(d) or
                            len(calls) >= 3)
    assert stop.status == CalibOutcome.CANCELLED and stop.iterations == 2 and len(calls) == 3
    assert calls == sorted(calls)

    def boom(_d):
        raise KeyError("from the callback")
    with pytest.raises(KeyError, match="from the callback"):
        calibrate_heston(chain, 100.0, 0.03, 0.01, progress=boom)
    bad = chain.reset_index(drop=True)  # rows in no particular order
    bad.loc[5, "price"] = -1.0
    with pytest.raises(qpm.QpmInvalidError, match=r"quote\[5\]"):
        calibrate_heston(bad, 100.0, 0.03, 0.01)
    bad.loc[5, "price"] = math.nan
    with pytest.raises(qpm.QpmNonFiniteError, match=r"quote\[5\]"):
        calibrate_heston(bad, 100.0, 0.03, 0.01)
    dup = pd.concat([chain.iloc[:1], chain])
    with pytest.raises(qpm.QpmInvalidError, match="increase"):
        calibrate_heston(dup, 100.0, 0.03, 0.01)
    with pytest.raises(qpm.QpmInvalidError, match="rho"):
        calibrate_heston(chain, 100.0, 0.03, 0.01, start=Heston(0.1, 1, 0.1, 0.5, -1.0))
    with pytest.raises(qpm.QpmSizeError):
        calibrate_heston(chain.iloc[:0], 100.0, 0.03, 0.01)
    with pytest.raises(TypeError):
        calibrate_heston([1, 2], 100.0)
    with pytest.raises(ValueError, match="strike"):
        calibrate_heston({"T": [1.0]}, 100.0)
