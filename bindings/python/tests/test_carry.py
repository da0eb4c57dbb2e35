"""qpm.carry (experimental): funding rates, funding carry and futures basis
against their closed forms; labels, fallbacks without numpy, error mapping;
the book's funding (Book.set_funding, Book.funding) and its funding horizon
in the scenario P&L (BookKey.FUNDING_HOURS)."""
import math

import numpy as np
import pytest

import qpm
from qpm import _arrays
from qpm.book import Book, BookFunding, BookKey
from qpm.carry import BASIS_FIELDS, FundingCarry, basis, funding_carry, funding_rate

REL = 1e-12
CAP = 0.0075


# ---- funding rate ------------------------------------------------------------
def test_funding_rate_within_the_dampener_is_the_interest_rate():
    # |interest - premium| <= dampener (0.0005): the interest rate (0.0001)
    for p in (0.0001, 0.0003, 0.0006, -0.0004, 0.0):
        assert funding_rate(p, cap=CAP) == pytest.approx(0.0001, rel=1e-12, abs=1e-19), p
    assert funding_rate(0.0001, cap=CAP) == 0.0001
    assert funding_rate(0.001, 0.0003, 0.001, cap=CAP) == pytest.approx(0.0003, rel=1e-12)


def test_funding_rate_beyond_the_dampener_moves_with_the_premium():
    # premium above: premium - dampener; below: premium + dampener
    assert funding_rate(0.002, cap=CAP) == pytest.approx(0.0015, rel=1e-12)
    assert funding_rate(0.0031, 0.0001, 0.0005, cap=CAP) == pytest.approx(0.0026, rel=1e-12)
    assert funding_rate(0.002, 0.0001, 0.0, cap=CAP) == 0.002  # no dampener: the premium


def test_funding_rate_negative_premium_gives_a_negative_rate():
    assert funding_rate(-0.001, cap=CAP) == pytest.approx(-0.0005, rel=1e-12)
    assert funding_rate(-0.003, cap=CAP) == pytest.approx(-0.0025, rel=1e-12)
    assert funding_rate(-0.003, -0.0001, 0.0005, cap=CAP) == pytest.approx(-0.0025, rel=1e-12)


def test_funding_rate_is_capped_both_ways():
    assert funding_rate(0.05, cap=CAP) == CAP
    assert funding_rate(-0.05, cap=CAP) == -CAP
    assert funding_rate(1.0, cap=0.02) == 0.02
    assert funding_rate(0.0081, cap=CAP) == CAP  # 0.0076 after the dampener: capped
    assert funding_rate(0.0079, cap=CAP) == pytest.approx(0.0074, rel=1e-12)


def test_funding_rate_cap_is_required():
    with pytest.raises(TypeError):
        funding_rate(0.001)  # type: ignore[call-arg]


@pytest.mark.parametrize("kw, exc, msg", [
    (dict(premium=1.5), qpm.QpmInvalidError, r"premium = 1\.5: must be within \[-1, 1\]"),
    (dict(premium=-1.01), qpm.QpmInvalidError, r"premium = -1\.01: must be within \[-1, 1\]"),
    (dict(interest=2.0), qpm.QpmInvalidError, r"interest = 2: must be within \[-1, 1\]"),
    (dict(dampener=-0.25), qpm.QpmInvalidError, r"dampener = -0\.25: must be >= 0"),
    (dict(cap=0.0), qpm.QpmInvalidError, r"cap = 0: must be > 0"),
    (dict(cap=-0.01), qpm.QpmInvalidError, r"cap = -0\.01: must be > 0"),
    (dict(premium=math.nan), qpm.QpmNonFiniteError, r"premium = nan: must be finite"),
    (dict(interest=math.inf), qpm.QpmNonFiniteError, r"interest = inf: must be finite"),
    (dict(dampener=math.nan), qpm.QpmNonFiniteError, r"dampener = nan: must be finite"),
    (dict(cap=math.inf), qpm.QpmNonFiniteError, r"cap = inf: must be finite"),
])
def test_funding_rate_bad_input(kw, exc, msg):
    args = dict(premium=0.001, interest=0.0001, dampener=0.0005, cap=CAP)
    args.update(kw)
    with pytest.raises(exc, match=msg):
        funding_rate(args.pop("premium"), args.pop("interest"), args.pop("dampener"), **args)


