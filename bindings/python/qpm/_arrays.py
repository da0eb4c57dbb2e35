"""Array marshalling between Python and libqpm.

numpy is optional.  With numpy, float64 C-contiguous arrays (and row-major
matrices whose rows are contiguous) are passed to C by address with no copy;
any other sequence or layout is converted once.  Results come back as numpy
arrays.  Without numpy, inputs are copied into ctypes arrays and results come
back as Python lists.

Everything here works on raw addresses (ints) because the prototypes declare
array parameters as ``c_void_p``: that is the cheapest conversion ctypes
offers, and it lets one code path serve numpy and ctypes buffers alike.
"""
from __future__ import annotations

import ctypes
import numbers
from typing import Any, List, Optional, Sequence, Tuple

try:  # numpy is optional
    import numpy as np
except ImportError:  # pragma: no cover - exercised by a subprocess test
    np = None  # type: ignore[assignment]

# name -> (numpy dtype name, ctypes type)
_KINDS = {
    "float64": ctypes.c_double,
    "int32": ctypes.c_int32,
    "uint32": ctypes.c_uint32,
    "uint64": ctypes.c_uint64,
    "int64": ctypes.c_int64,
}


_DTYPES = {k: (np.dtype(k) if np is not None else None) for k in _KINDS}


def have_numpy() -> bool:
    """True when results are numpy arrays (numpy importable and not disabled)."""
    return np is not None


_PLAIN = (float, int)


def is_scalar(x: Any) -> bool:
    """True for a Python or numpy number (a 0-d array counts as a scalar)."""
    t = type(x)
    if t in _PLAIN:
        return True
    if np is not None and t is np.ndarray:
        return x.ndim == 0
    if isinstance(x, numbers.Number):
        return True
    return np is not None and isinstance(x, np.ndarray) and x.ndim == 0


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
        return list(self.obj)


def vector(x: Any, name: str = "x", kind: str = "float64") -> Vec:
    """A 1-D input.  Zero copy for a C-contiguous numpy array of the right
    dtype; otherwise converted once.  Raises ValueError on a wrong shape."""
    if np is not None:
        a = np.ascontiguousarray(x, dtype=_DTYPES[kind])
        if a.ndim != 1:
            if a.ndim == 0:
                a = a.reshape(1)
            else:
                raise ValueError("%s must be one-dimensional, got shape %s" % (name, a.shape))
        return Vec(a, a.ctypes.data, a.shape[0])
    ct = _KINDS[kind]
    if is_scalar(x):
        seq: Sequence[Any] = [x]
    else:
        seq = list(x)
        for v in seq:
            if not is_scalar(v):
                raise ValueError("%s must be one-dimensional" % name)
    buf = (ct * len(seq))(*seq)
    return Vec(buf, ctypes.addressof(buf), len(seq))


def input_address(x: Any, kind: str = "float64") -> int:
    """Address libqpm would receive for input ``x`` (for checking zero-copy:
    it equals ``x.ctypes.data`` for a C-contiguous float64 numpy array).
    Only meaningful while ``x`` itself is alive."""
    return vector(x, "x", kind).addr


def output(n: int, out: Any = None, name: str = "out", kind: str = "float64") -> Vec:
    """A caller-visible output buffer of n elements.  ``out``, when given,
    must be a writable C-contiguous numpy array of that dtype and size (it is
    written in place); otherwise a new buffer is made."""
    if out is not None:
        if np is None or not isinstance(out, np.ndarray):
            raise TypeError("%s must be a numpy array" % name)
        if out.dtype != np.dtype(kind) or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError("%s must be a writable C-contiguous %s array" % (name, kind))
        if out.size != n:
            raise ValueError("%s has %d elements, need %d" % (name, out.size, n))
        return Vec(out, out.ctypes.data, n)
    if np is not None:
        a = np.empty(n, dtype=kind)
        return Vec(a, a.ctypes.data, n)
    buf = (_KINDS[kind] * n)()
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


def matrix(x: Any, name: str = "x") -> Mat:
    """A 2-D float64 input, row-major.  Zero copy for a numpy float64 array
    whose rows are contiguous (a C-order array or a row/column slice of one:
    the row stride becomes the leading dimension); otherwise copied once."""
    if np is not None:
        a = np.asarray(x, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError("%s must be two-dimensional, got shape %s" % (name, a.shape))
        r, c = a.shape
        s0, s1 = a.strides
        if (c <= 1 or s1 == 8) and s0 % 8 == 0 and s0 >= 8 * c and r > 0 and c > 0 \
                and a.flags.aligned:
            ld = s0 // 8 if r > 1 else c
            return Mat(a, a.ctypes.data, r, c, max(ld, c))
        a = np.ascontiguousarray(a)
        return Mat(a, a.ctypes.data, r, c, c)
    rows = [list(row) for row in x]
    r = len(rows)
    c = len(rows[0]) if r else 0
    for i, row in enumerate(rows):
        if len(row) != c:
            raise ValueError("%s row %d has %d elements, expected %d" % (name, i, len(row), c))
    buf = (ctypes.c_double * max(r * c, 1))(*[v for row in rows for v in row])
    return Mat(buf, ctypes.addressof(buf), r, c, c)


def out_matrix(rows: int, cols: int, out: Any = None, name: str = "out") -> Mat:
    """An output matrix.  ``out``, when given, must be a writable float64
    numpy array of that shape with contiguous rows; it is written in place."""
    if out is not None:
        if np is None or not isinstance(out, np.ndarray):
            raise TypeError("%s must be a numpy array" % name)
        if out.dtype != np.float64 or out.shape != (rows, cols) or not out.flags.writeable:
            raise ValueError("%s must be a writable float64 array of shape (%d, %d)"
                             % (name, rows, cols))
        s0, s1 = out.strides
        if not ((cols <= 1 or s1 == 8) and s0 % 8 == 0 and s0 >= 8 * cols):
            raise ValueError("%s must have contiguous rows" % name)
        ld = s0 // 8 if rows > 1 else cols
        return Mat(out, out.ctypes.data, rows, cols, max(ld, cols))
    if np is not None:
        a = np.empty((rows, cols), dtype=np.float64)
        return Mat(a, a.ctypes.data, rows, cols, cols)
    buf = (ctypes.c_double * max(rows * cols, 1))()
    return Mat(buf, ctypes.addressof(buf), rows, cols, cols)


def broadcast(values: Sequence[Any], names: Sequence[str],
              kinds: Optional[Sequence[str]] = None) -> Tuple[int, List[Vec], bool]:
    """Brings inputs to one length n: 1-D inputs must agree in length,
    scalars are repeated.  Returns (n, vectors, all_scalar).  An input that is
    already a C-contiguous array of the right dtype is passed without a copy."""
    if kinds is None:
        kinds = ["float64"] * len(values)
    n = -1
    all_scalar = True
    for v, nm in zip(values, names):
        if is_scalar(v):
            continue
        all_scalar = False
        ln = len(v)
        if n < 0:
            n = ln
        elif ln != n:
            raise ValueError("%s has %d elements but an earlier input has %d" % (nm, ln, n))
    if n < 0:
        n = 1
    out: List[Vec] = []
    for v, nm, k in zip(values, names, kinds):
        if is_scalar(v):
            if np is not None:
                a = np.full(n, v, dtype=_DTYPES[k])
                out.append(Vec(a, a.ctypes.data, n))
            else:
                buf = (_KINDS[k] * max(n, 1))(*([v] * n))
                out.append(Vec(buf, ctypes.addressof(buf), n))
        else:
            out.append(vector(v, nm, k))
    return n, out, all_scalar
