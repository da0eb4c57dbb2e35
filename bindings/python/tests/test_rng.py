"""qpm.rng: PCG generators against the reference sequences and numpy, the
variate generators against scipy's distributions, the inverse normal CDF."""
import math

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm.rng import Rng, RngKind, kind_name, norm_inv, poisson_max
from conftest import SANITIZE, load_csv

try:
    import scipy.special
    import scipy.stats
    HAVE_SCIPY = True
except ImportError:  # pragma: no cover
    HAVE_SCIPY = False
needs_scipy = pytest.mark.skipif(not HAVE_SCIPY, reason="scipy not installed")

KINDS = {"pcg64": RngKind.PCG64, "pcg64dxsm": RngKind.PCG64DXSM, "pcg32": RngKind.PCG32}
DEFAULT_SEQ = {RngKind.PCG64: 0x2c28fa16a64abf968a02bdbf7bb3c0a7,
               RngKind.PCG64DXSM: 0x2c28fa16a64abf968a02bdbf7bb3c0a7,
               RngKind.PCG32: 0x0a02bdbf7bb3c0a7}


@pytest.mark.parametrize("gen", sorted(KINDS))
def test_reference_sequences_bit_exact(gen):
    seeds = load_csv("pcg_seeds_public.csv")
    seq = load_csv("pcg_%s_public.csv" % gen)
    outputs = {}
    for sid, ph, idx, val in zip(seq.str("seed_id"), seq.str("phase"), seq.str("index"),
                                 seq.str("output")):
        outputs.setdefault((sid, ph), []).append((int(idx), int(val)))
    checked = 0
    for row in seeds.rows:
        r = dict(zip(seeds.header, row))
        if r["generator"] != gen:
            continue
        with Rng(int(r["initstate"]), KINDS[gen], stream=int(r["initseq"])) as g:
            assert g.kind == KINDS[gen]
            g.advance(int(r["advance"]))
            assert g.state == (int(r["state"]), int(r["inc"]))
            want = [v for _, v in sorted(outputs[(r["seed_id"], r["phase"])])]
            got = g.raw(len(want))
            assert got.dtype == np.uint64
            assert [int(x) for x in got] == want  # bit-exact
            checked += 1
    assert checked == 8


@pytest.mark.parametrize("kind,bitgen", [(RngKind.PCG64, "PCG64"),
                                         (RngKind.PCG64DXSM, "PCG64DXSM")])
def test_raw_matches_numpy_bit_generators(kind, bitgen):
    g = Rng(2**100 + 7, kind, stream=12345)
    st, inc = g.state
    bg = getattr(np.random, bitgen)()
    bg.state = {"bit_generator": bitgen, "state": {"state": st, "inc": inc},
                "has_uint32": 0, "uinteger": 0}
    assert np.array_equal(g.raw(5000), bg.random_raw(5000))
    g.advance(2**70 + 3)
    bg.advance(2**70 + 3)
    assert np.array_equal(g.raw(100), bg.random_raw(100))


@pytest.mark.parametrize("kind", list(RngKind))
def test_seed_forms_and_reseed(kind):
    a = Rng(987654321, kind)
    b = Rng(987654321, kind, stream=DEFAULT_SEQ[kind])
    assert a.state == b.state
    assert np.array_equal(a.raw(10), b.raw(10))
    a.seed(5, 6)
    c = Rng(5, kind, stream=6)
    assert a.kind == kind and a.state == c.state
    if kind == RngKind.PCG32:
        assert all(int(x) < 2**32 for x in c.raw(100))
    with pytest.raises(OverflowError):
        Rng(2**64, kind)
    with pytest.raises(ValueError):
        Rng(-1, kind)
    with pytest.raises(qpm.QpmInvalidError):
        Rng(1, 17)


def test_kind_names():
    assert [kind_name(k) for k in RngKind] == ["pcg64dxsm", "pcg64", "pcg32"]
    assert kind_name("pcg32") == "pcg32"
    assert kind_name(99) == "unknown"
    with pytest.raises(ValueError):
        kind_name("mt19937")


