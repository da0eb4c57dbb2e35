"""European option pricing: Black-Scholes-Merton, Black-76 and Bachelier,
linear (USD) or coin-settled ("inverse"), with Greeks and implied volatility.

Units are the library's: T in years, continuously compounded r and q, vol
per 1.00, vega per 1.00 of vol, theta = -dV/dT per year, rho per 1.00 of
rate.  Option types are ``CALL`` (1) / ``PUT`` (-1), or the strings
``"call"``/``"put"`` (also ``"c"``/``"p"``).

Every batch argument may be a scalar or a 1-D array, and every entry point
broadcasts the same way: scalars are repeated, arrays must agree in length.
float64 C-contiguous numpy arrays (and int32 type arrays) pass with no copy.
A call whose inputs are all scalars returns floats; pandas Series inputs
give results on the Series' index (a DataFrame for several outputs).
"""
from __future__ import annotations

import ctypes
import enum
import math
from typing import (Any, Dict, Iterable, Iterator, List, Literal, Mapping, Optional, Sequence,
                    Tuple, Union, overload)

from . import _arrays, _labels, _lib
from ._errors import register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike, FloatArray, IntArray, OptionType, OptionTypes, Real


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
    """Values of ``PricerKey.KERNEL``: AUTO picks AVX-512 (F+DQ+VL) where the
    CPU has it, else AVX2+FMA, else scalar."""
    AUTO = 0
    SCALAR = 1
    AVX2 = 2
    AVX512 = 3


register_enum(Model, "QPM_MODEL_")
register_enum(Settlement, "QPM_SETTLE_")
register_enum(PricerKey, "QPM_PRICER_", settings=True)
register_enum(Kernel, "QPM_PRICER_KERNEL_")
register_names({"qpm_pricer_out": "the outputs", "qpm_model": "Model",
                "qpm_settlement": "Settlement", "qpm_pricer_key": "PricerKey"})

_NUM = (float, int)
_FAST: Any = None  # prototype-free qpm_pricer_price, shared by all pricers
_builtin_type = type
_TYPE_CODES = {"call": CALL, "c": CALL, "put": PUT, "p": PUT}
_I32 = (_arrays.INT32_MIN, _arrays.INT32_MAX)
_NONFINITE = 3  # QPM_E_NONFINITE


def _enum(cls: Any, v: Any, name: str) -> int:
    if isinstance(v, str):
        try:
            return int(cls[v.upper()])
        except KeyError:
            raise ValueError("unknown %s %r; choose from %s" % (
                name, v, ", ".join(m.name.lower() for m in cls))) from None
    return _arrays.int32(v, name)


def _type_code(t: str) -> int:
    try:
        return _TYPE_CODES[t.lower()]
    except KeyError:
        raise ValueError("option type %r: must be 'call' or 'put'" % t) from None


def _type_codes(t: Any) -> Any:
    """Option type(s) as CALL/PUT codes: an int, or an array/list for the
    conversion layer (which checks the range and that they are integers)."""
    if isinstance(t, str):
        return _type_code(t)
    if _arrays.is_scalar(t):
        return _arrays.int32(t, "type")
    np = _arrays.np
    if np is not None:
        a = t.to_numpy() if _labels.is_series(t) else t
        a = np.asarray(a)
        if a.dtype.kind in "US" or (a.dtype.kind == "O" and any(isinstance(x, str)
                                                                for x in a.ravel())):
            return np.array([_type_code(str(x)) if isinstance(x, (str, np.str_))
                             else _arrays.int32(x, "type") for x in a.ravel()],
                            dtype=np.int32).reshape(a.shape)
        return a
    return [_type_code(x) if isinstance(x, str) else x for x in _list(t, "type")]


def _list(x: Any, name: str) -> List[Any]:
    if isinstance(x, bytes):
        raise TypeError("%s must be a number or a sequence, got bytes" % name)
    return list(x)


