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
import enum
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from . import _arrays, _labels, _lib, _progress
from ._errors import check, make_error, register_enum, register_names
from ._typing import ArrayLike, Real
from .pricing import Settlement, _enum, _type_codes

__all__ = ["Heston", "Jumps", "GREEK_FIELDS", "EVAL_FIELDS", "heston_price", "bates_price",
           "merton_price", "heston_smile", "merton_smile", "heston_eval", "merton_eval",
           "calibrate_heston", "CalibQuote", "CalibResidual", "CalibOutcome", "Calibration",
           "CALIB_PARAMS", "heston_smile_settle"]

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
_lib.declare("qpm_heston_eval", _int, _vp, _vp, _int, _d, _d, _d, _d, _sz, _vp, _vp, _vp)
_lib.declare("qpm_merton_eval", _int, _d, _vp, _int, _d, _d, _d, _d, _sz, _vp, _vp, _vp)
_lib.declare("qpm_heston_smile_settle", _int, _vp, _vp, _int, _d, _d, _d, _d, _sz, _vp, _vp, _vp,
             _vp)
_lib.declare("qpm_heston_calibrate", _int, _vp, _vp, _d, _d, _d, _sz, _vp, _vp, _vp, _vp, _vp,
             _vp, _vp, _vp)

register_names({"qpm_heston": "Heston", "qpm_jumps": "Jumps",
                "qpm_heston_price": "heston_price()", "qpm_bates_price": "bates_price()",
                "qpm_merton_price": "merton_price()", "qpm_heston_smile": "heston_smile()",
                "qpm_merton_smile": "merton_smile()", "qpm_heston_eval": "heston_eval()",
                "qpm_merton_eval": "merton_eval()",
                "qpm_heston_smile_settle": "heston_smile()",
                "qpm_heston_calibrate": "calibrate_heston()"})

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


# ---- settlement-aware prices and Greeks -------------------------------------

#: The outputs of :func:`heston_eval` / :func:`merton_eval` (``qpm_model_out``).
EVAL_FIELDS = ("price", "price_usd", "delta", "delta_coin", "gamma", "vega_v0",
               "vega_parallel", "theta")


class _CModelOut(ctypes.Structure):
    _fields_ = [("size", _sz)] + [(f, _vp) for f in EVAL_FIELDS]


def _eval(fname: str, head: Any, settle: Any, S: Any, T: Any, r: Any, q: Any, K: Any,
          type: Any) -> Any:
    n, k, t, scalar, index = _chain(K, type)
    st = _enum(Settlement, settle, "settle")
    outs = {f: _arrays.output(n, None, f) for f in EVAL_FIELDS}
    o = _CModelOut(ctypes.sizeof(_CModelOut), *[outs[f].addr for f in EVAL_FIELDS])
    check(_lib.fn(fname)(*head, st, *_market(S, T, r, q), n, k.addr, t.addr, ctypes.byref(o)),
          {"n": "len(K)", "out": "the outputs"})
    if scalar:
        return {f: float(v.obj[0]) for f, v in outs.items()}
    return _labels.frame_of({f: v.result() for f, v in outs.items()}, index)


def heston_eval(S: Real, K: Union[Real, ArrayLike], T: Real, heston: HestonLike,
                jumps: Optional[JumpsLike] = None, r: Real = 0.0, q: Real = 0.0,
                type: Any = "call", settle: Any = "linear") -> Any:
    """Heston (``jumps`` None) or Bates prices and Greeks in the settlement
    ``settle`` ("linear" or "inverse", or :class:`qpm.Settlement`): a dict
    (floats for scalar input) or a DataFrame (on the index of a Series K) of
    :data:`EVAL_FIELDS`: ``price`` in the settlement currency (USD, or the
    coin price B/F, B the USD price, F the forward), ``price_usd`` (B),
    ``delta`` (dB/dS), ``delta_coin`` (dB/dF - B/F), ``gamma``, ``vega_v0``
    (dB/dv0), ``vega_parallel`` (dB/dx with sqrt(v0) and sqrt(theta) both
    moving by x), ``theta`` (dB/dt per year, calendar time passing, model
    fixed).  Raises as :func:`heston_price`."""
    head = (ctypes.byref(_heston(heston)),
            ctypes.byref(_jumps(jumps)) if jumps is not None else None)
    return _eval("qpm_heston_eval", head, settle, S, T, r, q, K, type)


