"""qpm.regime (experimental): the Markov regime-switching model against
statsmodels' MarkovRegression (the committed reference values of
tests/data/regime_statsmodels.inc, and statsmodels itself when it is
importable), pandas labels, progress and cancellation, simulation, lists
without numpy, and bad input."""
import re

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm import Risk
from qpm.regime import (RegimeFit, RegimeInit, RegimeJumps, RegimeModel, RegimeParams,
                        RegimePaths, RegimeProbabilities, prob_tol)

import conftest


def _reference():
    """The arrays of tests/data/regime_statsmodels.inc (written by
    tests/data/regime_ref.py)."""
    text = (conftest.ROOT / "tests" / "data" / "regime_statsmodels.inc").read_text()
    out = {}
    for m in re.finditer(r"static const double (\w+)(?:\[\d+\])? = \{?([^;]*?)\}?;", text):
        vals = [float(v) for v in re.split(r"[,\s]+", m.group(2)) if v]
        out[m.group(1)] = np.array(vals)
    return out


REF = _reference()
Y = REF["SM_Y"]


def _sm_model(mode=RegimeInit.ERGODIC):
    m = RegimeModel(2, 1)
    m.set_initial(mode)
    m.set_params(REF["SM_P"].reshape(2, 2), REF["SM_MU"], REF["SM_VAR"])
    return m


def test_filter_matches_the_statsmodels_reference():
    with _sm_model() as m:
        res = m.filter(Y)
        assert isinstance(res, RegimeProbabilities)
        assert abs(res.loglik - REF["SM_LLF"][0]) <= 1e-6
        assert np.max(np.abs(res.smoothed.ravel() - REF["SM_SMOOTHED"])) <= 1e-6
        assert np.max(np.abs(res.filtered.ravel() - REF["SM_FILTERED"])) <= 1e-6
        np.testing.assert_allclose(res.filtered.sum(axis=1), 1.0, rtol=0, atol=1e-14)


def test_statsmodels_directly():
    mr = pytest.importorskip("statsmodels.tsa.regime_switching.markov_regression")
    rs = np.random.RandomState(11)
    s, y = 0, np.empty(400)
    for t in range(400):
        if t and rs.uniform() > (0.96 if s == 0 else 0.9):
            s = 1 - s
        y[t] = (0.001, -0.004)[s] + (0.01, 0.035)[s] * rs.standard_normal()
    mod = mr.MarkovRegression(y, k_regimes=2, trend="c", switching_variance=True)
    np.random.seed(3)
    res = mod.fit(em_iter=100, search_reps=10, maxiter=500)
    names = mod.param_names
    P = mod.regime_transition_matrix(res.params)[:, :, 0].T  # column- to row-stochastic
    mu = [res.params[names.index("const[%d]" % k)] for k in range(2)]
    var = [res.params[names.index("sigma2[%d]" % k)] for k in range(2)]
    with RegimeModel(2, 1) as m:
        m.set_initial("ergodic")
        m.set_params(P, mu, var)
        out = m.filter(y)
        assert abs(out.loglik - res.llf) <= 1e-6
        assert np.max(np.abs(out.smoothed - res.smoothed_marginal_probabilities)) <= 1e-6
        # EM with an estimated initial distribution reaches statsmodels'
        # maximum or more (the ergodic pi is one of the distributions it
        # may choose)
        m.set_initial(RegimeInit.ESTIMATED)
        fit = m.fit(y, tol=1e-12, max_iter=5000)
        assert fit.converged and fit.loglik >= res.llf - 1e-6


