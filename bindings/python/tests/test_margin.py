"""The book's account view (experimental): collateral with haircuts, equity
and the standard margin model against hand computations (Book.margin), the
margin settings (BookKey.MARGIN_*), liquidation distances against closed
forms and against a book revalued at the returned move (Book.liquidation,
Book.liquidations), the account over a spot x vol risk matrix against
Book.margin, the scenario grid and books rebuilt in each cell's market
(Book.margin_grid), lists without numpy, and every bad input."""
import math

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm.book import GRID_SPOT_SHIFTS, GRID_VOL_SHIFTS, USD, Book, BookKey, BookLiquidation, \
    BookMargin, BookPortfolioMargin, MarginGrid

REL = 1e-14
S0 = 30000.0

DEFAULTS = {"margin_linear_im": 0.02, "margin_linear_mm": 0.01, "margin_option_im": 0.15,
            "margin_option_im_min": 0.10, "margin_option_mm": 0.075}


def _account(S, usd, vol=1.0):
    """BTC at S (perp mark and forward in proportion) with a long linear
    perp, a short inverse future, a short call, a long put and a short
    inverse put (vols scaled by ``vol``); ``usd`` USD and 1 BTC (haircut
    10 %) of collateral."""
    b = Book()
    b.add_underlying("BTC", S, 0.04, perp=S * 1.001)
    b.set_forward("BTC", "Q", S * 1.01, 0.25)
    b.add_positions(["linear_perp", "inverse_future", "linear_option", "linear_option",
                     "inverse_option"], "BTC", [2.0, -1000.0, -1.0, 0.5, -2.0],
                    [1.0, 10.0, 1.0, 1.0, 1.0], expiry=[None, "Q", "Q", "Q", "Q"],
                    option_type=[None, None, "call", "put", "put"],
                    strike=[None, None, 32000.0, 27000.0, 28000.0],
                    entry_price=[29000.0, 30500.0, None, None, None],
                    sigma=[None, None, 0.6 * vol, 0.7 * vol, 0.65 * vol])
    b.set_collateral(USD, usd)
    b.set_collateral("BTC", 1.0, 0.1)
    return b


# ---- settings ------------------------------------------------------------------
def test_margin_settings_defaults_and_bounds():
    assert [int(BookKey[k.upper()]) for k in DEFAULTS] == [3, 4, 5, 6, 7]
    with Book() as b:
        for name, want in DEFAULTS.items():
            key = BookKey[name.upper()]
            assert getattr(b, name) == want
            assert b.get(key) == want and b.get(name) == want
            assert Book.bounds(key) == (0.0, 1.0) and Book.bounds(name) == (0.0, 1.0)
            with pytest.raises(qpm.QpmRangeError, match=r"%s = 1\.5: must be in \[0, 1\]"
                               % name):
                b.set(key, 1.5)
            with pytest.raises(qpm.QpmRangeError, match=r"%s = -0\.1: must be in \[0, 1\]"
                               % name):
                setattr(b, name, -0.1)
            assert getattr(b, name) == want  # unchanged by the refused values
        # each property writes its own key
        for k, name in enumerate(DEFAULTS):
            setattr(b, name, 0.01 * (k + 1))
        assert [b.get(n) for n in DEFAULTS] == [0.01, 0.02, 0.03, 0.04, 0.05]
        b.set("margin_option_mm", 0.2)
        assert b.margin_option_mm == 0.2
        # an empty account: no equity, no margin, no rows
        m = b.margin()
        assert isinstance(m, BookMargin)
        assert (m.equity, m.initial, m.maintenance) == (0.0, 0.0, 0.0)
        assert len(m.position_im) == 0 and len(m.position_mm) == 0
        assert len(b.liquidations().down) == 0


