"""Covariance estimation: sample, EWMA, Ledoit-Wolf, OAS and downside
semicovariance; correlation; returns from prices; nearest correlation
matrix and PSD checks.

Matrices are row-major: a T x N returns matrix has one row per period.  A
float64 numpy array with contiguous rows (a C-order array or a slice of one)
passes with no copy; its row stride becomes the C leading dimension.
"""
from __future__ import annotations

import ctypes
import enum
from typing import Any, NamedTuple, Optional, Union

from . import _arrays, _lib
from ._errors import check
from ._handle import Handle


__all__ = [
    "Cov",
    "CovKey",
    "CovMethod",
    "CovTarget",
    "NanPolicy",
    "ReturnsKind",
    "NearestCorrelation",
    "returns_from_prices",
    "nearest_correlation",
    "min_eigenvalue",
    "check_psd",
    "is_psd",
]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

_lib.declare("qpm_cov_create", _int, _vp, _vp, _sz)
_lib.declare("qpm_cov_free", None, _vp)
_lib.declare("qpm_cov_set", _int, _vp, _int, _d)
_lib.declare("qpm_cov_get", _int, _vp, _int, _vp)
_lib.declare("qpm_cov_bounds", _int, _int, _vp, _vp)
_lib.declare("qpm_cov_describe", _int, _int, _vp)  # experimental tier
_lib.declare("qpm_cov_fit", _int, _vp, _sz, _vp, _sz)
_lib.declare("qpm_cov_fit_prices", _int, _vp, _sz, _vp, _sz)
_lib.declare("qpm_cov_reset", _int, _vp)
_lib.declare("qpm_cov_push", _int, _vp, _vp)
_lib.declare("qpm_cov_covariance", _int, _vp, _vp, _sz)
_lib.declare("qpm_cov_correlation", _int, _vp, _vp, _sz)
_lib.declare("qpm_cov_volatility", _int, _vp, _vp)
_lib.declare("qpm_cov_mean", _int, _vp, _vp)
_lib.declare("qpm_cov_shrinkage", _int, _vp, _vp)
_lib.declare("qpm_cov_nobs", _int, _vp, _vp)
_lib.declare("qpm_cov_returns_from_prices", _int, _sz, _sz, _vp, _sz, _int, _vp, _sz)
_lib.declare("qpm_cov_nearest_correlation", _int, _vp, _sz, _vp, _sz, _vp, _d, _sz, _vp,
             _sz, _vp, _vp)
_lib.declare("qpm_cov_min_eigenvalue", _int, _vp, _sz, _vp, _sz, _vp)
_lib.declare("qpm_cov_check_psd", _int, _vp, _sz, _vp, _sz, _d, _vp)


class CovMethod(enum.IntEnum):
    """Estimation methods (``qpm_cov_method``)."""
    SAMPLE = 0       #: Xc'Xc / (T - ddof)
    EWMA = 1         #: RiskMetrics exponentially weighted (not demeaned)
    LEDOIT_WOLF = 2  #: Ledoit-Wolf shrinkage of the biased covariance
    OAS = 3          #: Oracle Approximating Shrinkage (scikit-learn 1.2.1 formula)
    SEMI = 4         #: downside semicovariance about the benchmark return


class CovTarget(enum.IntEnum):
    """Ledoit-Wolf shrinkage targets (``qpm_cov_target``)."""
    IDENTITY = 0              #: mu I (scikit-learn LedoitWolf)
    CONSTANT_CORRELATION = 1  #: Ledoit-Wolf 2004


class NanPolicy(enum.IntEnum):
    """Missing-data policies (``qpm_cov_nan_policy``)."""
    ERROR = 0
    DROP_ROWS = 1
    PAIRWISE = 2


class ReturnsKind(enum.IntEnum):
    """Return definitions (``qpm_cov_returns_kind``)."""
    LOG = 0     #: ln(p_t / p_{t-1})
    SIMPLE = 1  #: p_t / p_{t-1} - 1


class CovKey(enum.IntEnum):
    """Setting keys of :class:`Cov` (``qpm_cov_key``)."""
    METHOD = 0
    DDOF = 1
    LAMBDA = 2
    EWMA_INIT_ROWS = 3
    TARGET = 4
    NAN_POLICY = 5
    BENCHMARK = 6
    PERIODS_PER_YEAR = 7
    ANNUALISE = 8
    RETURNS = 9


