"""qpm.surface (experimental): raw SVI and SSVI fits, the arbitrage checks
and the queries through the bindings, and a fit of the shipped BTC option
chain (examples/data/btc_option_chain.csv) from its bid/ask coin prices."""
import math

import numpy as np
import pandas as pd
import pytest

import conftest
import qpm
from qpm import Pricer, Surface
from qpm.surface import (QuoteKind, SliceReport, SsviFit, SsviParams, SurfaceCheck, SviParams,
                         ssvi_to_svi, svi_check, svi_total_variance)

GOOD = SviParams(0.04, 0.2, -0.4, 0.05, 0.15)
VOGT = SviParams(-0.0410, 0.1331, 0.3060, 0.3586, 0.4153)


def w_of(p, k):
    k = np.asarray(k, dtype=float)
    return p.a + p.b * (p.rho * (k - p.m) + np.sqrt((k - p.m) ** 2 + p.sigma ** 2))


def test_svi_functions():
    svi_check(GOOD)
    with pytest.raises(qpm.QpmInvalidError, match=r"rho = 1\.5: must be in \(-1, 1\)"):
        svi_check(GOOD._replace(rho=1.5))
    with pytest.raises(qpm.QpmInvalidError, match="Lee"):
        svi_check(GOOD._replace(b=1.9))
    with pytest.raises(ValueError):
        svi_check([1.0, 2.0])
    k = np.linspace(-1, 1, 11)
    np.testing.assert_array_equal(svi_total_variance(GOOD, k), w_of(GOOD, k))
    p = ssvi_to_svi(SsviParams(-0.3, 1.1, 0.4), 0.05)
    assert isinstance(p, SviParams)
    assert abs(float(w_of(p, 0.0)) - 0.05) < 1e-16
    with pytest.raises(qpm.QpmInvalidError, match="theta"):
        ssvi_to_svi((0.0, 1.0, 0.5), -1.0)
    assert int(QuoteKind.PRICE) == 1


def test_round_trip_vols_and_queries():
    T, F = 0.5, 100.0
    k = np.linspace(-0.6, 0.6, 40)
    K = F * np.exp(k)
    iv = np.sqrt(w_of(GOOD, k) / T)
    s = Surface()
    rep = s.fit_slice(T, F, K, iv=iv)
    assert isinstance(rep, SliceReport)
    for got, want in zip(rep.params, GOOD):
        assert abs(got - want) < 1e-8
    assert rep.rmse_volpts < 1e-7 and rep.butterfly_ok and rep.n_quotes == 40
    # bid/ask vols: the mid is fitted
    rep2 = s.fit_slice(T, F, K, bid_iv=iv - 0.01, ask_iv=iv + 0.01)
    assert rep2.rmse_volpts < 1e-6
    later = GOOD._replace(a=0.09, b=0.25)
    s.set_slice(1.0, 104.0, later)
    assert s.n_slices == 2
    assert s.slice(1).params == later and s.slice(1).n_quotes == 0
    assert [x.T for x in s.slices] == [0.5, 1.0]
    np.testing.assert_allclose(s.total_variance_k(0.75, [0.0, 0.2]),
                               0.5 * (w_of(GOOD, [0.0, 0.2]) + w_of(later, [0.0, 0.2])),
                               rtol=0, atol=1e-12)
    assert abs(s.vol_k(2.0, 0.1) - math.sqrt(float(w_of(later, 0.1)) * 2.0 / 2.0)) < 1e-12
    assert abs(s.forward(0.75) - math.sqrt(100.0 * 104.0)) < 1e-9
    np.testing.assert_allclose(s.forward([0.1, 3.0]), [100.0, 104.0])
    v = s.vol(0.5, [90.0, 110.0])
    np.testing.assert_allclose(v, np.sqrt(w_of(GOOD, np.log([0.9, 1.1])) / 0.5), atol=1e-8)
    assert abs(s.total_variance(0.5, 90.0) - float(w_of(GOOD, math.log(0.9)))) < 1e-9
    c = s.check()
    assert isinstance(c, SurfaceCheck) and c.butterfly_ok and c.calendar_ok
    df = s.report()
    assert list(df["T"]) == [0.5, 1.0] and "rmse_volpts" in df.columns
    with pytest.raises(qpm.QpmInvalidError, match=r"strike\[3\]"):
        s.fit_slice(T, F, [90, 95, 100, 100, 110], iv=[0.5] * 5)
    with pytest.raises(qpm.QpmInvalidError, match=r"bid\[0\]"):
        s.fit_slice(T, F, K, bid_iv=iv + 0.02, ask_iv=iv)
    with pytest.raises(ValueError, match="exactly one kind"):
        s.fit_slice(T, F, K, iv=iv, price=iv)
    with pytest.raises(qpm.QpmInvalidError, match="T = 0"):
        s.fit_slice(0.0, F, K, iv=iv)
    assert s.n_slices == 2


