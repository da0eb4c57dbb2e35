"""qpm.risk: VaR/ES and moments against the reference data and numpy;
parametric and delta-gamma formulas; the Monte Carlo engine on a book
(scenario statistics, simulate against the book's own P&L, progress,
cancellation, historical simulation) and error mapping.

Tolerances as in refdata README section 9: historical VaR exact, ES and
parametric values 1e-12 relative (moments likewise)."""
import numpy as np
import pytest

import qpm
from qpm.risk import (DeltaGamma, Moments, Parametric, Risk, RiskKey, RiskResult, VarEs,
                      central_moments, delta_gamma, moments, parametric, var_es)
from conftest import REFDATA, SANITIZE, load_csv


def _losses(sample):
    return load_csv("var_losses_public_%s.csv" % sample).col("loss")


def _rel(a, b, tol):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert np.all(np.abs(a - b) <= tol * np.abs(b)), (a, b)


def test_var_es_reference_rows():
    res = load_csv("var_results_public.csv")
    for s, a, v, e in zip(res.str("sample"), res.col("alpha"), res.col("var_hist"),
                          res.col("es_hist")):
        x = _losses(s)
        r = var_es(x, a)
        assert isinstance(r, VarEs) and isinstance(r.var, float)
        assert r.var == v
        _rel(r.es, e, 1e-12)
        assert r.var_se >= 0 and r.es_se >= 0
        # numpy's inverted_cdf quantile is the same VaR (README)
        assert np.quantile(x, a, method="inverted_cdf") == r.var
    # several levels at once, in any order
    x = _losses("B")
    r = var_es(x, [0.99, 0.95])
    assert r.var.shape == (2,)
    assert r.var[1] == var_es(x, 0.95).var


def test_moments_reference_and_numpy():
    m = load_csv("var_moments_public.csv")
    for s, mu, sd, sk, ku in zip(m.str("sample"), m.col("mean"), m.col("std_ddof1"),
                                 m.col("skew_g1"), m.col("exkurt_g2")):
        x = _losses(s)
        got = moments(x)
        assert isinstance(got, Moments)
        _rel(got, [mu, sd, sk, ku], 1e-12)
        m2, m3, m4 = central_moments(x)
        d = x - x.mean()
        _rel([m2, m3, m4], [np.mean(d ** 2), np.mean(d ** 3), np.mean(d ** 4)], 1e-10)


def test_parametric_reference_rows():
    p = load_csv("var_param_public.csv")
    got = parametric(p.col("mu"), p.col("sigma"), p.col("alpha"), p.col("skew"), p.col("exkurt"))
    assert isinstance(got, Parametric)
    _rel(got.var_normal, p.col("var_normal"), 1e-12)
    _rel(got.es_normal, p.col("es_normal"), 1e-12)
    _rel(got.var_cf, p.col("var_cf"), 1e-12)
    one = parametric(0.0, 1.0, 0.975)
    assert isinstance(one.var_normal, float)
    assert abs(one.var_normal - 1.959963984540054) < 1e-15
    assert one.var_cf == one.var_normal


def test_delta_gamma_one_underlying():
    d, g, c, h = 1500.0, -40000.0, 0.0009, 2.0
    s2 = c * h
    r = delta_gamma([d], [g], [[c]], 0.99, h)
    assert isinstance(r, DeltaGamma)
    _rel(r.mean, -g * s2 / 2, 1e-14)
    _rel(r.std, np.sqrt(d * d * s2 + g * g * s2 * s2 / 2), 1e-14)
    _rel(r.var_delta_normal, qpm.norm_inv(0.99) * d * np.sqrt(s2), 1e-14)
    with pytest.raises(ValueError):
        delta_gamma([1.0, 2.0], [1.0], [[1.0]])


def _book():
    b = qpm.Book()
    b.add_underlying("BTC", 60000.0, 0.05)
    b.add_underlying("ETH", 3000.0, 0.05)
    b.set_forward("BTC", 0, 60500.0, 30 / 365)
    b.set_forward("ETH", 0, 3020.0, 30 / 365)
    b.add_positions(["spot", "spot", "linear_option", "inverse_option"],
                    ["BTC", "ETH", "BTC", "ETH"], [1.5, 20.0, 10.0, -25.0], [1, 1, 1, 1],
                    expiry=[None, None, 0, 0], option_type=[None, None, "put", "call"],
                    strike=[np.nan, np.nan, 55000.0, 3500.0], sigma=[np.nan, np.nan, 0.6, 0.7])
    return b


COV = np.array([[0.03 ** 2, 0.75 * 0.03 * 0.045], [0.75 * 0.03 * 0.045, 0.045 ** 2]])


