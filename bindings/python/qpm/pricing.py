"""European option pricing: Black-Scholes-Merton, Black-76 and Bachelier,
linear (USD) or coin-settled ("inverse"), with Greeks and implied volatility.

Units are the library's: T in years, continuously compounded r and q, vol
per 1.00, vega per 1.00 of vol, theta = -dV/dT per year, rho per 1.00 of
rate.  Option types are ``CALL`` (1) / ``PUT`` (-1), or the strings
``"call"``/``"put"`` (also ``"c"``/``"p"``).

Every batch argument may be a scalar or a 1-D array (scalars are repeated);
float64 C-contiguous numpy arrays (and int32 type arrays) pass with no copy.
A call whose inputs are all scalars returns floats.
"""
from __future__ import annotations

import ctypes
import enum
from typing import Any, Dict, Iterable, Optional, Sequence, Tuple, Union

from . import _arrays, _lib
from ._errors import check, make_error
from ._handle import Handle


__all__ = [
    "Pricer",
    "Model",
    "Settlement",
    "PricerKey",
    "Kernel",
    "CALL",
    "PUT",
    "GREEKS",
]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

CALL = 1
PUT = -1

#: Output names, in the order of the C struct qpm_pricer_out.
GREEKS: Tuple[str, ...] = ("price", "delta", "gamma", "vega", "theta", "rho", "vanna",
                           "volga", "charm", "rho_q", "price_usd", "delta_coin")


class _PricerOut(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t)] + [(g, ctypes.c_void_p) for g in GREEKS]