def test_no_butterfly_and_calendar():
    T = 1.0
    k = np.linspace(-1.0, 1.2, 40)
    K = 100.0 * np.exp(k)
    iv = np.sqrt(w_of(VOGT, k) / T)
    s = Surface()
    r0 = s.fit_slice(T, 100.0, K, iv=iv)
    assert not r0.butterfly_ok
    assert not s.check().butterfly_ok
    r1 = s.fit_slice(T, 100.0, K, iv=iv, no_butterfly=True)
    assert r1.butterfly_ok and r1.no_butterfly and r1.rmse_volpts < 1.0
    assert s.check().butterfly_ok
    s2 = Surface()
    s2.set_slice(0.5, 100.0, (0.12, 0.1, 0.0, 0.0, 0.1))
    s2.set_slice(1.0, 100.0, (0.13, 0.05, 0.0, 0.0, 0.1))
    c = s2.check()
    assert not c.calendar_ok and c.calendar_slice == 1
    assert abs(abs(c.calendar_cross_k) - math.sqrt(0.03)) < 1e-10


def test_ssvi_round_trip():
    want = SsviParams(-0.3, 0.9, 0.45)
    Ts = [0.05, 0.1, 0.25, 0.5, 1.0]
    quotes = []
    for T in Ts:
        th = 0.36 * T
        p = ssvi_to_svi(want, th)
        k = np.linspace(-4 * math.sqrt(th), 4 * math.sqrt(th), 30)
        quotes.append({"strike": 100.0 * np.exp(k), "iv": np.sqrt(w_of(p, k) / T)})
    s = Surface()
    fit = s.fit_ssvi(Ts, [100.0] * 5, quotes)
    assert isinstance(fit, SsviFit)
    assert abs(fit.params.rho - want.rho) < 1e-7 and abs(fit.params.eta - want.eta) < 1e-7
    assert fit.rmse_volpts < 1e-5
    np.testing.assert_allclose(fit.theta, [0.36 * T for T in Ts], rtol=1e-8)
    assert s.n_slices == 5
    c = s.check()
    assert c.butterfly_ok and c.calendar_ok


def _btc_chain():
    df = pd.read_csv(conftest.ROOT / "examples" / "data" / "btc_option_chain.csv")
    parts = df["instrument_name"].str.split("-", expand=True)
    df["strike"] = parts[2].astype(float)
    df["type"] = parts[3].map({"C": "call", "P": "put"})
    df["T"] = (df["expiration_timestamp"] - df["creation_timestamp"]) / 1000.0 / 86400.0 / 365.0
    df["forward"] = df["underlying_price"]
    # out of the money, two-sided
    otm = ((df["type"] == "call") & (df["strike"] >= df["forward"])) | \
          ((df["type"] == "put") & (df["strike"] < df["forward"]))
    df = df[otm & (df["bid_price"] > 0) & (df["ask_price"] > 0)].copy()
    df["bid"] = df["bid_price"]
    df["ask"] = df["ask_price"]
    return df[["strike", "T", "forward", "type", "bid", "ask"]]


def test_btc_chain_fits_within_the_bid_ask():
    chain = _btc_chain()
    s = Surface()
    rep = s.fit(chain, settlement="inverse")
    assert len(rep) == 6 and rep["T"].is_monotonic_increasing
    pr = Pricer("black76", "inverse")
    for _, row in rep.iterrows():
        g = chain[chain["T"] == row["T"]].sort_values("strike")
        ty = np.where(g["type"] == "call", 1, -1)
        bid_iv = pr.implied_vol(g["bid"].to_numpy(), row["forward"], g["strike"].to_numpy(),
                                row["T"], ty)
        ask_iv = pr.implied_vol(g["ask"].to_numpy(), row["forward"], g["strike"].to_numpy(),
                                row["T"], ty)
        spread = np.nanmedian((np.asarray(ask_iv) - np.asarray(bid_iv)) * 100.0)
        assert row["rmse_volpts"] < spread, (row["T"], row["rmse_volpts"], spread)
        assert row["butterfly_ok"]
    c = s.check()
    assert c.butterfly_ok and c.calendar_ok, c
    # the model vols at the quoted strikes lie mostly inside bid/ask
    v = s.vol(chain["T"].to_numpy(), chain["strike"].to_numpy())
    assert np.all(np.isfinite(v))
    # the same chain as SSVI, and from a dict of columns
    s2 = Surface()
    rep2 = s2.fit({c: chain[c].tolist() for c in chain.columns}, settlement="inverse",
                  ssvi=True)
    assert len(rep2) == 6 and np.all(rep2["butterfly_ok"])
