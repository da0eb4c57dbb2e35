"""The one conversion layer between Python values and the C ABI.

Every value a wrapper hands to libqpm passes through a function of this
module, so no call site converts by hand:

* scalars: :func:`size` (``size_t``), :func:`int32`, :func:`u64`,
  :func:`double`, :func:`name` (a NUL-free UTF-8 string);
* arrays: :func:`vector` (1-D float64, int32 or size_t input),
  :func:`matrix` (2-D float64, row-major with a leading dimension),
  :func:`output` and :func:`out_matrix` (caller-visible results),
  :func:`broadcast` (scalars repeated against arrays).

Out-of-range numbers never wrap: a negative or too large size raises
ValueError/OverflowError, a non-integer where an integer is needed raises
TypeError (a float array) or ValueError (a float that is not whole), and a
complex, boolean, string or object value where a real number is needed
raises TypeError.

numpy is optional.  With numpy, float64 C-contiguous arrays (and row-major
matrices whose rows are contiguous) are passed to C by address with no copy;
any other layout or dtype is converted once, never passed with the wrong
stride.  Without numpy, inputs are copied into ctypes arrays and results
come back as Python lists.

Everything here works on raw addresses (ints) because the prototypes declare
array parameters as ``c_void_p``: the cheapest conversion ctypes offers, and
one code path serves numpy and ctypes buffers alike.
"""
from __future__ import annotations

import ctypes
import numbers
import operator
from typing import Any, List, Optional, Sequence, Tuple

try:  # numpy is optional
    import numpy as np
except ImportError:  # pragma: no cover - exercised by a subprocess test
    np = None  # type: ignore[assignment]

__all__ = ["np", "SIZE_MAX", "SIZE_KIND", "INT32_MIN", "INT32_MAX", "U64_MAX", "Vec", "Mat",
           "have_numpy", "is_scalar", "integer", "size", "int32", "u64", "double", "name",
           "flag", "vector", "input_address", "output", "matrix", "out_matrix", "length",
           "broadcast"]

SIZE_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_size_t))) - 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
U64_MAX = (1 << 64) - 1

#: element kind -> ctypes type
_KINDS = {
    "float64": ctypes.c_double,
    "int32": ctypes.c_int32,
    "uint32": ctypes.c_uint32,
    "uint64": ctypes.c_uint64,
    "int64": ctypes.c_int64,
}
#: the kind of a size_t array
SIZE_KIND = "uint64" if ctypes.sizeof(ctypes.c_size_t) == 8 else "uint32"
#: integer kind -> (lowest, highest) value
_RANGES = {
    "int32": (INT32_MIN, INT32_MAX),
    "uint32": (0, (1 << 32) - 1),
    "uint64": (0, U64_MAX),
    "int64": (-(1 << 63), (1 << 63) - 1),
}

_DTYPES = {k: (np.dtype(k) if np is not None else None) for k in _KINDS}


def have_numpy() -> bool:
    """True when results are numpy arrays (numpy importable and not disabled)."""
    return np is not None


_PLAIN = (float, int)


def _is_bool(x: Any) -> bool:
    return isinstance(x, bool) or (np is not None and isinstance(x, np.bool_))


def is_scalar(x: Any) -> bool:
    """True for a Python or numpy number (a 0-d array counts as a scalar).
    Strings are not scalars."""
    t = type(x)
    if t in _PLAIN:
        return True
    if np is not None and t is np.ndarray:
        return bool(x.ndim == 0)
    if isinstance(x, numbers.Number):
        return True
    return np is not None and isinstance(x, (np.ndarray, np.generic)) and np.ndim(x) == 0


def _unwrap0d(x: Any) -> Any:
    if np is not None and isinstance(x, np.ndarray) and x.ndim == 0:
        return x[()]
    return x


def _what(x: Any) -> str:
    return "%s %r" % (type(x).__name__, x) if is_scalar(x) or isinstance(x, str) else \
        type(x).__name__