# ---- the standard model --------------------------------------------------------
def test_margin_standard_model_by_hand():
    S, P = S0, S0 * 1.001
    with _account(S, 20000.0) as b:
        v = b.values()["value_usd"]
        m = b.margin()
        assert isinstance(m.position_im, np.ndarray) and m.position_im.shape == (5,)
        mark2, mark4 = v[2] / -1.0, v[4] / -2.0  # USD value per coin
        assert mark2 > 0 and mark4 > 0
        # the call is 2000 out of the money: max(0.15 - 2000/30000, 0.10) = 0.10;
        # the put at 28000 is 2000 out of the money too; the long put needs none
        wim = [0.02 * 2 * P, 0.02 * 10000, 0.10 * S + mark2, 0.0, 2 * (0.10 * S + mark4)]
        wmm = [0.01 * 2 * P, 0.01 * 10000, 0.075 * S + mark2, 0.0, 2 * (0.075 * S + mark4)]
        np.testing.assert_allclose(m.position_im, wim, rtol=REL, atol=0)
        np.testing.assert_allclose(m.position_mm, wmm, rtol=REL, atol=0)
        assert m.position_im[3] == 0.0 and m.position_mm[3] == 0.0
        assert m.initial == pytest.approx(sum(wim), rel=REL, abs=0)
        assert m.maintenance == pytest.approx(sum(wmm), rel=REL, abs=0)
        assert m.equity == pytest.approx(20000 + 0.9 * S + v.sum(), rel=REL, abs=0)
        # with the minimum lowered to 0.05 the call's rate is 0.15 - 2000/S
        b.margin_option_im_min = 0.05
        m2 = b.margin()
        assert m2.position_im[2] == pytest.approx((0.15 - 2000 / S) * S + mark2, rel=REL)
        np.testing.assert_array_equal(m2.position_mm, m.position_mm)
        # the linear rates scale the futures' and perps' margins alone
        b.margin_linear_im, b.margin_linear_mm = 0.05, 0.03
        m3 = b.margin()
        np.testing.assert_allclose(m3.position_im[:2], [0.05 * 2 * P, 0.05 * 10000], rtol=REL)
        np.testing.assert_allclose(m3.position_mm[:2], [0.03 * 2 * P, 0.03 * 10000], rtol=REL)
        np.testing.assert_array_equal(m3.position_im[2:], m2.position_im[2:])
        b.margin_option_mm = 0.2
        assert b.margin().position_mm[2] == pytest.approx(0.2 * S + mark2, rel=REL)
        assert m3.equity == m.equity  # the settings do not touch the equity


def test_margin_short_options_in_and_near_the_money():
    S = S0
    with Book() as b:
        b.add_underlying("BTC", S, 0.0)
        b.set_forward("BTC", 0, S, 0.1)
        # in the money (OTM 0): 0.15; 1000 out: 0.15 - 1/30 > 0.10
        b.add_positions("linear_option", "BTC", [-3.0, -1.0], [0.1, 1.0], expiry=0,
                        option_type=["call", "put"], strike=[28000.0, 29000.0], sigma=0.5)
        v = b.values()["value_usd"]
        marks = [v[0] / -0.3, v[1] / -1.0]
        m = b.margin()
        np.testing.assert_allclose(m.position_im, [0.3 * (0.15 * S + marks[0]),
                                                   (0.15 - 1000 / S) * S + marks[1]], rtol=REL)
        np.testing.assert_allclose(m.position_mm, [0.3 * (0.075 * S + marks[0]),
                                                   0.075 * S + marks[1]], rtol=REL)
        assert m.equity == pytest.approx(v.sum(), rel=REL)  # no collateral: the options' value


def test_collateral_haircuts_and_replacement():
    with Book() as b:
        b.add_underlying("BTC", S0, 0.0)
        b.add_underlying("ETH", 2000.0, 0.0)
        b.set_collateral("USD", 1000.0)
        assert b.margin().equity == 1000.0
        b.set_collateral(USD, 1000.0, 0.02)  # a stablecoin haircut
        assert b.margin().equity == pytest.approx(980.0, rel=REL)
        b.set_collateral("ETH", 3.0, 0.2)
        b.set_collateral(0, 0.5, 0.05)  # by index
        want = 980.0 + 3 * 2000 * 0.8 + 0.5 * S0 * 0.95
        assert b.margin().equity == pytest.approx(want, rel=REL)
        b.set_collateral("ETH", 0.0)  # replaces the amount
        assert b.margin().equity == pytest.approx(980.0 + 0.5 * S0 * 0.95, rel=REL)
        # coin collateral is valued at the current spot
        b.set_spot("BTC", 2 * S0)
        assert b.margin().equity == pytest.approx(980.0 + S0 * 0.95, rel=REL)
        # no positions: no margin, so never liquidated
        assert b.liquidation("BTC") == BookLiquidation(-1.0, math.inf)


