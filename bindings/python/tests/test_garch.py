"""qpm.garch (experimental): GARCH(1,1) log-likelihood, filter and fit
against the numpy/scipy reference values of tests/data/garch_ref.h (written
by tests/data/garch_ref.py); forecasts against the recursion of
expectations; pandas in and out; error mapping; and the GARCH filter of
Risk.historical against the same computation done by hand."""
import math
import re

import numpy as np
import pytest

import conftest
import qpm
from qpm import Risk, RiskFilter, RiskKey
from qpm.garch import (GarchDist, GarchFilter, GarchFit, GarchForecast, GarchParams,
                       garch_filter, garch_fit, garch_forecast, garch_loglik)


def _reference():
    """The arrays of tests/data/garch_ref.h by name."""
    text = (conftest.ROOT / "tests" / "data" / "garch_ref.h").read_text()
    out = {}
    for m in re.finditer(r"static const double (\w+)\[\d+\] = \{(.*?)\};", text, flags=re.S):
        out[m.group(1)] = np.array([float(v) for v in m.group(2).split(",")])
    return out


REF = _reference()


def test_loglik_matches_reference():
    a, b = REF["garch_ref_a"], REF["garch_ref_b"]
    pa, pb = GarchParams(*REF["garch_ref_pa"]), list(REF["garch_ref_pb"])
    got = [garch_loglik(a, pa), garch_loglik(a, pa, "t"), garch_loglik(b, pb, GarchDist.NORMAL),
           garch_loglik(b, pb, dist=1)]
    np.testing.assert_allclose(got, REF["garch_ref_ll"], rtol=1e-10, atol=0)
    # nu is optional for the normal model
    assert garch_loglik(a, list(pa)[:4]) == got[0]


def test_filter_matches_reference():
    a, pa = REF["garch_ref_a"], REF["garch_ref_pa"]
    f = garch_filter(a, pa)
    assert isinstance(f, GarchFilter)
    sig = REF["garch_ref_sigma_a"]
    np.testing.assert_allclose(f.sigma, sig[:-1], rtol=1e-13, atol=0)
    assert f.sigma_next == pytest.approx(sig[-1], rel=1e-13)
    np.testing.assert_allclose(f.z, (a - pa[0]) / sig[:-1], rtol=1e-12, atol=1e-14)


def test_fit_matches_scipy_and_forecasts():
    fa = garch_fit(REF["garch_ref_a"])
    assert isinstance(fa, GarchFit) and fa.converged and fa.dist == GarchDist.NORMAL
    np.testing.assert_allclose(fa.params[:4], REF["garch_ref_fit_a"], rtol=0, atol=1e-6)
    assert math.isinf(fa.params.nu) and fa.se.nu == 0
    assert fa.loglik >= REF["garch_ref_fit_ll"][0] - 1e-9
    assert all(s > 0 for s in fa.se[:4]) and all(s > 0 for s in fa.robust_se[:4])
    fb = garch_fit(REF["garch_ref_b"], "t")
    ref_b = REF["garch_ref_fit_b"]
    np.testing.assert_allclose(fb.params[:4], ref_b[:4], rtol=0, atol=1e-6)
    assert fb.params.nu == pytest.approx(ref_b[4], rel=1e-6)
    assert fb.iterations > 0
    # fixed mu
    f0 = garch_fit(REF["garch_ref_a"], mu=0.0)
    assert f0.params.mu == 0.0 and f0.se.mu == 0.0 and f0.loglik < fa.loglik
    # forecasts from the fit: the recursion of expectations
    fc = garch_forecast(fa, 50)
    assert isinstance(fc, GarchForecast)
    p = fa.params
    v, want = fa.sigma2_next, []
    for _ in range(50):
        want.append(v)
        v = p.omega + (p.alpha + p.beta) * v
    np.testing.assert_allclose(fc.var, want, rtol=1e-13)
    np.testing.assert_allclose(fc.cum, np.cumsum(want), rtol=1e-13)
    fc2 = garch_forecast(p, 3, sigma2_next=2.0)
    assert fc2.var[0] == 2.0
    with pytest.raises(TypeError):
        garch_forecast(p, 3)


