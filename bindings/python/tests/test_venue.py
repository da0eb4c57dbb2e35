"""Venues (experimental) and labelled reports: positions and collateral
tagged with venues by name or index, the per-venue equity and margin against
the same account split into one book per venue, unknown venues refused
without changing the book, and the reports as pandas objects labelled by
positions, underlyings, expiries, venues and shifts (frames=None follows
the positions' input, True and False force it)."""
import math

import numpy as np
import pytest

import qpm
from qpm.book import FIELDS, USD, Book, BookVenueMargin

S0 = 30000.0
KINDS = ["linear_perp", "inverse_future", "linear_option", "linear_option", "inverse_option"]
QTY = [2.0, -1000.0, -1.0, 0.5, -2.0]
MULT = [1.0, 10.0, 1.0, 1.0, 1.0]
EXP = [None, "Q", "Q", "Q", "Q"]
TYPE = [None, None, "call", "put", "put"]
STRIKE = [None, None, 32000.0, 27000.0, 28000.0]
ENTRY = [29000.0, 30500.0, None, None, None]
SIGMA = [None, None, 0.6, 0.7, 0.65]


def _market(venues=("deribit", "binance"), frames=None):
    b = Book(frames=frames)
    b.add_underlying("BTC", S0, 0.04, perp=S0 * 1.001)
    b.set_forward("BTC", "Q", S0 * 1.01, 0.25)
    for v in venues:
        b.add_venue(v)
    return b


def _add(b, rows, venue=None):
    pick = lambda xs: [xs[i] for i in rows]  # noqa: E731
    b.add_positions(pick(KINDS), "BTC", pick(QTY), pick(MULT), expiry=pick(EXP),
                    option_type=pick(TYPE), strike=pick(STRIKE), entry_price=pick(ENTRY),
                    sigma=pick(SIGMA), venue=venue)


def test_venue_names_and_lookup():
    with _market() as b:
        assert b.venues == ["deribit", "binance"]
        assert b.venue_index("binance") == 1 and b.venue_index(0) == 0
        assert b.add_venue("aave") == 2
        with pytest.raises(qpm.QpmInvalidError, match='already venue 0'):
            b.add_venue("deribit")
        with pytest.raises(qpm.QpmInvalidError, match='no such venue'):
            b.venue_index("okx")
        with pytest.raises(qpm.QpmInvalidError):
            b.add_venue("")
        assert b.venues == ["deribit", "binance", "aave"]


def test_venue_margin_is_each_venue_alone():
    tags = ["deribit", "binance", None, 0, "binance"]
    with _market() as b:
        _add(b, range(5), venue=tags)
        b.set_collateral(USD, 20000, venue="deribit")
        b.set_collateral("BTC", 1.0, 0.1, venue=1)
        b.set_collateral("BTC", 0.5, 0.2)  # no venue
        b.set_collateral(USD, 3000, 0.01, venue="binance")
        vm = b.venue_margin()
        assert isinstance(vm, BookVenueMargin) and len(vm.equity) == 3
        total = b.margin()
        for part, want in ((vm.equity, total.equity), (vm.initial, total.initial),
                           (vm.maintenance, total.maintenance)):
            assert math.isclose(sum(part), want, rel_tol=1e-12)
        split = {0: [0, 3], 1: [1, 4], 2: [2]}
        coll = {0: (20000.0, 0.0), 1: (2970.0, 0.9), 2: (0.0, 0.4)}
        for r, rows in split.items():
            with _market(()) as c:
                _add(c, rows)
                c.set_collateral(USD, coll[r][0])
                c.set_collateral("BTC", coll[r][1])
                m = c.margin()
                assert math.isclose(vm.equity[r], m.equity, rel_tol=1e-12)
                assert math.isclose(vm.initial[r], m.initial, rel_tol=1e-12)
                assert math.isclose(vm.maintenance[r], m.maintenance, rel_tol=1e-12)


