"""qpm.book: the reference book (every position, total, scenario and worst
row), Greeks against finite differences, P&L threads and error mapping.

Tolerance (refdata README section 11): 1e-9 relative for values and
Greeks; P&L 1e-9 relative or 1e-6 USD absolute.  The exact zeros (gamma,
vega, theta of linear instruments) are compared with 1e-12 absolute."""
import ctypes
import math

import numpy as np
import pytest

import qpm
from qpm.book import (FIELDS, GRID_SPOT_SHIFTS, GRID_VOL_SHIFTS, Book, BookKey, Instrument,
                      ScenarioGrid)
from conftest import load_csv


def _reference_book(threads=None):
    m = load_csv("book_market_public.csv")
    b = Book(threads=threads)
    rate = [float(v) for k, v in zip(m.str("kind"), m.str("value")) if k == "rate"][0]
    for u, k, e, T, v in zip(m.str("underlying"), m.str("kind"), m.str("expiry_id"),
                             m.str("T"), m.str("value")):
        if k == "spot":
            b.add_underlying(u, float(v), rate)
        elif k == "perp":
            b.set_perp(u, float(v))
        elif k == "forward":
            b.set_forward(u, e, float(v), float(T))  # labels such as "BTC-E2"
    p = load_csv("book_positions_public.csv")
    b.add_positions(p.str("instrument"), p.str("underlying"), p.col("quantity"),
                    p.col("multiplier"), expiry=[e or None for e in p.str("expiry_id")],
                    option_type=[t or None for t in p.str("option_type")],
                    strike=p.col("strike"), entry_price=p.col("entry_price"),
                    sigma=p.col("sigma"))
    return b, p


def _close(got, want, rel=1e-9, abs_=0.0):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    tol = rel * np.abs(want) + np.where(want == 0.0, 1e-12, abs_)
    bad = ~(np.abs(got - want) <= tol)
    assert not bad.any(), list(zip(got[bad], want[bad]))


def test_positions_and_totals_match_the_reference():
    b, p = _reference_book()
    with b:
        assert b.n_positions == len(p)
        v = b.values()
        assert set(v) == set(FIELDS)
        for f in FIELDS:
            _close(v[f], p.col(f))
        assert b.greeks(by="position")["gamma"].tolist() == v["gamma"].tolist()
        g = load_csv("book_greeks_public.csv")
        tot = b.greeks()
        assert b.underlyings == ["BTC", "ETH"]
        for f in FIELDS:
            if f != "value_coin":
                _close([tot[f][b.index(u)] for u in g.str("underlying")], g.col(f))
        # expiry rows: options only; they add up to the option part of the totals
        ex = b.greeks(by="expiry")
        rows = b.expiries
        assert len(rows) == 7 and rows[0][0] == "BTC" and rows[0][1] == "BTC-E0"
        btc = [i for i, r in enumerate(rows) if r[0] == "BTC"]
        _close(sum(ex["vega"][i] for i in btc), tot["vega"][0], 1e-12)
        with pytest.raises(ValueError):
            b.greeks(by="strike")


def test_scenarios_and_worst_loss_match_the_reference():
    b, _ = _reference_book(threads=2)
    with b:
        assert b.threads == 2
        s = load_csv("book_scenarios_public.csv")
        w = load_csv("book_worst_public.csv")
        worst = dict(zip(w.str("underlying"), zip(w.col("worst_loss_usd"), w.col("spot_shift"),
                                                  w.col("vol_shift"))))
        for name in ("BTC", "ETH", "ALL"):
            grid = b.scenario_grid(None if name == "ALL" else name)
            assert isinstance(grid, ScenarioGrid) and grid.pnl.shape == (17, 3)
            rows = [i for i, u in enumerate(s.str("underlying")) if u == name]
            for i in rows:
                a = GRID_SPOT_SHIFTS.index(s.col("spot_shift")[i])
                c = GRID_VOL_SHIFTS.index(s.col("vol_shift")[i])
                want = s.col("pnl_usd")[i]
                got = grid.pnl[a, c]
                assert abs(got - want) <= max(1e-9 * abs(want), 1e-6), (name, i, got, want)
            wl, wx, wv = worst[name]
            assert abs(grid.worst_loss - wl) <= max(1e-9 * abs(wl), 1e-6)
            assert (grid.worst_spot_shift, grid.worst_vol_shift) == (wx, wv)
        # the same rows through pnl(), one scenario per row
        x = np.zeros((len(s), 2))
        v = np.zeros((len(s), 2))
        for i, u in enumerate(s.str("underlying")):
            cols = [0, 1] if u == "ALL" else [b.index(u)]
            x[i, cols] = s.col("spot_shift")[i]
            v[i, cols] = s.col("vol_shift")[i]
        pnl = b.pnl(x, v)
        want = s.col("pnl_usd")
        assert np.all(np.abs(pnl - want) <= np.maximum(1e-9 * np.abs(want), 1e-6))


