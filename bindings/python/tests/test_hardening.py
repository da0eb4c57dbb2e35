"""Bad input never reaches the library as something else: shapes, dtypes
and layouts of every array are checked against what the C function reads,
numbers never wrap, handles cannot be copied, and the central conversion
layer is the only place that converts."""
import copy
import ctypes
import pickle
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm import Book, Cov, Optimizer, Pricer, Risk, Rng

PKG = Path(qpm.__file__).resolve().parent


def _book(n_und=2):
    b = Book()
    for i, (name, s) in enumerate((("BTC", 97000.0), ("ETH", 3600.0), ("SOL", 240.0))[:n_und]):
        b.add_underlying(name, s)
        b.add_positions("spot", name, 1.0 + i)
    return b


# ---- shapes against what C reads -----------------------------------------------------
def test_historical_needs_one_column_per_underlying():
    big = np.random.default_rng(0).normal(0, 0.01, (50, 3))
    with _book(2) as b, Risk() as r:
        with pytest.raises(ValueError, match="2 columns|columns, expected 2"):
            r.historical(b, big[:, 2:])  # a column slice: ld 3, one column
        with pytest.raises(ValueError):
            r.historical(b, big)  # three columns for two underlyings
        with pytest.raises(ValueError):
            r.historical(b, big[:, 0])  # one-dimensional
        # a two-column slice of a wider array passes without a copy and
        # gives the numbers of a compact copy
        view = big[:, 1:]
        a = r.historical(b, view, pnl=True)
        c = r.historical(b, np.ascontiguousarray(view), pnl=True)
        assert np.array_equal(a.pnl, c.pnl)
        assert _arrays.matrix(view).addr == view.ctypes.data


def test_every_matrix_argument_is_checked():
    X = np.random.default_rng(1).normal(0, 0.01, (40, 4))
    with Cov(4) as c:
        with pytest.raises(ValueError, match="columns"):
            c.fit(X[:, :3])
        with pytest.raises(ValueError, match="values"):
            c.push(X[0, :3])
    with Optimizer(n=3) as o:
        with pytest.raises(ValueError, match="rows|columns"):
            o.set_covariance(np.eye(4))
        with pytest.raises(ValueError, match="columns"):
            o.set_scenarios(X)
        with pytest.raises(ValueError, match="values"):
            o.set_expected_returns([0.1, 0.2])
        with pytest.raises(ValueError):
            o.set_linear(np.ones((2, 3)), [0.0], [1.0])
        with pytest.raises(ValueError):
            o.set_groups([0, 1], [0.0], [1.0])
        with pytest.raises(ValueError):
            o.set_bounds([0.0] * 3, [1.0] * 4)
    with _book(2) as b:
        with pytest.raises(ValueError, match="columns"):
            b.pnl(X[:, :3])
        with pytest.raises(ValueError, match="rows"):
            b.pnl(X[:, :2], X[:5, :2])
    with pytest.raises(ValueError):
        qpm.risk.delta_gamma([1.0, 2.0], [1.0, 2.0], np.eye(3))
    with pytest.raises(ValueError, match="square"):
        qpm.min_eigenvalue(np.zeros((2, 3)))
    with Risk() as r:
        with pytest.raises(ValueError):
            r.set_covariance(np.zeros((2, 3)))


