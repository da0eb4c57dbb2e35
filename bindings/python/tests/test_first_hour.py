"""What a new user meets in the first hour: broadcasting that is the same
at every entry point, implied vols of a chain with missing quotes, error
messages in Python terms, ints that are ints, handles that say what they
are, progress bars in meaningful units, pandas in / pandas out and
scikit-learn style covariance."""
import math
import sys

import numpy as np
import pytest

import qpm
from qpm import CALL, PUT, Book, Cov, Optimizer, Pricer, Risk, Rng, _progress
from conftest import load_csv

try:
    import pandas as pd
    HAVE_PANDAS = True
except ImportError:  # pragma: no cover
    HAVE_PANDAS = False
needs_pandas = pytest.mark.skipif(not HAVE_PANDAS, reason="pandas not installed")


# ---- broadcasting --------------------------------------------------------------
def test_scalars_with_an_array_of_types_broadcast_like_greeks():
    with Pricer("black76", "inverse") as p:
        got = p.price(97000.0, 100000.0, 0.1, 0.55, ["call", "put"])
        g = p.greeks(97000.0, 100000.0, 0.1, 0.55, ["call", "put"], which=["price"])
        assert isinstance(got, np.ndarray) and got.shape == (2,)
        assert np.array_equal(got, g["price"])
        assert got[0] == p.price(97000.0, 100000.0, 0.1, 0.55, "call")
        assert got[1] == p.price(97000.0, 100000.0, 0.1, 0.55, PUT)
        # every entry point: an int array of types, a tuple, numpy scalars
        types = np.array([CALL, PUT, CALL], dtype=np.int64)
        a = p.price(97000.0, 100000.0, 0.1, 0.55, types)
        assert np.array_equal(a[:2], got) and a.shape == (3,)
        assert np.array_equal(p.price(97000.0, 100000.0, 0.1, 0.55, ("c", "p")), got)
        assert np.array_equal(p.price_chain(97000.0, 0.1, 100000.0, 0.55, ["call", "put"]), got)
        assert np.array_equal(
            p.greeks_chain(97000.0, 0.1, 100000.0, 0.55, ["call", "put"])["price"], got)
        iv = p.implied_vol(got, 97000.0, 100000.0, 0.1, ["call", "put"])
        assert np.allclose(iv, 0.55, rtol=1e-12)
        iv1 = p.implied_vol(float(got[0]), 97000.0, 100000.0, 0.1, ["call"])
        assert iv1.shape == (1,)
        assert isinstance(p.price(np.float64(97000.0), 100000, 0.1, 0.55, "call"), float)
    r = qpm.risk.parametric(0.0, 1.0, [0.95, 0.99])
    assert r.var_normal.shape == (2,)
    with Book() as b:
        b.add_underlying("BTC", 97000.0)
        b.set_forward("BTC", "D", 97000.0, 0.1)
        # scalar quantity and instrument with arrays of strikes and types
        b.add_positions("inverse_option", "BTC", 1.0, expiry="D",
                        option_type=["call", "put"], strike=[100000.0, 90000.0],
                        sigma=0.55)
        assert b.n_positions == 2
        with pytest.raises(ValueError, match="elements"):
            b.add_positions("spot", "BTC", [1.0, 2.0], strike=[1.0, 2.0, 3.0])