def test_state_round_trip_and_invalid_state():
    g = Rng(1)
    g.raw(7)
    saved = g.state
    x = g.raw(20)
    g.state = saved
    assert np.array_equal(g.raw(20), x)
    st, inc = saved
    cur = g.state
    with pytest.raises(qpm.QpmInvalidError) as ei:
        g.set_state(st, inc - 1)  # even increment
    assert ei.value.message  # the library's message
    assert g.state == cur  # unchanged on error
    g.state = saved  # still usable
    assert np.array_equal(g.raw(20), x)
    p32 = Rng(1, "pcg32")
    with pytest.raises(qpm.QpmInvalidError):
        p32.set_state(2**64, 1)


@pytest.mark.parametrize("kind", list(RngKind))
def test_advance_forward_and_back(kind):
    g = Rng(3, kind)
    first = g.raw(1000)
    g.advance(-1000)
    assert np.array_equal(g.raw(1000), first)
    h = Rng(3, kind)
    h.advance(500)
    assert np.array_equal(h.raw(500), first[500:])


def test_streams_and_split():
    base = Rng(2024)
    before = base.state
    w = Rng(0)
    w.set_stream(base, 7)
    s7 = base.split(7)
    s8 = base.split(8)
    assert base.state == before
    assert isinstance(s7, Rng) and s7.kind == base.kind
    a = w.raw(50)
    assert np.array_equal(a, s7.raw(50))
    assert not np.array_equal(a, s8.raw(50))
    with pytest.raises(ValueError):
        base.split(-1)


@pytest.mark.parametrize("kind", list(RngKind))
def test_uniforms_from_raw_bits(kind):
    g = Rng(11, kind)
    h = Rng(11, kind)
    u = g.uniform(4000)
    raw = h.raw(8000 if kind == RngKind.PCG32 else 4000).astype(object)
    if kind == RngKind.PCG32:
        k = [(int(raw[2 * i]) >> 5) * 2**26 + (int(raw[2 * i + 1]) >> 6) for i in range(4000)]
    else:
        k = [int(x) >> 11 for x in raw]
    assert [x * 2.0**-53 for x in k] == list(u)
    assert u.min() >= 0.0 and u.max() < 1.0
    o = Rng(11, kind).uniform_open(4000)
    assert o.min() > 0.0 and o.max() < 1.0
    assert np.array_equal(o[u > 0], u[u > 0])


def test_normals_are_norm_inv_of_open_uniforms():
    z = Rng(5).normal(10000)
    u = Rng(5).uniform_open(10000)
    assert np.array_equal(z, norm_inv(u))
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.03


@needs_scipy
def test_norm_inv_matches_scipy():
    p = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 2001), np.logspace(-300, -1, 300)])
    z = norm_inv(p)
    ref = scipy.special.ndtri(p)
    # scipy's ndtri (Cephes) is itself accurate to a few ulp: allow 1e-14 rel.
    assert np.allclose(z, ref, rtol=1e-14, atol=0)
    assert norm_inv(0.975) == pytest.approx(1.959963984540054, rel=1e-15)