def merton_eval(S: Real, K: Union[Real, ArrayLike], T: Real, sigma: Real, jumps: JumpsLike,
                r: Real = 0.0, q: Real = 0.0, type: Any = "call", settle: Any = "linear") -> Any:
    """As :func:`heston_eval` under Merton (``sigma``, ``jumps``):
    ``vega_v0`` is dB/d(sigma^2), ``vega_parallel`` dB/dsigma, ``theta``
    analytic from the series."""
    head = (_arrays.double(sigma, "sigma"), ctypes.byref(_jumps(jumps)))
    return _eval("qpm_merton_eval", head, settle, S, T, r, q, K, type)


def heston_smile_settle(S: Real, K: Union[Real, ArrayLike], T: Real, heston: HestonLike,
                        jumps: Optional[JumpsLike] = None, r: Real = 0.0, q: Real = 0.0,
                        settle: Any = "linear") -> Any:
    """:func:`heston_smile` with the prices in the settlement ``settle``
    ("inverse": coin prices B/F; the vols are the same)."""
    head = (ctypes.byref(_heston(heston)),
            ctypes.byref(_jumps(jumps)) if jumps is not None else None,
            _enum(Settlement, settle, "settle"))
    return _smile("qpm_heston_smile_settle", head, S, T, r, q, K)


# ---- calibration -------------------------------------------------------------

class CalibQuote(enum.IntEnum):
    """What the quotes are (``qpm_calib_quote``)."""
    USD = 0   #: USD price of a linear option
    COIN = 1  #: coin price (B / F) of an inverse option
    IV = 2    #: Black-Scholes-Merton implied vol


class CalibResidual(enum.IntEnum):
    """Residuals of the fit (``qpm_calib_residual``)."""
    VOL = 0    #: (model - quote) / vega: first-order vol error
    PRICE = 1  #: model - quote, in the quote's currency


class CalibOutcome(enum.IntEnum):
    """Outcome of a calibration (``qpm_calib_outcome``)."""
    CONVERGED = 0
    MAX_ITER = 1
    FAILED = 2
    CANCELLED = 3


register_enum(CalibQuote, "QPM_CALIB_QUOTE_")
register_enum(CalibResidual, "QPM_CALIB_RESID_")
register_enum(CalibOutcome, "QPM_CALIB_")

#: Calibrated parameters in the library's order (bounds follow it).
CALIB_PARAMS = ("v0", "kappa", "theta", "sigma", "rho", "lambda", "mu", "delta")


class _COptions(ctypes.Structure):
    _fields_ = [("size", _sz), ("quote", ctypes.c_int32), ("residual", ctypes.c_int32),
                ("fix_jumps", ctypes.c_int32), ("reserved", ctypes.c_int32),
                ("max_iter", _sz), ("max_eval", _sz), ("ftol", _d), ("xtol", _d), ("gtol", _d),
                ("lower", _vp), ("upper", _vp), ("progress", _vp), ("progress_user", _vp)]


class _CResult(ctypes.Structure):
    _fields_ = [("size", _sz), ("heston", _CHeston), ("jumps", _CJumps), ("rmse_volpts", _d),
                ("max_vol_err_volpts", _d), ("cost", _d), ("iterations", _sz),
                ("evaluations", _sz), ("feller", ctypes.c_int32), ("outcome", ctypes.c_int32)]