# ---- implied vols with missing quotes ---------------------------------------------
def test_implied_vol_batch_with_missing_quotes():
    K = np.linspace(70000.0, 130000.0, 13)
    with Pricer("black76", "inverse") as p:
        prices = p.price_chain(97000.0, 30 / 365, K, 0.6, np.where(K < 97000, PUT, CALL))
        quotes = prices.copy()
        quotes[[2, 7]] = np.nan
        quotes[5] = np.inf
        quotes[9] = 5.0  # above every no-arbitrage bound of a coin price
        types = np.where(K < 97000, PUT, CALL).astype(np.int32)
        iv, st = p.implied_vol(quotes, 97000.0, K, 30 / 365, types, errors="nan",
                               return_status=True)
        bad = [2, 5, 7]
        assert np.isnan(iv[bad]).all() and (st[bad] == qpm.Status.E_NONFINITE).all()
        assert math.isnan(iv[9]) and st[9] == qpm.Status.E_ARBITRAGE
        good = [i for i in range(13) if i not in bad + [9]]
        assert np.allclose(iv[good], 0.6, rtol=1e-12) and (st[good] == 0).all()
        # errors="raise" still names the first missing quote
        with pytest.raises(qpm.QpmNonFiniteError, match=r"price\[2\]"):
            p.implied_vol(quotes, 97000.0, K, 30 / 365, types)
        # an input error in a screened batch names the caller's index
        strikes = K.copy()
        strikes[11] = -1.0
        with pytest.raises(qpm.QpmInvalidError, match=r"strike\[11\]"):
            p.implied_vol(quotes, 97000.0, strikes, 30 / 365, types, errors="nan")
        # all missing: nothing to solve, no error
        iv, st = p.implied_vol(np.full(3, np.nan), 97000.0, 100000.0, 0.1, errors="nan",
                               return_status=True)
        assert np.isnan(iv).all() and (st == qpm.Status.E_NONFINITE).all()
        # a clean batch still passes its arrays without a copy
        out = np.empty(13)
        r = p.implied_vol(prices, 97000.0, K, 30 / 365, types, out=out, errors="nan")
        assert r is out and np.allclose(out, 0.6, rtol=1e-12)


def test_implied_vol_missing_quotes_without_numpy(monkeypatch):
    from qpm import _arrays
    with Pricer("black76") as p:
        c = p.price(100.0, [90.0, 100.0, 110.0], 1.0, 0.5)
        monkeypatch.setattr(_arrays, "np", None)
        iv, st = p.implied_vol([float(c[0]), float("nan"), float(c[2])], 100.0,
                               [90.0, 100.0, 110.0], 1.0, errors="nan", return_status=True)
        assert isinstance(iv, list) and math.isnan(iv[1]) and st[1] == qpm.Status.E_NONFINITE
        assert iv[0] == pytest.approx(0.5, rel=1e-12) and iv[2] == pytest.approx(0.5, rel=1e-12)


# ---- messages in Python terms ------------------------------------------------------
def test_messages_name_python_arguments_and_settings():
    with Pricer("black76") as p:
        with pytest.raises(qpm.QpmInvalidError) as ei:
            p.price(100.0, 100.0, 1.0, 0.5, "call", 0.0, 0.01)
        e = ei.value
        assert "must be None" in e.message and "NULL" not in e.message
        assert "NULL" in e.c_message and e.c_message == qpm.last_error()
        with pytest.raises(qpm.QpmRangeError) as ei:
            p.threads = 1000
        assert ei.value.message.startswith("threads = 1000")
        assert "QPM_PRICER_THREADS" not in ei.value.message
        assert "QPM_PRICER_THREADS" in ei.value.c_message
        with pytest.raises(qpm.QpmKeyError) as ei:
            p.set("chunk", 10)
        assert "'chunk'" in ei.value.message and "QPM_" not in ei.value.message
        with pytest.raises(qpm.QpmKeyError) as ei:
            p.get(99)
        assert "not a Pricer setting" in ei.value.message
        with pytest.raises(qpm.QpmSizeError) as ei:
            p.price(np.array([]), 100.0, 1.0, 0.5)
        assert "number of options" in ei.value.message
    with Cov(3) as c:
        with pytest.raises(qpm.QpmStateError) as ei:
            c.covariance()
        assert "Cov.fit()" in ei.value.message and "qpm_" not in ei.value.message
    with pytest.raises(qpm.QpmInvalidError) as ei:
        Pricer("black76", 5)
    assert ei.value.message.startswith("settlement = 5")
    with Optimizer(n=2) as o:
        with pytest.raises(qpm.QpmStateError) as ei:
            o.min_variance()
        assert "Optimizer.set_covariance()" in ei.value.message
        o.set_covariance([[0.04, 0.0], [0.0, 0.09]])
        o.set("max_iter", 1)
        o.set_long_short()
        with pytest.raises(qpm.QpmRangeError) as ei:
            o.set("tolerance", 1.0)
        assert ei.value.message.startswith("tolerance = 1")
    with Risk() as r:
        with pytest.raises(qpm.QpmRangeError) as ei:
            r.set("alpha", 1.5)
        assert ei.value.message.startswith("alpha = 1.5")
        with Book() as b:
            b.add_underlying("BTC", 100.0)
            with pytest.raises(qpm.QpmStateError) as ei:
                r.simulate(b)
            assert "Risk.set_covariance()" in ei.value.message
    # a sweep of failing calls: no C spelling survives in any message
    fails = [lambda: Cov(0), lambda: Rng(1, 17), lambda: Pricer().set(PricerKeyThreads(), 0),
             lambda: Cov(2).set("lambda", 2.0), lambda: Cov(2).set("ewma_init_rows", 1),
             lambda: Optimizer(n=2).info(), lambda: Book().pnl([[0.1]]),
             lambda: qpm.risk.var_es([], 0.9), lambda: qpm.norm_inv([0.5, 2.0]),
             lambda: qpm.returns_from_prices([[1.0]]), lambda: Risk().set("block", 1)]
    for f in fails:
        with pytest.raises(qpm.QpmError) as ei:
            f()
        m = ei.value.message
        assert "qpm_" not in m and "QPM_" not in m and "NULL" not in m, m
        assert ei.value.c_message


