"""Implied-volatility smiles and surfaces: raw SVI slices fitted per expiry,
SSVI over several expiries, their static-arbitrage checks (butterfly in a
slice, calendar across slices) and vol / total-variance queries.

Experimental: this wraps libqpm's experimental tier
(``include/qpm/surface.h``); names and signatures may change in any minor
release.

Conventions are the library's: T in years, F the forward of the expiry,
k = ln(K / F), vols are Black-76 implied vols as decimals (0.6 = 60 %),
the total variance is w = vol^2 T, and errors are reported in vol points
(0.01).  A raw SVI slice is w(k) = a + b (rho (k - m) + sqrt((k - m)^2 +
sigma^2)) (:class:`SviParams`).  Between slices the total variance is
linear in T at fixed k and the forward log-linear in T; before the first
slice w = w_1(k) T / T_1, after the last w = w_n(k) T / T_n.

:meth:`Surface.fit` takes an option chain as a pandas DataFrame (or a dict
of columns): ``strike``, ``expiry`` or ``T`` (years), ``forward``, and the
quotes as ``iv`` (mid vols), ``bid_iv`` and ``ask_iv``, ``price`` (mid
prices) or ``bid`` and ``ask`` (prices); optional ``type`` ('call'/'put',
'C'/'P' or +-1, for prices) and ``weight``.  Prices are forward values in
USD (``settlement="linear"``) or coin (``"inverse"``).  Bad input raises the
:class:`QpmError` subclass of the library's status with its message
(``q.strike[9] = 100: strikes must be strictly increasing``).
"""
from __future__ import annotations

import ctypes
import enum
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from . import _arrays, _lib
from ._errors import check, register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike, Real
from .pricing import Settlement, _enum, _type_code