# ---- scalars -----------------------------------------------------------------
def integer(x: Any, name: str, lo: int, hi: int, what: str = "an integer") -> int:
    """``x`` as a Python int in [lo, hi]: TypeError for a non-integer (floats,
    bools, strings), ValueError below ``lo`` and OverflowError above ``hi``."""
    x = _unwrap0d(x)
    if _is_bool(x) or isinstance(x, (float, complex, str, bytes)):
        raise TypeError("%s must be %s, got %s" % (name, what, _what(x)))
    if np is not None and isinstance(x, np.floating):
        raise TypeError("%s must be %s, got %s" % (name, what, _what(x)))
    try:
        v = operator.index(x)
    except TypeError:
        raise TypeError("%s must be %s, got %s" % (name, what, _what(x))) from None
    if v < lo:
        raise ValueError("%s = %d: must be >= %d" % (name, v, lo))
    if v > hi:
        raise OverflowError("%s = %d: must be <= %d" % (name, v, hi))
    return v


def size(x: Any, name: str, minimum: int = 0) -> int:
    """A ``size_t`` argument (a count or an index): an int in
    [minimum, SIZE_MAX]."""
    return integer(x, name, minimum, SIZE_MAX)


def int32(x: Any, name: str) -> int:
    """An ``int32_t`` / ``int`` argument."""
    return integer(x, name, INT32_MIN, INT32_MAX)


def u64(x: Any, name: str) -> int:
    """A ``uint64_t`` argument."""
    return integer(x, name, 0, U64_MAX)


def double(x: Any, name: str, allow_bool: bool = False) -> float:
    """A ``double`` argument: any real number (int, float, numpy real,
    Fraction).  Complex numbers, strings, None and (unless ``allow_bool``)
    bools raise TypeError."""
    t = type(x)
    if t is float:
        return x  # type: ignore[no-any-return]
    if t is int:
        return float(x)  # OverflowError beyond the double range
    x = _unwrap0d(x)
    if _is_bool(x):
        if allow_bool:
            return float(x)
        raise TypeError("%s must be a real number, got %s" % (name, _what(x)))
    if isinstance(x, numbers.Real) and not isinstance(x, (str, bytes)):
        return float(x)
    if np is not None and isinstance(x, (np.integer, np.floating)):
        return float(x)
    raise TypeError("%s must be a real number, got %s" % (name, _what(x)))


def name(x: Any, argname: str = "name") -> bytes:
    """A C string argument: a str without NUL characters, as UTF-8 bytes."""
    if not isinstance(x, str):
        raise TypeError("%s must be a str, got %s" % (argname, _what(x)))
    if "\0" in x:
        raise ValueError("%s = %r: must not contain a NUL character" % (argname, x))
    return x.encode("utf-8")


def flag(x: Any, name: str) -> bool:
    """A yes/no argument: a bool (or 0/1)."""
    if _is_bool(x):
        return bool(x)
    if isinstance(x, numbers.Integral) and int(x) in (0, 1):
        return bool(x)
    raise TypeError("%s must be a bool, got %s" % (name, _what(x)))


def _scalar_of(kind: str, x: Any, name: str) -> Any:
    if kind == "float64":
        return double(x, name)
    lo, hi = _RANGES[kind]
    return integer(x, name, lo, hi)


# ---- numpy array checks ------------------------------------------------------
def _np_real(x: Any, name: str) -> Any:
    """``x`` as a numpy array of real numbers (not yet float64): refuses
    complex, bool, string, datetime and object arrays of non-numbers."""
    a = x if isinstance(x, np.ndarray) else np.asarray(x)
    k = a.dtype.kind
    if k in "fiu":
        return a
    if k == "O":
        flat = a.ravel()
        for i, v in enumerate(flat):
            if _is_bool(v) or not isinstance(v, (numbers.Real, np.integer, np.floating)):
                raise TypeError("%s[%d] must be a real number, got %s"
                                % (name, i, _what(v)))
        return a
    what = {"c": "complex", "b": "bool", "U": "string", "S": "bytes", "M": "datetime",
            "m": "timedelta"}.get(k, a.dtype.name)
    raise TypeError("%s must hold real numbers, got a %s array" % (name, what))