def PricerKeyThreads():
    return qpm.PricerKey.THREADS


def test_error_keeps_c_message_through_pickle():
    import pickle
    try:
        Pricer("black76").price(1.0, 1.0, 1.0, 0.5, "call", 0.0, 0.1)
    except qpm.QpmError as e:
        e2 = pickle.loads(pickle.dumps(e))
        assert (e2.message, e2.c_message) == (e.message, e.c_message)


# ---- ints, reprs, sizes ---------------------------------------------------------------
def test_optimizer_info_counts_are_ints():
    with Optimizer([[0.04, 0.0], [0.0, 0.09]]) as o:
        o.min_variance()
        info = o.info()
    for k in ("iterations", "n_zero", "n_at_bound"):
        assert type(info[k]) is int, k
    assert type(info["exact"]) is bool and info["problem"] is qpm.Problem.MIN_VARIANCE
    assert type(info["volatility"]) is float


def test_repr_says_what_a_handle_is():
    with Pricer("black76", "inverse") as p:
        r = repr(p)
        assert "model=black76" in r and "settlement=inverse" in r and "threads=1" in r
    assert repr(p) == "<qpm.Pricer closed>"
    g = Rng(1, "pcg32")
    assert "kind=pcg32" in repr(g)
    g.close()
    assert "closed" in repr(g)
    c = Cov(3, method="oas")
    assert repr(c) == "<qpm.Cov n_assets=3 method=oas nobs=0>"
    c.close()
    assert repr(c) == "<qpm.Cov closed>"
    with Book(threads=2) as b:
        b.add_underlying("BTC", 1.0)
        b.add_underlying("ETH", 1.0)
        b.add_positions("spot", "BTC", 1.0)
        assert repr(b) == "<qpm.Book underlyings=[BTC, ETH] positions=1 threads=2>"
    assert "closed" in repr(b)
    with Optimizer(n=4, budget=1.0) as o:
        assert repr(o).startswith("<qpm.Optimizer n=4 budget=1")
    with Risk([[1e-4]], scenarios=5000) as r:
        assert repr(r).startswith("<qpm.Risk n_underlyings=1 scenarios=5000 alpha=0.99")
    assert "closed" in repr(r)


@pytest.mark.parametrize("bad,exc", [(2.5, TypeError), (2.0, TypeError), (True, TypeError),
                                     ("3", TypeError), (-1, ValueError),
                                     (2 ** 64 + 3, OverflowError), (np.float64(3), TypeError)])
def test_sizes_and_counts_must_be_integers(bad, exc):
    with pytest.raises(exc):
        Cov(bad)
    with pytest.raises(exc):
        Optimizer(n=bad)
    with pytest.raises(exc):
        Rng(1).uniform(bad)
    with pytest.raises(exc):
        Risk().scenarios(bad)
    with Optimizer([[1.0]]) as o:
        with pytest.raises(exc):
            o.frontier(bad)
    assert Cov(np.int64(3)).n_assets == 3  # numpy integers are integers