__all__ = ["QuoteKind", "SviParams", "SsviParams", "SliceReport", "SurfaceCheck", "SsviFit",
           "Surface", "svi_check", "svi_total_variance", "ssvi_to_svi"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_uint = ctypes.c_uint
_d = ctypes.c_double

# experimental tier
_lib.declare("qpm_svi_check", _int, _vp)
_lib.declare("qpm_svi_total_variance", _int, _vp, _sz, _vp, _vp)
_lib.declare("qpm_ssvi_to_svi", _int, _vp, _d, _vp)
_lib.declare("qpm_surface_create", _int, _vp, _vp)
_lib.declare("qpm_surface_free", None, _vp)
_lib.declare("qpm_surface_n_slices", _sz, _vp)
_lib.declare("qpm_surface_set_slice", _int, _vp, _d, _d, _vp)
_lib.declare("qpm_surface_fit_slice", _int, _vp, _d, _d, _vp, _uint, _vp)
_lib.declare("qpm_surface_fit_ssvi", _int, _vp, _sz, _vp, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_surface_slice", _int, _vp, _sz, _vp, _vp, _vp, _vp)
_lib.declare("qpm_surface_check", _int, _vp, _vp)
_lib.declare("qpm_surface_forward", _int, _vp, _sz, _vp, _vp)
_lib.declare("qpm_surface_total_variance", _int, _vp, _sz, _vp, _vp, _vp)
_lib.declare("qpm_surface_vol", _int, _vp, _sz, _vp, _vp, _vp)
_lib.declare("qpm_surface_total_variance_k", _int, _vp, _sz, _vp, _vp, _vp)
_lib.declare("qpm_surface_vol_k", _int, _vp, _sz, _vp, _vp, _vp)

register_names({"qpm_svi_check": "svi_check()", "qpm_svi_total_variance": "svi_total_variance()",
                "qpm_ssvi_to_svi": "ssvi_to_svi()", "qpm_surface_fit_slice": "Surface.fit_slice()",
                "qpm_surface_fit_ssvi": "Surface.fit_ssvi()",
                "qpm_surface_set_slice": "Surface.set_slice()",
                "qpm_surface_check": "Surface.check()", "qpm_smile_quotes": "the quotes",
                "qpm_svi": "SviParams", "qpm_ssvi": "SsviParams"})

_NAMES = {"s": "the surface", "p": "params"}

_NO_BUTTERFLY = 1  # QPM_SVI_NO_BUTTERFLY


class QuoteKind(enum.IntEnum):
    """What the quotes of a slice are (``qpm_quote_kind``)."""
    VOL = 0    #: Black-76 implied vols, decimal
    PRICE = 1  #: option prices (forward values)


register_enum(QuoteKind, "QPM_QUOTE_")


class _Svi(ctypes.Structure):
    _fields_ = [("a", _d), ("b", _d), ("rho", _d), ("m", _d), ("sigma", _d)]


class _Ssvi(ctypes.Structure):
    _fields_ = [("rho", _d), ("eta", _d), ("gamma", _d)]


class _Quotes(ctypes.Structure):
    _fields_ = [("size", _sz), ("n", _sz), ("strike", _vp), ("kind", _int), ("mid", _vp),
                ("bid", _vp), ("ask", _vp), ("type", _vp), ("weight", _vp),
                ("settlement", _int)]


class _Report(ctypes.Structure):
    _fields_ = [("size", _sz), ("n_quotes", _sz), ("rmse_volpts", _d), ("max_err_volpts", _d),
                ("iterations", _sz), ("converged", _int), ("no_butterfly", _int),
                ("butterfly_ok", _int), ("worst_k", _d), ("worst_g", _d), ("k_limit", _d)]


class _Check(ctypes.Structure):
    _fields_ = [("size", _sz), ("butterfly_ok", _int), ("butterfly_slice", _sz),
                ("butterfly_k", _d), ("butterfly_g", _d), ("calendar_ok", _int),
                ("calendar_slice", _sz), ("calendar_k", _d), ("calendar_dw", _d),
                ("calendar_cross_k", _d)]


class _SsviReport(ctypes.Structure):
    _fields_ = [("size", _sz), ("rmse_volpts", _d), ("max_err_volpts", _d),
                ("iterations", _sz), ("converged", _int)]


class SviParams(NamedTuple):
    """Raw SVI parameters of one expiry (total-variance units)."""
    a: float
    b: float
    rho: float
    m: float
    sigma: float


class SsviParams(NamedTuple):
    """SSVI parameters: phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma))."""
    rho: float
    eta: float
    gamma: float


class SliceReport(NamedTuple):
    """One slice of a :class:`Surface`: its expiry, forward, parameters and
    how it was made (``n_quotes`` = 0 for a slice set from parameters)."""
    T: float
    forward: float
    params: SviParams
    n_quotes: int
    rmse_volpts: float     #: RMS of model - mid vol, vol points
    max_err_volpts: float  #: largest |model - mid vol|, vol points
    iterations: int
    converged: bool
    no_butterfly: bool     #: fitted with no_butterfly=True
    butterfly_ok: bool     #: passes the butterfly check (g >= 0)
    worst_k: float         #: k of the smallest g on the check grid
    worst_g: float
    k_limit: float         #: half-width of the check grid


class SurfaceCheck(NamedTuple):
    """Result of :meth:`Surface.check`."""
    butterfly_ok: bool
    butterfly_slice: int   #: slice with the smallest g
    butterfly_k: float
    butterfly_g: float
    calendar_ok: bool
    calendar_slice: int    #: first i with w_i < w_{i-1} somewhere (0: none)
    calendar_k: float
    calendar_dw: float
    calendar_cross_k: float


class SsviFit(NamedTuple):
    """Result of :meth:`Surface.fit_ssvi`."""
    params: SsviParams
    theta: List[float]     #: ATM total variance per expiry (non-decreasing)
    rmse_volpts: float
    max_err_volpts: float
    iterations: int
    converged: bool


Params = Union[SviParams, Sequence[Real]]


def _svi(params: Any) -> _Svi:
    if _arrays.is_scalar(params) or isinstance(params, (str, bytes)):
        raise TypeError("params must be SviParams or a sequence (a, b, rho, m, sigma)")
    vals = list(params)
    if len(vals) != 5:
        raise ValueError("params has %d values: need a, b, rho, m, sigma" % len(vals))
    return _Svi(*[_arrays.double(v, "params.%s" % SviParams._fields[i])
                  for i, v in enumerate(vals)])


def _svi_out(p: _Svi) -> SviParams:
    return SviParams(p.a, p.b, p.rho, p.m, p.sigma)


def svi_check(params: Params) -> None:
    """Checks raw SVI parameters against the domain: b >= 0, |rho| < 1,
    sigma > 0, a + b sigma sqrt(1 - rho^2) >= 0 (w >= 0), Lee's wing bound
    b (1 + |rho|) <= 2 (experimental).  Raises QpmInvalidError naming the
    field and bound, QpmNonFiniteError."""
    check(_lib.fn("qpm_svi_check")(ctypes.byref(_svi(params))), _NAMES)


def svi_total_variance(params: Params, k: ArrayLike) -> Any:
    """Total variance w(k) of a raw SVI slice at log-moneyness ``k``
    (experimental)."""
    p = _svi(params)
    kv = _arrays.vector(k, "k")
    out = _arrays.output(kv.n, None, "w")
    check(_lib.fn("qpm_svi_total_variance")(ctypes.byref(p), kv.n, kv.addr, out.addr), _NAMES)
    return out.result()


def ssvi_to_svi(params: Union[SsviParams, Sequence[Real]], theta: Real) -> SviParams:
    """The raw SVI form of the SSVI slice with ATM total variance ``theta``
    (experimental): a = theta (1 - rho^2) / 2, b = theta phi / 2,
    m = -rho / phi, sigma = sqrt(1 - rho^2) / phi."""
    vals = list(params)
    if len(vals) != 3:
        raise ValueError("params has %d values: need rho, eta, gamma" % len(vals))
    p = _Ssvi(*[_arrays.double(v, "params.%s" % SsviParams._fields[i])
                for i, v in enumerate(vals)])
    out = _Svi()
    check(_lib.fn("qpm_ssvi_to_svi")(ctypes.byref(p), _arrays.double(theta, "theta"),
                                     ctypes.byref(out)), _NAMES)
    return _svi_out(out)


class _QuoteSet:
    """The buffers of one slice's quotes, kept alive with the struct."""

    def __init__(self, strike: Any, iv: Any = None, bid_iv: Any = None, ask_iv: Any = None,
                 price: Any = None, bid: Any = None, ask: Any = None, type: Any = None,
                 weight: Any = None, settlement: Any = "linear") -> None:
        self.keep: List[Any] = []
        q = _Quotes()
        q.size = ctypes.sizeof(_Quotes)
        k = _arrays.vector(strike, "strike")
        self.keep.append(k)
        q.n = k.n
        q.strike = k.addr
        vols = iv is not None or bid_iv is not None or ask_iv is not None
        prices = price is not None or bid is not None or ask is not None
        if vols == prices:
            raise ValueError("give the quotes as iv, bid_iv and ask_iv (vols) or as price, "
                             "bid and ask (prices), exactly one kind")
        mid, lo, hi = (iv, bid_iv, ask_iv) if vols else (price, bid, ask)
        names = ("iv", "bid_iv", "ask_iv") if vols else ("price", "bid", "ask")
        q.kind = int(QuoteKind.VOL if vols else QuoteKind.PRICE)
        if mid is not None:
            v = _arrays.vector(mid, names[0], n=k.n)
            self.keep.append(v)
            q.mid = v.addr
        else:
            if lo is None or hi is None:
                raise ValueError("give %s, or both %s and %s" % names)
            b = _arrays.vector(lo, names[1], n=k.n)
            a = _arrays.vector(hi, names[2], n=k.n)
            self.keep += [b, a]
            q.bid = b.addr
            q.ask = a.addr
        if type is not None:
            codes = [_type_code(t) if isinstance(t, str) else t for t in list(type)]
            t = _arrays.vector(codes, "type", "int32", n=k.n)
            self.keep.append(t)
            q.type = t.addr
        if weight is not None:
            w = _arrays.vector(weight, "weight", n=k.n)
            self.keep.append(w)
            q.weight = w.addr
        q.settlement = _enum(Settlement, settlement, "settlement")
        self.q = q


def _report(T: float, F: float, p: _Svi, r: _Report) -> SliceReport:
    return SliceReport(T, F, _svi_out(p), int(r.n_quotes), r.rmse_volpts, r.max_err_volpts,
                       int(r.iterations), bool(r.converged), bool(r.no_butterfly),
                       bool(r.butterfly_ok), r.worst_k, r.worst_g, r.k_limit)


def _column(chain: Any, names: Sequence[str]) -> Optional[List[Any]]:
    for n in names:
        try:
            col = chain[n]
        except (KeyError, IndexError, TypeError):
            continue
        return list(col.tolist() if hasattr(col, "tolist") else col)
    return None


class Surface(Handle):
    """An implied-volatility surface: raw SVI slices sorted by expiry
    (experimental).  Add slices with :meth:`set_slice`, :meth:`fit_slice`,
    :meth:`fit_ssvi` or :meth:`fit` (a whole chain); read them with
    :meth:`slice` / :attr:`slices`; check them with :meth:`check`; query
    vols with :meth:`vol` and :meth:`total_variance` (by strike) or
    :meth:`vol_k` and :meth:`total_variance_k` (by log-moneyness)."""

    _prefix = "qpm_surface"

    def __init__(self) -> None:
        self._open("qpm_surface_create")

    def _describe(self) -> Any:
        yield "slices", self.n_slices

    def _names(self) -> Any:
        return _NAMES

    @property
    def n_slices(self) -> int:
        """Number of slices."""
        with self._using():
            return int(_lib.fn("qpm_surface_n_slices")(self._ptr))

    def set_slice(self, T: Real, forward: Real, params: Params) -> None:
        """Sets the slice of expiry ``T`` to SVI ``params`` (replacing a
        slice with the same T)."""
        p = _svi(params)
        with self._using():
            check(_lib.fn("qpm_surface_set_slice")(self._ptr, _arrays.double(T, "T"),
                                                   _arrays.double(forward, "forward"),
                                                   ctypes.byref(p)), _NAMES)

    def fit_slice(self, T: Real, forward: Real, strike: ArrayLike, *, iv: Any = None,
                  bid_iv: Any = None, ask_iv: Any = None, price: Any = None, bid: Any = None,
                  ask: Any = None, type: Any = None, weight: Any = None,
                  settlement: Any = "linear", no_butterfly: bool = False) -> SliceReport:
        """Fits a raw SVI slice of expiry ``T`` with ``forward`` to quotes at
        strictly increasing ``strike``: vols (``iv``, or ``bid_iv`` and
        ``ask_iv``) or prices (``price``, or ``bid`` and ``ask``; ``type``
        per quote, calls by default; ``settlement`` 'linear' or 'inverse').
        With bid and ask the mid is fitted with weights 1 / (vol spread)
        unless ``weight`` is given.  ``no_butterfly=True`` makes the fit
        pass the butterfly check.  Returns the slice's :class:`SliceReport`."""
        qs = _QuoteSet(strike, iv, bid_iv, ask_iv, price, bid, ask, type, weight, settlement)
        flags = _NO_BUTTERFLY if _arrays.flag(no_butterfly, "no_butterfly") else 0
        r = _Report()
        r.size = ctypes.sizeof(_Report)
        t, f = _arrays.double(T, "T"), _arrays.double(forward, "forward")
        with self._using():
            check(_lib.fn("qpm_surface_fit_slice")(self._ptr, t, f, ctypes.byref(qs.q), flags,
                                                   ctypes.byref(r)), _NAMES)
            p = _Svi()
            check(_lib.fn("qpm_surface_slice")(self._ptr, self._index_of(t), None, None,
                                               ctypes.byref(p), None))
        return _report(t, f, p, r)

    def _index_of(self, T: float) -> int:
        n = int(_lib.fn("qpm_surface_n_slices")(self._ptr))
        for i in range(n):
            t = ctypes.c_double()
            check(_lib.fn("qpm_surface_slice")(self._ptr, i, ctypes.byref(t), None, None, None))
            if t.value == T:
                return i
        raise LookupError("no slice with T = %r" % T)

    def fit_ssvi(self, T: ArrayLike, forward: ArrayLike, quotes: Sequence[Dict[str, Any]]
                 ) -> SsviFit:
        """Fits SSVI to several expiries at once: ``T`` (strictly
        increasing), ``forward`` and, per expiry, a dict of
        :meth:`fit_slice`'s quote arguments (``strike`` and ``iv`` ...).
        Every expiry becomes a slice.  Returns :class:`SsviFit`."""
        tv = _arrays.vector(T, "T")
        fv = _arrays.vector(forward, "forward", n=tv.n)
        if len(quotes) != tv.n:
            raise ValueError("quotes has %d entries, T has %d" % (len(quotes), tv.n))
        sets = [_QuoteSet(**dict(q)) for q in quotes]
        arr = (_Quotes * max(tv.n, 1))(*[s.q for s in sets])
        p = _Ssvi()
        theta = _arrays.output(tv.n, None, "theta")
        r = _SsviReport()
        r.size = ctypes.sizeof(_SsviReport)
        with self._using():
            check(_lib.fn("qpm_surface_fit_ssvi")(self._ptr, tv.n, tv.addr, fv.addr, arr,
                                                  ctypes.byref(p), theta.addr, ctypes.byref(r)),
                  _NAMES)
        th = theta.result()
        return SsviFit(SsviParams(p.rho, p.eta, p.gamma), [th[i] for i in range(tv.n)],
                       r.rmse_volpts, r.max_err_volpts, int(r.iterations), bool(r.converged))

    def fit(self, chain: Any, settlement: Any = "linear", no_butterfly: bool = False,
            ssvi: bool = False) -> Any:
        """Fits every expiry of an option chain (a pandas DataFrame or a dict
        of columns, see the module docstring), one raw SVI slice per expiry
        (or SSVI over all of them with ``ssvi=True``).  Rows are grouped by
        T and sorted by strike.  Returns :meth:`report`."""
        strike = _column(chain, ["strike"])
        T = _column(chain, ["T", "expiry"])
        F = _column(chain, ["forward"])
        if strike is None or T is None or F is None:
            raise ValueError("chain needs the columns strike, T (or expiry) and forward")
        sk: List[Any] = strike
        cols = {n: _column(chain, [n]) for n in ("iv", "bid_iv", "ask_iv", "price", "bid", "ask",
                                                 "type", "weight")}
        groups: Dict[float, List[int]] = {}
        for i, t in enumerate(T):
            groups.setdefault(_arrays.double(t, "T[%d]" % i), []).append(i)
        Ts = sorted(groups)
        quotes = []
        for t in Ts:
            rows = sorted(groups[t], key=lambda i: _arrays.double(sk[i], "strike[%d]" % i))
            q: Dict[str, Any] = {"strike": [sk[i] for i in rows], "settlement": settlement}
            for n, c in cols.items():
                if c is not None:
                    q[n] = [c[i] for i in rows]
            quotes.append((t, F[rows[0]], q))
        if _arrays.flag(ssvi, "ssvi"):
            self.fit_ssvi([t for t, _, _ in quotes], [f for _, f, _ in quotes],
                          [q for _, _, q in quotes])
        else:
            for t, f, q in quotes:
                self.fit_slice(t, f, no_butterfly=no_butterfly, **q)
        return self.report()

    def slice(self, i: int) -> SliceReport:
        """Slice ``i`` (sorted by T)."""
        T, F, p, r = ctypes.c_double(), ctypes.c_double(), _Svi(), _Report()
        r.size = ctypes.sizeof(_Report)
        with self._using():
            check(_lib.fn("qpm_surface_slice")(self._ptr, _arrays.size(i, "i"), ctypes.byref(T),
                                               ctypes.byref(F), ctypes.byref(p), ctypes.byref(r)),
                  _NAMES)
        return _report(T.value, F.value, p, r)

    @property
    def slices(self) -> List[SliceReport]:
        """Every slice, sorted by T."""
        return [self.slice(i) for i in range(self.n_slices)]

    def report(self) -> Any:
        """The slices as a DataFrame, one row per slice (T, forward, a, b,
        rho, m, sigma, n_quotes, rmse_volpts, max_err_volpts, iterations,
        converged, butterfly_ok, worst_k, worst_g, k_limit); a list of
        :class:`SliceReport` without pandas."""
        sl = self.slices
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is optional
            return sl
        rows = []
        for s in sl:
            d = s._asdict()
            p = d.pop("params")
            rows.append(dict(T=d.pop("T"), forward=d.pop("forward"), **p._asdict(), **d))
        return pd.DataFrame(rows)

    def check(self) -> SurfaceCheck:
        """Runs the butterfly check of every slice and the calendar check of
        every consecutive pair (see ``include/qpm/surface.h``)."""
        r = _Check()
        r.size = ctypes.sizeof(_Check)
        with self._using():
            check(_lib.fn("qpm_surface_check")(self._ptr, ctypes.byref(r)), _NAMES)
        return SurfaceCheck(bool(r.butterfly_ok), int(r.butterfly_slice), r.butterfly_k,
                            r.butterfly_g, bool(r.calendar_ok), int(r.calendar_slice),
                            r.calendar_k, r.calendar_dw, r.calendar_cross_k)

    def _query(self, name: str, T: Any, x: Any, xname: str) -> Any:
        n, (tv, xv), scalar = _arrays.broadcast([T, x], ["T", xname])
        out = _arrays.output(n, None, "out")
        with self._using():
            check(_lib.fn(name)(self._ptr, n, tv.addr, xv.addr, out.addr), _NAMES)
        res = out.result()
        return float(res[0]) if scalar else res

    def vol(self, T: Any, K: Any) -> Any:
        """Implied vol at expiries ``T`` and strikes ``K`` (scalars or
        arrays, broadcast)."""
        return self._query("qpm_surface_vol", T, K, "K")

    def total_variance(self, T: Any, K: Any) -> Any:
        """Total implied variance vol^2 T at (T, K)."""
        return self._query("qpm_surface_total_variance", T, K, "K")

    def vol_k(self, T: Any, k: Any) -> Any:
        """Implied vol at (T, k), k = ln(K / F(T))."""
        return self._query("qpm_surface_vol_k", T, k, "k")

    def total_variance_k(self, T: Any, k: Any) -> Any:
        """Total implied variance at (T, k)."""
        return self._query("qpm_surface_total_variance_k", T, k, "k")

    def forward(self, T: Any) -> Any:
        """Forward F(T): log-linear in T between slices, flat outside."""
        n, (tv,), scalar = _arrays.broadcast([T], ["T"])
        out = _arrays.output(n, None, "forward")
        with self._using():
            check(_lib.fn("qpm_surface_forward")(self._ptr, n, tv.addr, out.addr), _NAMES)
        res = out.result()
        return float(res[0]) if scalar else res

