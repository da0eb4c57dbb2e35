"""qpm.pricing: golden values for every row of the reference files, scipy
cross-checks, chain/batch/scalar agreement, errors, settings."""
import math

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm.pricing import (CALL, GREEKS, PUT, Kernel, Model, Pricer, PricerKey, Settlement)
from conftest import SANITIZE, load_csv

try:
    import scipy.optimize
    import scipy.stats
    HAVE_SCIPY = True
except ImportError:  # pragma: no cover
    HAVE_SCIPY = False
needs_scipy = pytest.mark.skipif(not HAVE_SCIPY, reason="scipy not installed")

# Reference tolerance of the refdata README (section 0):
#   |got - expected| <= 1e-9 |expected| + 1e-12 * scale,
# scale = S (or F) for price, vega, theta, rho, rho_q, volga; 1 for delta,
# vanna, charm and coin quantities; 1/S for gamma.  The expected values are
# the exact results rounded once, so this bounds the library's own error.
SCALE_U = {"price", "vega", "theta", "rho", "rho_q", "volga", "price_usd", "gamma_usd",
           "vega_usd", "theta_usd"}
SCALE_1 = {"delta", "vanna", "charm", "delta_coin", "delta_b76", "price_coin"}


def _check(got, want, u, name, ids):
    if name in SCALE_U:
        scale = u
    elif name == "gamma" or name == "gamma_usd":
        scale = 1.0 / u
    else:
        scale = np.ones_like(u)
    tol = 1e-9 * np.abs(want) + 1e-12 * scale
    bad = ~(np.abs(got - want) <= tol)
    # +-inf / 0 limits must match exactly
    same = (got == want)
    bad &= ~same
    assert not bad.any(), "%s: rows %s got %s want %s" % (
        name, ids[bad][:5], got[bad][:5], want[bad][:5])


def _types(csv):
    return np.where(np.array(csv.str("type")) == "call", CALL, PUT).astype(np.int32)


def test_bsm_golden_every_row():
    c = load_csv("bsm_public.csv")
    S = c.col("S")
    with Pricer(Model.BSM) as p:
        g = p.greeks(S, c.col("K"), c.col("T"), c.col("sigma"), _types(c), c.col("r"),
                     c.col("q"))
    for name in ("price", "delta", "gamma", "vega", "theta", "rho", "rho_q", "vanna",
                 "volga", "charm"):
        _check(g[name], c.col(name), S, name, c.col("case_id"))
    assert np.array_equal(g["price_usd"], g["price"])
    assert len(c) == 624


def test_black76_golden_every_row():
    c = load_csv("black76_public.csv")
    F = c.col("F")
    with Pricer("black76") as p:
        g = p.greeks(F, c.col("K"), c.col("T"), c.col("sigma"), _types(c), c.col("r"))
    for name in ("price", "delta", "gamma", "vega", "theta", "rho", "vanna", "volga", "charm"):
        _check(g[name], c.col(name), F, name, c.col("case_id"))
    assert not g["rho_q"].any()


def test_inverse_golden_every_row():
    c = load_csv("inverse_public.csv")
    F = c.col("F")
    with Pricer("black76", "inverse") as p:
        assert p.settlement == Settlement.INVERSE
        g = p.greeks(F, c.col("K"), c.col("T"), c.col("sigma"), _types(c),
                     c.col("r"))
    pairs = {"price": "price_coin", "price_usd": "price_usd", "delta": "delta_b76",
             "delta_coin": "delta_coin", "gamma": "gamma_usd", "vega": "vega_usd",
             "theta": "theta_usd"}
    for mine, ref in pairs.items():
        _check(g[mine], c.col(ref), F, ref, c.col("case_id"))


def test_implied_vol_golden_every_row():
    c = load_csv("iv_public.csv")
    ok = np.array(c.str("status")) == "ok"
    with Pricer("black76") as p:
        sig, st = p.implied_vol(c.col("price"), c.col("F"), c.col("K"), c.col("T"),
                                _types(c), c.col("r"), errors="nan", return_status=True)
        # pass criterion of the refdata README section 4
        err = np.abs(sig[ok] - c.col("sigma")[ok])
        assert (err <= c.col("sigma_tol")[ok]).all(), c.col("case_id")[ok][err > c.col("sigma_tol")[ok]]
        assert np.isnan(sig[~ok]).all()
        assert (st[~ok] == qpm.Status.E_ARBITRAGE).all() and (st[ok] == 0).all()
        first_bad = int(np.flatnonzero(~ok)[0])
        with pytest.raises(qpm.QpmArbitrageError) as ei:
            p.implied_vol(c.col("price"), c.col("F"), c.col("K"), c.col("T"), _types(c),
                          c.col("r"))
        assert "[%d]" % first_bad in ei.value.message
    assert ok.sum() > 300 and (~ok).sum() > 10