def test_unknown_venue_changes_nothing():
    with _market() as b:
        with pytest.raises(qpm.QpmInvalidError, match=r"position 2: venue = 5: no such venue"):
            _add(b, range(5), venue=[0, 1, 5, None, 0])
        assert b.n_positions == 0
        with pytest.raises(qpm.QpmInvalidError, match="no such venue"):
            _add(b, range(5), venue="okx")
        assert b.n_positions == 0
        _add(b, range(5), venue="deribit")
        eq = b.margin().equity
        with pytest.raises(qpm.QpmInvalidError, match="venue = 7: no such venue"):
            b.set_collateral(USD, 100.0, venue=7)
        with pytest.raises(qpm.QpmInvalidError, match="haircut"):
            b.set_collateral(USD, 100.0, 1.0, venue="deribit")
        assert b.margin().equity == eq
        vm = b.venue_margin()
        assert vm.equity[1] == 0.0 and vm.equity[2] == 0.0  # all on deribit
        assert math.isclose(vm.equity[0], eq, rel_tol=1e-12)


def test_reports_are_arrays_without_pandas_input():
    with _market() as b:
        _add(b, range(5))
        assert b.frames is False
        assert isinstance(b.values(), dict) and isinstance(b.greeks()["delta_coin"], np.ndarray)
        assert isinstance(b.venue_margin().equity, np.ndarray)


def test_reports_are_labelled_frames_with_pandas_input():
    pd = pytest.importorskip("pandas")
    labels = ["perp", "fut", "call", "put", "iput"]
    df = pd.DataFrame({"instrument": KINDS, "quantity": QTY, "multiplier": MULT,
                       "expiry": EXP, "option_type": TYPE, "strike": STRIKE, "entry_price": ENTRY,
                       "sigma": SIGMA, "venue": ["deribit", "binance", None, "deribit", None]},
                      index=labels)
    with _market() as b:
        b.add_underlying("ETH", 2000.0, 0.03)
        b.add_positions(df["instrument"], "BTC", df["quantity"], df["multiplier"],
                        expiry=df["expiry"], option_type=df["option_type"], strike=df["strike"],
                        entry_price=df["entry_price"], sigma=df["sigma"], venue=df["venue"])
        b.set_collateral(USD, 50000, venue="deribit")
        assert b.frames is True
        v = b.values()
        assert isinstance(v, pd.DataFrame) and list(v.index) == labels
        assert list(v.columns) == list(FIELDS)
        g = b.greeks()
        assert list(g.index) == ["BTC", "ETH"] and g.loc["ETH", "delta_coin"] == 0.0
        assert math.isclose(g.loc["BTC", "value_usd"], v["value_usd"].sum(), rel_tol=1e-12)
        ge = b.greeks(by="expiry")
        assert list(ge.index) == [("BTC", "Q")]
        m = b.margin()
        assert list(m.position_im.index) == labels and m.position_im["perp"] > 0
        assert m.position_im["put"] == 0.0  # a long option needs none
        f = b.funding(24)
        assert list(f.position.index) == labels and list(f.underlying.index) == ["BTC", "ETH"]
        vm = b.venue_margin()
        assert list(vm.equity.index) == ["deribit", "binance", None]
        assert math.isclose(vm.equity.sum(), m.equity, rel_tol=1e-12)
        liq = b.liquidations()
        assert list(liq.down.index) == ["BTC", "ETH"]
        pm = b.portfolio_margin()
        assert list(pm.per_underlying.index) == ["BTC", "ETH"]
        grid = b.margin_grid([-0.1, 0.0, 0.1], [-0.2, 0.2], underlying="BTC")
        assert list(grid.equity.index) == [-0.1, 0.0, 0.1]
        assert list(grid.ratio.columns) == [-0.2, 0.2]
        sg = b.scenario_grid("BTC")
        assert sg.pnl.shape == (17, 3) and sg.pnl.loc[0.0, 0.0] == 0.0
        # forced off: the same numbers as arrays
        b.frames = False
        assert isinstance(b.values(), dict)
        assert b.values()["value_usd"].tobytes() == v["value_usd"].to_numpy().tobytes()
        b.frames = None
        b.clear_positions()  # labels go with the positions
        _add(b, range(2))
        assert b.frames is False


def test_frames_forced_on_labels_positions_by_number():
    pytest.importorskip("pandas")
    with _market(frames=True) as b:
        _add(b, range(3))
        _add(b, range(3, 5))
        assert list(b.values().index) == [0, 1, 2, 3, 4]
        assert list(b.venue_margin().initial.index) == ["deribit", "binance", None]