def test_fit_recovers_a_simulated_series_and_orders_states_by_volatility():
    P = np.array([[0.98, 0.02], [0.04, 0.96]])
    mu = np.array([[0.001, 0.0], [-0.002, -0.003]])
    sigma = np.array([[[1e-4, 0.5e-4], [0.5e-4, 4e-4]], [[9e-4, 0], [0, 16e-4]]])
    truth = RegimeModel(2, 2)
    truth.set_params(P, mu, sigma)
    paths = truth.simulate(1, 20000, qpm.Rng(5), start=[1.0, 0.0])
    r = paths.returns[0]
    with RegimeModel(2, 2) as m:
        assert (m.k, m.d) == (2, 2)
        fit = m.fit(r, tol=1e-10)
        assert isinstance(fit, RegimeFit) and fit.converged and fit.iterations > 0
        p = m.params
        assert isinstance(p, RegimeParams)
        # 5 standard errors of each estimate over about 13000 and 7000 days
        np.testing.assert_allclose(np.diag(p.P), np.diag(P), atol=5 * np.sqrt(0.04 * 0.96 / 7000))
        np.testing.assert_allclose(p.mu, mu, atol=5 * 0.04 / np.sqrt(7000))
        np.testing.assert_allclose(p.sigma, sigma, atol=5 * 16e-4 * np.sqrt(2 / 7000))
        assert p.sigma.shape == (2, 2, 2) and p.pi.shape == (2,)
        assert m.filter(r).loglik == pytest.approx(fit.loglik, rel=1e-14)
    truth.close()


def test_pandas_in_pandas_out():
    pd = pytest.importorskip("pandas")
    idx = pd.date_range("2024-01-01", periods=len(Y), freq="D")
    with _sm_model() as m:
        for x in (pd.Series(Y, index=idx), pd.DataFrame({"BTC": Y}, index=idx)):
            res = m.filter(x)
            for f in (res.filtered, res.smoothed):
                assert isinstance(f, pd.DataFrame)
                assert f.index.equals(idx) and list(f.columns) == [0, 1]
            assert abs(res.loglik - REF["SM_LLF"][0]) <= 1e-6
        m.set_initial("estimated")
        fit = m.fit(pd.DataFrame({"BTC": Y}, index=idx))
        assert fit.loglik >= REF["SM_LLF"][0] - 1e-6


def test_initial_modes():
    with _sm_model(RegimeInit.ESTIMATED) as m:
        assert m.initial is RegimeInit.ESTIMATED
        np.testing.assert_array_equal(m.params.pi, [0.5, 0.5])
        m.set_initial(RegimeInit.FIXED, [0.2, 0.8])
        assert m.initial is RegimeInit.FIXED
        np.testing.assert_array_equal(m.params.pi, [0.2, 0.8])
        m.set_initial(2)
        P = REF["SM_P"].reshape(2, 2)
        pi = m.params.pi
        np.testing.assert_allclose(pi @ P, pi, rtol=0, atol=1e-15)
        with pytest.raises(qpm.QpmUnsupportedError, match="ergodic"):
            m.fit(Y)
        with pytest.raises(ValueError, match="unknown initial mode"):
            m.set_initial("steady")
        with pytest.raises(qpm.QpmNullError, match="pi"):
            m.set_initial("fixed")


def test_progress_and_cancel():
    seen = []
    with _sm_model(RegimeInit.ESTIMATED) as m:
        fit = m.fit(Y, max_iter=5, tol=0.0, progress=seen.append)
        assert fit.iterations == 5 and not fit.converged
        assert seen[-1] == 1.0 and len(seen) == 6
        before = m.params
        with pytest.raises(qpm.QpmCancelledError):
            m.fit(Y, max_iter=50, tol=0.0, progress=lambda done: done > 0.05)
        np.testing.assert_array_equal(m.params.P, before.P)
        m.fit(Y, max_iter=3, progress=True)  # a bar on stderr


def test_simulate_is_reproducible_and_shaped():
    with _sm_model() as m:
        start = m.filter(Y).filtered[-1]
        a = m.simulate(300, 20, qpm.Rng(9), start=start)
        b = m.simulate(300, 20, qpm.Rng(9), start=start)
        assert isinstance(a, RegimePaths)
        assert a.returns.shape == (300, 20, 1) and a.states.shape == (300, 20)
        np.testing.assert_array_equal(a.returns, b.returns)
        np.testing.assert_array_equal(a.states, b.states)
        g = qpm.Rng(9)
        c = m.simulate(300, 20, g)  # the ergodic start
        assert set(np.unique(c.states)) <= {0, 1}
        assert not np.array_equal(m.simulate(300, 20, g).returns, c.returns)  # rng advanced
        assert m.simulate(0, 5, g).returns.shape == (0, 5, 1)