def test_scalar_batch_and_chain_bit_identical():
    rng = np.random.default_rng(1)
    n = 257
    K = rng.uniform(50, 150, n)
    sig = rng.uniform(0.1, 2.0, n)
    ty = np.where(rng.random(n) < 0.5, CALL, PUT).astype(np.int32)
    for model, q in ((Model.BSM, 0.03), (Model.BLACK76, None), (Model.BACHELIER, None)):
        with Pricer(model) as p:
            s = sig * (100 if model == Model.BACHELIER else 1)
            batch = p.price(100.0, K, 0.7, s, ty, 0.02, q)
            chain = p.price_chain(100.0, 0.7, K, s, ty, 0.02, q or 0.0)
            assert np.array_equal(batch, chain)
            for i in range(0, n, 16):
                assert p.price(100.0, float(K[i]), 0.7, float(s[i]), int(ty[i]), 0.02,
                               q) == batch[i]
            gb = p.greeks(100.0, K, 0.7, s, ty, 0.02, q)
            gc = p.greeks_chain(100.0, 0.7, K, s, ty, 0.02, q or 0.0)
            for k in GREEKS:
                assert np.array_equal(gb[k], gc[k]), k
            one = p.greeks(100.0, float(K[3]), 0.7, float(s[3]), int(ty[3]), 0.02, q)
            assert isinstance(one["delta"], float) and one["delta"] == gb["delta"][3]
            assert p.price_chain(100.0, 0.7, float(K[3]), float(s[3]), int(ty[3]), 0.02,
                                 q or 0.0) == batch[3]


@needs_scipy
def test_bsm_and_bachelier_match_scipy_closed_forms():
    N = scipy.stats.norm.cdf
    npdf = scipy.stats.norm.pdf
    rng = np.random.default_rng(7)
    n = 500
    S = rng.uniform(100, 1e5, n)
    K = S * np.exp(rng.uniform(-0.5, 0.5, n))
    T = rng.uniform(0.01, 3, n)
    r = rng.uniform(-0.01, 0.08, n)
    q = rng.uniform(-0.05, 0.1, n)
    v = rng.uniform(0.1, 2.5, n)
    d1 = (np.log(S / K) + (r - q + v * v / 2) * T) / (v * np.sqrt(T))
    d2 = d1 - v * np.sqrt(T)
    call = S * np.exp(-q * T) * N(d1) - K * np.exp(-r * T) * N(d2)
    with Pricer("bsm") as p:
        got = p.price(S, K, T, v, "call", r, q)
    # scipy's double-precision closed form loses a few digits to cancellation
    # in the call formula; 1e-9 relative plus 1e-12 S covers it.
    assert np.allclose(got, call, rtol=1e-9, atol=1e-12 * S.max())
    F = S
    sn = v * S  # normal vol in price units
    d = (F - K) / (sn * np.sqrt(T))
    bach = np.exp(-r * T) * ((F - K) * N(d) + sn * np.sqrt(T) * npdf(d))
    with Pricer("bachelier") as p:
        got = p.price(F, K, T, sn, CALL, r)
        assert np.allclose(got, bach, rtol=1e-9, atol=1e-12 * F.max())
        back = p.implied_vol(got, F, K, T, CALL, r)
        assert np.allclose(back, sn, rtol=1e-9)


