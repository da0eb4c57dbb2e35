"""European options under stochastic volatility and jumps, priced
semi-analytically: Heston (1993), Bates (Heston plus lognormal jumps) and
Merton (1976) jump-diffusion.

Experimental: these wrap libqpm's experimental tier (``include/qpm/models.h``);
their names and signatures may change in any minor release.

Conventions are the library's: spot-based, USD-settled options with spot S,
strikes K, expiry T in years, rate r and yield q (forward F = S e^{(r-q)T}).
:class:`Heston` holds the variances v0 and theta (not vols), the
mean-reversion speed kappa, the vol of variance sigma and the correlation
rho.  :class:`Jumps` holds the intensity (jumps per year; ``lambda`` in C),
the mean mu and standard deviation delta of the log jump, compensated by
kbar = exp(mu + delta^2/2) - 1 as QuantLib's Merton76Process.

Each call prices one expiry: S, T, r, q and the model are scalars; ``K`` and
``type`` (``"call"``/``"put"``, or :data:`qpm.CALL`/:data:`qpm.PUT`) are
scalars or 1-D arrays and broadcast together.  One set of
characteristic-function evaluations serves every strike.  With
``greeks=True`` the results are ``price``, ``delta`` (dV/dS), ``gamma``
(d2V/dS2) and ``vega`` (dV/dv0 for Heston and Bates, dV/dsigma for Merton)
as a dict of arrays (floats for scalar input), or a DataFrame on the index
of a pandas Series ``K``; otherwise the prices alone (a float, an array or a
Series).  Bad input raises the :class:`QpmError` subclass of the library's
status with its message (``K[3] = -1: must be > 0``,
``heston.rho = 1: must be in (-1, 1)``).
"""
from __future__ import annotations

import ctypes
from typing import Any, NamedTuple, Optional, Union

from . import _arrays, _labels, _lib
from ._errors import check, register_names
from ._typing import ArrayLike, Real
from .pricing import _type_codes