# ---- liquidation ---------------------------------------------------------------
def _perp_book(Q, C=5000.0, e=30000.0, P=30030.0):
    b = Book()
    b.add_underlying("BTC", 30000.0, 0.0, perp=P)
    b.add_positions("linear_perp", "BTC", Q, entry_price=e)
    b.set_collateral("USD", C)
    return b


def test_liquidation_closed_form_perp_against_usd():
    P, e, C = 30030.0, 30000.0, 5000.0
    # long: C + 2 (P (1 + x) - e) = 0.01 x 2 P (1 + x)
    with _perp_book(2.0) as b:
        liq = b.liquidation("BTC")
        assert isinstance(liq, BookLiquidation) and isinstance(liq.down, float)
        assert liq.down == pytest.approx((2 * e - C) / (1.98 * P) - 1, rel=0, abs=1e-11)
        assert math.isinf(liq.up) and liq.up > 0  # a long perp is not liquidated by a rise
        assert b.liquidation(0) == liq
    # short: C - 2 (P (1 + x) - e) = 0.01 x 2 P (1 + x)
    with _perp_book(-2.0) as b:
        liq = b.liquidation("BTC")
        assert liq.up == pytest.approx((C + 2 * e) / (2.02 * P) - 1, rel=0, abs=1e-11)
        assert liq.down == -1.0
        # the same with more threads: bit-identical
        b.threads = 2
        assert b.liquidation("BTC") == liq
        # a higher maintenance rate brings it nearer: (C + 2 e) / (2.1 P) - 1
        b.margin_linear_mm = 0.05
        assert b.liquidation("BTC").up == pytest.approx((C + 2 * e) / (2.1 * P) - 1,
                                                        rel=0, abs=1e-11)
        # already below maintenance: both 0
        b.set_collateral("USD", 0.0)
        b.set_perp("BTC", 40000.0)
        assert b.margin().equity < b.margin().maintenance
        assert b.liquidation("BTC") == BookLiquidation(0.0, 0.0)


def test_liquidation_closed_form_coin_collateral_with_haircut():
    # short perp q against c BTC at haircut h: the collateral moves with S:
    # c S (1 - h)(1 + x) - q (P (1 + x) - e) = 0.01 q P (1 + x)
    q, c, h, S, P, e = 2.0, 1.0, 0.1, 30000.0, 30030.0, 30000.0
    with Book() as b:
        b.add_underlying("BTC", S, 0.0, perp=P)
        b.add_positions("linear_perp", "BTC", -q, entry_price=e)
        b.set_collateral("BTC", c, h)
        liq = b.liquidation("BTC")
        assert liq.up == pytest.approx(q * e / (1.01 * q * P - c * S * (1 - h)) - 1, rel=0,
                                       abs=1e-11)
        assert liq.down == -1.0


def test_liquidation_confirmed_by_revaluation():
    """With options repriced in the moved market and coin collateral, an
    account built at the returned move has equity equal to its
    maintenance margin."""
    with _account(S0, 2000.0) as b:
        liq = b.liquidation("BTC")
        assert -1.0 < liq.down < 0.0
        assert math.isinf(liq.up)  # the account is net long
        with _account(S0 * (1 + liq.down), 2000.0) as c:
            m = c.margin()
            assert abs(m.equity - m.maintenance) <= 1e-6 * m.maintenance
        # a little nearer to 0 the account is still above maintenance, a
        # little further below
        with _account(S0 * (1 + liq.down + 1e-4), 2000.0) as c:
            m = c.margin()
            assert m.equity > m.maintenance
        with _account(S0 * (1 + liq.down - 1e-4), 2000.0) as c:
            m = c.margin()
            assert m.equity < m.maintenance