# ---- progress bars -------------------------------------------------------------------
def test_progress_bars_count_scenarios_and_points(capsys, monkeypatch):
    bar = _progress._TextBar("simulate", 2000, "scenario")
    bar(0.5)
    bar(1.0)
    err = capsys.readouterr().err
    assert "1000/2000 scenarios" in err and "2000/2000 scenarios" in err
    pct = _progress._TextBar("run")
    pct(0.25)
    assert "25%" in capsys.readouterr().err
    try:
        import tqdm  # noqa: F401
    except ImportError:  # pragma: no cover
        return
    made = []
    real = _progress._TqdmBar

    class Spy(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)
    monkeypatch.setattr(_progress, "_TqdmBar", Spy)
    with Risk([[1e-4]], scenarios=5000) as r, Book() as b:
        b.add_underlying("BTC", 100.0)
        b.add_positions("spot", "BTC", 1.0)
        r.simulate(b, progress=True)
    assert made[-1].bar.total == 5000 and made[-1].bar.unit == "scenario"
    assert made[-1].bar.n == 5000
    with Optimizer([[0.04, 0.0], [0.0, 0.09]], [0.1, 0.2]) as o:
        o.frontier(7, progress=True)
    assert made[-1].bar.total == 7 and made[-1].bar.unit == "point" and made[-1].bar.n == 7
    assert "‰" not in "".join(str(m.bar) for m in made)


# ---- pandas in, pandas out -----------------------------------------------------------
@needs_pandas
def test_pandas_in_pandas_out():
    idx = pd.Index(["BTC-27DEC24-100000-C", "BTC-27DEC24-90000-P"], name="instrument")
    K = pd.Series([100000.0, 90000.0], index=idx)
    ty = pd.Series(["call", "put"], index=idx)
    with Pricer("black76", "inverse") as p:
        price = p.price(97000.0, K, 0.1, 0.55, ty)
        assert isinstance(price, pd.Series) and price.index.equals(idx)
        g = p.greeks(97000.0, K, 0.1, 0.55, ty, which=["price", "delta_coin"])
        assert isinstance(g, pd.DataFrame) and list(g.columns) == ["price", "delta_coin"]
        assert g.index.equals(idx) and np.array_equal(g["price"], price)
        iv, st = p.implied_vol(price, 97000.0, K, 0.1, ty, return_status=True)
        assert isinstance(iv, pd.Series) and iv.index.equals(idx) and st.index.equals(idx)
        assert isinstance(p.price_chain(97000.0, 0.1, K, 0.55, ty), pd.Series)
        with pytest.raises(ValueError, match="different indexes"):
            p.price(97000.0, K, 0.1, pd.Series([0.5, 0.6]), ty)
    names = ["BTC", "ETH", "SOL"]
    dates = pd.date_range("2024-01-01", periods=300, freq="D", name="date")
    X = pd.DataFrame(np.random.default_rng(1).normal(0, 0.02, (300, 3)) *
                     [1.0, 1.3, 2.0], index=dates, columns=names)
    c = Cov(method="ledoit_wolf").fit(X)
    S = c.covariance()
    assert isinstance(S, pd.DataFrame) and list(S.index) == names and list(S.columns) == names
    assert isinstance(c.correlation(), pd.DataFrame)
    assert isinstance(c.volatility(), pd.Series) and list(c.volatility().index) == names
    R = qpm.returns_from_prices(np.exp(X.cumsum()))
    assert isinstance(R, pd.DataFrame) and R.index.equals(dates[1:])
    NC = qpm.nearest_correlation(c.correlation())
    assert isinstance(NC, pd.DataFrame) and list(NC.columns) == names
    mu = pd.Series([0.3, 0.1, 0.5], index=["SOL", "BTC", "ETH"])  # other order: aligned
    with Optimizer(S * 365, mu) as o:
        w = o.min_variance()
        assert isinstance(w, pd.Series) and list(w.index) == names
        assert abs(w.sum() - 1.0) < 1e-12
        f = o.frontier(4)
        assert isinstance(f.weights, pd.DataFrame) and list(f.weights.columns) == names
        assert isinstance(o.risk_contributions(), pd.Series)
        with pytest.raises(ValueError, match="labelled differently"):
            o.set_expected_returns(pd.Series([0.1, 0.2, 0.3], index=["A", "B", "C"]))
    with Book() as b, Risk(S.loc[["BTC", "ETH"], ["BTC", "ETH"]]) as r:
        b.add_underlying("BTC", 97000.0)
        b.add_underlying("ETH", 3600.0)
        b.add_positions("spot", ["BTC", "ETH"], [1.0, 10.0])
        res = r.historical(b, X[["ETH", "BTC"]], pnl=True)  # matched by name
        assert isinstance(res.pnl, pd.Series) and res.pnl.index.equals(dates)
        moves = np.expm1(X[["BTC", "ETH"]])
        assert np.allclose(res.pnl, b.pnl(moves), rtol=1e-12, atol=1e-9)
        assert isinstance(b.pnl(moves), pd.Series)
        assert r.simulate(b).var > 0
    with Book() as b, Risk(S.loc[["ETH", "BTC"], ["ETH", "BTC"]]) as r:
        b.add_underlying("BTC", 97000.0)
        b.add_underlying("ETH", 3600.0)
        with pytest.raises(ValueError, match="labelled"):
            r.simulate(b)