def test_funding_rate_rejects_non_numbers():
    with pytest.raises(TypeError, match="premium must be a real number"):
        funding_rate("0.001", cap=CAP)  # type: ignore[arg-type]


# ---- funding carry -----------------------------------------------------------
@pytest.mark.parametrize("rate", [0.0001, -0.0002, 0.001, 0.0375])
@pytest.mark.parametrize("days", [1.0, 7.5, 30.0, 365.0])
@pytest.mark.parametrize("cost", [0.0, 0.002])
def test_funding_carry_closed_form(rate, days, cost):
    R = (1.0 + rate) ** (3.0 * days) - 1.0 - cost
    r = funding_carry(rate, days, cost)
    assert isinstance(r, FundingCarry)
    # (1 + r)^(3 d) - 1 loses ~1e-12 relative in plain floating point
    assert r.simple == pytest.approx(R * 365.0 / days, rel=1e-9, abs=1e-15)
    assert r.compounded == pytest.approx((1.0 + R) ** (365.0 / days) - 1.0, rel=1e-9,
                                         abs=1e-15)
    assert funding_carry(rate, days) == funding_carry(rate, days, 0.0)


def test_funding_carry_of_one_basis_point_for_a_year():
    r = funding_carry(0.0001, 365.0)
    assert r.simple == pytest.approx(1.0001 ** 1095 - 1.0, rel=1e-12)
    assert r.compounded == pytest.approx(r.simple, rel=1e-12)  # one year: the same
    # compounding a month's return over a year: more than its simple rate
    m = funding_carry(0.0001, 30.0)
    assert m.compounded > m.simple > 0.1095


def test_funding_carry_total_loss_compounds_to_minus_one():
    # R = 0.5^30 - 1 - 0.5 < -1: nothing is left to compound
    r = funding_carry(-0.5, 10.0, 0.5)
    assert r.compounded == -1.0
    assert r.simple == pytest.approx((0.5 ** 30 - 1.5) * 36.5, rel=1e-12)


def test_funding_carry_overflow():
    with pytest.raises(qpm.QpmNumericalError, match="beyond the range of double") as e:
        funding_carry(0.9, 10000.0)
    assert e.value.name == "QPM_E_OVERFLOW"


@pytest.mark.parametrize("args, exc, msg", [
    ((1.0, 30.0), qpm.QpmInvalidError, r"rate = 1: must be within \(-1, 1\)"),
    ((-1.0, 30.0), qpm.QpmInvalidError, r"rate = -1: must be within \(-1, 1\)"),
    ((0.0001, 0.0), qpm.QpmInvalidError, r"days = 0: must be > 0"),
    ((0.0001, -3.0), qpm.QpmInvalidError, r"days = -3: must be > 0"),
    ((0.0001, 30.0, 1.0), qpm.QpmInvalidError, r"cost = 1: must be in \[0, 1\)"),
    ((0.0001, 30.0, -0.001), qpm.QpmInvalidError, r"cost = -0\.001: must be in \[0, 1\)"),
    ((math.nan, 30.0), qpm.QpmNonFiniteError, r"rate = nan: must be finite"),
    ((0.0001, math.inf), qpm.QpmNonFiniteError, r"days = inf: must be finite"),
    ((0.0001, 30.0, math.nan), qpm.QpmNonFiniteError, r"cost = nan: must be finite"),
])
def test_funding_carry_bad_input(args, exc, msg):
    with pytest.raises(exc, match=msg):
        funding_carry(*args)