def test_liquidations_of_every_underlying():
    with Book() as b:
        b.add_underlying("BTC", 30000.0, 0.0, perp=30030.0)
        b.add_underlying("ETH", 2000.0, 0.0, perp=2001.0)
        b.add_underlying("SOL", 100.0, 0.0)
        b.add_positions("linear_perp", ["BTC", "ETH"], [2.0, -10.0],
                        entry_price=[30000.0, 2000.0])
        b.set_collateral("USD", 8000.0)
        all_ = b.liquidations()
        assert isinstance(all_, BookLiquidation)
        assert isinstance(all_.down, np.ndarray) and all_.down.shape == (3,)
        for u, name in enumerate(b.underlyings):
            one = b.liquidation(name)
            assert (all_.down[u], all_.up[u]) == (one.down, one.up)
        assert all_.down[0] < 0 and math.isinf(all_.up[0])   # long BTC
        assert all_.down[1] == -1.0 and 0 < all_.up[1] < math.inf  # short ETH
        assert (all_.down[2], all_.up[2]) == (-1.0, math.inf)  # nothing on SOL


def test_margin_and_liquidations_without_numpy(monkeypatch):
    with _perp_book(2.0) as b:
        want_m, want_l = b.margin(), b.liquidations()
        monkeypatch.setattr(_arrays, "np", None)
        m = b.margin()
        assert type(m.position_im) is list and type(m.position_mm) is list
        assert m.position_im == list(want_m.position_im)
        assert m.position_mm == list(want_m.position_mm)
        assert m[:3] == want_m[:3]
        liq = b.liquidations()
        assert type(liq.down) is list and type(liq.up) is list
        assert liq == BookLiquidation(list(want_l.down), list(want_l.up))
        b.clear_positions()
        assert b.margin() == BookMargin(5000.0, 0.0, 0.0, [], [])
    with Book() as b:
        assert b.liquidations() == BookLiquidation([], [])


# ---- bad input -----------------------------------------------------------------
def test_margin_bad_input():
    with _account(S0, 1000.0) as b:
        before, liq = b.margin(), b.liquidation("BTC")
        with pytest.raises(qpm.QpmInvalidError, match=r'^QPM_E_INVALID: asset = 1: must be < 1 '
                           r'\(the number of underlyings\) or "USD"$'):
            b.set_collateral(1, 1.0)
        with pytest.raises(qpm.QpmInvalidError, match='asset = "ETH": no such underlying'):
            b.set_collateral("ETH", 1.0)
        with pytest.raises(qpm.QpmInvalidError, match='asset = "usd": no such underlying'):
            b.set_collateral("usd", 1.0)  # "USD" is spelt exactly
        with pytest.raises(qpm.QpmInvalidError, match=r"amount = -1: must be >= 0"):
            b.set_collateral("BTC", -1.0)
        with pytest.raises(qpm.QpmInvalidError, match=r"amount = -0\.5: must be >= 0"):
            b.set_collateral(USD, -0.5)
        with pytest.raises(qpm.QpmInvalidError, match=r"haircut = 1: must be in \[0, 1\)"):
            b.set_collateral("BTC", 1.0, 1.0)
        with pytest.raises(qpm.QpmInvalidError, match=r"haircut = -0\.5: must be in \[0, 1\)"):
            b.set_collateral(USD, 1.0, -0.5)
        with pytest.raises(qpm.QpmNonFiniteError, match="amount = nan: must be finite"):
            b.set_collateral("BTC", math.nan)
        with pytest.raises(qpm.QpmNonFiniteError, match="amount = inf: must be finite"):
            b.set_collateral(USD, math.inf)
        with pytest.raises(qpm.QpmNonFiniteError, match="haircut = nan: must be finite"):
            b.set_collateral("BTC", 1.0, math.nan)
        with pytest.raises(ValueError, match="asset = -1: must be >= 0"):
            b.set_collateral(-1, 1.0)
        with pytest.raises(TypeError, match="asset must be an integer, got float"):
            b.set_collateral(0.5, 1.0)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="amount must be a real number"):
            b.set_collateral("BTC", "1")  # type: ignore[arg-type]
        with pytest.raises(qpm.QpmInvalidError, match='underlying = "ETH": no such underlying'):
            b.liquidation("ETH")
        with pytest.raises(IndexError, match="underlying 3 out of range: the book has 1"):
            b.liquidation(3)
        # the book stays usable, its collateral unchanged
        assert b.margin()[:3] == before[:3]
        np.testing.assert_array_equal(b.margin().position_im, before.position_im)
        assert b.liquidation("BTC") == liq