@needs_scipy
def test_implied_vol_matches_scipy_root_finding():
    with Pricer("black76") as p:
        for K, sigma, t in ((90.0, 0.3, "put"), (100.0, 0.8, "call"), (150.0, 1.5, "call")):
            price = p.price(100.0, K, 0.5, sigma, t, 0.01)
            root = scipy.optimize.brentq(lambda s: p.price(100.0, K, 0.5, s, t, 0.01) - price,
                                         1e-4, 5.0, xtol=1e-15, rtol=1e-15)
            iv = p.implied_vol(price, 100.0, K, 0.5, t, 0.01)
            assert isinstance(iv, float)
            assert iv == pytest.approx(root, rel=1e-10) and iv == pytest.approx(sigma, rel=1e-10)
    with Pricer("bsm", "inverse") as p:
        price = p.price(100.0, 110.0, 1.0, 0.7, "call", 0.02, 0.01)
        assert p.implied_vol(price, 100.0, 110.0, 1.0, "call", 0.02, 0.01) == \
            pytest.approx(0.7, rel=1e-10)


def test_implied_vol_scalar_errors():
    with Pricer("black76") as p:
        with pytest.raises(qpm.QpmArbitrageError):
            p.implied_vol(200.0, 100.0, 100.0, 1.0, "call")
        s, st = p.implied_vol(200.0, 100.0, 100.0, 1.0, "call", errors="nan",
                              return_status=True)
        assert math.isnan(s) and st == qpm.Status.E_ARBITRAGE
        with pytest.raises(qpm.QpmNonFiniteError):  # input errors always raise
            p.implied_vol(1.0, math.nan, 100.0, 1.0, errors="nan")
        # a missing price is a result with errors="nan" (a missing quote)
        s, st = p.implied_vol(math.nan, 100.0, 100.0, 1.0, errors="nan", return_status=True)
        assert math.isnan(s) and st == qpm.Status.E_NONFINITE
        with pytest.raises(qpm.QpmNonFiniteError):
            p.implied_vol(math.nan, 100.0, 100.0, 1.0)
        with pytest.raises(ValueError):
            p.implied_vol(1.0, 100.0, 100.0, 1.0, errors="ignore")
        out = np.empty(2)
        r = p.implied_vol([5.0, 6.0], 100.0, 100.0, 1.0, out=out)
        assert r is out and (out > 0).all()


def test_errors_name_element_and_leave_outputs():
    with Pricer("bsm") as p:
        out = np.full(3, 7.0)
        with pytest.raises(qpm.QpmInvalidError) as ei:
            p.price([100.0, 100, 100], [100.0, -5.0, 90.0], 1.0, 0.5, out=out)
        e = ei.value
        assert isinstance(e, ValueError) and e.status == 2 and e.name == "QPM_E_INVALID"
        assert "strike[1]" in e.message and e.message == qpm.last_error()
        assert (out == 7.0).all()  # untouched
        with pytest.raises(qpm.QpmNonFiniteError) as ei:
            p.price(100.0, 100.0, 1.0, math.nan)
        assert "sigma" in ei.value.message
        with pytest.raises(qpm.QpmInvalidError):
            p.price(100.0, 100.0, 1.0, 0.5, 0)  # bad type code
        with pytest.raises(qpm.QpmSizeError):
            p.price(np.array([]), 100.0, 1.0, 0.5)
        with pytest.raises(ValueError, match="call"):
            p.price(100.0, 100.0, 1.0, 0.5, "straddle")
        with pytest.raises(ValueError, match="elements"):
            p.price([1.0, 2.0], [1.0, 2.0, 3.0], 1.0, 0.5)
        # the handle stays usable
        assert p.price(100.0, 100.0, 1.0, 0.5) > 0
    with Pricer("black76") as p:
        with pytest.raises(qpm.QpmUsageError):
            p.price(100.0, 100.0, 1.0, 0.5, CALL, 0.0, 0.01)  # q with a forward model
    with pytest.raises(qpm.QpmUnsupportedError):
        Pricer("bachelier", "inverse")
    with pytest.raises(qpm.QpmInvalidError):
        Pricer(7)
    with pytest.raises(ValueError):
        Pricer("heston")