def _np_int(x: Any, name: str, kind: str) -> Any:
    """``x`` as a C-contiguous numpy array of integer kind ``kind``: floats
    must be whole, and every value in the kind's range (compared exactly,
    as Python ints).  Sequences other than arrays are checked element by
    element, so large ints never pass through float64."""
    lo, hi = _RANGES[kind]
    if not isinstance(x, np.ndarray) and not _is_pandas(x):
        if isinstance(x, (list, tuple)):
            vals = [integer(v, "%s[%d]" % (name, i), lo, hi) for i, v in enumerate(x)]
            return np.array(vals, dtype=_DTYPES[kind])
        x = np.asarray(x)
    a = np.asarray(x)
    k = a.dtype.kind
    if k == "O":
        flat = a.ravel()
        vals = [integer(v, "%s[%d]" % (name, i), lo, hi) for i, v in enumerate(flat)]
        return np.array(vals, dtype=_DTYPES[kind]).reshape(a.shape)
    if k == "f":
        bad = ~np.isfinite(a) | (a != np.floor(a))
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            raise ValueError("%s[%d] = %r: must be a whole number" % (name, i, a.ravel()[i]))
    elif k not in "iu":
        what = {"c": "complex", "b": "bool", "U": "string", "S": "bytes"}.get(k, a.dtype.name)
        raise TypeError("%s must hold integers, got a %s array" % (name, what))
    if a.size and a.dtype != _DTYPES[kind]:
        flat = a.ravel()
        i, j = int(np.argmin(flat)), int(np.argmax(flat))
        mn, mx = int(flat[i]), int(flat[j])
        if mn < lo:
            raise ValueError("%s[%d] = %d: must be >= %d" % (name, i, mn, lo))
        if mx > hi:
            raise OverflowError("%s[%d] = %d: must be <= %d" % (name, j, mx, hi))
    return np.ascontiguousarray(a, dtype=_DTYPES[kind])


def _is_pandas(x: Any) -> bool:
    return type(x).__module__.startswith("pandas.")


class Vec:
    """A 1-D buffer ready for C: ``addr`` (int), ``n`` and the object that
    owns the memory (kept alive as long as this Vec)."""

    __slots__ = ("obj", "addr", "n")

    def __init__(self, obj: Any, addr: int, n: int) -> None:
        self.obj = obj
        self.addr = addr
        self.n = n

    def result(self) -> Any:
        """numpy array (with numpy) or list (without)."""
        if np is not None and isinstance(self.obj, np.ndarray):
            return self.obj
        # a ctypes buffer holds at least one element: an empty result is []
        return list(self.obj)[:self.n]


def vector(x: Any, name: str = "x", kind: str = "float64", n: Optional[int] = None) -> Vec:
    """A 1-D input of element kind ``kind`` ("float64", "int32" or
    :data:`SIZE_KIND`).  Zero copy for a C-contiguous numpy array of that
    dtype; anything else is checked and converted once.  A scalar is a
    1-element vector.  With ``n``, the length must equal n."""
    if np is not None:
        if kind == "float64":
            a = np.ascontiguousarray(_np_real(x, name), dtype=np.float64)
        else:
            a = _np_int(x, name, kind)
        if a.ndim != 1:
            if a.ndim == 0:
                a = a.reshape(1)
            else:
                raise ValueError("%s must be one-dimensional, got shape %s" % (name, a.shape))
        v = Vec(a, a.ctypes.data, a.shape[0])
    else:
        ct = _KINDS[kind]
        if is_scalar(x):
            seq: Sequence[Any] = [_scalar_of(kind, x, name)]
        else:
            if isinstance(x, (str, bytes)):
                raise TypeError("%s must be a sequence of numbers, got %s" % (name, _what(x)))
            raw = list(x)
            for i, el in enumerate(raw):
                if not is_scalar(el):
                    raise ValueError("%s must be one-dimensional" % name)
            seq = [_scalar_of(kind, el, "%s[%d]" % (name, i)) for i, el in enumerate(raw)]
        buf = (ct * max(len(seq), 1))(*seq)
        v = Vec(buf, ctypes.addressof(buf), len(seq))
    if n is not None and v.n != n:
        raise ValueError("%s has %d values, expected %d" % (name, v.n, n))
    return v