def test_margin_overflow():
    with _perp_book(1e305) as b:
        with pytest.raises(qpm.QpmNumericalError, match="beyond the range of double"):
            b.margin()
        with pytest.raises(qpm.QpmNumericalError, match="beyond the range of double"):
            b.liquidation("BTC")
        with pytest.raises(qpm.QpmNumericalError, match="beyond the range of double"):
            b.liquidations()


# ---- the risk matrix -----------------------------------------------------------
def _two_coin_account():
    """BTC and ETH with perps, futures, options of both settlements and an
    ETH LP range; collateral in USD, BTC and ETH with haircuts."""
    b = Book()
    b.add_underlying("BTC", S0, 0.04, perp=S0 * 1.0005)
    b.add_underlying("ETH", 2000.0, 0.04, perp=2001.0)
    b.set_forward("BTC", "M", S0 * 1.008, 0.2)
    b.set_forward("ETH", "M", 2015.0, 0.2)
    b.add_positions(["linear_perp", "inverse_perp", "linear_future", "linear_option",
                     "inverse_option", "linear_option", "amm_v3"],
                    ["BTC", "ETH", "ETH", "BTC", "BTC", "ETH", "ETH"],
                    [-1.5, 20000.0, -8.0, -2.0, 1.0, -10.0, 150.0],
                    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
                    expiry=[None, None, "M", "M", "M", "M", None],
                    option_type=[None, None, None, "put", "call", "call", None],
                    strike=[None, None, None, 27000.0, 33000.0, 2300.0, None],
                    entry_price=[29500.0, 1990.0, 2010.0, None, None, None, None],
                    sigma=[None, None, None, 0.55, 0.6, 0.7, None],
                    price_lower=[None] * 6 + [1700.0], price_upper=[None] * 6 + [2400.0],
                    fee_rate=[None] * 6 + [0.1])
    b.set_collateral(USD, 15000.0, 0.01)
    b.set_collateral("BTC", 0.8, 0.05)
    b.set_collateral("ETH", 6.0, 0.1)
    return b


def test_margin_grid_zero_cell_is_margin():
    with _two_coin_account() as b:
        m = b.margin()
        for u in (None, "BTC", "ETH", 0, 1):
            g = b.margin_grid(GRID_SPOT_SHIFTS, GRID_VOL_SHIFTS, underlying=u)
            assert isinstance(g, MarginGrid)
            assert g.equity.shape == g.maintenance.shape == g.ratio.shape == (17, 3)
            i0, j0 = GRID_SPOT_SHIFTS.index(0.0), GRID_VOL_SHIFTS.index(0.0)
            assert g.equity[i0, j0] == pytest.approx(m.equity, rel=1e-13, abs=0)
            assert g.maintenance[i0, j0] == pytest.approx(m.maintenance, rel=1e-13, abs=0)
            assert g.ratio[i0, j0] == pytest.approx(m.maintenance / m.equity, rel=1e-12)
        # no vol shifts: one column, the grid's vol-0 column
        g1 = b.margin_grid([-0.1, 0.0, 0.1])
        assert g1.equity.shape == (3, 1)
        g3 = b.margin_grid([-0.1, 0.0, 0.1], [-0.3, 0.0, 0.3])
        np.testing.assert_array_equal(g1.equity[:, 0], g3.equity[:, 1])
        np.testing.assert_array_equal(g1.maintenance[:, 0], g3.maintenance[:, 1])
        # a scalar is one shift; the book's market is left as it was
        g0 = b.margin_grid(0.0, 0.0)
        assert g0.equity.shape == (1, 1)
        assert b.margin()[:3] == m[:3]