_ENUM_OF_KEY = {CovKey.METHOD: CovMethod, CovKey.TARGET: CovTarget,
                CovKey.NAN_POLICY: NanPolicy, CovKey.RETURNS: ReturnsKind}


def _value(key: int, v: Any) -> float:
    if isinstance(v, str):
        cls = _ENUM_OF_KEY.get(CovKey(key))
        if cls is None:
            raise ValueError("setting %s takes a number" % CovKey(key).name)
        try:
            return float(cls[v.upper()])
        except KeyError:
            raise ValueError("unknown %s %r" % (cls.__name__, v)) from None
    return float(v)


class Cov(Handle):
    """Covariance estimator for ``n_assets`` assets.

    Settings may be given as keyword arguments named after :class:`CovKey`
    (``Cov(20, method="ledoit_wolf", annualise=1)``); enum-valued settings
    accept the enum, its value or its name.

    >>> c = Cov(20, method="oas").fit(returns)
    >>> c.covariance(), c.shrinkage()
    """

    _prefix = "qpm_cov"
    _key_enum = CovKey

    def __init__(self, n_assets: int, **settings: Any) -> None:
        n = int(n_assets)
        if n < 0:
            raise ValueError("n_assets = %d: must be > 0" % n)
        self._open("qpm_cov_create", n)
        self._n = n
        for k, v in settings.items():
            self.set(k, v)

    @property
    def n_assets(self) -> int:
        """Number of assets (matrix dimension)."""
        return self._n

    def set(self, key: Any, value: Any) -> None:
        """Changes a setting (see :class:`CovKey`); enum-valued settings also
        accept names (``c.set("method", "ewma")``)."""
        k = self._key(key)
        super().set(k, _value(k, value))

    @property
    def method(self) -> CovMethod:
        """Estimation method; assign a :class:`CovMethod` or its name."""
        return CovMethod(int(self.get(CovKey.METHOD)))

    @method.setter
    def method(self, m: Union[CovMethod, int, str]) -> None:
        self.set(CovKey.METHOD, m)

    def _matrix_in(self, x: Any, name: str) -> "_arrays.Mat":
        m = _arrays.matrix(x, name)
        if m.cols != self._n:
            raise ValueError("%s has %d columns, expected n_assets = %d" % (name, m.cols, self._n))
        return m

    def fit(self, returns: Any) -> "Cov":
        """Estimates from a T x N returns matrix (rows = periods); returns self."""
        m = self._matrix_in(returns, "returns")
        check(_lib.fn("qpm_cov_fit")(self.handle, m.rows, m.addr, m.ld))
        return self

    def fit_prices(self, prices: Any) -> "Cov":
        """Estimates from the T - 1 returns of a T x N price matrix (kind set
        by the RETURNS setting); returns self."""
        m = self._matrix_in(prices, "prices")
        check(_lib.fn("qpm_cov_fit_prices")(self.handle, m.rows, m.addr, m.ld))
        return self

    def reset(self) -> None:
        """Starts an empty stream (forgets the estimate and all rows)."""
        check(_lib.fn("qpm_cov_reset")(self.handle))

    def push(self, row: Any) -> None:
        """Adds one return row (n_assets values) to the stream, O(N^2)."""
        v = _arrays.vector(row, "row")
        if v.n != self._n:
            raise ValueError("row has %d values, expected n_assets = %d" % (v.n, self._n))
        check(_lib.fn("qpm_cov_push")(self.handle, v.addr))

    def covariance(self, out: Any = None) -> Any:
        """The N x N covariance estimate (into ``out`` when given)."""
        o = _arrays.out_matrix(self._n, self._n, out)
        check(_lib.fn("qpm_cov_covariance")(self.handle, o.addr, o.ld))
        return o.result()

    def correlation(self, out: Any = None) -> Any:
        """The N x N correlation matrix of the estimate."""
        o = _arrays.out_matrix(self._n, self._n, out)
        check(_lib.fn("qpm_cov_correlation")(self.handle, o.addr, o.ld))
        return o.result()

    def volatility(self, out: Any = None) -> Any:
        """The N volatilities sqrt(C_ii)."""
        o = _arrays.output(self._n, out)
        check(_lib.fn("qpm_cov_volatility")(self.handle, o.addr))
        return o.result()

    def mean(self, out: Any = None) -> Any:
        """The N mean returns of the rows used."""
        o = _arrays.output(self._n, out)
        check(_lib.fn("qpm_cov_mean")(self.handle, o.addr))
        return o.result()

    def shrinkage(self) -> float:
        """Shrinkage intensity in [0, 1] (0 for methods that do not shrink)."""
        v = ctypes.c_double()
        check(_lib.fn("qpm_cov_shrinkage")(self.handle, ctypes.byref(v)))
        return v.value

    @property
    def nobs(self) -> int:
        """Rows behind the estimate (fitted or pushed, after dropped rows)."""
        v = ctypes.c_size_t()
        check(_lib.fn("qpm_cov_nobs")(self.handle, ctypes.byref(v)))
        return int(v.value)