# ---- basis -------------------------------------------------------------------
S = 60000.0
F = np.array([59000.0, 60500.0, 62000.0, 66000.0])
T = np.array([7 / 365, 30 / 365, 0.25, 1.0])


def test_basis_closed_forms():
    cost = 0.0015
    r = basis(S, F, T, cost)
    assert set(r) == set(BASIS_FIELDS)
    np.testing.assert_allclose(r["simple"], (F - S) / S / T, rtol=REL)
    np.testing.assert_allclose(r["continuous"], np.log(F / S) / T, rtol=REL)
    np.testing.assert_allclose(r["carry"], ((F - S) / S - cost) / T, rtol=REL)
    assert r["simple"][0] < 0 < r["simple"][1]  # backwardation, then contango
    # no cost: the carry is the simple basis
    r0 = basis(S, F, T)
    np.testing.assert_array_equal(r0["carry"], r0["simple"])


def test_basis_scalars_and_broadcasting():
    r = basis(S, 61000.0, 0.5, 0.001)
    assert all(type(r[k]) is float for k in BASIS_FIELDS)
    assert r["simple"] == pytest.approx(1000.0 / S / 0.5, rel=REL)
    assert r["continuous"] == pytest.approx(math.log(61000.0 / S) / 0.5, rel=REL)
    assert r["carry"] == pytest.approx((1000.0 / S - 0.001) / 0.5, rel=REL)
    # one T for every future, one future for every T
    np.testing.assert_allclose(basis(S, F, 0.5)["simple"], (F - S) / S / 0.5, rtol=REL)
    np.testing.assert_allclose(basis(S, 61000.0, T)["continuous"], math.log(61000.0 / S) / T,
                               rtol=REL)
    # plain lists
    r = basis(S, list(F), list(T))
    np.testing.assert_allclose(r["simple"], (F - S) / S / T, rtol=REL)


def test_basis_pandas_labels():
    pd = pytest.importorskip("pandas")
    names = ["BTC-7D", "BTC-30D", "BTC-3M", "BTC-1Y"]
    fut = pd.Series(F, index=names, name="future")
    r = basis(S, fut, T, 0.001)
    assert isinstance(r, pd.DataFrame)
    assert list(r.index) == names and list(r.columns) == list(BASIS_FIELDS)
    np.testing.assert_allclose(r.loc["BTC-1Y", "simple"], (66000.0 - S) / S, rtol=REL)
    r2 = basis(S, fut, pd.Series(T, index=names))
    assert list(r2.index) == names
    with pytest.raises(ValueError, match="different indexes"):
        basis(S, fut, pd.Series(T, index=names[::-1]))


def test_basis_lists_without_numpy(monkeypatch):
    want = basis(S, list(F), list(T), 0.002)
    monkeypatch.setattr(_arrays, "np", None)
    r = basis(S, list(F), list(T), 0.002)
    for k in BASIS_FIELDS:
        assert type(r[k]) is list and r[k] == list(want[k]), k
    assert type(basis(S, 61000.0, 0.5)["simple"]) is float
    with pytest.raises(qpm.QpmInvalidError, match=r"future\[1\] = -1: must be > 0"):
        basis(S, [61000.0, -1.0], 0.5)