def test_pnl_threads_bit_identical_and_zero_move():
    b, _ = _reference_book()
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 0.05, (1000, 2))
    v = rng.normal(0.0, 0.1, (1000, 2))
    with b:
        one = b.pnl(x, v)
        b.threads = 3
        out = np.empty(1000)
        assert b.pnl(x, v, out=out) is out
        assert out.tobytes() == one.tobytes()
        assert b.get(BookKey.CHUNK) == Book.bounds("chunk")[0]
        assert np.all(b.pnl(np.zeros((5, 2))) == 0.0)
        # a column slice passes with its leading dimension
        wide = np.zeros((1000, 5))
        wide[:, 1:3] = x
        assert b.pnl(wide[:, 1:3], v).tobytes() == one.tobytes()


def test_fd_delta_gamma_vega_theta_single_underlying():
    """Greeks against central differences of the book value (linear and
    inverse options and futures on one underlying)."""
    def book(S=3000.0, sig_shift=0.0, T=0.25):
        b = Book()
        b.add_underlying("ETH", S, 0.03, perp=S * 1.001)
        b.set_forward(0, 1, S * 1.01, T)
        b.add_positions(["inverse_option", "linear_option", "inverse_future", "inverse_perp",
                         "spot"], "ETH", [3.0, -2.0, 1000.0, -500.0, 1.5],
                        [1.0, 1.0, 10.0, 10.0, 1.0], expiry=1,
                        option_type=["put", "call", None, None, None],
                        strike=[2800.0, 3200.0, math.nan, math.nan, math.nan],
                        entry_price=[math.nan, math.nan, 2950.0, 3010.0, math.nan],
                        sigma=[0.7 + sig_shift, 0.5 + sig_shift, math.nan, math.nan, math.nan])
        return b

    b = book()
    g = b.greeks()
    h = 1e-4
    up, dn = b.pnl([[h]])[0], b.pnl([[-h]])[0]
    S = 3000.0
    assert abs((up - dn) / (2 * h * S) - g["delta_coin"][0]) <= 1e-6 * abs(g["delta_coin"][0])
    assert abs((up + dn) / (h * S) ** 2 - g["gamma"][0]) <= 1e-4 * abs(g["gamma"][0])
    hv = 1e-5
    vu, vd = book(sig_shift=hv).greeks()["value_usd"][0], book(sig_shift=-hv).greeks()
    assert abs((vu - vd["value_usd"][0]) / (2 * hv) - g["vega"][0]) <= 1e-6 * abs(g["vega"][0])
    ht = 1e-6
    tu = book(T=0.25 + ht).greeks()["value_usd"][0]
    td = book(T=0.25 - ht).greeks()["value_usd"][0]
    assert abs(-(tu - td) / (2 * ht) - g["theta"][0]) <= 1e-5 * abs(g["theta"][0])
    # 1-D moves are accepted with one underlying
    assert b.pnl([h, -h]).tolist() == [up, dn]
    b.close()