class Calibration(NamedTuple):
    """Result of :func:`calibrate_heston`."""
    params: Any               #: fitted parameters by name (a pandas Series when pandas is there)
    heston: Heston            #: the fitted Heston part
    jumps: Optional[Jumps]    #: the fitted jumps (Bates), else None
    rmse_volpts: float        #: RMS implied-vol error, vol points (0.01)
    max_vol_err_volpts: float  #: max |implied-vol error|, vol points
    cost: float               #: 0.5 sum of squared residuals
    iterations: int           #: Levenberg-Marquardt iterations
    evaluations: int          #: price-chain evaluations
    feller: bool              #: 2 kappa theta > sigma^2
    status: CalibOutcome      #: converged, iteration limit, failed or cancelled


def _column(chain: Any, names: Sequence[str]) -> Any:
    for nm in names:
        if nm in chain:
            col = chain[nm]
            return col.to_numpy() if _labels.is_series(col) else col
    return None


def _calib_error(status: int, order: Sequence[int]) -> Any:
    """The library's error with its quote indices turned back into
    positions in the chain as given (the rows were sorted for the call)."""
    import re
    from ._errors import translate
    c_text = _lib.lib().qpm_last_error().decode("utf-8", "replace")
    text = re.sub(r"\b(T|K|quote|weight|type)\[(\d+)\]",
                  lambda m: "%s[%d]" % ("strike" if m.group(1) == "K" else m.group(1),
                                        order[int(m.group(2))]), c_text)
    return make_error(status, translate(text, {"n": "len(chain)", "opt": "options"}))