def test_strided_views_are_copied_never_passed_with_the_wrong_stride():
    rng = np.random.default_rng(2)
    base = rng.normal(0, 0.01, (60, 8))
    for view in (base[::2, ::2], base[:, ::-1][:, :4], base.T[:4, :30].T, base[::-1, :4],
                 np.asfortranarray(base)[:, :4]):
        m = _arrays.matrix(view)
        got = np.ctypeslib.as_array(ctypes.cast(m.addr, ctypes.POINTER(ctypes.c_double)),
                                    shape=(m.rows, m.ld))[:, :m.cols]
        assert np.array_equal(got, view)
        with Cov(view.shape[1]) as a, Cov(view.shape[1]) as b:
            assert np.array_equal(a.fit(view).covariance(),
                                  b.fit(np.ascontiguousarray(view)).covariance())
    v = base[:, 3]  # a strided 1-D column
    assert np.array_equal(np.asarray(_arrays.vector(v).obj), v)
    with Pricer() as p:
        assert np.array_equal(p.price(base[:, 0] + 100, 100.0, 1.0, 0.5),
                              p.price(np.ascontiguousarray(base[:, 0]) + 100, 100.0, 1.0, 0.5))
    # outputs must be writable with contiguous rows: never a wrong stride
    with pytest.raises(ValueError):
        Cov(4).fit(base[:, :4]).covariance(out=np.zeros((8, 8))[::2, ::2])
    with pytest.raises(ValueError):
        Pricer().price([1.0, 2.0], 1.0, 1.0, 0.5, out=np.zeros(4)[::2])
    ro = np.zeros(2)
    ro.setflags(write=False)
    with pytest.raises(ValueError):
        Pricer().price([1.0, 2.0], 1.0, 1.0, 0.5, out=ro)
    with pytest.raises(ValueError):
        Pricer().price([1.0, 2.0], 1.0, 1.0, 0.5, out=np.zeros(2, dtype=">f8"))


# ---- numbers never wrap -------------------------------------------------------------------
def test_out_of_range_numbers_raise():
    with Pricer() as p:
        for t in (2 ** 32 + 1, 2 ** 31, -2 ** 31 - 1):
            with pytest.raises(OverflowError if t > 0 else ValueError):
                p.price(100.0, 100.0, 1.0, 0.5, t)
            with pytest.raises((OverflowError, ValueError)):
                p.price([100.0], 100.0, 1.0, 0.5, [t])
            with pytest.raises((OverflowError, ValueError)):
                p.price([100.0], 100.0, 1.0, 0.5, np.array([t], dtype=np.int64))
        for t in (1.7, 1.0, np.float64(1.0), True):
            with pytest.raises(TypeError):
                p.price(100.0, 100.0, 1.0, 0.5, t)
        with pytest.raises(ValueError, match="whole"):
            p.price([100.0, 100.0], 100.0, 1.0, 0.5, np.array([1.0, 1.7]))
        with pytest.raises(TypeError, match="complex"):
            p.price(np.array([100.0 + 1j]), 100.0, 1.0, 0.5)
        with pytest.raises(TypeError):
            p.price(100.0 + 1j, 100.0, 1.0, 0.5)
        with pytest.raises(TypeError):
            p.price([100.0, 100.0], np.complex128(100.0), 1.0, 0.5)
        with pytest.raises(TypeError, match="string"):
            p.price(np.array(["100", "101"]), 100.0, 1.0, 0.5)
        with pytest.raises(TypeError, match="bool"):
            p.price(np.array([True, False]), 100.0, 1.0, 0.5)
        with pytest.raises(TypeError):
            p.price([100.0, None], 100.0, 1.0, 0.5)
        with pytest.raises(TypeError):
            p.price_chain(np.array([100.0, 101.0]), 1.0, 100.0, 0.5)
        assert p.price(Fraction(100), 100.0, 1.0, 0.5) == p.price(100.0, 100.0, 1.0, 0.5)
    with pytest.raises(OverflowError):
        Cov(2 ** 64 + 3)
    with pytest.raises(ValueError):
        qpm.nearest_correlation(np.eye(2), maxiter=-1)
    with pytest.raises(OverflowError):
        qpm.nearest_correlation(np.eye(2), maxiter=2 ** 64)
    with pytest.raises(TypeError):
        qpm.nearest_correlation(np.eye(2), maxiter=10.5)
    with pytest.raises(TypeError, match="complex"):
        Cov(2).fit(np.ones((5, 2), dtype=complex))
    with Book() as b:
        with pytest.raises(ValueError, match="NUL"):
            b.add_underlying("BTC\0ETH", 97000.0)
        with pytest.raises(TypeError):
            b.add_underlying(b"BTC", 97000.0)
        assert b.underlyings == []
        b.add_underlying("BTC", 97000.0)
        with pytest.raises(ValueError, match="NUL"):
            b.index("BTC\0")
        with pytest.raises(OverflowError):
            b.set_forward("BTC", 2 ** 31, 97000.0, 0.1)
        with pytest.raises(ValueError):
            b.add_positions("spot", -1, 1.0)
        with pytest.raises(OverflowError):
            b.add_positions(2 ** 32 + 0, "BTC", 1.0)
        with pytest.raises(TypeError):
            b.add_positions(0.0, "BTC", 1.0)
        with pytest.raises((OverflowError, ValueError)):
            b.scenario_grid(2 ** 64 + 1)
    with Rng(1) as g:
        with pytest.raises(OverflowError):
            g.set_stream(g, 2 ** 64)
        with pytest.raises(TypeError):
            g.advance(1.5)
        with pytest.raises(TypeError):
            g.gamma(3, 1 + 2j)
    with Optimizer([[1.0, 0.0], [0.0, 2.0]]) as o:
        with pytest.raises(OverflowError):
            o.set_groups([0, 2 ** 64], [0.0], [1.0])
        with pytest.raises(ValueError):
            o.set_groups([0, -1], [0.0], [1.0])
        with pytest.raises(OverflowError):
            o.solve(2 ** 32 + 1)
        with pytest.raises(qpm.QpmRangeError):
            o.set("max_iter", -1)  # the library's own range check, not a wrap
    # without numpy the same checks hold
    import qpm._arrays as A
    saved = A.np
    A.np = None
    try:
        with pytest.raises(OverflowError):
            Pricer().price([100.0], 100.0, 1.0, 0.5, [2 ** 32 + 1])
        with pytest.raises(TypeError):
            Pricer().price([100.0 + 1j], 100.0, 1.0, 0.5)
        with pytest.raises(TypeError):
            Pricer().price([100.0], 100.0, 1.0, 0.5, [1.7])
    finally:
        A.np = saved


