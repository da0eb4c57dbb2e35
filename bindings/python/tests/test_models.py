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
