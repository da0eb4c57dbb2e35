"""Carry of perpetual swaps and futures: the funding rate exchanges fix from a
premium index, the annualised return of receiving funding, and the basis of
futures against the spot.

Experimental: these wrap libqpm's experimental tier (``include/qpm/carry.h``);
their names and signatures may change in any minor release.

Conventions are the library's: a funding rate is per 8 hours as a fraction
of the notional (0.0001 = 0.01 %, three payments a day; positive: longs pay
shorts), fixed by exchanges from the premium index p and the interest rate i
(both per 8 hours) as ``clamp(p + clamp(i - p, -dampener, dampener), -cap,
cap)``.  Time to expiry T is in years (ACT/365).  The basis of a future F
against the spot S is quoted annualised: simple ``(F/S - 1)/T``, continuous
``ln(F/S)/T`` (the rate the future implies), and the cash-and-carry trade
(buy spot, sell the future, deliver) ``(F/S - 1 - cost)/T``, with ``cost``
its round-trip trading cost as a fraction of the notional.

:func:`basis` takes scalars or 1-D arrays of futures and expiries and
broadcasts them as :func:`qpm.amm.lp_position` does: all-scalar inputs give
floats, pandas Series give a DataFrame on their index.  Bad input raises the
:class:`QpmError` subclass of the library's status with its message, in this
module's argument names (``future[2] = -1: must be > 0``).  The book applies
funding to its perpetual positions: :meth:`qpm.Book.set_funding`,
:meth:`qpm.Book.funding` and the setting ``funding_hours``.
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, NamedTuple, overload

from . import _arrays, _labels, _lib
from ._errors import check, register_names
from ._typing import ArrayLike, FloatArray, Real

__all__ = ["FundingCarry", "BASIS_FIELDS", "funding_rate", "funding_carry", "basis"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

# experimental tier
_lib.declare("qpm_funding_rate", _int, _d, _d, _d, _d, _vp)
_lib.declare("qpm_funding_carry", _int, _d, _d, _d, _vp, _vp)
_lib.declare("qpm_basis", _int, _sz, _d, _vp, _vp, _d, _vp, _vp, _vp)

register_names({"qpm_funding_rate": "funding_rate()", "qpm_funding_carry": "funding_carry()",
                "qpm_basis": "basis()"})

#: The outputs of :func:`basis`, in the library's order.
BASIS_FIELDS = ("simple", "continuous", "carry")


class FundingCarry(NamedTuple):
    """Result of :func:`funding_carry`: the annualised return of receiving
    the funding rate over the horizon, net of the trading cost."""
    simple: float      #: R x 365 / days
    compounded: float  #: (1 + R)^(365 / days) - 1 (-1 when R <= -1)


def funding_rate(premium: Real, interest: Real = 0.0001, dampener: Real = 0.0005, *,
                 cap: Real) -> float:
    """The funding rate per 8 hours an exchange fixes from the premium index
    ``premium`` and the interest rate ``interest`` (both per 8 hours,
    |x| <= 1) with the dampener ``dampener`` (>= 0) and the cap ``cap``
    (> 0, keyword-only and required: it differs between venues and
    contracts) (experimental): ``clamp(premium + clamp(interest - premium,
    -dampener, dampener), -cap, cap)``.  The defaults are the usual venue
    values, 0.01 % interest and a 0.05 % dampener: a premium within the
    dampener of the interest rate gives the interest rate.  Raises
    QpmInvalidError (|premium| or |interest| > 1, dampener < 0, cap <= 0)
    and QpmNonFiniteError."""
    r = ctypes.c_double()
    check(_lib.fn("qpm_funding_rate")(_arrays.double(premium, "premium"),
                                      _arrays.double(interest, "interest"),
                                      _arrays.double(dampener, "dampener"),
                                      _arrays.double(cap, "cap"), ctypes.byref(r)))
    return r.value


def funding_carry(rate: Real, days: Real, cost: Real = 0.0) -> FundingCarry:
    """The annualised return of receiving the funding rate ``rate`` (per 8
    hours, |rate| < 1) for ``days`` days (> 0) on a delta-neutral position
    (long spot and short perp when rate > 0), less ``cost``, its round-trip
    trading cost as a fraction of the notional (0 <= cost < 1)
    (experimental).  Over the horizon R = (1 + rate)^(3 days) - 1 - cost;
    returns :class:`FundingCarry` (``simple`` = R 365/days, ``compounded``
    = (1 + R)^(365/days) - 1).  Raises QpmInvalidError (|rate| >= 1,
    days <= 0, cost outside [0, 1)), QpmNonFiniteError and
    QpmNumericalError (QPM_E_OVERFLOW: a return beyond the range of
    double)."""
    s, c = ctypes.c_double(), ctypes.c_double()
    check(_lib.fn("qpm_funding_carry")(_arrays.double(rate, "rate"), _arrays.double(days, "days"),
                                       _arrays.double(cost, "cost"), ctypes.byref(s),
                                       ctypes.byref(c)))
    return FundingCarry(s.value, c.value)


@overload
def basis(spot: Real, future: Real, T: Real,  # type: ignore[misc]
          cost: Real = ...) -> Dict[str, float]: ...


@overload
def basis(spot: Real, future: ArrayLike, T: ArrayLike,
          cost: Real = ...) -> Dict[str, FloatArray]: ...


def basis(spot: Any, future: Any, T: Any, cost: Any = 0.0) -> Any:
    """Annualised basis of futures against the spot (experimental).

    spot: the spot index S > 0; future: futures prices F > 0; T: their times
    to expiry in years (> 0); future and T are scalars or 1-D arrays of one
    length (a scalar is repeated); cost: the round-trip cost of the
    cash-and-carry trade as a fraction of the notional, 0 <= cost < 1.
    Returns the outputs :data:`BASIS_FIELDS` per expiry: ``simple``
    ``(F - S)/S/T``, ``continuous`` ``ln(F/S)/T`` (the implied rate) and
    ``carry`` ``((F - S)/S - cost)/T`` (the cash-and-carry return net of
    cost), as a dict of arrays (lists without numpy; floats for all-scalar
    input), or a DataFrame on the index of pandas Series inputs.  Raises
    QpmInvalidError (a price or T <= 0, cost outside [0, 1)),
    QpmNonFiniteError, QpmSizeError (no futures) and QpmNumericalError
    (QPM_E_OVERFLOW: a basis beyond the range of double), naming the
    element; ValueError when future and T differ in length."""
    index = _labels.common_index([future, T], ["future", "T"])
    n, (f, t), scalar = _arrays.broadcast([future, T], ["future", "T"])
    outs = {k: _arrays.output(n, None, k) for k in BASIS_FIELDS}
    check(_lib.fn("qpm_basis")(n, _arrays.double(spot, "spot"), f.addr, t.addr,
                               _arrays.double(cost, "cost"),
                               *[o.addr for o in outs.values()]),
          {"n": "len(future)"})
    if scalar:
        return {k: float(o.obj[0]) for k, o in outs.items()}
    return _labels.frame_of({k: o.result() for k, o in outs.items()}, index)