_lib.declare("qpm_pricer_create", _int, _vp, _vp, _int, _int)
_lib.declare("qpm_pricer_free", None, _vp)
_lib.declare("qpm_pricer_set", _int, _vp, _int, _d)
_lib.declare("qpm_pricer_get", _int, _vp, _int, _vp)
_lib.declare("qpm_pricer_bounds", _int, _int, _vp, _vp)
_lib.declare("qpm_pricer_describe", _int, _int, _vp)  # experimental tier
_lib.declare("qpm_pricer_price", _int, _vp, _sz, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_pricer_price_chain", _int, _vp, _sz, _d, _d, _d, _d, _vp, _vp, _vp, _vp)
_lib.declare("qpm_pricer_implied_vol", _int, _vp, _sz, _vp, _vp, _vp, _vp, _vp, _vp, _vp,
             _vp, _vp)


class Model(enum.IntEnum):
    """Pricing model (``qpm_model``)."""
    BSM = 0        #: Black-Scholes-Merton on spot S with rate r and yield q
    BLACK76 = 1    #: Black-76 on a forward / futures price F
    BACHELIER = 2  #: normal model on a forward F


class Settlement(enum.IntEnum):
    """Settlement (``qpm_settlement``)."""
    LINEAR = 0   #: USD-settled, price in USD
    INVERSE = 1  #: coin-settled, price in coin (B / F)


class PricerKey(enum.IntEnum):
    """Setting keys of :class:`Pricer` (``qpm_pricer_key``)."""
    THREADS = 0   #: threads per call including the caller (default 1)
    KERNEL = 1    #: :class:`Kernel`; get() returns the kernel in use
    PAR_MIN = 2   #: smallest batch split across threads (default 4096)
    CHUNK = 3     #: elements per work chunk (read-only)


class Kernel(enum.IntEnum):
    """Values of ``PricerKey.KERNEL``: AUTO picks AVX-512 (F+DQ) where the
    CPU has it, else AVX2+FMA, else scalar."""
    AUTO = 0
    SCALAR = 1
    AVX2 = 2
    AVX512 = 3


_NUM = (float, int)
_FAST: Any = None  # prototype-free qpm_pricer_price, shared by all pricers
_builtin_type = type
_TYPE_CODES = {"call": CALL, "c": CALL, "put": PUT, "p": PUT}


def _enum(cls: Any, v: Any) -> int:
    if isinstance(v, str):
        try:
            return int(cls[v.upper()])
        except KeyError:
            raise ValueError("unknown %s %r" % (cls.__name__, v)) from None
    return int(v)


def _type_codes(t: Any) -> Any:
    """Option type(s) as CALL/PUT codes: an int, or an int32 array/list."""
    if isinstance(t, str):
        try:
            return _TYPE_CODES[t.lower()]
        except KeyError:
            raise ValueError("option type %r: must be 'call' or 'put'" % t) from None
    if _arrays.is_scalar(t):
        return int(t)
    np = _arrays.np
    if np is not None:
        a = np.asarray(t)
        if a.dtype.kind in "USO":
            return np.array([_type_codes(str(x)) for x in a.ravel()], dtype=np.int32)
        return a
    return [_type_codes(x) if isinstance(x, str) else int(x) for x in t]


class Pricer(Handle):
    """A pricing handle for one model and settlement.

    >>> with Pricer("black76") as p:
    ...     p.price(60000.0, 65000.0, 0.25, 0.6, "call")
    """

    _prefix = "qpm_pricer"
    _key_enum = PricerKey

    def __init__(self, model: Union[Model, int, str] = Model.BLACK76,
                 settlement: Union[Settlement, int, str] = Settlement.LINEAR, *,
                 threads: Optional[int] = None) -> None:
        m, s = _enum(Model, model), _enum(Settlement, settlement)
        self._open("qpm_pricer_create", m, s)
        self._model, self._settlement = m, s
        if threads is not None:
            self.set(PricerKey.THREADS, threads)

    def _setup(self) -> None:
        # Buffers of the scalar fast path: inputs u, K, T, r, q, sigma; one
        # type; one price.  The call passes only prebuilt ctypes objects to a
        # prototype-free function object, so ctypes converts nothing.
        self._sin = (ctypes.c_double * 6)()
        self._stype = ctypes.c_int32()
        self._sprice = ctypes.c_double()
        self._sout = _PricerOut(ctypes.sizeof(_PricerOut))
        self._sout.price = ctypes.addressof(self._sprice)
        base = ctypes.addressof(self._sin)
        self._va = tuple(ctypes.c_void_p(base + 8 * i) for i in range(6))
        self._vtype = ctypes.c_void_p(ctypes.addressof(self._stype))
        self._vout = ctypes.c_void_p(ctypes.addressof(self._sout))
        self._one = ctypes.c_size_t(1)
        global _FAST
        if _FAST is None:
            _FAST = _lib.raw_fn("qpm_pricer_price")
        self._f_fast = _FAST
        self._f_price = _lib.fn("qpm_pricer_price")

    @property
    def model(self) -> Model:
        """The pricing model."""
        return Model(getattr(self, "_model", 0))

    @property
    def settlement(self) -> Settlement:
        """The settlement."""
        return Settlement(getattr(self, "_settlement", 0))

    @property
    def threads(self) -> int:
        """Threads per call (including the caller); assign to change."""
        return int(self.get(PricerKey.THREADS))

    @threads.setter
    def threads(self, n: int) -> None:
        self.set(PricerKey.THREADS, n)

    @property
    def kernel(self) -> Kernel:
        """Kernel in use (SCALAR or AVX2); assign a :class:`Kernel` to choose."""
        return Kernel(int(self.get(PricerKey.KERNEL)))

    @kernel.setter
    def kernel(self, k: Union[Kernel, int, str]) -> None:
        self.set(PricerKey.KERNEL, _enum(Kernel, k))

    # ---- pricing ------------------------------------------------------------
    def _batch(self, underlying: Any, strike: Any, T: Any, sigma: Any, type: Any,
               r: Any, q: Any) -> Tuple[int, list, bool]:
        vals = [underlying, strike, T, sigma, _type_codes(type)]
        names = ["underlying", "strike", "T", "sigma", "type"]
        kinds = ["float64"] * 4 + ["int32"]
        for v, nm in ((r, "r"), (q, "q")):
            if v is not None:
                vals.append(v)
                names.append(nm)
                kinds.append("float64")
        n, vecs, all_scalar = _arrays.broadcast(vals, names, kinds)
        return n, vecs, all_scalar

    def _run(self, n: int, vecs: list, r: Any, q: Any, outs: "_PricerOut") -> None:
        u, k, t, sg, ty = vecs[:5]
        rest = iter(vecs[5:])
        ra = next(rest).addr if r is not None else None
        qa = next(rest).addr if q is not None else None
        check(self._f_price(self.handle, n, u.addr, k.addr, t.addr, ra, qa, sg.addr, ty.addr,
                            ctypes.addressof(outs)))

    def price(self, underlying: Any, strike: Any, T: Any, sigma: Any, type: Any = CALL,
              r: Any = None, q: Any = None, *, out: Any = None) -> Any:
        """Option values: USD (linear) or coin (inverse).

        underlying: S (BSM) or F (Black-76, Bachelier); strike K; T years;
        sigma vol; type CALL/PUT; r rate (None: 0); q BSM yield (None: 0;
        must be None for the forward models).  Returns a float when every
        input is a scalar, else an array (written into ``out`` when given).
        Raises QpmUsageError subclasses naming the bad element."""
        tp = _builtin_type
        if out is None and tp(underlying) in _NUM and tp(strike) in _NUM and \
                tp(T) in _NUM and tp(sigma) in _NUM and (r is None or tp(r) in _NUM) and \
                (q is None or tp(q) in _NUM):
            # scalar fast path: no arrays, no allocation
            p = self._ptr
            if p is None:
                raise ValueError("Pricer is closed")
            b = self._sin
            b[0] = underlying
            b[1] = strike
            b[2] = T
            b[5] = sigma
            a = self._va
            ra = qa = None
            if r is not None:
                b[3] = r
                ra = a[3]
            if q is not None:
                b[4] = q
                qa = a[4]
            self._stype.value = type if tp(type) is int else _type_codes(type)
            st = self._f_fast(p, self._one, a[0], a[1], a[2], ra, qa, a[5], self._vtype,
                              self._vout)
            if st:
                raise make_error(st)
            return self._sprice.value
        n, vecs, all_scalar = self._batch(underlying, strike, T, sigma, type, r, q)
        o = _arrays.output(n, out)
        outs = _PricerOut(ctypes.sizeof(_PricerOut))
        outs.price = o.addr
        self._run(n, vecs, r, q, outs)
        if all_scalar and out is None:
            return float(o.obj[0])
        return o.result()

    def _outputs(self, n: int, which: Optional[Iterable[str]], out: Optional[Dict[str, Any]]
                 ) -> Tuple["_PricerOut", Dict[str, Any]]:
        names = list(GREEKS if which is None else which)
        for nm in names:
            if nm not in GREEKS:
                raise ValueError("unknown output %r; choose from %s" % (nm, ", ".join(GREEKS)))
        out = out or {}
        for nm in out:
            if nm not in names:
                names.append(nm)
        outs = _PricerOut(ctypes.sizeof(_PricerOut))
        bufs = {}
        for nm in names:
            v = _arrays.output(n, out.get(nm), nm)
            setattr(outs, nm, v.addr)
            bufs[nm] = v
        return outs, bufs

    @staticmethod
    def _results(bufs: Dict[str, Any], scalar: bool) -> Dict[str, Any]:
        if scalar:
            return {k: float(v.obj[0]) for k, v in bufs.items()}
        return {k: v.result() for k, v in bufs.items()}

    def greeks(self, underlying: Any, strike: Any, T: Any, sigma: Any, type: Any = CALL,
               r: Any = None, q: Any = None, *, which: Optional[Sequence[str]] = None,
               out: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Value and Greeks as a dict name -> array (floats for all-scalar
        input).  ``which`` picks outputs among :data:`GREEKS` (default all);
        ``out`` maps names to arrays written in place.  Arguments as
        :meth:`price`."""
        n, vecs, all_scalar = self._batch(underlying, strike, T, sigma, type, r, q)
        outs, bufs = self._outputs(n, which, out)
        self._run(n, vecs, r, q, outs)
        return self._results(bufs, all_scalar and not out)

    def _chain(self, underlying: float, T: float, strike: Any, sigma: Any, type: Any,
               r: float, q: float, outs_fn: Any) -> Any:
        n, vecs, all_scalar = _arrays.broadcast([strike, sigma, _type_codes(type)],
                                                ["strike", "sigma", "type"],
                                                ["float64", "float64", "int32"])
        outs, res = outs_fn(n)
        check(_lib.fn("qpm_pricer_price_chain")(self.handle, n, float(underlying), float(T),
                                                float(r), float(q), vecs[0].addr, vecs[1].addr,
                                                vecs[2].addr, ctypes.addressof(outs)))
        return res, all_scalar

    def price_chain(self, underlying: float, T: float, strike: Any, sigma: Any,
                    type: Any = CALL, r: float = 0.0, q: float = 0.0, *,
                    out: Any = None) -> Any:
        """Values of an option chain: one underlying, expiry, rate and yield
        for many strikes, vols and types (bit-identical to :meth:`price`)."""
        def mk(n: int) -> Tuple["_PricerOut", Any]:
            o = _arrays.output(n, out)
            outs = _PricerOut(ctypes.sizeof(_PricerOut))
            outs.price = o.addr
            return outs, o
        o, scalar = self._chain(underlying, T, strike, sigma, type, r, q, mk)
        return float(o.obj[0]) if scalar and out is None else o.result()

    def greeks_chain(self, underlying: float, T: float, strike: Any, sigma: Any,
                     type: Any = CALL, r: float = 0.0, q: float = 0.0, *,
                     which: Optional[Sequence[str]] = None,
                     out: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Value and Greeks of an option chain, as :meth:`greeks`."""
        bufs, scalar = self._chain(underlying, T, strike, sigma, type, r, q,
                                   lambda n: self._outputs(n, which, out))
        return self._results(bufs, scalar and not out)

    def implied_vol(self, price: Any, underlying: Any, strike: Any, T: Any, type: Any = CALL,
                    r: Any = None, q: Any = None, *, out: Any = None, errors: str = "raise",
                    return_status: bool = False) -> Any:
        """Implied volatility of option prices (USD for linear, coin for
        inverse settlement) in this pricer's model, to full precision.

        A price <= 0 or outside the open no-arbitrage interval gives NaN for
        that element; with ``errors="raise"`` (default) a QpmArbitrageError
        naming the first such index is then raised, with ``errors="nan"``
        the NaNs are returned.  ``return_status=True`` returns
        ``(sigma, status)`` with a per-element int32 status array.  Bad
        inputs (NaN, negative strike, ...) always raise."""
        if errors not in ("raise", "nan"):
            raise ValueError("errors must be 'raise' or 'nan'")
        vals = [price, underlying, strike, T, _type_codes(type)]
        names = ["price", "underlying", "strike", "T", "type"]
        kinds = ["float64"] * 4 + ["int32"]
        if r is not None:
            vals.append(r)
            names.append("r")
            kinds.append("float64")
        if q is not None:
            vals.append(q)
            names.append("q")
            kinds.append("float64")
        n, v, all_scalar = _arrays.broadcast(vals, names, kinds)
        ra = v[5].addr if r is not None else None
        qa = v[-1].addr if q is not None else None
        o = _arrays.output(n, out, "out")
        stv = _arrays.output(n, None, "status", "int32")
        st = _lib.fn("qpm_pricer_implied_vol")(self.handle, n, v[1].addr, v[2].addr, v[3].addr,
                                               ra, qa, v[4].addr, v[0].addr, o.addr, stv.addr)
        if st:
            per_element = any(int(x) for x in stv.obj) if st >= 200 else False
            if errors == "raise" or not per_element:
                raise make_error(st)
        sig: Any = float(o.obj[0]) if all_scalar and out is None else o.result()
        if return_status:
            return sig, (int(stv.obj[0]) if all_scalar else stv.result())
        return sig