def test_settings_threads_kernel_bounds():
    with Pricer("bsm") as p:
        assert p.model == Model.BSM and p.settlement == Settlement.LINEAR
        assert p.threads == 1
        lo, hi = Pricer.bounds(PricerKey.THREADS)
        assert lo == 1 and hi == qpm.max_threads()
        assert p.bounds("chunk") == (p.get("chunk"), p.get("chunk"))
        with pytest.raises(qpm.QpmKeyError):
            p.set(PricerKey.CHUNK, 10)  # read-only
        with pytest.raises(qpm.QpmKeyError):
            p.get(99)
        with pytest.raises(qpm.QpmRangeError):
            p.threads = 0
        with pytest.raises(ValueError):
            p.set("no_such_key", 1)
        n = 20000
        rng = np.random.default_rng(3)
        args = (rng.uniform(50, 150, n), 100.0, rng.uniform(0.01, 2, n),
                rng.uniform(0.1, 1.5, n), CALL, 0.01, 0.0)
        one = p.greeks(*args)
        p.threads = 3
        p.set("par_min", 1000)
        assert p.threads == 3 and p.get(PricerKey.PAR_MIN) == 1000
        three = p.greeks(*args)
        for k in GREEKS:
            assert np.array_equal(one[k], three[k]), k  # bit-identical
        p.kernel = Kernel.SCALAR
        assert p.kernel == Kernel.SCALAR
        scalar = p.price(*args)
        assert np.allclose(scalar, one["price"], rtol=1e-13, atol=1e-13)
        usable = [Kernel.SCALAR]
        for k in (Kernel.AVX2, Kernel.AVX512):
            try:
                p.kernel = k.name.lower()
            except qpm.QpmUnsupportedError as e:  # this CPU lacks it
                assert e.message
                continue
            usable.append(k)
            assert p.kernel == k
            # vector kernels agree with the scalar one to a few ulp
            assert np.allclose(p.price(*args), scalar, rtol=1e-13, atol=1e-13)
        if qpm.cpu_features() & qpm.CpuFeature.AVX2 and qpm.cpu_features() & qpm.CpuFeature.FMA:
            assert Kernel.AVX2 in usable
        p.kernel = Kernel.AUTO
        assert p.kernel == max(usable)
    with Pricer("black76", threads=2) as p:
        assert p.threads == 2


def test_out_arrays_written_in_place_and_zero_copy_inputs():
    with Pricer("black76") as p:
        F = np.linspace(90.0, 110.0, 11)
        assert qpm._arrays.input_address(F) == F.ctypes.data
        out = np.empty(11)
        r = p.price(F, 100.0, 1.0, 0.5, out=out)
        assert r is out
        d = {"delta": np.empty(11), "gamma": np.empty(11)}
        g = p.greeks(F, 100.0, 1.0, 0.5, which=["price"], out=d)
        assert g["delta"] is d["delta"] and set(g) == {"price", "delta", "gamma"}
        assert np.array_equal(g["price"], out)
        ty = np.full(11, PUT, dtype=np.int32)
        assert qpm._arrays.input_address(ty, "int32") == ty.ctypes.data
        c = p.greeks_chain(100.0, 1.0, F, 0.5, ty, which=["vega"], out={"price": np.empty(11)})
        assert set(c) == {"vega", "price"}
        with pytest.raises(ValueError, match="unknown output"):
            p.greeks(F, 100.0, 1.0, 0.5, which=["speed"])
        with pytest.raises(ValueError):
            p.price(F, 100.0, 1.0, 0.5, out=np.empty(10))


def test_types_as_strings_and_lists_without_numpy(monkeypatch):
    with Pricer("black76") as p:
        a = p.price([100.0, 100.0], 100.0, 1.0, 0.5, ["call", "P"])
        b = p.price([100.0, 100.0], 100.0, 1.0, 0.5, [CALL, PUT])
        assert np.array_equal(a, b) and a[0] == a[1]  # ATM forward: call = put
        monkeypatch.setattr(_arrays, "np", None)
        c = p.price([100.0, 100.0], 100.0, 1.0, 0.5, ["call", "put"])
        assert isinstance(c, list) and c == list(b)
        g = p.greeks([100.0], [100.0], [1.0], [0.5], which=["delta"])
        assert isinstance(g["delta"], list)
        assert p.price_chain(100.0, 1.0, [100.0], [0.5]) == [b[0]]
        assert p.implied_vol([b[0]], 100.0, 100.0, 1.0) == pytest.approx([0.5], rel=1e-12)


def test_closed_pricer_raises():
    p = Pricer()
    p.close()
    with pytest.raises(ValueError, match="closed"):
        p.price(1.0, 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="closed"):
        p.price([1.0], 1.0, 1.0, 0.1)