@pytest.mark.parametrize("args, exc, msg", [
    ((S, [61000.0, 62000.0, -1.0], 0.5), qpm.QpmInvalidError, r"future\[2\] = -1: must be > 0"),
    ((S, [61000.0, 0.0], 0.5), qpm.QpmInvalidError, r"future\[1\] = 0: must be > 0"),
    ((S, [61000.0, math.nan], 0.5), qpm.QpmNonFiniteError, r"future\[1\] = nan: must be finite"),
    ((S, [61000.0, 62000.0], [0.5, 0.0]), qpm.QpmInvalidError, r"T\[1\] = 0: must be > 0"),
    ((S, 61000.0, [-0.5, 1.0]), qpm.QpmInvalidError, r"T\[0\] = -0\.5: must be > 0"),
    ((S, 61000.0, [math.inf]), qpm.QpmNonFiniteError, r"T\[0\] = inf: must be finite"),
    ((0.0, 61000.0, 0.5), qpm.QpmInvalidError, r"spot = 0: must be > 0"),
    ((-S, 61000.0, 0.5), qpm.QpmInvalidError, r"spot = -60000: must be > 0"),
    ((math.nan, 61000.0, 0.5), qpm.QpmNonFiniteError, r"spot = nan: must be finite"),
    ((S, 61000.0, 0.5, 1.0), qpm.QpmInvalidError, r"cost = 1: must be in \[0, 1\)"),
    ((S, 61000.0, 0.5, -0.01), qpm.QpmInvalidError, r"cost = -0\.01: must be in \[0, 1\)"),
    ((S, [], []), qpm.QpmSizeError, r"len\(future\) = 0: must be >= 1"),
    ((1e-300, [1.0, 1e300], 1.0), qpm.QpmNumericalError,
     r"future\[1\] = 1e\+300, T\[1\] = 1: the annualised basis is beyond the range of double"),
    ((S, 2 * S, 1e-320), qpm.QpmNumericalError, r"beyond the range of double"),
])
def test_basis_bad_input(args, exc, msg):
    with pytest.raises(exc, match=msg):
        basis(*args)


def test_basis_length_mismatch_and_types():
    with pytest.raises(ValueError, match="T has 3 elements but future has 4"):
        basis(S, F, [0.1, 0.2, 0.3])
    with pytest.raises(TypeError, match="spot must be a real number"):
        basis("60000", F, T)  # type: ignore[arg-type]


# ---- book --------------------------------------------------------------------
SB, PB = 60000.0, 60150.0   # BTC spot and perp mark
SE, PE = 3000.0, 2995.0     # ETH
QL, ML = 3.0, 0.01          # linear BTC perp: 3 contracts of 0.01 BTC
QI, MI = -200.0, 10.0       # short inverse ETH perp: 200 contracts of 10 USD


def _accrual(cur, exp, h):
    return (cur * min(h, 8.0) + exp * max(h - 8.0, 0.0)) / 8.0


def _book():
    b = Book()
    b.add_underlying("BTC", SB, 0.04, perp=PB)
    b.add_underlying("ETH", SE, 0.04, perp=PE)
    b.set_forward("BTC", "E1", 60600.0, 30 / 365)
    b.add_positions(["linear_perp", "inverse_perp", "spot", "linear_future", "linear_option"],
                    ["BTC", "ETH", "ETH", "BTC", "BTC"], [QL, QI, 5.0, 2.0, 1.0],
                    [ML, MI, 1.0, 0.01, 0.1],
                    expiry=[None, None, None, "E1", "E1"],
                    option_type=[None, None, None, None, "call"],
                    strike=[None, None, None, None, 65000.0],
                    entry_price=[59000.0, 3100.0, None, 60000.0, None],
                    sigma=[None, None, None, None, 0.6])
    return b


def test_book_funding_closed_forms():
    with _book() as b:
        # no rates set: no funding
        f = b.funding()
        assert isinstance(f, BookFunding)
        np.testing.assert_array_equal(f.position, np.zeros(5))
        np.testing.assert_array_equal(f.underlying, np.zeros(2))
        b.set_funding("BTC", 0.0001, 0.00025)
        b.set_funding(1, -0.0003, 0.0002)
        f = b.funding(24)
        lin = -QL * ML * PB * (0.0001 * 8 + 0.00025 * 16) / 8
        inv = -QI * MI * SE / PE * (-0.0003 * 8 + 0.0002 * 16) / 8  # short: receives Q m S/P x
        np.testing.assert_allclose(f.position, [lin, inv, 0.0, 0.0, 0.0], rtol=REL, atol=0)
        np.testing.assert_allclose(f.underlying, [lin, inv], rtol=REL, atol=0)
        assert lin < 0 < inv  # the long pays a positive rate, the short receives one
        np.testing.assert_array_equal(b.funding().position, f.position)  # 24 h by default
        # within the first 8 hours only the current rate counts
        for h in (0.0, 3.0, 8.0, 30.5):
            g = b.funding(h)
            assert g.position[0] == pytest.approx(-QL * ML * PB * _accrual(0.0001, 0.00025, h),
                                                  rel=REL, abs=0)
            assert g.underlying[1] == pytest.approx(-QI * MI * SE / PE
                                                    * _accrual(-0.0003, 0.0002, h), rel=REL,
                                                    abs=0)
        assert b.funding(0).position[0] == 0.0