def test_results_are_numpy_without_pandas_inputs():
    with Pricer() as p:
        assert type(p.price([1.0, 2.0], 1.0, 1.0, 0.5)) is np.ndarray
    assert type(Cov().fit(np.eye(3) + 0.1).covariance()) is np.ndarray


def test_package_works_without_pandas(tmp_path):
    import subprocess
    import os
    from conftest import ROOT
    code = ("import sys; sys.modules['pandas'] = None\n"
            "import numpy as np, qpm\n"
            "c = qpm.Cov().fit(np.random.default_rng(0).normal(size=(50, 3)))\n"
            "assert type(c.covariance_) is np.ndarray and c.n_features_in_ == 3\n"
            "p = qpm.Pricer()\n"
            "assert type(p.price([1.0, 2.0], 1.0, 1.0, 0.5)) is np.ndarray\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python"))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ---- scikit-learn style covariance ---------------------------------------------------
def test_cov_fit_scikit_learn_style():
    X = np.loadtxt(load_csv.__globals__["REFDATA"] / "returns_public_t500_n20.csv",
                   delimiter=",", skiprows=1)
    c = Cov(method="ledoit_wolf")
    assert c.n_assets is None and not hasattr(c, "covariance_")
    assert c.fit(X) is c
    assert c.n_assets == 20 and c.n_features_in_ == 20 and c.n_samples_ == 500
    assert np.array_equal(c.covariance_, c.covariance())
    assert np.array_equal(c.location_, X.mean(axis=0)) or np.allclose(c.location_,
                                                                     X.mean(axis=0))
    assert 0 < c.shrinkage_ < 1
    try:
        from sklearn.covariance import LedoitWolf
    except ImportError:  # pragma: no cover
        LedoitWolf = None
    if LedoitWolf is not None:
        sk = LedoitWolf().fit(X)
        assert np.allclose(c.covariance_, sk.covariance_, rtol=1e-12, atol=1e-15)
        assert c.shrinkage_ == pytest.approx(sk.shrinkage_, rel=1e-10)
    s = Cov().fit(X)  # sample: no shrinkage_ attribute
    assert not hasattr(s, "shrinkage_") and s.covariance_.shape == (20, 20)
    # refitting with another width starts over, keeping the settings
    c.set("annualise", True)
    c.fit(X[:, :5])
    assert c.n_features_in_ == 5 and c.method == qpm.CovMethod.LEDOIT_WOLF
    assert c.get("annualise") == 1.0
    # streaming keeps the attributes current
    s.push(X[0])
    assert s.n_samples_ == 501
    s.reset()
    assert not hasattr(s, "covariance_")
    # the old API is unchanged
    with Cov(20, method="oas") as old:
        assert old.fit(X).covariance().shape == (20, 20)
        with pytest.raises(ValueError, match="columns"):
            old.fit(X[:, :3])


# ---- what the docs say ----------------------------------------------------------------
def test_docs_describe_what_exists():
    from conftest import ROOT
    doc = qpm.__doc__
    for name in ("Book", "Optimizer", "Risk", "Pricer", "Cov", "Rng"):
        assert name in doc
    readme = (ROOT / "bindings" / "python" / "README.md").read_text()
    assert "not there yet" not in readme and "will derive" not in readme
    import re
    pyproject = (ROOT / "pyproject.toml").read_text()
    desc = re.search(r'^description = "(.*)"', pyproject, re.M).group(1)
    for word in ("pricing", "book", "covariance", "optimi", "VaR"):
        assert word.lower() in desc.lower(), word