def test_without_numpy_lists_in_lists_out():
    saved = _arrays.np
    _arrays.np = None
    try:
        with RegimeModel(2, 1) as m:
            m.set_params([[0.9, 0.1], [0.2, 0.8]], [0.0, 0.01], [1e-4, 9e-4])
            p = m.params
            assert p.P == [[0.9, 0.1], [0.2, 0.8]] and p.sigma == [[[1e-4]], [[9e-4]]]
            res = m.filter([0.01, -0.02, 0.03])
            assert isinstance(res.filtered, list) and len(res.filtered) == 3
            assert abs(sum(res.smoothed[1]) - 1.0) < 1e-14
            paths = m.simulate(2, 3, qpm.Rng(1))
            assert len(paths.returns) == 2 and len(paths.returns[0]) == 3
    finally:
        _arrays.np = saved


def test_prob_tol_and_repr():
    assert prob_tol() == 1e-9
    m = RegimeModel(3, 2)
    assert repr(m) == "<qpm.RegimeModel k=3 d=2>"
    m.close()
    assert repr(m) == "<qpm.RegimeModel closed>"


@pytest.mark.parametrize("call, exc, msg", [
    (lambda m: m.set_params([[0.9, 0.2], [0.2, 0.8]], [0, 0], [1, 1]), qpm.QpmInvalidError,
     r"P row 0 sums to 1\.1"),
    (lambda m: m.set_params([[1.1, -0.1], [0.2, 0.8]], [0, 0], [1, 1]), qpm.QpmInvalidError,
     r"P\[0\]\[1\] = -0\.1"),
    (lambda m: m.set_params([[0.9, 0.1], [0.2, 0.8]], [0, np.nan], [1, 1]),
     qpm.QpmNonFiniteError, r"mu\[1\]\[0\]"),
    (lambda m: m.set_params([[0.9, 0.1], [0.2, 0.8]], [0, 0], [1, 0]), qpm.QpmNotPSDError,
     r"sigma\[1\] is not positive definite"),
    (lambda m: m.set_params([[0.9, 0.1], [0.2, 0.8]], [0, 0], [1, 1, 1]), ValueError,
     r"sigma has shape"),
    (lambda m: m.fit(np.r_[Y[:3], np.inf, Y[4:]]), qpm.QpmNonFiniteError,
     r"returns\[3\]\[0\] = inf"),
    (lambda m: m.fit(Y[:7]), qpm.QpmSizeError, r"T = 7"),
    (lambda m: m.fit(Y, max_iter=-1), ValueError, r"max_iter = -1"),
    (lambda m: m.fit(np.c_[Y, Y]), ValueError, r"columns"),
    (lambda m: m.simulate(2, 2, qpm.Rng(1), start=[0.7, 0.2]), qpm.QpmInvalidError,
     r"start sums to"),
    (lambda m: m.simulate(2, 2, qpm.Rng(1), start=[1.0]), ValueError, r"start has 1 values"),
])
def test_bad_input_changes_nothing(call, exc, msg):
    with _sm_model(RegimeInit.ESTIMATED) as m:
        before = m.params
        with pytest.raises(exc, match=msg):
            call(m)
        after = m.params
        for a, b in zip(before, after):
            np.testing.assert_array_equal(a, b)


def test_bad_model():
    with pytest.raises(qpm.QpmInvalidError, match="k = 4"):
        RegimeModel(4, 1)
    with pytest.raises(qpm.QpmSizeError, match="d = 0"):
        RegimeModel(2, 0)
    with RegimeModel(2, 2) as m:
        with pytest.raises(qpm.QpmStateError, match="no parameters"):
            m.params
        with pytest.raises(qpm.QpmStateError, match="no parameters"):
            m.filter([[0.0, 0.0]])
        with pytest.raises(ValueError, match="one-dimensional but the model has 2 assets"):
            m.filter([0.0, 0.1])
        with pytest.raises(qpm.QpmNotPSDError, match=r"sigma\[0\]"):
            m.set_params(np.eye(2), np.zeros((2, 2)),
                         np.array([[[1, 2], [2, 1]], [[1, 0], [0, 1]]], dtype=float))
        # a strided P (a column slice) is copied before the call
        big = np.array([[0.9, 0.1, 7.0], [0.3, 0.7, 7.0]])
        m.set_params(big[:, :2], np.zeros((2, 2)), np.array([np.eye(2), 2 * np.eye(2)]))
        np.testing.assert_array_equal(m.params.P, big[:, :2])