def _scalar_arg(x: Any, name: str) -> float:
    return _arrays.double(x, name)


_BATCH_NAMES = ("underlying", "strike", "T", "sigma", "type", "r", "q")


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
        m, s = _enum(Model, model, "model"), _enum(Settlement, settlement, "settlement")
        self._open("qpm_pricer_create", m, s, names={"settle": "settlement"})
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

    def _describe(self) -> Iterator[Tuple[str, Any]]:
        yield "model", self.model.name.lower()
        yield "settlement", self.settlement.name.lower()
        yield "threads", int(self.get(PricerKey.THREADS))
        yield "kernel", Kernel(int(self.get(PricerKey.KERNEL))).name.lower()

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
        self.set(PricerKey.THREADS, _arrays.integer(n, "threads", _I32[0], _I32[1]))

    @property
    def kernel(self) -> Kernel:
        """Kernel in use (SCALAR or AVX2); assign a :class:`Kernel` to choose."""
        return Kernel(int(self.get(PricerKey.KERNEL)))

    @kernel.setter
    def kernel(self, k: Union[Kernel, int, str]) -> None:
        self.set(PricerKey.KERNEL, _enum(Kernel, k, "kernel"))

    def _value(self, key: int, value: Any) -> float:
        if key == PricerKey.KERNEL and isinstance(value, str):
            return float(_enum(Kernel, value, "kernel"))
        return super()._value(key, value)

    def _names_for(self, n_name: str) -> Dict[str, str]:
        return {"n": "len(%s)" % n_name}

    # ---- pricing ------------------------------------------------------------
    def _batch(self, underlying: Any, strike: Any, T: Any, sigma: Any, type: Any,
               r: Any, q: Any) -> Tuple[int, List[_arrays.Vec], bool, Any]:
        raw = [underlying, strike, T, sigma, type, r, q]
        index = _labels.common_index(raw, _BATCH_NAMES)
        vals = [underlying, strike, T, sigma, _type_codes(type)]
        names = ["underlying", "strike", "T", "sigma", "type"]
        kinds = ["float64"] * 4 + ["int32"]
        for v, nm in ((r, "r"), (q, "q")):
            if v is not None:
                vals.append(v)
                names.append(nm)
                kinds.append("float64")
        n, vecs, all_scalar = _arrays.broadcast(vals, names, kinds)
        return n, vecs, all_scalar, index

    def _run(self, n: int, vecs: List[_arrays.Vec], r: Any, q: Any, outs: "_PricerOut") -> None:
        u, k, t, sg, ty = vecs[:5]
        rest = iter(vecs[5:])
        ra = next(rest).addr if r is not None else None
        qa = next(rest).addr if q is not None else None
        self._call(self._f_price, n, u.addr, k.addr, t.addr, ra, qa, sg.addr, ty.addr,
                   ctypes.addressof(outs), names={"n": "the number of options"})

    @overload
    def price(self, underlying: Real, strike: Real, T: Real,  # type: ignore[misc]
              sigma: Real, type: OptionType = ..., r: Optional[Real] = ...,
              q: Optional[Real] = ..., *, out: None = ...) -> float: ...

    @overload
    def price(self, underlying: ArrayLike, strike: ArrayLike, T: ArrayLike, sigma: ArrayLike,
              type: OptionTypes = ..., r: Optional[ArrayLike] = ..., q: Optional[ArrayLike] = ...,
              *, out: Optional[FloatArray] = ...) -> FloatArray: ...

    def price(self, underlying: Any, strike: Any, T: Any, sigma: Any, type: Any = CALL,
              r: Any = None, q: Any = None, *, out: Any = None) -> Any:
        """Option values: USD (linear) or coin (inverse).

        underlying: S (BSM) or F (Black-76, Bachelier); strike K; T years;
        sigma vol; type CALL/PUT (or "call"/"put"); r rate (None: 0); q BSM
        yield (None: 0; must be None for the forward models).  Each argument
        is a scalar or a 1-D array; scalars are repeated.  Returns a float
        when every input is a scalar, else an array (written into ``out``
        when given; a Series on the input's index for Series inputs).
        Raises QpmUsageError subclasses naming the bad element."""
        tp = _builtin_type
        if out is None and tp(underlying) in _NUM and tp(strike) in _NUM and \
                tp(T) in _NUM and tp(sigma) in _NUM and (r is None or tp(r) in _NUM) and \
                (q is None or tp(q) in _NUM) and \
                ((tp(type) is int and _I32[0] <= type <= _I32[1]) or tp(type) is str):
            # scalar fast path: no arrays, no allocation
            with self._lock:
                p = self._ptr
                if p is None:
                    raise ValueError("Pricer is closed")
                if self._depth:
                    self._busy()
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
                self._stype.value = type if tp(type) is int else _type_code(type)
                st = self._f_fast(p, self._one, a[0], a[1], a[2], ra, qa, a[5], self._vtype,
                                  self._vout)
                if st:
                    raise self._error(st)
                return self._sprice.value
        n, vecs, all_scalar, index = self._batch(underlying, strike, T, sigma, type, r, q)
        o = _arrays.output(n, out)
        outs = _PricerOut(ctypes.sizeof(_PricerOut))
        outs.price = o.addr
        self._run(n, vecs, r, q, outs)
        if all_scalar and out is None:
            return float(o.obj[0])
        return _labels.series(o.result(), index, "price")

    def _outputs(self, n: int, which: Optional[Iterable[str]], out: Optional[Mapping[str, Any]]
                 ) -> Tuple["_PricerOut", Dict[str, _arrays.Vec]]:
        if isinstance(which, str):
            which = [which]
        names = list(GREEKS if which is None else which)
        for nm in names:
            if nm not in GREEKS:
                raise ValueError("unknown output %r; choose from %s" % (nm, ", ".join(GREEKS)))
        out = out or {}
        for nm in out:
            if nm not in GREEKS:
                raise ValueError("unknown output %r; choose from %s" % (nm, ", ".join(GREEKS)))
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
    def _results(bufs: Dict[str, _arrays.Vec], scalar: bool, index: Any) -> Any:
        if scalar:
            return {k: float(v.obj[0]) for k, v in bufs.items()}
        return _labels.frame_of({k: v.result() for k, v in bufs.items()}, index)

    @overload
    def greeks(self, underlying: Real, strike: Real, T: Real,  # type: ignore[misc]
               sigma: Real, type: OptionType = ..., r: Optional[Real] = ...,
               q: Optional[Real] = ..., *, which: Optional[Sequence[str]] = ...,
               out: None = ...) -> Dict[str, float]: ...

    @overload
    def greeks(self, underlying: ArrayLike, strike: ArrayLike, T: ArrayLike, sigma: ArrayLike,
               type: OptionTypes = ..., r: Optional[ArrayLike] = ...,
               q: Optional[ArrayLike] = ..., *, which: Optional[Sequence[str]] = ...,
               out: Optional[Mapping[str, FloatArray]] = ...) -> Dict[str, FloatArray]: ...

    def greeks(self, underlying: Any, strike: Any, T: Any, sigma: Any, type: Any = CALL,
               r: Any = None, q: Any = None, *, which: Optional[Sequence[str]] = None,
               out: Optional[Mapping[str, Any]] = None) -> Any:
        """Value and Greeks as a dict name -> array (floats for all-scalar
        input; a DataFrame with one column per output on the input's index
        for Series inputs).  ``which`` picks outputs among :data:`GREEKS`
        (default all); ``out`` maps names to arrays written in place.
        Arguments and broadcasting as :meth:`price`."""
        n, vecs, all_scalar, index = self._batch(underlying, strike, T, sigma, type, r, q)
        outs, bufs = self._outputs(n, which, out)
        self._run(n, vecs, r, q, outs)
        return self._results(bufs, all_scalar and not out, index)

    def _chain(self, underlying: Any, T: Any, strike: Any, sigma: Any, type: Any,
               r: Any, q: Any, outs_fn: Any) -> Tuple[Any, bool, Any]:
        u, t = _scalar_arg(underlying, "underlying"), _scalar_arg(T, "T")
        rr, qq = _scalar_arg(r, "r"), _scalar_arg(q, "q")
        index = _labels.common_index([strike, sigma, type], ["strike", "sigma", "type"])
        n, vecs, all_scalar = _arrays.broadcast([strike, sigma, _type_codes(type)],
                                                ["strike", "sigma", "type"],
                                                ["float64", "float64", "int32"])
        outs, res = outs_fn(n)
        self._c("qpm_pricer_price_chain", n, u, t, rr, qq, vecs[0].addr, vecs[1].addr,
                vecs[2].addr, ctypes.addressof(outs), names={"n": "the number of options"})
        return res, all_scalar, index

    @overload
    def price_chain(self, underlying: Real, T: Real, strike: Real,  # type: ignore[misc]
                    sigma: Real, type: OptionType = ..., r: Real = ..., q: Real = ..., *,
                    out: None = ...) -> float: ...

    @overload
    def price_chain(self, underlying: Real, T: Real, strike: ArrayLike, sigma: ArrayLike,
                    type: OptionTypes = ..., r: Real = ..., q: Real = ..., *,
                    out: Optional[FloatArray] = ...) -> FloatArray: ...

    def price_chain(self, underlying: Real, T: Real, strike: Any, sigma: Any,
                    type: Any = CALL, r: Real = 0.0, q: Real = 0.0, *,
                    out: Any = None) -> Any:
        """Values of an option chain: one underlying, expiry, rate and yield
        (scalars) for many strikes, vols and types (scalars or arrays,
        broadcast as in :meth:`price`; bit-identical to :meth:`price`)."""
        def mk(n: int) -> Tuple["_PricerOut", _arrays.Vec]:
            o = _arrays.output(n, out)
            outs = _PricerOut(ctypes.sizeof(_PricerOut))
            outs.price = o.addr
            return outs, o
        o, scalar, index = self._chain(underlying, T, strike, sigma, type, r, q, mk)
        if scalar and out is None:
            return float(o.obj[0])
        return _labels.series(o.result(), index, "price")

    @overload
    def greeks_chain(self, underlying: Real, T: Real, strike: Real,  # type: ignore[misc]
                     sigma: Real, type: OptionType = ..., r: Real = ..., q: Real = ..., *,
                     which: Optional[Sequence[str]] = ...,
                     out: None = ...) -> Dict[str, float]: ...

    @overload
    def greeks_chain(self, underlying: Real, T: Real, strike: ArrayLike, sigma: ArrayLike,
                     type: OptionTypes = ..., r: Real = ..., q: Real = ..., *,
                     which: Optional[Sequence[str]] = ...,
                     out: Optional[Mapping[str, FloatArray]] = ...) -> Dict[str, FloatArray]: ...

    def greeks_chain(self, underlying: Real, T: Real, strike: Any, sigma: Any,
                     type: Any = CALL, r: Real = 0.0, q: Real = 0.0, *,
                     which: Optional[Sequence[str]] = None,
                     out: Optional[Mapping[str, Any]] = None) -> Any:
        """Value and Greeks of an option chain, as :meth:`greeks`."""
        bufs, scalar, index = self._chain(underlying, T, strike, sigma, type, r, q,
                                          lambda n: self._outputs(n, which, out))
        return self._results(bufs, scalar and not out, index)

    @overload
    def implied_vol(self, price: Real, underlying: Real, strike: Real,  # type: ignore[misc]
                    T: Real, type: OptionType = ..., r: Optional[Real] = ...,
                    q: Optional[Real] = ..., *, out: None = ..., errors: str = ...,
                    return_status: Literal[False] = ...) -> float: ...

    @overload
    def implied_vol(self, price: Real, underlying: Real, strike: Real,  # type: ignore[misc]
                    T: Real, type: OptionType = ..., r: Optional[Real] = ...,
                    q: Optional[Real] = ..., *, out: None = ..., errors: str = ...,
                    return_status: Literal[True]) -> Tuple[float, int]: ...

    @overload
    def implied_vol(self, price: ArrayLike, underlying: ArrayLike, strike: ArrayLike,
                    T: ArrayLike, type: OptionTypes = ..., r: Optional[ArrayLike] = ...,
                    q: Optional[ArrayLike] = ..., *, out: Optional[FloatArray] = ...,
                    errors: str = ..., return_status: Literal[False] = ...) -> FloatArray: ...

    @overload
    def implied_vol(self, price: ArrayLike, underlying: ArrayLike, strike: ArrayLike,
                    T: ArrayLike, type: OptionTypes = ..., r: Optional[ArrayLike] = ...,
                    q: Optional[ArrayLike] = ..., *, out: Optional[FloatArray] = ...,
                    errors: str = ..., return_status: Literal[True]
                    ) -> Tuple[FloatArray, IntArray]: ...

    def implied_vol(self, price: Any, underlying: Any, strike: Any, T: Any, type: Any = CALL,
                    r: Any = None, q: Any = None, *, out: Any = None, errors: str = "raise",
                    return_status: bool = False) -> Any:
        """Implied volatility of option prices (USD for linear, coin for
        inverse settlement) in this pricer's model, to full precision.

        Arguments broadcast as in :meth:`price`.  A price <= 0 or outside the
        open no-arbitrage interval has no implied vol: with ``errors="raise"``
        (default) a QpmArbitrageError naming the first such index is raised;
        with ``errors="nan"`` that element is NaN and the rest are solved.
        With ``errors="nan"`` a missing (NaN or infinite) price is normal too
        (a chain with a missing quote): NaN with status QPM_E_NONFINITE for
        that element only.  ``return_status=True`` returns ``(sigma,
        status)`` with a per-element int32 status array (0 where solved).
        Bad inputs other than prices (NaN strike, negative T, ...) always
        raise.  Series inputs give Series on their index."""
        if errors not in ("raise", "nan"):
            raise ValueError("errors must be 'raise' or 'nan', got %r" % (errors,))
        index = _labels.common_index([price, underlying, strike, T, type, r, q],
                                     ("price",) + _BATCH_NAMES[:2] + ("T", "type", "r", "q"))
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
        o = _arrays.output(n, out, "out")
        stv = _arrays.output(n, None, "status", "int32")
        self._solve_iv(n, v, r is not None, q is not None, o, stv, errors)
        sig: Any
        if all_scalar and out is None:
            sig = float(o.obj[0])
        else:
            sig = _labels.series(o.result(), index, "implied_vol")
        if return_status:
            if all_scalar:
                return sig, int(stv.obj[0])
            return sig, _labels.series(stv.result(), index, "status")
        return sig

    def _solve_iv(self, n: int, v: List[_arrays.Vec], has_r: bool, has_q: bool,
                  o: _arrays.Vec, stv: _arrays.Vec, errors: str) -> None:
        f = _lib.fn("qpm_pricer_implied_vol")
        names = {"n": "the number of prices"}
        prices = v[0].obj
        bad: Any = None
        if errors == "nan":
            np = _arrays.np
            if np is not None:
                fin = np.isfinite(prices)
                if not fin.all():
                    bad = ~fin
            else:
                flags = [not math.isfinite(x) for x in prices[:n]]
                if any(flags):
                    bad = flags
        if bad is None:
            ra = v[5].addr if has_r else None
            qa = v[-1].addr if has_q else None
            self._call_iv(f, n, v[1].addr, v[2].addr, v[3].addr, ra, qa, v[4].addr, v[0].addr,
                          o.addr, stv.addr, errors, stv, names)
            return
        # Missing quotes: solve the others, then scatter back.
        np = _arrays.np
        if np is not None:
            good = ~bad
            m = int(good.sum())
            sub = [np.ascontiguousarray(x.obj[good]) for x in v]
            so, ss = np.empty(m), np.zeros(m, dtype=np.int32)
            if m:
                ra = sub[5].ctypes.data if has_r else None
                qa = sub[-1].ctypes.data if has_q else None
                self._call_iv(f, m, sub[1].ctypes.data, sub[2].ctypes.data, sub[3].ctypes.data,
                              ra, qa, sub[4].ctypes.data, sub[0].ctypes.data, so.ctypes.data,
                              ss.ctypes.data, errors, _arrays.Vec(ss, ss.ctypes.data, m), names,
                              np.flatnonzero(good))
            res = o.obj
            res[bad] = np.nan
            res[good] = so
            stv.obj[bad] = _NONFINITE
            stv.obj[good] = ss
            return
        keep = [i for i in range(n) if not bad[i]]
        m = len(keep)
        subs = []
        for x in v:
            ct: Any = ctypes.c_int32 if isinstance(x.obj, ctypes.Array) and \
                x.obj._type_ is ctypes.c_int32 else ctypes.c_double
            arr = (ct * max(m, 1))(*[x.obj[i] for i in keep])
            subs.append(arr)
        so_c = (ctypes.c_double * max(m, 1))()
        ss_c = (ctypes.c_int32 * max(m, 1))()
        if m:
            ad = ctypes.addressof
            self._call_iv(f, m, ad(subs[1]), ad(subs[2]), ad(subs[3]),
                          ad(subs[5]) if has_r else None, ad(subs[-1]) if has_q else None,
                          ad(subs[4]), ad(subs[0]), ad(so_c), ad(ss_c), errors,
                          _arrays.Vec(ss_c, ad(ss_c), m), names, keep)
        j = 0
        for i in range(n):
            if bad[i]:
                o.obj[i] = math.nan
                stv.obj[i] = _NONFINITE
            else:
                o.obj[i] = so_c[j]
                stv.obj[i] = ss_c[j]
                j += 1

    def _call_iv(self, f: Any, n: int, u: Any, k: Any, t: Any, ra: Any, qa: Any, ty: Any,
                 pr: Any, so: Any, ss: Any, errors: str, stv: _arrays.Vec,
                 names: Dict[str, str], where: Any = None) -> None:
        """One qpm_pricer_implied_vol call under the handle's lock; with
        errors="nan" a per-element numerical status is a result, not an
        error.  ``where`` maps the indices of a screened batch back."""
        with self._lock:
            p = self._ptr
            if p is None:
                raise ValueError("Pricer is closed")
            if self._depth:
                self._busy()
            st = f(p, n, u, k, t, ra, qa, ty, pr, so, ss)
            if not st:
                return
            per_element = st >= 200 and any(int(x) for x in list(stv.obj)[:n])
            if errors == "raise" or not per_element:
                err = self._error(st, names)
                if where is not None:
                    err = _reindex_error(err, where)
                raise err


def _reindex_error(err: BaseException, where: Any) -> BaseException:
    """An error about element i of a screened batch, renumbered to the
    caller's element where[i]."""
    import re
    from ._errors import QpmError
    if not isinstance(err, QpmError):
        return err

    def fix(text: str) -> str:
        return re.sub(r"\[(\d+)\]", lambda m: "[%d]" % int(where[int(m.group(1))])
                      if int(m.group(1)) < len(where) else m.group(0), text)
    return type(err)(err.status, err.name, fix(err.message), fix(err.c_message))