def returns_from_prices(prices: Any, kind: Union[ReturnsKind, int, str] = ReturnsKind.LOG,
                        out: Any = None) -> Any:
    """(T - 1) x N returns of a T x N price matrix: log (default) or simple.
    A NaN price gives NaN returns on both sides of it."""
    m = _arrays.matrix(prices, "prices")
    k = int(_value(CovKey.RETURNS, kind))
    o = _arrays.out_matrix(max(m.rows - 1, 0), m.cols, out)
    check(_lib.fn("qpm_cov_returns_from_prices")(m.rows, m.cols, m.addr, m.ld, k, o.addr,
                                                 max(o.ld, 1)))
    return o.result()


class NearestCorrelation(NamedTuple):
    """Result of :func:`nearest_correlation` with ``info=True``."""
    matrix: Any
    iterations: int
    converged: bool


def _square(a: Any, name: str = "a") -> "_arrays.Mat":
    m = _arrays.matrix(a, name)
    if m.rows != m.cols:
        raise ValueError("%s must be square, got %d x %d" % (name, m.rows, m.cols))
    return m


def nearest_correlation(a: Any, weights: Any = None, tol: float = 1e-10,
                        maxiter: int = 1000, *, out: Any = None, info: bool = False) -> Any:
    """Nearest correlation matrix to the symmetric part of ``a`` (Higham
    2002) in the Frobenius norm weighted by diag(weights).  Returns the
    matrix, or a :class:`NearestCorrelation` (matrix, iterations,
    converged) with ``info=True``; not converging within ``maxiter`` is a
    result, not an error."""
    m = _square(a)
    w = _arrays.vector(weights, "weights") if weights is not None else None
    if w is not None and w.n != m.rows:
        raise ValueError("weights has %d values, expected %d" % (w.n, m.rows))
    o = _arrays.out_matrix(m.rows, m.rows, out)
    iters = ctypes.c_size_t()
    conv = ctypes.c_int()
    check(_lib.fn("qpm_cov_nearest_correlation")(None, m.rows, m.addr, m.ld,
                                                 w.addr if w is not None else None,
                                                 float(tol), int(maxiter), o.addr, o.ld,
                                                 ctypes.byref(iters), ctypes.byref(conv)))
    if info:
        return NearestCorrelation(o.result(), int(iters.value), bool(conv.value))
    return o.result()


def min_eigenvalue(a: Any) -> float:
    """Smallest eigenvalue of the symmetric part of square matrix ``a``."""
    m = _square(a)
    v = ctypes.c_double()
    check(_lib.fn("qpm_cov_min_eigenvalue")(None, m.rows, m.addr, m.ld, ctypes.byref(v)))
    return v.value


def check_psd(a: Any, tol: float = 0.0) -> float:
    """Returns the smallest eigenvalue of the symmetric part of ``a`` when
    it is >= -tol; raises QpmNotPSDError (message with the eigenvalue)
    otherwise."""
    m = _square(a)
    v = ctypes.c_double()
    check(_lib.fn("qpm_cov_check_psd")(None, m.rows, m.addr, m.ld, float(tol),
                                       ctypes.byref(v)))
    return v.value


def is_psd(a: Any, tol: float = 0.0) -> bool:
    """True when the symmetric part of ``a`` is positive semi-definite
    within ``tol`` (no exception for a non-PSD matrix)."""
    from ._errors import QpmNotPSDError
    try:
        check_psd(a, tol)
        return True
    except QpmNotPSDError:
        return False