def test_market_setters_errors_and_enums():
    with Book() as b:
        assert b.add_underlying("BTC", 60000.0, 0.04) == 0
        assert b.index(0) == 0
        with pytest.raises(IndexError):
            b.index(3)
        with pytest.raises(qpm.QpmInvalidError, match="already underlying 0"):
            b.add_underlying("BTC", 1.0)
        with pytest.raises(qpm.QpmInvalidError, match="no such underlying"):
            b.index("DOGE")
        b.set_spot("BTC", 61000.0)
        b.set_rate("BTC", 0.05)
        with pytest.raises(qpm.QpmInvalidError, match="spot = -1"):
            b.set_spot("BTC", -1.0)
        with pytest.raises(qpm.QpmNonFiniteError):
            b.set_forward("BTC", 0, math.nan, 0.1)
        b.set_forward("BTC", 0, 61500.0, 0.1)
        assert b.expiries == [("BTC", 0, 61500.0, 0.1)]
        with pytest.raises(qpm.QpmStateError, match="perpetual mark"):
            b.add_positions(Instrument.LINEAR_PERP, "BTC", 1.0, entry_price=60000.0)
        with pytest.raises(qpm.QpmInvalidError, match="position 1: strike = -5: must be > 0"):
            b.add_positions("linear_option", "BTC", [1.0, 2.0], 0.01, expiry=0,
                            option_type="call", strike=[60000.0, -5.0], sigma=0.5)
        with pytest.raises(ValueError, match="unknown instrument"):
            b.add_positions("swaption", "BTC", 1.0)
        with pytest.raises(ValueError, match="unknown expiry"):
            b.add_positions("linear_future", "BTC", 1.0, expiry="E9", entry_price=1.0)
        assert b.n_positions == 0
        b.add_positions("linear_future", "BTC", [1.0, -1.0], expiry=np.array([0, 0]),
                        entry_price=[60000.0, 62000.0])
        assert b.n_positions == 2
        with pytest.raises(qpm.QpmInvalidError, match="scenario 0, underlying 0 .BTC.: spot "
                                                      "move = -1"):
            b.pnl([[-1.0]])
        with pytest.raises(ValueError, match="columns"):
            b.pnl(np.zeros((2, 3)))
        with pytest.raises(qpm.QpmRangeError):
            b.threads = 0
        with pytest.raises(qpm.QpmKeyError):
            b.set(BookKey.CHUNK, 64)
        grid = b.scenario_grid("BTC", [-0.1, 0.1], None)
        assert grid.pnl.shape == (2, 1) and grid.worst_vol_shift == 0.0
        assert grid.worst_loss == pytest.approx(0.0, abs=1e-6)  # the futures net out
        b.clear_positions()
        assert b.n_positions == 0
    assert int(Instrument.INVERSE_OPTION) == 6


def test_positions_struct_and_arrays_give_the_same_book(monkeypatch):
    import qpm.book as bk
    assert bk._use_struct()  # the library under test has the struct entry point
    books = []
    for use in (True, False):
        monkeypatch.setattr(bk, "_USE_STRUCT", use)
        books.append(_reference_book()[0])
    a, c = books
    with a, c:
        va, vc = a.values(), c.values()
        for f in FIELDS:
            assert va[f].tobytes() == vc[f].tobytes(), f
        x = np.linspace(-0.2, 0.2, 2 * 30).reshape(30, 2)
        assert a.pnl(x, vol_shifts=-x).tobytes() == c.pnl(x, vol_shifts=-x).tobytes()
        # the errors are the same too
        for b in (a, c):
            name, label = b.expiries[0][:2]
            with pytest.raises(qpm.QpmError) as e:
                b.add_positions("linear_option", name, 1.0, expiry=label, option_type="call",
                                strike=-5.0, sigma=0.5)
            assert "strike = -5: must be > 0" in str(e.value)