def test_margin_grid_equity_change_is_pnl_plus_collateral():
    """Funding off, the equity of a cell less the equity now is the
    scenario grid's P&L plus the change in the moved coins' collateral."""
    xs, vs = GRID_SPOT_SHIFTS, GRID_VOL_SHIFTS
    with _two_coin_account() as b:
        e0 = b.margin().equity
        coll = {"BTC": 0.8 * S0 * 0.95, "ETH": 6.0 * 2000.0 * 0.9}  # counted value now
        for u in (None, "BTC", "ETH"):
            g = b.margin_grid(xs, vs, u)
            pnl = b.scenario_grid(u, xs, vs).pnl
            moved = sum(coll.values()) if u is None else coll[u]
            want = pnl + moved * np.asarray(xs)[:, None]
            scale = abs(e0) + np.abs(want)
            assert np.all(np.abs((g.equity - e0) - want) <= 1e-11 * scale), u
        # ETH alone moved: BTC's collateral and positions do not move
        g = b.margin_grid([0.2], None, "ETH")
        assert g.equity[0, 0] - e0 == pytest.approx(
            b.scenario_grid("ETH", [0.2], None).pnl[0, 0] + 0.2 * coll["ETH"], rel=1e-12)


def test_margin_grid_against_books_rebuilt_in_the_cell():
    xs, vs = [-0.3, -0.05, 0.0, 0.12, 0.5], [-0.4, 0.0, 0.25]
    with _account(S0, 2000.0) as b:
        g = b.margin_grid(xs, vs, "BTC")
        for i, x in enumerate(xs):
            for j, v in enumerate(vs):
                with _account(S0 * (1 + x), 2000.0, vol=1 + v) as c:
                    m = c.margin()
                    assert g.equity[i, j] == pytest.approx(m.equity, rel=1e-12), (x, v)
                    assert g.maintenance[i, j] == pytest.approx(m.maintenance, rel=1e-12)
                    if m.equity > 0:
                        assert g.ratio[i, j] == pytest.approx(m.maintenance / m.equity,
                                                              rel=1e-11)
                    else:
                        assert g.ratio[i, j] == math.inf
        assert g.equity[0, 1] < 0 < g.equity[2, 1]  # -30 % wipes the account out
        # one underlying: all underlyings together is the same grid
        ga = b.margin_grid(xs, vs)
        np.testing.assert_array_equal(ga.equity, g.equity)
        np.testing.assert_array_equal(ga.maintenance, g.maintenance)


def test_margin_grid_ratio_is_inf_where_equity_is_not_positive():
    # a short perp against USD: equity C - 2 (P (1 + x) - e) falls through 0
    with _perp_book(-2.0) as b:
        xs = [0.0, 0.05, 0.2, 0.5]
        g = b.margin_grid(xs)
        P, e, C = 30030.0, 30000.0, 5000.0
        want_e = [C - 2 * (P * (1 + x) - e) for x in xs]
        want_m = [0.01 * 2 * P * (1 + x) for x in xs]
        np.testing.assert_allclose(g.equity[:, 0], want_e, rtol=1e-13, atol=1e-9)
        np.testing.assert_allclose(g.maintenance[:, 0], want_m, rtol=1e-13)
        assert g.equity[2, 0] < 0 and g.equity[3, 0] < 0
        assert g.ratio[0, 0] == pytest.approx(want_m[0] / want_e[0], rel=1e-13)
        assert 0 < g.ratio[1, 0] < math.inf
        assert g.ratio[2, 0] == math.inf and g.ratio[3, 0] == math.inf
        # equity exactly 0: inf as well (no collateral, no positions)
        b.clear_positions()
        b.set_collateral("USD", 0.0)
        g = b.margin_grid([0.0, 0.1])
        assert g.equity.tolist() == [[0.0], [0.0]] and g.maintenance.tolist() == [[0.0], [0.0]]
        assert g.ratio.tolist() == [[math.inf], [math.inf]]
        # no margin and positive equity: 0
        b.set_collateral("USD", 10.0)
        assert b.margin_grid([0.0]).ratio.tolist() == [[0.0]]