# ---- jumps -----------------------------------------------------------------------------
def _jump_reference():
    """The case A arrays of tests/data/regime_jumps_ref.inc (written by
    tests/data/regime_jumps_ref.py: an independent log-space
    forward-backward in numpy)."""
    text = (conftest.ROOT / "tests" / "data" / "regime_jumps_ref.inc").read_text()
    out = {}
    for m in re.finditer(r"static const double (JA_\w+)(?:\[\d+\])? = \{?([^;]*?)\}?;", text):
        out[m.group(1)] = np.array([float(v) for v in re.split(r"[,\s]+", m.group(2)) if v])
    return out


JREF = _jump_reference()


def _jump_model():
    m = RegimeModel(3, 2)
    m.set_initial("fixed", JREF["JA_PI"])
    m.set_params(JREF["JA_P"].reshape(3, 3), JREF["JA_MU"].reshape(3, 2),
                 JREF["JA_SIGMA"].reshape(3, 2, 2))
    m.set_jumps(JREF["JA_PJ"], JREF["JA_MUJ"], JREF["JA_DJ"])
    return m


def test_jumps_filter_matches_the_numpy_reference():
    pd = pytest.importorskip("pandas")
    x = JREF["JA_X"].reshape(-1, 2)
    with _jump_model() as m:
        j = m.jumps
        assert isinstance(j, RegimeJumps)
        np.testing.assert_array_equal(j.p, JREF["JA_PJ"])
        np.testing.assert_array_equal(j.mu_j, JREF["JA_MUJ"])
        np.testing.assert_array_equal(j.delta_j, JREF["JA_DJ"])
        idx = pd.date_range("2024-01-01", periods=len(x), freq="D")
        res = m.filter(pd.DataFrame(x, index=idx, columns=["BTC", "ETH"]))
        assert isinstance(res.filtered, pd.DataFrame) and res.filtered.index.equals(idx)
        assert abs(res.loglik - JREF["JA_LL"][0]) <= 1e-10
        assert np.max(np.abs(res.filtered.to_numpy().ravel() - JREF["JA_FILTERED"])) <= 1e-10
        assert np.max(np.abs(res.smoothed.to_numpy().ravel() - JREF["JA_SMOOTHED"])) <= 1e-10
        # pandas inputs for the jumps; all p = 0 is the Gaussian model again
        m.set_jumps(pd.Series([0.0, 0.0, 0.0]), pd.Series([-0.04, -0.05], index=["BTC", "ETH"]),
                    [0.05, 0.07])
        assert m.jumps.p.tolist() == [0.0, 0.0, 0.0]
        with RegimeModel(3, 2) as g:
            g.set_initial("fixed", JREF["JA_PI"])
            g.set_params(m.params.P, m.params.mu, m.params.sigma)
            assert g.filter(x).loglik == m.filter(x).loglik


def test_fit_with_jumps_recovers_a_simulated_series():
    pd = pytest.importorskip("pandas")
    P = np.array([[0.98, 0.02], [0.05, 0.95]])
    mu = np.array([[0.001, 0.0005], [-0.003, -0.002]])
    sigma = np.array([[[1e-4, 6e-5], [6e-5, 4e-4]], [[9e-4, 1.2e-3], [1.2e-3, 25e-4]]])
    pj, muj, dj = [0.01, 0.04], [-0.05, -0.07], [0.04, 0.06]
    with RegimeModel(2, 2) as truth:
        truth.set_params(P, mu, sigma)
        truth.set_jumps(pj, muj, dj)
        r = truth.simulate(1, 20000, qpm.Rng(42), start=[1.0, 0.0]).returns[0]
    with RegimeModel(2, 2) as m:
        assert m.fit_jumps is False
        m.set_fit_jumps(True)
        assert m.fit_jumps is True
        fit = m.fit(pd.DataFrame(r, columns=["BTC", "ETH"]), tol=1e-10)
        assert fit.converged
        j = m.jumps
        # 5 standard deviations of each estimator, measured over 200 series
        # of this model (tests/test_regime_jumps.c)
        for got, want, sd in ((j.p, pj, [0.00104, 0.00465]), (j.mu_j, muj, [0.00287, 0.00498]),
                              (j.delta_j, dj, [0.00221, 0.00327]),
                              (np.diag(m.params.P), np.diag(P), [0.00143, 0.00352])):
            assert np.all(np.abs(got - np.asarray(want)) <= 5 * np.asarray(sd)), (got, want)
        # held jumps: a fit with fitting off keeps them
        m.set_fit_jumps(False)
        m.fit(r, tol=1e-10)
        np.testing.assert_array_equal(m.jumps.p, j.p)