def test_risk_settings_and_scenarios():
    with Risk(COV, scenarios=20000, seed=3, horizon_days=2) as r:
        assert r.n_underlyings == 2
        assert r.get("scenarios") == 20000 and r.get(RiskKey.SEED) == 3
        assert Risk.bounds(RiskKey.ALPHA)[1] < 1.0
        assert r.get(RiskKey.BLOCK) == 4096
        sp, vo = r.scenarios(20000)
        assert sp.shape == (20000, 2) and np.all(vo == 0.0)
        c = np.cov(np.log1p(sp).T) / 2
        # 20000 draws: standard error of each entry < 1.2 % of the variances
        assert np.allclose(c, COV, rtol=0.06, atol=0)
        r.set("vol_of_vol", 0.1)
        sp2, vo2 = r.scenarios(100)
        # the first scenario draws its returns before its vol factor
        assert np.array_equal(sp2[0], sp[0])
        assert np.all(vo2[:, 0] == vo2[:, 1]) and np.any(vo2 != 0.0)
        with pytest.raises(qpm.QpmRangeError):
            r.set("t_dof", 1.5)
        with pytest.raises(qpm.QpmNotPSDError):
            r.set_covariance([[1.0, 2.0], [2.0, 1.0]])
        with pytest.raises(ValueError):
            r.set_covariance(np.zeros((2, 3)))
        with pytest.raises(ValueError):
            r.scenarios(-1)
    r = Risk()
    assert r.n_underlyings == 0
    with pytest.raises(qpm.QpmStateError):
        r.scenarios(10)
    r.close()


def test_simulate_matches_book_pnl_and_progress():
    n = 3000 if SANITIZE else 70000
    with _book() as b, Risk(COV, scenarios=n, t_dof=5, alpha=0.99) as r:
        seen = []
        res = r.simulate(b, progress=lambda d: seen.append(d), pnl=True)
        assert isinstance(res, RiskResult) and res.n == n and res.alpha == 0.99
        assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
        sp, _ = r.scenarios(n)
        pnl = b.pnl(sp)
        assert np.array_equal(pnl, res.pnl)
        ref = var_es(-pnl, 0.99)
        assert (res.var, res.es, res.var_se, res.es_se) == tuple(ref)
        # numpy agrees on the VaR
        assert res.var == np.quantile(-pnl, 0.99, method="inverted_cdf")
        # cancel, then reuse
        with pytest.raises(qpm.QpmCancelledError):
            r.simulate(b, progress=lambda d: d > 0)
        again = r.simulate(b)
        assert again.var == res.var and again.pnl is None
        # threads give the same numbers
        r.set("threads", 2)
        assert r.simulate(b).var == res.var
        # an exception in the callback is re-raised
        def boom(d):
            raise KeyError("stop")
        with pytest.raises(KeyError):
            r.simulate(b, progress=boom)


def test_historical_simulation():
    rng = np.random.default_rng(1)
    ret = rng.multivariate_normal([0, 0], COV, size=500)
    with _book() as b, Risk(horizon_days=1) as r:
        res = r.historical(b, ret, pnl=True)
        assert res.n == 500
        assert np.allclose(res.pnl, b.pnl(np.expm1(ret)), rtol=1e-12, atol=1e-9)
        r.set(RiskKey.EWMA_LAMBDA, 0.94)
        fhs = r.historical(b, ret, progress=True)
        assert fhs.pnl is None and np.isfinite(fhs.var)
        with pytest.raises(qpm.QpmNonFiniteError):
            r.historical(b, np.full((3, 2), np.nan))


def test_bad_input_maps_to_errors():
    with pytest.raises(qpm.QpmInvalidError):
        var_es([1.0, 2.0], 1.0)
    with pytest.raises(qpm.QpmSizeError):
        var_es([], 0.9)
    with pytest.raises(qpm.QpmNonFiniteError):
        moments([1.0, np.inf])
    with pytest.raises(qpm.QpmInvalidError):
        parametric(0.0, -1.0, 0.99)
    with pytest.raises(qpm.QpmKeyError):
        Risk().set(RiskKey.BLOCK, 4096)


