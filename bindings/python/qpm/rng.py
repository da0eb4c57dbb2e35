"""Reproducible randomness: PCG generators and the inverse normal CDF.

:class:`Rng` wraps a ``qpm_rng`` handle.  128-bit quantities (seeds, states,
increments, jump distances) are plain Python ints here; the package splits
them into the (hi, lo) word pairs of the C API.
"""
from __future__ import annotations

import ctypes
import enum
import math
from typing import Any, Iterator, Optional, Tuple, Union, cast, overload

from . import _arrays, _labels, _lib
from ._errors import check, make_error, register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike, FloatArray, Real, UIntArray


__all__ = [
    "Rng",
    "RngKind",
    "kind_name",
    "poisson_max",
    "norm_inv",
]

_u64 = ctypes.c_uint64
_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int

_lib.declare("qpm_rng_create", _int, _vp, _vp, _int, _u64, _u64, _u64, _u64)
_lib.declare("qpm_rng_create_seed", _int, _vp, _vp, _int, _u64)
_lib.declare("qpm_rng_free", None, _vp)
_lib.declare("qpm_rng_seed", _int, _vp, _u64, _u64, _u64, _u64)
_lib.declare("qpm_rng_get_kind", _int, _vp, _vp)
_lib.declare("qpm_rng_kind_name", ctypes.c_char_p, _int)
_lib.declare("qpm_rng_get_state", _int, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_rng_set_state", _int, _vp, _u64, _u64, _u64, _u64)
_lib.declare("qpm_rng_advance", _int, _vp, _u64, _u64)
_lib.declare("qpm_rng_set_stream", _int, _vp, _vp, _u64)
_lib.declare("qpm_rng_split", _int, _vp, _vp, _vp, _u64)
_lib.declare("qpm_rng_raw", _int, _vp, _sz, _vp)
_lib.declare("qpm_rng_uniform", _int, _vp, _sz, _vp)
_lib.declare("qpm_rng_uniform_open", _int, _vp, _sz, _vp)
_lib.declare("qpm_rng_normal", _int, _vp, _sz, _vp)
_lib.declare("qpm_rng_gamma", _int, _vp, _sz, ctypes.c_double, _vp)
_lib.declare("qpm_rng_student_t", _int, _vp, _sz, ctypes.c_double, _vp)
_lib.declare("qpm_rng_poisson", _int, _vp, _sz, ctypes.c_double, _vp)
_lib.declare("qpm_rng_poisson_max", ctypes.c_double)
_lib.declare("qpm_norm_inv", ctypes.c_double, ctypes.c_double)
_lib.declare("qpm_norm_inv_bulk", _int, _sz, _vp, _vp)

_M64 = (1 << 64) - 1


class RngKind(enum.IntEnum):
    """PCG generator kinds (``qpm_rng_kind``)."""
    PCG64DXSM = 0  #: 128-bit state, DXSM output (numpy PCG64DXSM); the default
    PCG64 = 1      #: 128-bit state, XSL-RR output (numpy PCG64)
    PCG32 = 2      #: 64-bit state, XSH-RR output, 32-bit values


KindLike = Union[RngKind, int, str]

register_enum(RngKind, "QPM_RNG_")
register_names({"qpm_rng_kind": "RngKind", "qpm_rng_poisson_max": "poisson_max()"})


def _kind(kind: KindLike) -> int:
    if isinstance(kind, str):
        try:
            return int(RngKind[kind.upper()])
        except KeyError:
            raise ValueError("unknown generator kind %r; choose from %s" % (
                kind, ", ".join(m.name.lower() for m in RngKind))) from None
    return _arrays.int32(kind, "kind")


def _split128(x: int, name: str) -> Tuple[int, int]:
    v = _arrays.integer(x, name, 0, (1 << 128) - 1, "an integer in [0, 2**128)")
    return v >> 64, v & _M64


#: the (hi, lo) word arguments of the C API, in terms of the Python ints
_WORDS = {"%s_%s" % (w, h): "%s %s" % (w, op) for w in ("state", "inc", "initstate", "initseq",
                                                       "seed", "stream", "delta")
          for h, op in (("hi", ">> 64"), ("lo", "& (2**64 - 1)"))}


def _u64_arg(x: int, name: str) -> int:
    return _arrays.u64(x, name)


def kind_name(kind: KindLike) -> str:
    """Lower-case name of a generator kind ("pcg64dxsm"); "unknown" otherwise."""
    return str(_lib.fn("qpm_rng_kind_name")(_kind(kind)).decode("ascii"))


def poisson_max() -> float:
    """Largest lambda :meth:`Rng.poisson` accepts (1e15)."""
    return float(_lib.fn("qpm_rng_poisson_max")())


class Rng(Handle):
    """A PCG random generator.

    ``Rng(seed)`` equals pcg-cpp's one-argument ``engine(seed)`` (the default
    stream), with ``0 <= seed < 2**64``.  ``Rng(seed, stream=s)`` equals
    ``engine(seed, s)`` with 128-bit ``seed`` and ``s`` (pcg32: modulo 2**64).

    Every drawing method fills ``n`` values (into ``out`` when given: a
    writable C-contiguous numpy array, written in place) and returns them.
    """

    _prefix = "qpm_rng"

    def _names(self) -> Any:
        return _WORDS

    def _describe(self) -> Iterator[Tuple[str, Any]]:
        k = ctypes.c_int()
        _lib.fn("qpm_rng_get_kind")(self._ptr, ctypes.byref(k))
        yield "kind", kind_name(k.value)

    def __init__(self, seed: int = 0, kind: KindLike = RngKind.PCG64DXSM, *,
                 stream: Optional[int] = None) -> None:
        if stream is None:
            self._open("qpm_rng_create_seed", _kind(kind), _u64_arg(seed, "seed"))
        else:
            self._open("qpm_rng_create", _kind(kind), *_split128(seed, "seed"),
                       *_split128(stream, "stream"))

    # ---- seeding and state ------------------------------------------------
    def seed(self, initstate: int, initseq: int) -> None:
        """Re-seeds in place as pcg-cpp ``engine(initstate, initseq)``
        (128-bit ints; the kind stays)."""
        self._c("qpm_rng_seed", *_split128(initstate, "initstate"), *_split128(initseq, "initseq"))

    @property
    def kind(self) -> RngKind:
        """The generator kind."""
        k = ctypes.c_int()
        self._c("qpm_rng_get_kind", ctypes.byref(k))
        return RngKind(k.value)

    @property
    def state(self) -> Tuple[int, int]:
        """(LCG state, odd increment) as ints; assign a pair to restore it."""
        w = [_u64() for _ in range(4)]
        self._c("qpm_rng_get_state", *[ctypes.byref(x) for x in w])
        return (w[0].value << 64) | w[1].value, (w[2].value << 64) | w[3].value

    @state.setter
    def state(self, value: Tuple[int, int]) -> None:
        if isinstance(value, (str, bytes)) or len(value) != 2:
            raise TypeError("state must be a (state, inc) pair of ints")
        st, inc = value
        self.set_state(st, inc)

    def set_state(self, state: int, inc: int) -> None:
        """Sets the LCG state and (odd) increment directly.  Raises
        QpmInvalidError for an even increment (or pcg32 values >= 2**64)."""
        self._c("qpm_rng_set_state", *_split128(state, "state"), *_split128(inc, "inc"))

    def advance(self, delta: int) -> None:
        """Jumps ``delta`` steps ahead in O(log delta); negative ``delta``
        steps back (it is taken modulo the period)."""
        bits = 64 if self.kind == RngKind.PCG32 else 128
        d = _arrays.integer(delta, "delta", -(1 << bits), (1 << bits) - 1) % (1 << bits)
        self._c("qpm_rng_advance", d >> 64, d & _M64)

    def set_stream(self, parent: "Rng", k: int) -> None:
        """Makes this generator stream ``k`` of ``parent``'s current state
        (deterministic; parent unchanged; allocates nothing)."""
        if not isinstance(parent, Rng):
            raise TypeError("parent must be an Rng, got %s" % type(parent).__name__)
        kk = _u64_arg(k, "k")
        with self._using(parent):
            st = _lib.fn("qpm_rng_set_stream")(self._ptr, parent._ptr, kk)
            if st:
                raise self._error(st)

    def split(self, k: int) -> "Rng":
        """A new generator: stream ``k`` of this one's current state."""
        ptr = ctypes.c_void_p()
        kk = _u64_arg(k, "k")
        with self._using():
            st = _lib.fn("qpm_rng_split")(ctypes.byref(ptr), None, self._ptr, kk)
            if st:
                raise self._error(st)
        return Rng._wrap(ptr)

    # ---- draws -------------------------------------------------------------
    def _fill(self, name: str, n: int, out: Any, kind: str = "float64", *extra: Any) -> Any:
        """Draws n values with the C function ``name`` into ``out`` (or a new
        array) and returns them."""
        n = _arrays.size(n, "n")
        o = _arrays.output(n, out, "out", kind)
        self._c(name, n, *extra, o.addr, names=dict(_WORDS, **{"lambda": "lam"}))
        return o.result()

    def raw(self, n: int, out: Optional[UIntArray] = None) -> UIntArray:
        """n raw generator outputs (uint64; pcg32: 32-bit values), one step each."""
        return cast(UIntArray, self._fill("qpm_rng_raw", n, out, "uint64"))

    def uniform(self, n: int, out: Optional[FloatArray] = None) -> FloatArray:
        """n uniforms in [0, 1) with 53 random bits."""
        return cast(FloatArray, self._fill("qpm_rng_uniform", n, out))

    def uniform_open(self, n: int, out: Optional[FloatArray] = None) -> FloatArray:
        """n uniforms in the open interval (0, 1)."""
        return cast(FloatArray, self._fill("qpm_rng_uniform_open", n, out))

    def normal(self, n: int, out: Optional[FloatArray] = None) -> FloatArray:
        """n standard normals (inversion of :meth:`uniform_open` values)."""
        return cast(FloatArray, self._fill("qpm_rng_normal", n, out))

    def gamma(self, n: int, shape: float, out: Optional[FloatArray] = None) -> FloatArray:
        """n Gamma(shape, scale 1) variates, shape > 0."""
        return cast(FloatArray, self._fill("qpm_rng_gamma", n, out, "float64", _arrays.double(shape, "shape")))

    def student_t(self, n: int, nu: float, out: Optional[FloatArray] = None) -> FloatArray:
        """n Student-t variates with nu > 0 degrees of freedom."""
        return cast(FloatArray, self._fill("qpm_rng_student_t", n, out, "float64", _arrays.double(nu, "nu")))

    def poisson(self, n: int, lam: float, out: Optional[FloatArray] = None) -> FloatArray:
        """n Poisson(lam) counts (as floats), 0 <= lam <= :func:`poisson_max`."""
        return cast(FloatArray, self._fill("qpm_rng_poisson", n, out, "float64", _arrays.double(lam, "lam")))


@overload
def norm_inv(p: Real, out: None = ...) -> float: ...  # type: ignore[misc]


@overload
def norm_inv(p: ArrayLike, out: Optional[FloatArray] = ...) -> FloatArray: ...


def norm_inv(p: Any, out: Any = None) -> Any:
    """Standard normal quantile Phi^-1(p), within half an ulp (correctly
    rounded but in near-ties) for |z| < 8.5, i.e. p >= 1e-17.

    A scalar ``p`` gives a float (p = 0 -> -inf, 1 -> +inf); an array gives
    an array (``out`` may be ``p`` itself).  p outside [0, 1] raises
    QpmInvalidError and NaN raises QpmNonFiniteError, naming the first bad
    index for arrays.  A Series gives a Series on its index."""
    if _arrays.is_scalar(p) and out is None:
        z = _lib.fn("qpm_norm_inv")(_arrays.double(p, "p"))
        if math.isnan(z):
            # qpm_norm_inv records the reason as the thread's last error
            raise make_error(_lib.fn("qpm_last_status")() or 3)
        return float(z)
    index = _labels.row_labels(p) if _labels.is_series(p) else None
    v = _arrays.vector(p, "p")
    o = _arrays.output(v.n, out)
    check(_lib.fn("qpm_norm_inv_bulk")(v.n, v.addr, o.addr), {"n": "len(p)"})
    return _labels.series(o.result(), index, p.name if index is not None else None)