def test_jump_simulation_and_risk_paths():
    # jumps of +-100%: a jump day stands out from every other
    P = [[0.98, 0.02], [0.05, 0.95]]
    mu = [[0.001, 0.0005], [-0.003, -0.002]]
    sigma = [[[1e-4, 6e-5], [6e-5, 4e-4]], [[9e-4, 1.2e-3], [1.2e-3, 25e-4]]]
    with RegimeModel(2, 2) as m:
        m.set_params(P, mu, sigma)
        m.set_jumps([0.03, 0.12], [1.0, -1.0], [0.02, 0.02])
        m.set_initial("ergodic")
        a = m.simulate(2000, 40, qpm.Rng(17))
        b = m.simulate(2000, 40, qpm.Rng(17))
        np.testing.assert_array_equal(a.returns, b.returns)
        dev = a.returns[..., 0] - np.asarray(mu)[a.states, 0]
        jump = np.abs(dev) > 0.5
        for k, p in enumerate([0.03, 0.12]):
            n = np.sum(a.states == k)
            assert abs(jump[a.states == k].mean() - p) <= 4.5 * np.sqrt(p * (1 - p) / n)
        # the library's path engine: the same bits for 1 and 2 threads
        book = qpm.Book()
        book.add_underlying("BTC", 60000.0, 0.0)
        book.add_underlying("ETH", 3000.0, 0.0)
        book.add_positions(["spot", "spot"], ["BTC", "ETH"], [1.0, 20.0], [1, 1])
        out = []
        for threads in (1, 2):
            with Risk(scenarios=3000, seed=4, horizon_days=5, threads=threads) as r:
                out.append(r.simulate_regime(book, m, start=[0.5, 0.5], pnl=True))
        np.testing.assert_array_equal(out[0].pnl, out[1].pnl)
        assert out[0].var == out[1].var
        book.close()


@pytest.mark.parametrize("call, exc, msg", [
    (lambda m: m.set_jumps([0.01, 1.0], [0.0], [0.1]), qpm.QpmInvalidError,
     r"p\[1\] = 1: a daily jump probability must be in \[0, 1\)"),
    (lambda m: m.set_jumps([0.01, 0.0], [0.0], [0.0]), qpm.QpmInvalidError,
     r"delta_j\[0\] = 0 while p\[0\] = 0\.01"),
    (lambda m: m.set_jumps([0.01, 0.0], [np.nan], [0.1]), qpm.QpmNonFiniteError, r"mu_j\[0\]"),
    (lambda m: m.set_jumps([0.0, 0.0], [0.0], [-1.0]), qpm.QpmInvalidError, r"delta_j\[0\] = -1"),
    (lambda m: m.set_jumps([0.01], [0.0], [0.1]), ValueError, r"p has 1 values, expected 2"),
    (lambda m: m.set_jumps([0.01, 0.0], [0.0, 0.0], [0.1]), ValueError, r"mu_j has 2 values"),
    (lambda m: m.set_fit_jumps("yes"), TypeError, r"on must be a bool"),
])
def test_bad_jumps_change_nothing(call, exc, msg):
    with _sm_model(RegimeInit.ESTIMATED) as m:
        m.set_jumps([0.02, 0.05], [-0.03], [0.04])
        before = m.jumps, m.params, m.fit_jumps
        with pytest.raises(exc, match=msg):
            call(m)
        after = m.jumps, m.params, m.fit_jumps
        for a, b in zip(before[0] + before[1], after[0] + after[1]):
            np.testing.assert_array_equal(a, b)
        assert before[2] == after[2]