def input_address(x: Any, kind: str = "float64") -> int:
    """Address libqpm would receive for input ``x`` (for checking zero-copy:
    it equals ``x.ctypes.data`` for a C-contiguous float64 numpy array).
    Only meaningful while ``x`` itself is alive."""
    return vector(x, "x", kind).addr


def output(n: int, out: Any = None, name: str = "out", kind: str = "float64") -> Vec:
    """A caller-visible output buffer of n elements.  ``out``, when given,
    must be a writable, aligned, C-contiguous numpy array of that dtype and
    size (it is written in place); otherwise a new buffer is made."""
    if out is not None:
        if np is None or not isinstance(out, np.ndarray):
            raise TypeError("%s must be a numpy array" % name)
        if out.dtype != np.dtype(kind) or not out.flags.c_contiguous or \
                not out.flags.writeable or not out.flags.aligned:
            raise ValueError("%s must be a writable C-contiguous %s array" % (name, kind))
        if out.size != n:
            raise ValueError("%s has %d elements, need %d" % (name, out.size, n))
        return Vec(out, out.ctypes.data, n)
    if np is not None:
        a = np.empty(n, dtype=kind)
        return Vec(a, a.ctypes.data, n)
    buf = (_KINDS[kind] * max(n, 1))()
    return Vec(buf, ctypes.addressof(buf), n)


class Mat:
    """A row-major matrix ready for C: ``addr``, ``rows``, ``cols``, ``ld``
    (leading dimension in elements) and the owning object."""

    __slots__ = ("obj", "addr", "rows", "cols", "ld")

    def __init__(self, obj: Any, addr: int, rows: int, cols: int, ld: int) -> None:
        self.obj = obj
        self.addr = addr
        self.rows = rows
        self.cols = cols
        self.ld = ld

    def result(self) -> Any:
        """numpy 2-D array (with numpy) or list of row lists (without)."""
        if np is not None and isinstance(self.obj, np.ndarray):
            return self.obj
        flat = list(self.obj)
        return [flat[i * self.ld:i * self.ld + self.cols] for i in range(self.rows)]


def _shape_check(name: str, r: int, c: int, rows: Optional[int], cols: Optional[int]) -> None:
    if rows is not None and r != rows:
        raise ValueError("%s has %d rows, expected %d" % (name, r, rows))
    if cols is not None and c != cols:
        raise ValueError("%s has %d columns, expected %d" % (name, c, cols))


def _rows_contiguous(a: Any) -> bool:
    """True when C may read ``a`` row by row with a leading dimension: float64,
    aligned, each row contiguous, rows at a positive whole-element stride
    no shorter than a row."""
    r, c = a.shape
    s0, s1 = a.strides
    return bool(r > 0 and c > 0 and a.flags.aligned and (c <= 1 or s1 == 8) and
                (r <= 1 or (s0 % 8 == 0 and s0 >= 8 * c)))