def test_book_set_funding_expected_defaults_to_current():
    with _book() as b:
        b.set_funding("BTC", 0.0002)
        assert b.funding(24).position[0] == pytest.approx(-QL * ML * PB * 0.0006, rel=REL)
        b.set_funding("BTC", 0.0002, 0.0)
        assert b.funding(24).position[0] == pytest.approx(-QL * ML * PB * 0.0002, rel=REL)


def test_book_funding_pandas_free_and_without_numpy(monkeypatch):
    with Book() as b:
        b.add_underlying("BTC", SB, 0.0, perp=PB)
        b.set_funding("BTC", 0.0001)
        f = b.funding()  # no positions: no rows
        assert len(f.position) == 0 and list(f.underlying) == [0.0]
        monkeypatch.setattr(_arrays, "np", None)
        assert b.funding() == BookFunding([], [0.0])
        b.add_positions("linear_perp", "BTC", [1.0, -2.0], entry_price=60000.0)
        f = b.funding(8)
        assert type(f.position) is list and type(f.underlying) is list
        assert f.position == pytest.approx([-PB * 0.0001, 2 * PB * 0.0001], rel=REL)
        assert f.underlying == pytest.approx([PB * 0.0001], rel=REL)


def test_book_funding_horizon_setting():
    assert BookKey.FUNDING_HOURS == 2
    assert Book.bounds(BookKey.FUNDING_HOURS) == (0.0, 87600.0)
    assert Book.bounds("funding_hours") == (0.0, 87600.0)
    with _book() as b:
        assert b.funding_hours == 0.0
        b.funding_hours = 24
        assert b.funding_hours == 24.0 and b.get(BookKey.FUNDING_HOURS) == 24.0
        b.set("funding_hours", 12.5)
        assert b.get("FUNDING_HOURS") == 12.5
        with pytest.raises(qpm.QpmRangeError, match=r"funding_hours = -1: must be in \[0, 87600\]"):
            b.funding_hours = -1
        with pytest.raises(qpm.QpmRangeError, match="funding_hours"):
            b.set(BookKey.FUNDING_HOURS, 87601)
        assert b.funding_hours == 12.5  # unchanged by the refused values


def test_book_pnl_with_a_funding_horizon():
    moves = np.array([[0.0, 0.0], [0.1, -0.05], [-0.2, 0.3], [0.05, 0.0], [-0.5, -0.5]])
    with _book() as b:
        b.set_funding("BTC", 0.0001, 0.00025)
        b.set_funding("ETH", -0.0003, 0.0002)
        base = b.pnl(moves)
        assert base[0] == 0.0  # no horizon: a zero move gives exactly 0
        b.funding_hours = 24
        with_f = b.pnl(moves)
        f = b.funding(24)
        # in the moved market the linear perp's notional Q m P scales by
        # 1 + x; the inverse one's Q m S / P does not move
        want = f.underlying[0] * (1 + moves[:, 0]) + f.underlying[1]
        np.testing.assert_allclose(with_f - base, want, rtol=1e-9, atol=1e-9)
        assert with_f[0] == pytest.approx(f.underlying.sum(), rel=1e-12)
        # a shorter horizon: only the current rate
        b.funding_hours = 4
        np.testing.assert_allclose(b.pnl(moves) - base, b.funding(4).underlying[0]
                                   * (1 + moves[:, 0]) + b.funding(4).underlying[1],
                                   rtol=1e-9, atol=1e-9)
        # the grid of one underlying carries its funding too
        b.funding_hours = 24
        g = b.scenario_grid("BTC", spot_shifts=[-0.1, 0.0, 0.1], vol_shifts=None)
        b.funding_hours = 0
        g0 = b.scenario_grid("BTC", spot_shifts=[-0.1, 0.0, 0.1], vol_shifts=None)
        np.testing.assert_allclose(np.asarray(g.pnl)[:, 0] - np.asarray(g0.pnl)[:, 0],
                                   f.underlying[0] * np.array([0.9, 1.0, 1.1]) + f.underlying[1],
                                   rtol=1e-9, atol=1e-9)