def test_norm_inv_within_half_an_ulp():
    """Against 40-digit quantiles: within 0.5 ulp and a few thousandths for
    |z| < 8.5 (the documented bound), and the same bits scalar or array."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rs = np.random.default_rng(3)
    p = np.concatenate([rs.random(300), 10.0 ** -rs.uniform(1, 16, 150),
                        1 - 10.0 ** -rs.uniform(1, 15, 150), 0.5 + rs.uniform(-1e-9, 1e-9, 50)])
    z = norm_inv(p)
    worst = 0.0
    for pi, zi in zip(p, z):
        assert norm_inv(float(pi)) == zi
        zm = mp.mpf(float(zi))
        d = (mp.ncdf(zm) - mp.mpf(float(pi))) / mp.npdf(zm)  # z - exact, to second order
        worst = max(worst, float(abs(d)) / math.ulp(abs(float(zi))))
    assert worst <= 0.505, worst


def test_norm_inv_edges_and_errors():
    assert norm_inv(0.0) == -math.inf and norm_inv(1) == math.inf
    assert norm_inv(0.5) == 0.0
    with pytest.raises(qpm.QpmInvalidError):
        norm_inv(1.5)
    with pytest.raises(qpm.QpmNonFiniteError):
        norm_inv(float("nan"))
    p = np.array([0.1, 0.2, -0.3, 0.4])
    keep = p.copy()
    with pytest.raises(qpm.QpmInvalidError) as ei:
        norm_inv(p, out=p)
    assert "[2]" in ei.value.message
    assert np.array_equal(p, keep)  # untouched on failure
    q = np.array([0.25, 0.75])
    r = norm_inv(q, out=q)  # in place
    assert r is q and q[0] == -q[1]
    assert len(norm_inv(np.array([]))) == 0


N_DIST = 4000 if SANITIZE else 20000


@needs_scipy
@pytest.mark.parametrize("shape", [0.3, 1.0, 2.5, 40.0])
def test_gamma_distribution(shape):
    x = Rng(100).gamma(N_DIST, shape)
    assert x.min() >= 0
    # Fixed seed: the KS p-value is a deterministic number; a correct
    # sampler gives a p-value that is not tiny.
    assert scipy.stats.kstest(x, scipy.stats.gamma(shape).cdf).pvalue > 1e-3


@needs_scipy
@pytest.mark.parametrize("nu", [1.0, 3.0, 30.0])
def test_student_t_distribution(nu):
    x = Rng(200).student_t(N_DIST, nu)
    assert scipy.stats.kstest(x, scipy.stats.t(nu).cdf).pvalue > 1e-3


@needs_scipy
@pytest.mark.parametrize("lam", [0.5, 4.0, 37.0, 1e6])
def test_poisson_distribution(lam):
    x = Rng(300).poisson(N_DIST, lam)
    assert np.array_equal(x, np.floor(x)) and x.min() >= 0
    # mean within 5 standard errors of lam
    assert abs(x.mean() - lam) < 5 * math.sqrt(lam / N_DIST)
    if lam < 50:
        # chi-square goodness of fit on the bulk of the distribution
        k = np.arange(0, int(lam + 6 * math.sqrt(lam)) + 2)
        obs = np.array([(x == kk).sum() for kk in k])
        exp = scipy.stats.poisson(lam).pmf(k) * N_DIST
        keep = exp > 5
        chi2 = (((obs - exp) ** 2 / exp)[keep]).sum()
        assert scipy.stats.chi2(keep.sum() - 1).sf(chi2) > 1e-3


def test_variate_argument_errors_leave_state():
    g = Rng(9)
    st = g.state
    for call, exc in [(lambda: g.gamma(5, 0.0), qpm.QpmInvalidError),
                      (lambda: g.gamma(5, math.nan), qpm.QpmNonFiniteError),
                      (lambda: g.student_t(5, -1.0), qpm.QpmInvalidError),
                      (lambda: g.student_t(5, math.inf), qpm.QpmNonFiniteError),
                      (lambda: g.poisson(5, -1.0), qpm.QpmInvalidError),
                      (lambda: g.poisson(5, 2 * poisson_max()), qpm.QpmInvalidError)]:
        with pytest.raises(exc) as ei:
            call()
        assert ei.value.message
        assert g.state == st
    assert poisson_max() == 1e15
    assert list(g.poisson(3, 0.0)) == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError):
        g.uniform(-1)


def test_empty_and_out_in_place():
    g = Rng(4)
    for m in (g.raw, g.uniform, g.uniform_open, g.normal):
        assert len(m(0)) == 0
    assert len(g.gamma(0, 2.0)) == 0
    st = g.state
    out = np.empty(100)
    r = g.normal(100, out=out)
    assert r is out
    g.state = st
    assert np.array_equal(g.normal(100), out)
    ou = np.empty(10, dtype=np.uint64)
    assert g.raw(10, out=ou) is ou
    with pytest.raises(ValueError):
        g.raw(10, out=np.empty(10))  # wrong dtype
    for m, arg in ((g.gamma, 2.0), (g.student_t, 4.0), (g.poisson, 3.0)):
        o = np.empty(5)
        assert m(5, arg, out=o) is o


def test_lists_without_numpy(monkeypatch):
    monkeypatch.setattr(_arrays, "np", None)
    g = Rng(1)
    u = g.uniform(3)
    assert isinstance(u, list) and len(u) == 3
    assert isinstance(g.raw(2), list)
    assert norm_inv([0.5, 0.5]) == [0.0, 0.0]


def test_handle_lifecycle():
    g = Rng(1)
    assert not g.closed and "Rng" in repr(g)
    with g as h:
        assert h is g
        h.uniform(1)
    assert g.closed and "closed" in repr(g)
    g.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        g.uniform(1)
    with pytest.raises(ValueError):
        with g:
            pass
    h = Rng(2)
    fin = h._finalizer
    del h
    assert not fin.alive  # freed by the finaliser