def test_risk_grid_revaluation_against_exact():
    b = _book()
    with b, Risk(COV, scenarios=20000, seed=9, t_dof=4, vol_of_vol=0.05) as r:
        with pytest.raises(qpm.QpmStateError, match="no grid run"):
            r.grid_error()
        exact = r.simulate(b, pnl=True)
        with pytest.raises(qpm.QpmStateError):
            r.grid_error()
        r.set(RiskKey.REVALUATION, qpm.RiskRevaluation.GRID)
        assert r.get(RiskKey.REVALUATION) == qpm.RiskRevaluation.GRID
        assert Risk.describe(RiskKey.REVALUATION).labels[1] == "QPM_RISK_REVALUE_GRID"
        grid = r.simulate(b, pnl=True)
        bound = r.grid_error()
        err = np.max(np.abs(np.asarray(grid.pnl) - np.asarray(exact.pnl)))
        assert 0.0 < err <= bound
        assert abs(grid.var / exact.var - 1.0) < 1e-6
        assert abs(grid.es / exact.es - 1.0) < 1e-6
    with _book() as b2, Risk(COV, scenarios=1000, revaluation=qpm.RiskRevaluation.GRID,
                             grid_tol=1e-9) as r:
        r.simulate(b2)
        assert r.grid_error() > 0.0
        precise = r.scenarios(100)
        r.set(RiskKey.NORMALS, qpm.RiskNormals.FAST)
        fast = r.scenarios(100)
        d = np.abs(np.log1p(fast[0]) - np.log1p(precise[0])) / (np.abs(np.log1p(precise[0])) + 0.01)
        assert 0.0 < d.max() < 1e-12
        # ziggurat normals: another sample of the same distribution, the
        # same for any thread count, and the grid within its bound of exact
        r.set(RiskKey.NORMALS, qpm.RiskNormals.ZIGGURAT)
        assert r.get(RiskKey.NORMALS) == qpm.RiskNormals.ZIGGURAT
        assert Risk.describe(RiskKey.NORMALS).labels[2] == "QPM_RISK_NORMALS_ZIGGURAT"
        zig = r.scenarios(20000)[0]
        assert not np.allclose(zig[:100], precise[0])
        ret = np.log1p(np.asarray(zig))
        sd = np.sqrt(np.diag(COV))
        z = ret / sd  # Student-t(4) scaled to unit variance: sd 1 within sampling error
        assert np.all(np.abs(z.std(axis=0) - 1.0) < 0.05)
        r.set(RiskKey.THREADS, 2)
        assert np.array_equal(np.asarray(r.scenarios(20000)[0]), np.asarray(zig))
        grid = r.simulate(b2, pnl=True)
        r.set(RiskKey.REVALUATION, qpm.RiskRevaluation.EXACT)
        exact = r.simulate(b2, pnl=True)
        r.set(RiskKey.REVALUATION, qpm.RiskRevaluation.GRID)
        grid = r.simulate(b2, pnl=True)
        err = np.max(np.abs(np.asarray(grid.pnl) - np.asarray(exact.pnl)))
        assert err <= r.grid_error()


def test_risk_heston_paths():
    b = _book()
    with b, Risk(COV, scenarios=4000, seed=2, horizon_days=5) as r:
        with pytest.raises(qpm.QpmStateError, match="qpm_risk_set_heston"):
            r.simulate_paths(b)
        r.set_heston([0.36, 0.64], 3.0, [0.4, 0.7], 0.8, [-0.5, -0.3])
        res = r.simulate_paths(b, steps_per_day=2, pnl=True, worst=True)
        assert res.days == 5 and res.n == 4000 and res.alpha == 0.99
        assert res.es >= res.var > 0
        assert np.all(np.asarray(res.worst) <= np.asarray(res.pnl))
        again = r.simulate_paths(b, steps_per_day=2, pnl=True)
        assert np.array_equal(np.asarray(again.pnl), np.asarray(res.pnl))
        with pytest.raises(qpm.QpmInvalidError, match="rho"):
            r.set_heston(0.3, 1.0, 0.3, 0.5, 1.0)
        r.set_heston(None, None, None, None, None)
        with pytest.raises(qpm.QpmStateError):
            r.simulate_paths(b)


def test_risk_regime_paths():
    from qpm.regime import RegimeModel
    b = _book()
    m = RegimeModel(2, 2)
    m.set_params([[0.95, 0.05], [0.1, 0.9]], [[5e-4, 3e-4], [-2e-3, -3e-3]],
                 [[[4e-4, 2e-4], [2e-4, 9e-4]], [[16e-4, 10e-4], [10e-4, 36e-4]]])
    with b, m, Risk(scenarios=3000, seed=4, horizon_days=4) as r:
        calm = r.simulate_regime(b, m, start=[1.0, 0.0], pnl=True, worst=True)
        storm = r.simulate_regime(b, m, start=[0.0, 1.0])
        assert storm.var > calm.var > 0
        assert np.all(np.asarray(calm.worst) <= np.asarray(calm.pnl))
        with pytest.raises(TypeError):
            r.simulate_regime(b, "model")