def matrix(x: Any, name: str = "x", rows: Optional[int] = None,
           cols: Optional[int] = None) -> Mat:
    """A 2-D float64 input, row-major.  Zero copy for a numpy float64 array
    whose rows are contiguous (a C-order array or a row/column slice of one:
    the row stride becomes the leading dimension); any other layout is
    copied once.  With ``rows``/``cols`` the shape must match."""
    if np is not None:
        a = np.asarray(_np_real(x, name), dtype=np.float64)
        if a.ndim != 2:
            raise ValueError("%s must be two-dimensional, got shape %s" % (name, a.shape))
        r, c = a.shape
        _shape_check(name, r, c, rows, cols)
        if _rows_contiguous(a):
            ld = a.strides[0] // 8 if r > 1 else c
            return Mat(a, a.ctypes.data, r, c, max(ld, c))
        a = np.ascontiguousarray(a)
        return Mat(a, a.ctypes.data, r, c, c)
    if isinstance(x, (str, bytes)) or is_scalar(x):
        raise ValueError("%s must be two-dimensional" % name)
    table = []
    for i, row in enumerate(x):
        if isinstance(row, (str, bytes)) or is_scalar(row):
            raise ValueError("%s must be two-dimensional" % name)
        table.append([double(v, "%s[%d][%d]" % (name, i, j)) for j, v in enumerate(row)])
    r = len(table)
    c = len(table[0]) if r else 0
    for i, row in enumerate(table):
        if len(row) != c:
            raise ValueError("%s row %d has %d elements, expected %d" % (name, i, len(row), c))
    _shape_check(name, r, c, rows, cols)
    buf = (ctypes.c_double * max(r * c, 1))(*[v for row in table for v in row])
    return Mat(buf, ctypes.addressof(buf), r, c, c)


def out_matrix(rows: int, cols: int, out: Any = None, name: str = "out") -> Mat:
    """An output matrix.  ``out``, when given, must be a writable, aligned
    float64 numpy array of that shape with contiguous rows; it is written in
    place."""
    if out is not None:
        if np is None or not isinstance(out, np.ndarray):
            raise TypeError("%s must be a numpy array" % name)
        if out.dtype != np.float64 or out.shape != (rows, cols) or not out.flags.writeable:
            raise ValueError("%s must be a writable float64 array of shape (%d, %d)"
                             % (name, rows, cols))
        if not _rows_contiguous(out):
            raise ValueError("%s must have contiguous rows" % name)
        ld = out.strides[0] // 8 if rows > 1 else cols
        return Mat(out, out.ctypes.data, rows, cols, max(ld, cols))
    if np is not None:
        a = np.empty((rows, cols), dtype=np.float64)
        return Mat(a, a.ctypes.data, rows, cols, cols)
    buf = (ctypes.c_double * max(rows * cols, 1))()
    return Mat(buf, ctypes.addressof(buf), rows, cols, cols)


def length(x: Any, name: str) -> int:
    """Number of elements of a 1-D input (for broadcasting)."""
    if isinstance(x, (str, bytes)):
        raise TypeError("%s must be a number or an array of numbers, got %s" % (name, _what(x)))
    try:
        return len(x)
    except TypeError:
        raise TypeError("%s must be a number or an array of numbers, got %s"
                        % (name, _what(x))) from None


def broadcast(values: Sequence[Any], names: Sequence[str],
              kinds: Optional[Sequence[str]] = None) -> Tuple[int, List[Vec], bool]:
    """Brings inputs to one length n: 1-D inputs must agree in length,
    scalars are repeated.  Returns (n, vectors, all_scalar).  An input that is
    already a C-contiguous array of the right dtype is passed without a copy."""
    if kinds is None:
        kinds = ["float64"] * len(values)
    n = -1
    all_scalar = True
    first = ""
    for v, nm in zip(values, names):
        if is_scalar(v):
            continue
        all_scalar = False
        ln = length(v, nm)
        if n < 0:
            n, first = ln, nm
        elif ln != n:
            raise ValueError("%s has %d elements but %s has %d" % (nm, ln, first, n))
    if n < 0:
        n = 1
    out: List[Vec] = []
    for v, nm, k in zip(values, names, kinds):
        if is_scalar(v):
            s = _scalar_of(k, v, nm)
            if np is not None:
                a = np.full(n, s, dtype=_DTYPES[k])
                out.append(Vec(a, a.ctypes.data, n))
            else:
                buf = (_KINDS[k] * max(n, 1))(*([s] * n))
                out.append(Vec(buf, ctypes.addressof(buf), n))
        else:
            out.append(vector(v, nm, k))
    return n, out, all_scalar