def test_book_funding_bad_input():
    with _book() as b:
        b.set_funding("BTC", 0.0001)
        before = b.funding()
        with pytest.raises(qpm.QpmInvalidError, match='underlying = "DOGE": no such underlying'):
            b.set_funding("DOGE", 0.0001)
        with pytest.raises(IndexError, match="underlying 2 out of range: the book has 2"):
            b.set_funding(2, 0.0001)
        with pytest.raises(qpm.QpmInvalidError,
                           match=r"current = 1\.5: a funding rate per 8 hours must be within"):
            b.set_funding("BTC", 1.5)
        with pytest.raises(qpm.QpmInvalidError,
                           match=r"expected = -1\.01: a funding rate per 8 hours must be"):
            b.set_funding("BTC", 0.0001, -1.01)
        with pytest.raises(qpm.QpmNonFiniteError, match="current = nan: must be finite"):
            b.set_funding("BTC", math.nan, 0.0)
        with pytest.raises(qpm.QpmNonFiniteError, match="expected = inf: must be finite"):
            b.set_funding("BTC", 0.0, math.inf)
        with pytest.raises(qpm.QpmInvalidError, match=r"hours = -1: must be >= 0"):
            b.funding(-1)
        with pytest.raises(qpm.QpmNonFiniteError, match="hours = nan: must be finite"):
            b.funding(math.nan)
        with pytest.raises(TypeError, match="current must be a real number"):
            b.set_funding("BTC", "0.0001")  # type: ignore[arg-type]
        # the book stays usable, its rates unchanged
        np.testing.assert_array_equal(b.funding().position, before.position)
        np.testing.assert_array_equal(b.funding().underlying, before.underlying)


def test_book_funding_overflow():
    with Book() as b:
        b.add_underlying("BTC", SB, 0.0, perp=PB)
        b.add_positions("linear_perp", "BTC", 1e305, 1e3, entry_price=PB)  # Q m P > 1.8e308
        b.set_funding("BTC", 0.0001)
        with pytest.raises(qpm.QpmNumericalError, match="position 0: funding beyond the range"):
            b.funding()


def test_book_decay_days_moves_options_closer_to_expiry():
    def make(days_gone, x):
        b = Book()
        b.add_underlying("BTC", 30000.0 * (1 + x), 0.03)
        b.set_forward("BTC", 0, 30400.0 * (1 + x), 40 / 365 - days_gone / 365)
        b.add_positions("linear_option", "BTC", 2.0, expiry=0, option_type="put",
                        strike=29000.0, sigma=0.6)
        return b
    assert Book.bounds("decay_days") == (0.0, 3650.0)
    with make(0, 0.0) as a, make(3, -0.05) as later:
        base = float(np.sum(a.values()["value_usd"]))
        plain = a.pnl([[-0.05]])[0]
        a.decay_days = 3
        assert a.decay_days == 3.0
        want = float(np.sum(later.values()["value_usd"])) - base
        got = a.pnl([[-0.05]])[0]
        assert abs(got - want) <= 1e-9 * base
        assert got != plain
