"""Stress scenarios (experimental): qpm.stress against the book's own
functions: a zero shock changes nothing, a market move is the book's P&L
plus the coin collateral, a failed venue loses (1 - recovery) of what it
holds, an oracle deviation moves the margin view only, a depeg by hand; the
named builders, combine's rules, the table runner (dict and DataFrame),
labelled reports, and bad input."""
import math

import numpy as np
import pytest

import qpm
from qpm import stress as st
from qpm.book import USD, Book

S0, E0 = 30000.0, 2000.0


def _account(frames=None):
    b = Book(frames=frames)
    b.add_underlying("BTC", S0, 0.04, perp=S0 * 1.001)
    b.add_underlying("ETH", E0, 0.03)
    b.set_forward("BTC", "Q", S0 * 1.01, 0.25)
    b.set_forward("BTC", "W", S0 * 1.0008, 0.02)
    b.set_forward("ETH", "Q", E0 * 1.003, 0.1)
    b.add_venue("cex")
    b.add_venue("dex")
    b.add_positions(["linear_perp", "inverse_future", "linear_option", "linear_option",
                     "inverse_option", "linear_option"],
                    ["BTC", "BTC", "BTC", "BTC", "BTC", "ETH"],
                    [2.0, -1000.0, -1.0, 0.5, -2.0, -10.0], [1.0, 10.0, 1.0, 1.0, 1.0, 1.0],
                    expiry=[None, "Q", "Q", "W", "Q", "Q"],
                    option_type=[None, None, "call", "put", "put", "call"],
                    strike=[None, None, 32000.0, 27000.0, 28000.0, 2200.0],
                    entry_price=[29000.0, 30500.0, None, None, None, None],
                    sigma=[None, None, 0.6, 0.7, 0.65, 0.8],
                    venue=["cex", "dex", None, "cex", "dex", "cex"])
    b.set_collateral(USD, 40000.0, venue="cex")
    b.set_collateral("BTC", 1.5, 0.1, venue="dex")
    b.set_collateral("ETH", 4.0, 0.2)
    return b


def test_zero_shock_changes_nothing():
    with _account() as b:
        r = st.stress(b, st.Shock())
        assert r.pnl == 0.0 and r.liquidity_cost == 0.0
        assert not np.any(r.position) and not np.any(r.venue_pnl)
        vm = b.venue_margin()
        np.testing.assert_allclose(r.venue_equity, vm.equity, rtol=1e-12)
        np.testing.assert_allclose(r.venue_maintenance, vm.maintenance, rtol=1e-12)
        assert math.isclose(r.equity, b.margin().equity, rel_tol=1e-12)
        assert b.stress().pnl == 0.0


def test_market_move_is_the_book_pnl():
    with _account() as b:
        x, v = [-0.12, 0.07], [0.4, -0.2]
        r = b.stress(spot_moves={"BTC": x[0], "ETH": x[1]}, vol_shifts=v)
        pnl = b.pnl([x], vol_shifts=[v])[0]
        coll = 1.5 * S0 * x[0] + 4.0 * E0 * x[1]
        assert math.isclose(r.pnl, pnl + coll, rel_tol=1e-9)
        assert math.isclose(sum(r.venue_pnl), r.pnl, rel_tol=1e-12)
        assert math.isclose(sum(r.underlying), r.pnl, rel_tol=1e-12)  # no USD move


def test_named_stresses():
    with _account() as b:
        vals = b.values()["value_usd"]
        dex = vals[1] + vals[4] + 1.5 * S0
        r = b.stress(st.venue_failure("dex", recovery=0.25))
        assert math.isclose(r.venue_pnl[1], -0.75 * dex, rel_tol=1e-9)
        assert r.venue_pnl[0] == 0.0 and r.venue_maintenance[1] == 0.0
        assert r.venue_liquidated[1] is False or not r.venue_liquidated[1]
        # the oracle moves the margin view only
        plain = b.stress(spot_moves={"BTC": -0.05})
        o = b.stress(st.combine(st.Shock(spot_moves={"BTC": -0.05}), st.oracle("BTC", -0.6)))
        assert o.pnl == plain.pnl
        assert o.equity < plain.equity
        assert o.venue_liquidated[1] and not plain.venue_liquidated[1]  # the dex
        # depeg
        d = b.stress(st.depeg(0.05))
        assert math.isclose(d.pnl, -2000.0, abs_tol=1e-9)
        # cascade: every coin down 30 %, vols up, 1 % closing cost
        c = b.stress(st.cascade(-0.3, 1.0, 0.01))
        assert c.liquidity_cost > 0 and c.pnl < 0
        bet = b.stress(st.cascade(-0.3, betas={"BTC": 1.0, "ETH": 0.0}))
        assert bet.underlying[1] == 0.0 and bet.underlying[0] < 0