def test_one_conversion_layer():
    """No wrapper converts an argument for C by hand: int(), float() or
    bool() of a function parameter and .encode() of a string appear only in
    the conversion layer (_arrays.py), where the range and type checks are."""
    import ast
    offenders = []
    for path in sorted(PKG.glob("*.py")):
        if path.name == "_arrays.py":
            continue
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.Lambda)):
                continue
            params = {a.arg for a in fn.args.args + fn.args.kwonlyargs} - {"self", "cls"}
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                f = node.func
                if isinstance(f, ast.Name) and f.id in ("int", "float", "bool") and \
                        len(node.args) == 1 and isinstance(node.args[0], ast.Name) and \
                        node.args[0].id in params:
                    offenders.append("%s:%d: %s(%s)" % (path.name, node.lineno, f.id,
                                                        node.args[0].id))
                if isinstance(f, ast.Attribute) and f.attr == "encode":
                    offenders.append("%s:%d: .encode()" % (path.name, node.lineno))
    assert not offenders, "conversions outside _arrays.py: " + ", ".join(offenders)


# ---- no copies of handles ----------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: Pricer(), lambda: Rng(1), lambda: Cov(2),
                                  lambda: Book(), lambda: Optimizer(n=2), lambda: Risk()])
def test_handles_refuse_copy_deepcopy_and_pickle(make):
    h = make()
    with pytest.raises(TypeError, match="cannot be copied"):
        copy.copy(h)
    with pytest.raises(TypeError, match="cannot be copied"):
        copy.deepcopy(h)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(h)
    with pytest.raises(TypeError):
        copy.deepcopy({"h": h})
    h.close()
    assert h.closed
    with pytest.raises(ValueError, match="closed"):
        h.get(0) if not isinstance(h, Rng) else h.uniform(1)


def test_close_from_a_progress_callback_is_refused():
    with _book(1) as b, Risk([[1e-4]], scenarios=20000) as r:
        def cb(done):
            if done > 0:
                r.close()
        with pytest.raises(qpm.HandleBusyError):
            r.simulate(b, progress=cb)
        assert not r.closed and r.simulate(b).var > 0  # still usable

        def use_book(done):
            b.add_positions("spot", "BTC", 1.0)
        with pytest.raises(qpm.HandleBusyError):
            r.simulate(b, progress=use_book)
        assert b.n_positions == 1
