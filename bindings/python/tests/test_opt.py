"""qpm.opt: the reference problems (refdata section 8), scipy SLSQP on the
same problems, constraints, the frontier with progress, errors."""
import math

import numpy as np
import pytest

import qpm
from qpm.opt import NO_GROUP, Frontier, InfoKey, Optimizer, OptKey, Problem
from conftest import REFDATA

try:
    import scipy.optimize as sopt
    HAVE_SCIPY = True
except ImportError:  # pragma: no cover
    HAVE_SCIPY = False
needs_scipy = pytest.mark.skipif(not HAVE_SCIPY, reason="scipy not installed")


@pytest.fixture(scope="module")
def ref():
    cov = np.loadtxt(REFDATA / "optim_cov_public_n20.csv", delimiter=",", skiprows=1)
    w = np.genfromtxt(REFDATA / "optim_weights_public_n20.csv", delimiter=",", names=True,
                      dtype=None, encoding="ascii")
    summ = np.genfromtxt(REFDATA / "optim_summary_public_n20.csv", delimiter=",", names=True,
                         dtype=None, encoding="ascii")
    return cov, np.asarray(w["mu"], dtype=float), w, {r["problem"]: r for r in summ}


def test_reference_problems(ref):
    cov, mu, w, summ = ref
    with Optimizer(cov, mu, gamma=5) as o:
        assert o.n == 20
        # weights 1e-14 absolute (C suite: observed 2e-16), objectives 1e-13 relative
        np.testing.assert_allclose(o.min_variance(), w["w_minvar"], rtol=0, atol=1e-14)
        inf = o.info()
        assert inf["objective"] == pytest.approx(summ["minvar"]["objective"], rel=1e-13)
        assert inf["nu"] == pytest.approx(summ["minvar"]["nu"], rel=1e-12)
        assert inf["n_zero"] == summ["minvar"]["n_zero_weights"]
        assert inf["problem"] == Problem.MIN_VARIANCE
        np.testing.assert_allclose(o.mean_variance(), w["w_mv"], rtol=0, atol=1e-14)
        o.set_bounds(0.0, 0.15)
        np.testing.assert_allclose(o.mean_variance(5.0), w["w_mv_box"], rtol=0, atol=1e-14)
        flags = o.bound_flags()
        assert list(flags) == [(-1 if x == 0 else (1 if x == 0.15 else 0)) for x in w["w_mv_box"]]
        o.set_long_short()
        o.set("gross_limit", 1.5)
        np.testing.assert_allclose(o.solve("mean_variance"), w["w_mv_longshort"], atol=1e-14)
        assert o.info()["lambda_gross"] == pytest.approx(summ["mv_longshort"]["lambda_gross"],
                                                         rel=1e-12)
        o.set(OptKey.GROSS_LIMIT, math.inf)
        np.testing.assert_allclose(o.max_sharpe(0.0), w["w_tangency"], atol=1e-14)
        assert o.info()["objective"] == pytest.approx(summ["tangency"]["objective"], rel=1e-13)
        np.testing.assert_allclose(o.erc(), w["w_erc"], atol=1e-14)
        rc = o.risk_contributions()
        np.testing.assert_allclose(rc, np.full(20, rc.sum() / 20), rtol=1e-13)


@needs_scipy
def test_against_scipy_slsqp(ref):
    """SLSQP (ftol 1e-15) is accurate to ~1e-7 on the weights here."""
    cov, mu, _, _ = ref
    n = 20
    cons = [{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones(n)}]
    res = sopt.minimize(lambda x: x @ cov @ x - 0.2 * mu @ x, np.full(n, 1.0 / n),
                        jac=lambda x: 2 * cov @ x - 0.2 * mu, bounds=[(0.0, 0.2)] * n,
                        constraints=cons, method="SLSQP", options={"ftol": 1e-15,
                                                                   "maxiter": 1000})
    assert res.success
    with Optimizer(cov, mu, gamma=10.0) as o:
        o.set_bounds(0.0, 0.2)
        w = o.mean_variance()  # same problem scaled by 1/10
        np.testing.assert_allclose(w, res.x, atol=2e-6)
        # scipy's objective is -0.2 times ours; ours is at least as good
        assert -0.2 * o.info()["objective"] <= res.fun + 1e-12


def test_frontier_monotone_and_progress(ref):
    cov, mu, _, _ = ref
    seen = []
    with Optimizer(cov, mu) as o:
        f = o.frontier(12, progress=lambda d: seen.append(d) and False)
        assert isinstance(f, Frontier)
        assert f.weights.shape == (12, 20)
        assert np.all(np.diff(f.returns) > 0) and np.all(np.diff(f.vols) > 0)
        np.testing.assert_allclose(f.weights.sum(axis=1), 1.0, atol=1e-14)
        # one call after each point, the first after point 0
        assert len(seen) == 12 and seen[0] == 1 / 12 and seen[-1] == 1.0
        with pytest.raises(qpm.QpmCancelledError):
            o.frontier(12, progress=lambda d: True)
        with pytest.raises(ZeroDivisionError):
            o.frontier(5, progress=lambda d: 1 / 0)
        o.frontier(3, progress=True)