def test_combine_rules():
    with _account() as b:
        a = st.Shock(spot_moves={"BTC": -0.1}, liquidity_cost=0.01,
                     venue_recovery={"cex": 0.5}, usd_depeg=0.02)
        c = st.Shock(spot_moves=-0.1, liquidity_cost=0.02, venue_recovery={"cex": 0.5},
                     usd_depeg=0.03)
        j = b.stress(st.combine(a, c))
        want = b.stress(st.Shock(spot_moves=[0.9 * 0.9 - 1, -0.1], liquidity_cost=[0.03, 0.02],
                                 venue_recovery={"cex": 0.25}, usd_depeg=1 - 0.98 * 0.97))
        assert math.isclose(j.pnl, want.pnl, rel_tol=1e-12)
        with pytest.raises(ValueError, match="term parameters"):
            st.combine(st.Shock(vol_shifts=0.1, vol_term_power=0.5),
                       st.Shock(vol_shifts=0.1, vol_term_power=0.0))


def test_stress_table():
    with _account() as b:
        shocks = {"gap": st.cascade(-0.2), "dex down": st.venue_failure("dex"),
                  "depeg": st.depeg(0.1)}
        t = st.stress_table(b, shocks)
        assert list(t["pnl"]) == [b.stress(s).pnl for s in shocks.values()]
        pd = pytest.importorskip("pandas")
        df = pd.DataFrame({"spot:BTC": [-0.2, np.nan], "spot:ETH": [-0.2, np.nan],
                           "recovery:dex": [np.nan, 0.0], "depeg": [np.nan, 0.0]},
                          index=["gap", "dex down"])
        tf = st.stress_table(b, df)
        assert list(tf.index) == ["gap", "dex down"]
        assert tf.loc["gap", "pnl"] == t["pnl"][0]
        assert tf.loc["dex down", "pnl"] == t["pnl"][1]
        assert {"pnl:BTC", "pnl:ETH", "pnl:cex", "pnl:dex", "pnl:-"} <= set(tf.columns)
        with pytest.raises(ValueError, match="prefix"):
            st.stress_table(b, pd.DataFrame({"foo:BTC": [0.1]}))


def test_labelled_report():
    pytest.importorskip("pandas")
    with _account(frames=True) as b:
        r = b.stress(st.cascade(-0.1))
        assert list(r.underlying.index) == ["BTC", "ETH"]
        assert list(r.venue_pnl.index) == ["cex", "dex", None]
        assert list(r.position.index) == [0, 1, 2, 3, 4, 5]


def test_bad_input_changes_nothing():
    with _account() as b:
        eq = b.margin().equity
        with pytest.raises(qpm.QpmInvalidError, match=r"spot_moves\[0\] = -1 \(underlying 0\)"):
            b.stress(spot_moves=[-1.0, 0.0])
        with pytest.raises(qpm.QpmInvalidError, match=r"venue_recovery\[1\] = 1.5"):
            b.stress(venue_recovery={"dex": 1.5})
        with pytest.raises(ValueError, match="unknown venues okx"):
            b.stress(st.venue_failure("okx"))
        with pytest.raises(ValueError, match="unknown underlyings SOL"):
            b.stress(st.oracle("SOL", 0.1))
        with pytest.raises(ValueError, match="has 3 values"):
            b.stress(spot_moves=[0.1, 0.1, 0.1])
        with pytest.raises(qpm.QpmInvalidError, match="usd_depeg"):
            b.stress(usd_depeg=1.0)
        with pytest.raises(qpm.QpmInvalidError, match="position 3: the vol shift"):
            b.stress(vol_shifts=-0.9, vol_term_power=1.0)
        with pytest.raises(TypeError):
            b.stress(st.Shock(), usd_depeg=0.1)
        assert b.margin().equity == eq


# ---- per-position P&L and risk contributions (experimental) ----------------------
def test_position_pnl_adds_up():
    with _account() as b:
        x = np.array([[0.05, -0.1], [-0.2, 0.1], [0.0, 0.0]])
        v = np.array([[0.1, 0.2], [0.3, -0.1], [0.0, 0.0]])
        p = b.position_pnl(x, v)
        assert p.shape == (3, 6)
        np.testing.assert_allclose(p.sum(axis=1), b.pnl(x, vol_shifts=v), rtol=1e-12,
                                   atol=1e-9)
        assert not p[2].any()
        with pytest.raises(qpm.QpmInvalidError, match="must be > -1"):
            b.position_pnl([[-1.0, 0.0]])


