"""Book positions priced off a vol surface (experimental): values at the
surface's vols, the two scenario dynamics, the copy held by the book, bad
input."""
import numpy as np
import pytest

import qpm
from qpm.book import SURFACE_VOL, Book


def _surface():
    s = qpm.Surface()
    s.set_slice(0.1, 30100.0, (0.03, 0.05, -0.4, 0.02, 0.15))
    s.set_slice(0.5, 30600.0, (0.15, 0.08, -0.35, 0.03, 0.2))
    return s


def _book(sig, surface=None, dynamics="sticky_strike", x=0.0):
    b = Book()
    b.add_underlying("BTC", 30000.0 * (1 + x), 0.03)
    b.set_forward("BTC", 1, 30100.0 * (1 + x), 0.1)
    b.set_forward("BTC", 2, 30600.0 * (1 + x), 0.5)
    if surface is not None:
        b.set_surface("BTC", surface, dynamics)
    b.add_positions("linear_option", "BTC", [-3.0, 2.0, 1.5, -1.0], expiry=[1, 1, 2, 2],
                    option_type=["put", "put", "call", "call"],
                    strike=[24000.0, 28000.0, 30000.0, 36000.0], sigma=sig)
    return b


K = np.array([24000.0, 28000.0, 30000.0, 36000.0])
T = np.array([0.1, 0.1, 0.5, 0.5])
F = np.array([30100.0, 30100.0, 30600.0, 30600.0])


def test_book_prices_off_the_surface():
    with _surface() as s:
        vols = np.asarray(s.vol_k(T, np.log(K / F)))
        with _book(SURFACE_VOL, s) as a, _book(vols) as flat:
            va, vf = np.asarray(a.values()["value_usd"]), np.asarray(flat.values()["value_usd"])
            assert np.allclose(va, vf, rtol=1e-13)
            xs = [[-0.2], [0.1]]
            assert np.allclose(a.pnl(xs), flat.pnl(xs), rtol=1e-12)
        with _book(SURFACE_VOL, s, "sticky_moneyness") as m:
            p = m.pnl([[-0.2]])[0]
            moved = np.asarray(s.vol_k(T, np.log(K / (0.8 * F))))
            with _book(moved, x=-0.2) as later, _book(vols) as flat:
                want = (float(np.sum(later.values()["value_usd"]))
                        - float(np.sum(flat.values()["value_usd"])))
            assert abs(p - want) <= 1e-9 * abs(want)


def test_book_surface_bad_input():
    with _surface() as s, Book() as b:
        b.add_underlying("BTC", 30000.0, 0.0)
        b.set_forward("BTC", 1, 30100.0, 0.1)
        with pytest.raises(qpm.QpmInvalidError, match="has none"):
            b.add_positions("linear_option", "BTC", 1.0, expiry=1, option_type="call",
                            strike=30000.0, sigma=SURFACE_VOL)
        with pytest.raises(ValueError, match="dynamics"):
            b.set_surface("BTC", s, "sticky_delta")
        with pytest.raises(TypeError):
            b.set_surface("BTC", "surface")
        b.set_surface("BTC", s)
        b.add_positions("linear_option", "BTC", 1.0, expiry=1, option_type="call",
                        strike=30000.0, sigma=SURFACE_VOL)
        with pytest.raises(qpm.QpmStateError, match="prices off the surface"):
            b.set_surface("BTC", None)
        b.clear_positions()
        b.set_surface(0, None)