def test_pandas_in_and_out():
    pd = pytest.importorskip("pandas")
    idx = pd.date_range("2024-01-01", periods=qpm_n(), freq="D")
    s = pd.Series(REF["garch_ref_a"], index=idx)
    f = garch_filter(s, REF["garch_ref_pa"])
    assert isinstance(f.sigma, pd.Series) and f.sigma.index.equals(idx)
    assert isinstance(f.z, pd.Series) and f.z.index.equals(idx)
    np.testing.assert_allclose(f.sigma.to_numpy(), REF["garch_ref_sigma_a"][:-1], rtol=1e-13)
    assert garch_fit(s).params == garch_fit(REF["garch_ref_a"]).params
    # plain lists work too
    assert garch_loglik(list(REF["garch_ref_a"]), REF["garch_ref_pa"]) == \
        garch_loglik(REF["garch_ref_a"], REF["garch_ref_pa"])


def qpm_n():
    return len(REF["garch_ref_a"])


def test_errors_are_mapped():
    a, pa = REF["garch_ref_a"], list(REF["garch_ref_pa"])
    with pytest.raises(qpm.QpmSizeError, match=r"len\(returns\) = 9: GARCH"):
        garch_loglik(a[:9], pa)
    bad = a[:20].copy()
    bad[3] = np.nan
    with pytest.raises(qpm.QpmNonFiniteError, match=r"returns\[3\] = nan: must be finite"):
        garch_fit(bad)
    with pytest.raises(qpm.QpmInvalidError, match="returns is constant"):
        garch_fit(np.full(12, 0.5))
    p = list(pa)
    p[2], p[3] = 0.5, 0.6
    with pytest.raises(qpm.QpmInvalidError, match="alpha \\+ beta"):
        garch_filter(a, p)
    p = list(pa)
    p[4] = 1.5
    with pytest.raises(qpm.QpmInvalidError, match="nu = 1.5: must be > 2"):
        garch_loglik(a, p, "t")
    garch_loglik(a, p, "normal")  # nu unread
    with pytest.raises(ValueError, match="dist"):
        garch_fit(a, "cauchy")
    with pytest.raises(ValueError, match="dist"):
        garch_fit(a, 7)
    with pytest.raises(ValueError, match="params has 3 values"):
        garch_loglik(a, pa[:3])
    with pytest.raises(TypeError):
        garch_loglik(a, 0.5)
    with pytest.raises(qpm.QpmInvalidError, match="sigma2_next = -1: must be > 0"):
        garch_forecast(pa, 3, -1.0)
    with pytest.raises(qpm.QpmSizeError, match="horizon = 0"):
        garch_forecast(pa, 0, 1.0)
    # no interior maximum: the t likelihood of these 40 returns rises toward nu -> 2
    with pytest.raises(qpm.QpmNoConvergeError, match="GARCH fit: the gradient"):
        garch_fit(REF["garch_ref_b"][:40], "t")


def test_risk_historical_garch_filter_by_hand():
    b = qpm.Book()
    b.add_underlying("BTC", 60000.0, 0.0)
    b.add_underlying("ETH", 3000.0, 0.0)
    b.add_positions(["spot", "spot"], ["BTC", "ETH"], [2.0, -30.0], [1, 1])
    ret = np.column_stack([0.02 * REF["garch_ref_a"][:400], 0.03 * REF["garch_ref_b"][:400]])
    with b, Risk(horizon_days=3, filter=RiskFilter.GARCH_T) as r:
        assert r.get(RiskKey.FILTER) == RiskFilter.GARCH_T
        assert Risk.describe(RiskKey.FILTER).labels[2] == "QPM_RISK_FILTER_GARCH_T"
        res = r.historical(b, ret, pnl=True)
        moves = np.empty_like(ret)
        for u in range(2):
            fit = garch_fit(ret[:, u], "t")
            f = garch_filter(ret[:, u], fit, "t")
            moves[:, u] = np.expm1(math.sqrt(3) * (fit.params.mu + f.sigma_next * f.z))
        np.testing.assert_allclose(res.pnl, b.pnl(moves), rtol=1e-11, atol=1e-6)
        with pytest.raises(qpm.QpmSizeError, match="GARCH filter needs at least 10"):
            r.historical(b, ret[:9])
        r.set(RiskKey.FILTER, RiskFilter.EWMA)
        plain = r.historical(b, ret, pnl=True)
        np.testing.assert_allclose(plain.pnl, b.pnl(np.expm1(math.sqrt(3) * ret)), rtol=1e-12,
                                   atol=1e-9)