def test_margin_grid_without_numpy(monkeypatch):
    with _perp_book(-2.0) as b:
        want = b.margin_grid([-0.1, 0.0, 0.5], [0.0, 0.2])
        monkeypatch.setattr(_arrays, "np", None)
        g = b.margin_grid([-0.1, 0.0, 0.5], [0.0, 0.2])
        assert type(g.equity) is list and type(g.equity[0]) is list
        assert g.equity == want.equity.tolist()
        assert g.maintenance == want.maintenance.tolist()
        assert g.ratio == want.ratio.tolist()
        assert g.ratio[2] == [math.inf, math.inf]


def test_margin_grid_bad_input():
    with _account(S0, 1000.0) as b:
        before = b.margin_grid([-0.1, 0.1], [0.0, 0.3])
        with pytest.raises(qpm.QpmInvalidError,
                           match=r"^QPM_E_INVALID: spot shift 1 = -1: must be > -1$"):
            b.margin_grid([0.0, -1.0])
        with pytest.raises(qpm.QpmInvalidError, match=r"vol shift 2 = -1\.5: must be > -1"):
            b.margin_grid([0.0], [0.0, 0.1, -1.5])
        with pytest.raises(qpm.QpmNonFiniteError, match=r"spot shift 0 = nan: must be finite"):
            b.margin_grid([math.nan])
        with pytest.raises(qpm.QpmNonFiniteError, match=r"vol shift 0 = inf: must be finite"):
            b.margin_grid([0.0], [math.inf])
        with pytest.raises(qpm.QpmInvalidError,
                           match=r"spot shift 0 = 1e\+308: a moved price of underlying 0 "
                                 r"\(BTC\) leaves the floating-point range"):
            b.margin_grid([1e308])
        with pytest.raises(qpm.QpmSizeError, match=r"len\(spot_shifts\) = 0: must be >= 1"):
            b.margin_grid([])
        with pytest.raises(qpm.QpmSizeError, match=r"len\(vol_shifts\) = 0: must be >= 1"):
            b.margin_grid([0.0], [])
        with pytest.raises(ValueError, match="spot_shifts must be one-dimensional"):
            b.margin_grid([[0.0, 0.1]])
        with pytest.raises(TypeError, match="vol_shifts"):
            b.margin_grid([0.0], "0.1")  # type: ignore[arg-type]
        with pytest.raises(qpm.QpmInvalidError, match='underlying = "ETH": no such underlying'):
            b.margin_grid([0.0], underlying="ETH")
        with pytest.raises(IndexError, match="underlying 1 out of range: the book has 1"):
            b.margin_grid([0.0], underlying=1)
        # the book stays usable and unchanged
        after = b.margin_grid([-0.1, 0.1], [0.0, 0.3])
        np.testing.assert_array_equal(after.equity, before.equity)
        np.testing.assert_array_equal(after.maintenance, before.maintenance)
    with Book() as b:
        with pytest.raises(qpm.QpmStateError, match="the book has no underlyings"):
            b.margin_grid([0.0])
    with _perp_book(1e305) as b:  # beyond the range already at the current market
        with pytest.raises(qpm.QpmNumericalError, match="beyond the range of double"):
            b.margin_grid([0.0, 0.1])
    with _perp_book(1e303) as b:  # finite now, beyond the range 10^4 times higher
        assert math.isfinite(b.margin().equity)
        with pytest.raises(qpm.QpmNumericalError, match=r"cell 2: equity or margin beyond "
                                                        r"the range of double"):
            b.margin_grid([0.0, 1e4], [0.0, 0.5])  # cell 2: row 1, column 0