__all__ = ["Heston", "Jumps", "GREEK_FIELDS", "heston_price", "bates_price", "merton_price",
           "heston_smile", "merton_smile"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

# experimental tier
_lib.declare("qpm_heston_price", _int, _vp, _d, _d, _d, _d, _sz, _vp, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_bates_price", _int, _vp, _vp, _d, _d, _d, _d, _sz, _vp, _vp, _vp, _vp, _vp,
             _vp)
_lib.declare("qpm_merton_price", _int, _d, _vp, _d, _d, _d, _d, _sz, _vp, _vp, _vp, _vp, _vp,
             _vp)
_lib.declare("qpm_heston_smile", _int, _vp, _vp, _d, _d, _d, _d, _sz, _vp, _vp, _vp, _vp)
_lib.declare("qpm_merton_smile", _int, _d, _vp, _d, _d, _d, _d, _sz, _vp, _vp, _vp, _vp)

register_names({"qpm_heston": "Heston", "qpm_jumps": "Jumps",
                "qpm_heston_price": "heston_price()", "qpm_bates_price": "bates_price()",
                "qpm_merton_price": "merton_price()", "qpm_heston_smile": "heston_smile()",
                "qpm_merton_smile": "merton_smile()"})

#: The outputs with ``greeks=True``, in the library's order.
GREEK_FIELDS = ("price", "delta", "gamma", "vega")


class Heston(NamedTuple):
    """Heston parameters (``qpm_heston``)."""
    v0: float     #: initial variance, > 0
    kappa: float  #: mean-reversion speed per year, > 0
    theta: float  #: long-run variance, > 0
    sigma: float  #: vol of variance, >= 0
    rho: float    #: correlation of spot and variance, in (-1, 1)


class Jumps(NamedTuple):
    """Lognormal jumps of the log price (``qpm_jumps``)."""
    intensity: float  #: jumps per year (lambda), >= 0
    mu: float         #: mean log jump
    delta: float      #: standard deviation of the log jump, >= 0


class _CHeston(ctypes.Structure):
    _fields_ = [("v0", _d), ("kappa", _d), ("theta", _d), ("sigma", _d), ("rho", _d)]


class _CJumps(ctypes.Structure):
    _fields_ = [("intensity", _d), ("mu", _d), ("delta", _d)]


#: Model parameters: the named tuple or any sequence of its numbers in order.
HestonLike = Union[Heston, Any]
JumpsLike = Union[Jumps, Any]


def _struct(cls: Any, x: Any, names: Any, what: str) -> Any:
    if isinstance(x, dict):
        try:
            x = [x[k] for k in names]
        except KeyError as e:
            raise ValueError("%s: missing %s (fields %s)" % (what, e, ", ".join(names))) from None
    vals = list(x)
    if len(vals) != len(names):
        raise ValueError("%s needs %d numbers (%s), got %d" % (what, len(names), ", ".join(names),
                                                               len(vals)))
    return cls(*[_arrays.double(v, "%s.%s" % (what, k)) for v, k in zip(vals, names)])


def _heston(h: Any) -> Any:
    return _struct(_CHeston, h, Heston._fields, "heston")


def _jumps(j: Any) -> Any:
    return _struct(_CJumps, j, Jumps._fields, "jumps")


def _chain(K: Any, type: Any) -> Any:
    index = _labels.common_index([K, type], ["K", "type"])
    n, (k, t), scalar = _arrays.broadcast([K, _type_codes(type)], ["K", "type"],
                                          ["float64", "int32"])
    return n, k, t, scalar, index


def _run(fname: str, head: Any, tail: Any, K: Any, type: Any, greeks: bool) -> Any:
    n, k, t, scalar, index = _chain(K, type)
    outs = {f: _arrays.output(n, None, f) for f in (GREEK_FIELDS if greeks else ("price",))}
    addr = [outs[f].addr if f in outs else None for f in GREEK_FIELDS]
    check(_lib.fn(fname)(*head, *tail, n, k.addr, t.addr, *addr), {"n": "len(K)"})
    if not greeks:
        if scalar:
            return float(outs["price"].obj[0])
        return _labels.series(outs["price"].result(), index, "price")
    if scalar:
        return {f: float(o.obj[0]) for f, o in outs.items()}
    return _labels.frame_of({f: o.result() for f, o in outs.items()}, index)


def _market(S: Any, T: Any, r: Any, q: Any) -> Any:
    return (_arrays.double(S, "S"), _arrays.double(T, "T"), _arrays.double(r, "r"),
            _arrays.double(q, "q"))


def heston_price(S: Real, K: Union[Real, ArrayLike], T: Real, heston: HestonLike, r: Real = 0.0,
                 q: Real = 0.0, type: Any = "call", greeks: bool = False) -> Any:
    """Prices (and with ``greeks=True`` delta, gamma and vega = dV/dv0) of
    options on one expiry under Heston parameters ``heston`` (a
    :class:`Heston`, or v0, kappa, theta, sigma, rho in order), by the Lewis
    integral of the characteristic function (error about 1.2e-15 S on the
    reference set).  Raises QpmInvalidError (S, K, T <= 0, a parameter
    outside its domain), QpmNonFiniteError, QpmNoConvergeError (a total
    variance too small for the Fourier integral)."""
    return _run("qpm_heston_price", (ctypes.byref(_heston(heston)),), _market(S, T, r, q), K,
                type, greeks)


def bates_price(S: Real, K: Union[Real, ArrayLike], T: Real, heston: HestonLike,
                jumps: JumpsLike, r: Real = 0.0, q: Real = 0.0, type: Any = "call",
                greeks: bool = False) -> Any:
    """As :func:`heston_price` under Bates: ``heston`` plus the lognormal
    jumps ``jumps`` (a :class:`Jumps`, or intensity, mu, delta in order).
    With intensity 0 the results equal :func:`heston_price` bit for bit."""
    return _run("qpm_bates_price", (ctypes.byref(_heston(heston)), ctypes.byref(_jumps(jumps))),
                _market(S, T, r, q), K, type, greeks)


def merton_price(S: Real, K: Union[Real, ArrayLike], T: Real, sigma: Real, jumps: JumpsLike,
                 r: Real = 0.0, q: Real = 0.0, type: Any = "call",
                 greeks: bool = False) -> Any:
    """As :func:`heston_price` under Merton (1976): constant vol ``sigma``
    plus the jumps ``jumps``, by the Poisson series of Black-Scholes prices
    (vega = dV/dsigma).  With intensity 0 this is Black-Scholes-Merton."""
    return _run("qpm_merton_price", (_arrays.double(sigma, "sigma"), ctypes.byref(_jumps(jumps))),
                _market(S, T, r, q), K, type, greeks)


def _smile(fname: str, head: Any, S: Any, T: Any, r: Any, q: Any, K: Any) -> Any:
    index = _labels.common_index([K], ["K"])
    n, (k,), scalar = _arrays.broadcast([K], ["K"])
    price, iv = _arrays.output(n, None, "price"), _arrays.output(n, None, "iv")
    # the per-strike statuses start at -1: a call that fails before the
    # solver runs (bad input, or QPM_E_NOCONVERGE of the Fourier integral)
    # leaves them so and raises; a strike whose price has no implied vol
    # (QPM_E_ARBITRAGE / QPM_E_NOCONVERGE of the solver) is reported per
    # strike instead: iv NaN, ok False
    st = _arrays.vector([-1] * n, "status", "int32")
    status = _lib.fn(fname)(*head, *_market(S, T, r, q), n, k.addr, price.addr, iv.addr, st.addr)
    codes = [int(s) for s in st.result()]
    if status and (-1 in codes or status not in (200, 203)):
        check(status, {"n": "len(K)"})
    ok = [c == 0 for c in codes]
    if scalar:
        return {"price": float(price.obj[0]), "iv": float(iv.obj[0]), "ok": ok[0]}
    okv: Any = ok
    if _arrays.have_numpy():
        okv = _arrays.np.array(ok, dtype=bool)
    return _labels.frame_of({"price": price.result(), "iv": iv.result(), "ok": okv}, index)


def heston_smile(S: Real, K: Union[Real, ArrayLike], T: Real, heston: HestonLike,
                 jumps: Optional[JumpsLike] = None, r: Real = 0.0,
                 q: Real = 0.0) -> Any:
    """The smile of one expiry under Heston (``jumps`` None) or Bates: for
    each strike the price of the out-of-the-money option (a put below the
    forward, a call at or above it) and its Black-Scholes-Merton implied
    vol, from the library's implied-vol solver.  Returns ``price``, ``iv``
    and ``ok`` (False where the price has no implied vol, for example a far
    wing whose price rounds to 0: iv is then NaN), as a dict (of floats for
    a scalar K) or a DataFrame on the index of a Series K.  Raises as
    :func:`heston_price` for bad input."""
    head = (ctypes.byref(_heston(heston)),
            ctypes.byref(_jumps(jumps)) if jumps is not None else None)
    return _smile("qpm_heston_smile", head, S, T, r, q, K)


def merton_smile(S: Real, K: Union[Real, ArrayLike], T: Real, sigma: Real, jumps: JumpsLike,
                 r: Real = 0.0, q: Real = 0.0) -> Any:
    """The smile of one expiry under Merton (``sigma``, ``jumps``), as
    :func:`heston_smile`."""
    head = (_arrays.double(sigma, "sigma"), ctypes.byref(_jumps(jumps)))
    return _smile("qpm_merton_smile", head, S, T, r, q, K)