def test_position_pnl_labelled():
    pd = pytest.importorskip("pandas")
    with _account(frames=True) as b:
        x = pd.DataFrame({"ETH": [0.1, -0.1], "BTC": [0.0, 0.2]}, index=["up", "down"])
        p = b.position_pnl(x)
        assert list(p.index) == ["up", "down"] and list(p.columns) == [0, 1, 2, 3, 4, 5]
        assert math.isclose(p.loc["down"].sum(), b.pnl(x)["down"], rel_tol=1e-12)


def test_contributions_add_up_and_by_underlying():
    with _account() as b:
        with qpm.Risk() as r:
            r.set_covariance([[4e-4, 2e-4], [2e-4, 9e-4]])
            r.set("scenarios", 20000)
            r.set("seed", 3)
            c = r.contributions(b)
            s = r.simulate(b)
            assert c.var == s.var and c.es == s.es
            assert math.isclose(sum(c.es_contrib), c.es, rel_tol=1e-12)
            assert math.isclose(sum(c.var_contrib), c.var, rel_tol=1e-12)
            assert math.isclose(c.es_by_underlying[0], sum(c.es_contrib[:5]), rel_tol=1e-12)
            assert math.isclose(c.es_by_underlying[1], c.es_contrib[5], rel_tol=1e-12)
            seen = []
            r.contributions(b, progress=lambda f: seen.append(f) and False)
            assert seen and seen[-1] == 1.0


# ---- limits (experimental) -------------------------------------------------------
def test_limits_report_and_scales():
    with _account() as b:
        lev = b.leverage()
        m = b.margin()
        rep = b.limits(var=1000.0, es=1500.0, var_limit=600.0, es_limit=2000.0,
                       gross_leverage=0.5 * lev.gross, margin_ratio=0.9 * m.maintenance / m.equity)
        t = rep.table
        assert rep.n_breached == 3
        assert list(t["breached"]) == [True, False, True, False, True]
        assert math.isclose(t["scale"][0], 0.6, rel_tol=1e-15)
        assert t["scale"][1] == 1.0 and t["scale"][3] == 1.0
        assert math.isclose(t["value"][2], lev.gross, rel_tol=1e-12)
        assert rep.scale_all == min(t["scale"])
        none = b.limits()
        assert none.n_breached == 0 and none.scale_all == 1.0
        with pytest.raises(qpm.QpmInvalidError, match="a VaR limit needs the measured VaR"):
            b.limits(var_limit=100.0)
        with pytest.raises(qpm.QpmInvalidError, match="must be >= 0"):
            b.limits(gross_leverage=-1.0)


# ---- venue defaults in the Monte Carlo (experimental) ----------------------------
def test_venue_defaults_in_the_monte_carlo():
    with _account() as b:
        with qpm.Risk() as r:
            r.set_covariance([[4e-4, 2e-4], [2e-4, 9e-4]])
            r.set("scenarios", 5000)
            plain = r.simulate(b, pnl=True)
            r.set_venue_defaults({"dex": 1.0}, {"dex": 0.25}, book=b)
            hit = r.simulate(b, pnl=True)
            x, _ = r.scenarios(5000)
            held = b.venue_value(x)[:, 1]
            np.testing.assert_allclose(hit.pnl, plain.pnl - 0.75 * held, rtol=1e-9,
                                       atol=1e-6)
            assert hit.var > plain.var
            with pytest.raises(qpm.QpmUnsupportedError, match="venue defaults are set"):
                r.contributions(b)
            r.set_venue_defaults(0.0, book=b)  # a scalar: every venue
            assert r.simulate(b).var == plain.var
            with pytest.raises(ValueError, match="needs book="):
                r.set_venue_defaults({"dex": 0.1})
            with pytest.raises(qpm.QpmInvalidError, match=r"prob\[0\] = 2"):
                r.set_venue_defaults([2.0, 0.0])
            r.set_venue_defaults([])
            with pytest.raises(ValueError, match="unknown venues okx"):
                r.set_venue_defaults({"okx": 0.1}, book=b)


def test_venue_value_labelled():
    pd = pytest.importorskip("pandas")
    with _account(frames=True) as b:
        v = b.venue_value([[0.0, 0.0], [0.1, -0.1]])
        assert list(v.columns) == ["cex", "dex", None]
        vm = b.venue_margin()
        # no move: the positions and the collateral at full value
        assert math.isclose(v.iloc[0]["cex"], vm.equity["cex"], rel_tol=1e-12)
        assert isinstance(v, pd.DataFrame)