# ---- portfolio margin ----------------------------------------------------------
def _pm_by_hand(b, rng=0.15, steps=13, down=0.25, up=0.5, ext=0.5, damp=0.3):
    xs = [-rng + 2 * rng * k / (steps - 1) for k in range(steps)]
    per = []
    for name in b.underlyings:
        worst = b.scenario_grid(name, xs, [-down, 0.0, up]).worst_loss
        ext_loss = b.scenario_grid(name, [-ext, ext], None).worst_loss
        per.append(max(0.0, worst, damp * ext_loss))
    return per


def test_portfolio_margin_against_the_scenario_grid():
    with _two_coin_account() as b:
        pm = b.portfolio_margin()
        assert isinstance(pm, BookPortfolioMargin)
        want = _pm_by_hand(b)
        assert min(want) > 0
        np.testing.assert_allclose(pm.per_underlying, want, rtol=1e-12)
        assert pm.initial == pytest.approx(sum(want), rel=1e-12)
        assert pm.maintenance == pytest.approx(0.8 * pm.initial, rel=1e-14)
        # the settings reach the model
        b.set("pm_spot_range", 0.3)
        b.set(BookKey.PM_SPOT_STEPS, 7)
        b.set("pm_dampener", 0.5)
        b.set("pm_mm_factor", 0.5)
        pm2 = b.portfolio_margin()
        np.testing.assert_allclose(pm2.per_underlying, _pm_by_hand(b, 0.3, 7, damp=0.5),
                                   rtol=1e-12)
        assert pm2.maintenance == pytest.approx(0.5 * pm2.initial, rel=1e-14)
        monkey = _arrays.np
        try:
            _arrays.np = None
            lst = b.portfolio_margin()
        finally:
            _arrays.np = monkey
        assert type(lst.per_underlying) is list and lst.per_underlying == list(
            pm2.per_underlying)
    with Book() as b:
        with pytest.raises(qpm.QpmStateError):
            b.portfolio_margin()


def test_liquidation_joint_and_leverage():
    b = qpm.Book()
    b.add_underlying("BTC", 30000.0)
    b.add_underlying("ETH", 2000.0)
    P1, P2, e1, e2, C = 30030.0, 2002.0, 30000.0, 2000.0, 10000.0
    b.set_perp("BTC", P1)
    b.set_perp("ETH", P2)
    b.add_positions(instrument=["linear_perp", "linear_perp"], underlying=[0, 1],
                    quantity=[2.0, 30.0], multiplier=[1.0, 1.0], entry_price=[e1, e2])
    b.set_collateral("USD", C)
    A = C + 2 * (P1 - e1) + 30 * (P2 - e2) - 0.01 * (2 * P1 + 30 * P2)
    B = 2 * P1 + 60 * P2 - 0.01 * (2 * P1 + 60 * P2)
    r = b.liquidation_joint([1.0, 2.0])
    assert abs(r.down - (-A / B)) <= 1e-11 and math.isinf(r.up)
    assert b.liquidation_joint({"BTC": 1.0, "ETH": 2.0}) == r
    one = b.liquidation_joint({"BTC": 1.0})
    assert abs(one.down - b.liquidation("BTC").down) <= 1e-11
    with pytest.raises(ValueError, match="unknown underlyings SOL"):
        b.liquidation_joint({"SOL": 1.0})
    with pytest.raises(qpm.QpmNonFiniteError):
        b.liquidation_joint([1.0, float("nan")])
    lev = b.leverage()
    eq = C + 2 * (P1 - e1) + 30 * (P2 - e2)
    assert abs(lev.gross_notional - (2 * P1 + 30 * P2)) <= 1e-9
    assert abs(lev.gross - lev.gross_notional / eq) <= 1e-12
    assert abs(lev.net - lev.net_delta_usd / eq) <= 1e-12
    b.set_collateral("USD", 0.0)
    b.set_perp("BTC", 20000.0)
    with pytest.raises(qpm.QpmStateError, match="leverage is undefined"):
        b.leverage()