def test_constraints(ref):
    cov, mu, _, _ = ref
    with Optimizer(n=20) as o:
        o.set_covariance(cov)
        o.set_expected_returns(mu)
        groups = [i % 2 for i in range(20)]
        groups[0] = None
        o.set_groups(groups, [0.3, 0.0], [0.4, 1.0])
        w = o.min_variance()
        assert 0.3 - 1e-14 <= w[2::2].sum() <= 0.4 + 1e-14
        o.set_groups([], [], [])
        o.set_linear(np.ones((1, 20)) * (np.arange(20) < 5), [0.2], [np.inf])
        w = o.min_variance()
        assert w[:5].sum() >= 0.2 - 1e-14
        o.set_linear(np.zeros((0, 20)), [], [])
        w0 = np.full(20, 0.05)
        o.set_current(w0)
        o.set("turnover_limit", 0.3)
        w = o.target_return(0.35)
        assert np.abs(w - w0).sum() <= 0.3 + 1e-13
        assert o.info()["exp_return"] == pytest.approx(0.35, rel=1e-14)
        # the largest return this turnover allows is about 0.383
        with pytest.raises(qpm.QpmInfeasibleError, match="not attainable"):
            o.target_return(0.4)
        o.target_return(0.35)
        o.set("turnover_limit", math.inf)
        w = o.target_risk(0.35)
        assert o.info()["volatility"] == pytest.approx(0.35, rel=1e-12)
        assert o.get(OptKey.VOL_TARGET) == 0.35
        assert Optimizer.bounds("gamma")[0] > 0
        assert InfoKey.NU == 7


def test_errors(ref):
    cov, mu, _, _ = ref
    with pytest.raises(qpm.QpmSizeError):
        Optimizer(n=0)
    with pytest.raises(ValueError):
        Optimizer()
    o = Optimizer(n=3)
    with pytest.raises(qpm.QpmStateError):
        o.min_variance()
    bad = np.diag([1.0, 1.0, 1.0])
    bad[0, 1] = bad[1, 0] = 2.0
    with pytest.raises(qpm.QpmNotPSDError, match="smallest eigenvalue"):
        o.set_covariance(bad)
    with pytest.raises(qpm.QpmNonFiniteError):
        o.set_covariance(np.full((3, 3), np.nan))
    o.set_covariance(np.eye(3))
    with pytest.raises(qpm.QpmInfeasibleError, match="budget"):
        o.set_bounds(0.0, 0.2)
    o.set("gross_limit", 0.5)
    with pytest.raises(qpm.QpmInfeasibleError):
        o.min_variance()
    o.set("gross_limit", math.inf)
    np.testing.assert_allclose(o.min_variance(), np.full(3, 1 / 3), atol=1e-15)
    with pytest.raises(qpm.QpmStateError):
        o.max_sharpe()
    o.close()
    o.close()


@needs_scipy
def test_min_cvar_against_linprog(ref):
    """The Rockafellar-Uryasev LP solved by scipy's HiGHS on the same data:
    same optimal CVaR to 1e-9 (HiGHS's tolerance)."""
    cov, mu, _, _ = ref
    rng = np.random.default_rng(5)
    T, n = 120, 20
    R = rng.multivariate_normal(mu / 365, cov / 365, size=T)
    alpha = 0.9
    with Optimizer(cov, mu) as o:
        o.set_scenarios(R)
        w = o.min_cvar(alpha)
        got = o.info()["objective"]
        assert o.get("cvar_alpha") == alpha
        o.set_scenarios(np.zeros((0, n)))
        with pytest.raises(qpm.QpmStateError):
            o.min_cvar()
    # variables (w, z, u): min z + sum u / ((1 - alpha) T)
    c = np.concatenate([np.zeros(n), [1.0], np.full(T, 1.0 / ((1 - alpha) * T))])
    A = np.hstack([-R, -np.ones((T, 1)), -np.eye(T)])
    res = sopt.linprog(c, A_ub=A, b_ub=np.zeros(T),
                       A_eq=np.concatenate([np.ones(n), [0.0], np.zeros(T)])[None, :],
                       b_eq=[1.0], bounds=[(0, None)] * n + [(None, None)] + [(0, None)] * T,
                       method="highs")
    assert res.status == 0
    assert got == pytest.approx(res.fun, rel=1e-9, abs=1e-12)
    losses = np.sort(-(R @ w))[::-1]
    k = int(round((1 - alpha) * T))
    assert got == pytest.approx(losses[:k].mean(), rel=1e-12)