def calibrate_heston(chain: Any, S: Real, r: Real = 0.0, q: Real = 0.0,
                     start: Optional[HestonLike] = None, jumps: Optional[JumpsLike] = None,
                     bates: bool = False, quote: Any = None, residual: Any = "vol",
                     fix_jumps: bool = False, lower: Optional[ArrayLike] = None,
                     upper: Optional[ArrayLike] = None, max_iter: int = 100,
                     max_eval: int = 1000, ftol: Real = 0.0, xtol: Real = 0.0,
                     gtol: Real = 0.0, progress: Any = None) -> Calibration:
    """Fits Heston (or, with ``bates=True``, Bates) parameters to a chain or
    surface of quotes by bounded Levenberg-Marquardt with analytic gradients
    (``qpm_heston_calibrate``).

    ``chain``: a pandas DataFrame or a mapping of arrays with columns ``T``
    (or ``expiry``, in years), ``strike`` (or ``K``), the quote ``price``
    (or ``coin_price``) or ``iv``, and optionally ``type`` ("call"/"put" or
    +-1; default: the out-of-the-money type) and ``weight``.  Rows may come
    in any order (they are sorted by expiry and strike).  ``quote``: "usd",
    "coin" or "iv" (:class:`CalibQuote`); default from the columns (``iv``
    when there is no price column, ``coin`` for ``coin_price``).
    ``residual``: "vol" (price error over the quote's vega) or "price".
    ``start``: a :class:`Heston` (default v0 = 0.1, kappa = 1, theta = 0.1,
    sigma = 0.5, rho = -0.5); ``jumps``: the Bates start (default intensity
    0.1, mu = -0.05, delta = 0.1), kept when ``fix_jumps``.  ``lower``,
    ``upper``: 8 bounds in :data:`CALIB_PARAMS` order (None: the library's
    defaults).  ``progress``: None, True (a bar) or f(done) returning True
    to stop: the result then has status CANCELLED and the best point so
    far.  Raises QpmInvalidError / QpmNonFiniteError naming the quote by
    its position in ``chain`` (``quote[17]``) for bad input (a price below
    intrinsic, strikes repeated, ...)."""
    if _labels.is_frame(chain) or isinstance(chain, dict):
        pass
    else:
        raise TypeError("chain must be a pandas DataFrame or a dict of arrays")
    Tc = _column(chain, ("T", "expiry"))
    Kc = _column(chain, ("strike", "K"))
    price = _column(chain, ("price",))
    coin = _column(chain, ("coin_price",))
    ivc = _column(chain, ("iv",))
    if Tc is None or Kc is None:
        raise ValueError("chain needs the columns T (or expiry) and strike (or K)")
    if quote is None:
        quote = "usd" if price is not None else "coin" if coin is not None else "iv"
    qk = _enum(CalibQuote, quote, "quote")
    qcol = {0: price, 1: coin if coin is not None else price, 2: ivc}[qk]
    if qcol is None:
        raise ValueError("chain has no column for quote %r" % (quote,))
    typ = _column(chain, ("type",))
    wc = _column(chain, ("weight",))
    n = _arrays.length(Tc, "T")
    tv = _arrays.vector(Tc, "T", n=n)
    kv = _arrays.vector(Kc, "strike", n=n)
    qv = _arrays.vector(qcol, "quote", n=n)
    wv = _arrays.vector(wc, "weight", n=n) if wc is not None else None
    yv = _arrays.vector(_type_codes(typ), "type", "int32", n=n) if typ is not None else None
    # by expiry, then strike (the library wants each expiry's strikes increasing)
    tl, kl = tv.result(), kv.result()
    order: List[int] = sorted(range(n), key=lambda i: (tl[i], kl[i]))

    def take(v: Any, kind: str, name: str) -> Any:
        vals = v.result()
        return _arrays.vector([vals[i] for i in order], name, kind)

    cols = [take(tv, "float64", "T"), take(kv, "float64", "strike"), take(qv, "float64", "quote"),
            take(wv, "float64", "weight") if wv is not None else None,
            take(yv, "int32", "type") if yv is not None else None]
    h = _heston(start if start is not None else Heston(0.1, 1.0, 0.1, 0.5, -0.5))
    use_jumps = _arrays.flag(bates, "bates")
    j = _jumps(jumps if jumps is not None else Jumps(0.1, -0.05, 0.1)) if use_jumps else None
    bounds = [_arrays.vector(b, nm, n=8) if b is not None else None
              for b, nm in ((lower, "lower"), (upper, "upper"))]
    res = _CResult(ctypes.sizeof(_CResult))
    with _progress.callback(progress, "calibration", total=_arrays.size(max_iter, "max_iter"),
                            unit="iteration") as cb:
        opt = _COptions(ctypes.sizeof(_COptions), qk, _enum(CalibResidual, residual, "residual"),
                        1 if _arrays.flag(fix_jumps, "fix_jumps") else 0, 0,
                        _arrays.size(max_iter, "max_iter"), _arrays.size(max_eval, "max_eval"),
                        _arrays.double(ftol, "ftol"), _arrays.double(xtol, "xtol"),
                        _arrays.double(gtol, "gtol"),
                        bounds[0].addr if bounds[0] is not None else None,
                        bounds[1].addr if bounds[1] is not None else None,
                        ctypes.cast(cb.cfn, _vp) if cb.cfn is not None else None, None)
        st = _lib.fn("qpm_heston_calibrate")(
            ctypes.byref(h), ctypes.byref(j) if j is not None else None,
            _arrays.double(S, "S"), _arrays.double(r, "r"), _arrays.double(q, "q"), n,
            cols[0].addr, cols[1].addr, cols[2].addr,
            cols[3].addr if cols[3] is not None else None,
            cols[4].addr if cols[4] is not None else None, ctypes.byref(opt), None,
            ctypes.byref(res))
        cb.reraise()
    if st and res.outcome != CalibOutcome.CANCELLED:
        raise _calib_error(st, order)
    hh = Heston(res.heston.v0, res.heston.kappa, res.heston.theta, res.heston.sigma,
                res.heston.rho)
    jj = Jumps(res.jumps.intensity, res.jumps.mu, res.jumps.delta) if use_jumps else None
    vals: Dict[str, float] = dict(zip(CALIB_PARAMS, list(hh) + (list(jj) if jj else [])))
    params: Any = vals
    pd = _labels._pd()
    if pd is not None:
        params = pd.Series(vals, name="params")
    return Calibration(params, hh, jj, res.rmse_volpts, res.max_vol_err_volpts, res.cost,
                       res.iterations, res.evaluations, res.feller == 1,
                       CalibOutcome(res.outcome))