def test_positions_struct_size_rules():
    from qpm import _lib
    from qpm.book import _Positions
    add = _lib.fn("qpm_book_add_position_columns")
    instr = np.array([int(Instrument.SPOT)], dtype=np.int32)
    und = np.zeros(1, dtype=np.uintp)
    q, m = np.array([2.0]), np.array([1.0])

    class Newer(ctypes.Structure):  # a struct from a later version: two more fields
        _fields_ = [("p", _Positions), ("extra1", ctypes.c_void_p),
                    ("extra2", ctypes.c_void_p)]

    with Book() as b:
        b.add_underlying("BTC", 60000.0)
        s = Newer()
        s.p.instrument, s.p.underlying = instr.ctypes.data, und.ctypes.data
        s.p.quantity, s.p.multiplier = q.ctypes.data, m.ctypes.data
        s.p.size = ctypes.sizeof(_Positions)
        assert add(b.handle, 1, ctypes.byref(s)) == 0
        s.p.size = ctypes.sizeof(Newer)  # unknown fields NULL: accepted
        assert add(b.handle, 1, ctypes.byref(s)) == 0
        s.extra2 = q.ctypes.data  # an unknown field set: refused
        assert add(b.handle, 1, ctypes.byref(s)) == int(qpm.Status.E_UNSUPPORTED)
        assert "not provided by this library version" in qpm.last_error()
        s.p.size = ctypes.sizeof(_Positions) - 1
        assert add(b.handle, 1, ctypes.byref(s)) == int(qpm.Status.E_INVALID)
        assert b.n_positions == 2


def test_positions_from_dataframe_columns_without_copies(monkeypatch):
    pd = pytest.importorskip("pandas")
    import qpm.book as bk
    ref, p = _reference_book()
    n = len(p)
    df = pd.DataFrame({
        "instrument": p.str("instrument"), "underlying": p.str("underlying"),
        "quantity": p.col("quantity"), "multiplier": p.col("multiplier"),
        "expiry": [e or None for e in p.str("expiry_id")],
        "option_type": [t or None for t in p.str("option_type")],
        "strike": p.col("strike"), "entry_price": p.col("entry_price"),
        "sigma": p.col("sigma")},
        index=["pos-%d" % (n - i) for i in range(n)])  # labels in no particular order
    seen = {}
    c_call = Book._c

    def spy(self, fname, *args, **kw):
        if fname == "qpm_book_add_position_columns":
            s = args[1]._obj  # the struct behind ctypes.byref
            seen.update({f: getattr(s, f) for f in bk._POSITION_FIELDS}, size=s.size)
        return c_call(self, fname, *args, **kw)

    monkeypatch.setattr(Book, "_c", spy)
    b = _reference_book()[0]
    with ref, b:
        b.clear_positions()
        b.add_positions(df["instrument"], df["underlying"], df["quantity"], df["multiplier"],
                        expiry=df["expiry"], option_type=df["option_type"],
                        strike=df["strike"], entry_price=df["entry_price"], sigma=df["sigma"])
        assert seen["size"] == ctypes.sizeof(bk._Positions)
        for f in ("quantity", "multiplier", "strike", "entry_price", "sigma"):
            assert seen[f] == df[f].to_numpy().ctypes.data, f  # no copy
        assert b.n_positions == n
        assert b.expiries == ref.expiries  # names and expiry labels kept
        va, vr = b.values(), ref.values()
        # pandas in, pandas out: the reports are labelled by the frame's index
        assert isinstance(va, pd.DataFrame) and va.index.equals(pd.Index(df.index))
        assert list(va.columns) == list(FIELDS)
        for f in FIELDS:
            assert va[f].to_numpy().tobytes() == vr[f].tobytes(), f
        x = np.linspace(-0.3, 0.3, 2 * 25).reshape(25, 2)
        assert b.pnl(x, vol_shifts=x).tobytes() == ref.pnl(x, vol_shifts=x).tobytes()
        # bad data in a column: the position (by place, not by label) named
        bad = df["strike"].copy()
        k = int(np.flatnonzero(df["instrument"].str.contains("option"))[0])
        bad.iloc[k] = -5.0
        with pytest.raises(qpm.QpmError) as e:
            b.add_positions(df["instrument"], df["underlying"], df["quantity"],
                            df["multiplier"], expiry=df["expiry"], option_type=df["option_type"],
                            strike=bad, entry_price=df["entry_price"], sigma=df["sigma"])
        assert "position %d: strike = -5: must be > 0" % k in str(e.value)
        assert b.n_positions == n
