"""Covariance estimation: sample, EWMA, Ledoit-Wolf, OAS and downside
semicovariance; correlation; returns from prices; nearest correlation
matrix and PSD checks.

Matrices are row-major: a T x N returns matrix has one row per period.  A
float64 numpy array with contiguous rows (a C-order array or a slice of one)
passes with no copy; its row stride becomes the C leading dimension.

:class:`Cov` follows scikit-learn's estimator conventions: ``fit(X)``
returns the estimator and sets ``covariance_``, ``location_``,
``shrinkage_`` (Ledoit-Wolf and OAS), ``n_features_in_`` and
``n_samples_`` (and ``feature_names_in_`` for a DataFrame).  A DataFrame in
gives labelled results: covariance and correlation as DataFrames on the
column names, volatilities and means as Series.
"""
from __future__ import annotations

import ctypes
import enum
from typing import Any, Iterator, Literal, NamedTuple, Optional, Tuple, Union, cast, overload

from . import _arrays, _labels, _lib
from ._errors import check, register_enum, register_names
from ._handle import Handle, KeyLike
from ._typing import ArrayLike, FloatArray


__all__ = [
    "Cov",
    "CovKey",
    "CovMethod",
    "CovTarget",
    "CovKernel",
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


class CovKernel(enum.IntEnum):
    """Co-moment kernels (``qpm_cov_kernel``, values of ``CovKey.KERNEL``).
    AUTO chooses from the CPU alone: AVX512 where it has AVX-512F, else BLAS;
    ``Cov.get("kernel")`` gives the kernel in use, never AUTO."""
    AUTO = 0    #: AVX512 where the CPU has AVX-512F, else BLAS
    BLAS = 1    #: the BLAS's dsyrk, with its own threads
    AVX512 = 2  #: libqpm's AVX-512F kernel, one thread


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
    KERNEL = 10


register_enum(CovKey, "QPM_COV_", settings=True)
register_enum(CovKernel, "QPM_COV_KERNEL_")
register_enum(CovMethod, "QPM_COV_")
register_enum(CovTarget, "QPM_COV_TARGET_")
register_enum(NanPolicy, "QPM_COV_NAN_")
register_enum(ReturnsKind, "QPM_COV_", suffix="_RETURNS")
register_names({
    "qpm_cov_fit": "Cov.fit()", "qpm_cov_fit_prices": "Cov.fit_prices()",
    "qpm_cov_push": "Cov.push()", "qpm_cov_reset": "Cov.reset()",
    "qpm_cov_key": "CovKey", "qpm_cov_method": "CovMethod", "qpm_cov_target": "CovTarget",
    "qpm_cov_nan_policy": "NanPolicy", "qpm_cov_returns_kind": "ReturnsKind",
    "qpm_cov_kernel": "CovKernel",
})

_ENUM_OF_KEY = {CovKey.METHOD: CovMethod, CovKey.TARGET: CovTarget,
                CovKey.NAN_POLICY: NanPolicy, CovKey.RETURNS: ReturnsKind,
                CovKey.KERNEL: CovKernel}
_SHRINKING = (CovMethod.LEDOIT_WOLF, CovMethod.OAS)
_NAMES = {"t": "T"}
_FITTED = ("covariance_", "location_", "shrinkage_", "n_features_in_", "n_samples_",
           "feature_names_in_")


def _value(key: int, v: Any) -> float:
    """The double of setting ``key``: enum names for the enum-valued keys,
    a bool for ANNUALISE (the library checks ranges and whole numbers)."""
    try:
        k = CovKey(key)
    except ValueError:
        return _arrays.double(v, "value")
    name = k.name.lower()
    cls = _ENUM_OF_KEY.get(k)
    if cls is not None:
        if isinstance(v, str):
            try:
                return float(cls[v.upper()])
            except KeyError:
                raise ValueError("unknown %s %r; choose from %s" % (
                    name, v, ", ".join(m.name.lower() for m in cls))) from None
        return _arrays.double(v, name)
    if isinstance(v, str):
        raise ValueError("setting %s takes a number, got %r" % (name, v))
    if k == CovKey.ANNUALISE:
        return float(_arrays.flag(v, name))
    return _arrays.double(v, name)


class Cov(Handle):
    """Covariance estimator for ``n_assets`` assets, scikit-learn style.

    ``n_assets`` may be left out: it is then taken from the first ``fit``
    (or ``push``), and a later fit with another number of columns starts
    over with that number (the settings stay).  Settings may be given as
    keyword arguments named after :class:`CovKey`
    (``Cov(20, method="ledoit_wolf", annualise=True)``); enum-valued
    settings accept the enum, its value or its name.

    >>> c = Cov(method="oas").fit(returns)
    >>> c.covariance_, c.shrinkage_, c.n_features_in_
    """

    _prefix = "qpm_cov"
    _key_enum = CovKey

    def __init__(self, n_assets: Optional[int] = None, **settings: Any) -> None:
        if n_assets is None:
            n, self._fixed = None, False
        else:
            n, self._fixed = _arrays.size(n_assets, "n_assets"), True
        # Without n_assets a 1-asset handle holds the settings until the
        # first fit tells the size.
        self._open("qpm_cov_create", 1 if n is None else n)
        self._n: Optional[int] = n
        self._labels: Any = None
        for k, v in settings.items():
            self.set(k, v)

    def _names(self) -> Any:
        return _NAMES

    def _describe(self) -> Iterator[Tuple[str, Any]]:
        v = ctypes.c_double()
        _lib.fn("qpm_cov_get")(self._ptr, int(CovKey.METHOD), ctypes.byref(v))
        yield "n_assets", self._n
        yield "method", CovMethod(int(v.value)).name.lower()
        nobs = ctypes.c_size_t()
        _lib.fn("qpm_cov_nobs")(self._ptr, ctypes.byref(nobs))
        yield "nobs", int(nobs.value)

    @property
    def n_assets(self) -> Optional[int]:
        """Number of assets (matrix dimension); None before the first fit
        when the constructor was not given it."""
        return self._n

    def _value(self, key: int, value: Any) -> float:
        return _value(key, value)

    @property
    def method(self) -> CovMethod:
        """Estimation method; assign a :class:`CovMethod` or its name."""
        return CovMethod(int(self.get(CovKey.METHOD)))

    @method.setter
    def method(self, m: Union[CovMethod, int, str]) -> None:
        self.set(CovKey.METHOD, m)

    # ---- sizing ---------------------------------------------------------------
    def _resize(self, n: int) -> None:
        """Replaces the C handle by one for n assets with the same settings
        (only when the constructor was not given n_assets)."""
        new = Cov(n)
        try:
            with self._using():
                for k in CovKey:
                    v = ctypes.c_double()
                    _lib.fn("qpm_cov_get")(self._ptr, int(k), ctypes.byref(v))
                    new._c("qpm_cov_set", int(k), v.value)
                self._take(new)
                self._n = n
        finally:
            new.close()
        self._clear_fitted()

    def _size_for(self, cols: int, name: str, what: str = "columns") -> None:
        if self._n is None or (not self._fixed and cols != self._n):
            self._resize(cols)
        elif cols != self._n:
            raise ValueError("%s has %d %s, expected n_assets = %d"
                             % (name, cols, what, self._n))

    # ---- fitting --------------------------------------------------------------
    def _fit(self, cname: str, x: Any, name: str) -> "Cov":
        labels = _labels.labels_list(_labels.column_labels(x))
        m = _arrays.matrix(x, name)
        self._size_for(m.cols, name)
        self._c(cname, m.rows, m.addr, m.ld)
        self._labels = labels
        self._refresh_fitted()
        return self

    def fit(self, returns: ArrayLike, y: None = None) -> "Cov":
        """Estimates from a T x N returns matrix (rows = periods; a
        DataFrame keeps its column names); returns self.  ``y`` is ignored
        (scikit-learn's signature)."""
        return self._fit("qpm_cov_fit", returns, "returns")

    def fit_prices(self, prices: ArrayLike) -> "Cov":
        """Estimates from the T - 1 returns of a T x N price matrix (kind set
        by the RETURNS setting); returns self."""
        return self._fit("qpm_cov_fit_prices", prices, "prices")

    def reset(self) -> None:
        """Starts an empty stream (forgets the estimate and all rows)."""
        self._c("qpm_cov_reset")
        self._clear_fitted()

    def push(self, row: ArrayLike) -> None:
        """Adds one return row (n_assets values; a Series is matched to the
        fitted column names) to the stream, O(N^2)."""
        row = _labels.align(row, self._labels, "row")
        v = _arrays.vector(row, "row")
        self._size_for(v.n, "row", "values")
        self._c("qpm_cov_push", v.addr)
        self._refresh_fitted()

    def _clear_fitted(self) -> None:
        for a in _FITTED:
            self.__dict__.pop(a, None)

    def _refresh_fitted(self) -> None:
        """Sets the scikit-learn style attributes from the current estimate
        (or removes them when there is none yet, e.g. an EWMA seed)."""
        from ._errors import QpmStateError
        self._clear_fitted()
        try:
            cov = self.covariance()
            loc = self.mean()
        except QpmStateError:
            return
        self.covariance_ = cov
        self.location_ = loc
        if self.method in _SHRINKING:
            self.shrinkage_ = self.shrinkage()
        self.n_features_in_ = self._n
        self.n_samples_ = self.nobs
        if self._labels is not None:
            np = _arrays.np
            self.feature_names_in_ = np.array(self._labels, dtype=object) \
                if np is not None else list(self._labels)

    # ---- results ----------------------------------------------------------------
    def _need_n(self) -> int:
        if self._n is None:
            raise ValueError("Cov has no estimate yet: call fit() first")
        return self._n

    def covariance(self, out: Optional[FloatArray] = None) -> FloatArray:
        """The N x N covariance estimate (into ``out`` when given; a
        DataFrame on the asset names after a DataFrame fit)."""
        n = self._need_n()
        o = _arrays.out_matrix(n, n, out)
        self._c("qpm_cov_covariance", o.addr, o.ld)
        return cast(FloatArray, self._square(o.result(), out))

    def correlation(self, out: Optional[FloatArray] = None) -> FloatArray:
        """The N x N correlation matrix of the estimate."""
        n = self._need_n()
        o = _arrays.out_matrix(n, n, out)
        self._c("qpm_cov_correlation", o.addr, o.ld)
        return cast(FloatArray, self._square(o.result(), out))

    def _square(self, r: Any, out: Any) -> Any:
        if out is not None or self._labels is None:
            return r
        return _labels.frame(r, self._labels, self._labels)

    def _per_asset(self, r: Any, out: Any, name: str) -> Any:
        if out is not None or self._labels is None:
            return r
        return _labels.series(r, self._labels, name)

    def volatility(self, out: Optional[FloatArray] = None) -> FloatArray:
        """The N volatilities sqrt(C_ii)."""
        o = _arrays.output(self._need_n(), out)
        self._c("qpm_cov_volatility", o.addr)
        return cast(FloatArray, self._per_asset(o.result(), out, "volatility"))

    def mean(self, out: Optional[FloatArray] = None) -> FloatArray:
        """The N mean returns of the rows used."""
        o = _arrays.output(self._need_n(), out)
        self._c("qpm_cov_mean", o.addr)
        return cast(FloatArray, self._per_asset(o.result(), out, "mean"))

    def shrinkage(self) -> float:
        """Shrinkage intensity in [0, 1] (0 for methods that do not shrink)."""
        v = ctypes.c_double()
        self._c("qpm_cov_shrinkage", ctypes.byref(v))
        return v.value

    @property
    def nobs(self) -> int:
        """Rows behind the estimate (fitted or pushed, after dropped rows)."""
        v = ctypes.c_size_t()
        self._c("qpm_cov_nobs", ctypes.byref(v))
        return int(v.value)

    def set(self, key: KeyLike, value: Any) -> None:
        """Changes a setting (see :class:`CovKey`); enum-valued settings also
        accept names (``c.set("method", "ewma")``).  The fitted attributes
        follow the new setting where the estimate can serve it."""
        super().set(key, value)
        if "covariance_" in self.__dict__:
            self._refresh_fitted()


def returns_from_prices(prices: ArrayLike, kind: Union[ReturnsKind, int, str] = ReturnsKind.LOG,
                        out: Optional[FloatArray] = None) -> FloatArray:
    """(T - 1) x N returns of a T x N price matrix: log (default) or simple.
    A NaN price gives NaN returns on both sides of it.  A DataFrame gives a
    DataFrame on its columns and its index without the first row."""
    rows = _labels.row_labels(prices)
    cols = _labels.column_labels(prices)
    m = _arrays.matrix(prices, "prices")
    k = int(_value(CovKey.RETURNS, kind))
    o = _arrays.out_matrix(max(m.rows - 1, 0), m.cols, out)
    check(_lib.fn("qpm_cov_returns_from_prices")(m.rows, m.cols, m.addr, m.ld, k, o.addr,
                                                 max(o.ld, 1)), {"t": "T", "n": "N"})
    if out is not None or (rows is None and cols is None):
        return o.result()  # type: ignore[no-any-return]
    return _labels.frame(o.result(), rows[1:] if rows is not None else None,  # type: ignore
                         cols)


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


@overload
def nearest_correlation(a: ArrayLike, weights: Optional[ArrayLike] = ..., tol: float = ...,
                        maxiter: int = ..., *, out: Optional[FloatArray] = ...,
                        info: Literal[False] = ...) -> FloatArray: ...


@overload
def nearest_correlation(a: ArrayLike, weights: Optional[ArrayLike] = ..., tol: float = ...,
                        maxiter: int = ..., *, out: Optional[FloatArray] = ...,
                        info: Literal[True]) -> NearestCorrelation: ...


def nearest_correlation(a: ArrayLike, weights: Optional[ArrayLike] = None, tol: float = 1e-10,
                        maxiter: int = 1000, *, out: Optional[FloatArray] = None,
                        info: bool = False) -> Any:
    """Nearest correlation matrix to the symmetric part of ``a`` (Higham
    2002) in the Frobenius norm weighted by diag(weights).  Returns the
    matrix, or a :class:`NearestCorrelation` (matrix, iterations,
    converged) with ``info=True``; not converging within ``maxiter`` is a
    result, not an error.  Entries of ``a`` beyond +-1e6 raise
    :class:`QpmInvalidError` (the iteration's rounding grows with them).  A
    DataFrame gives a DataFrame with its labels."""
    labels = _labels.labels_list(_labels.column_labels(a))
    weights = _labels.align(weights, labels, "weights")
    m = _square(a)
    w = _arrays.vector(weights, "weights", n=m.rows) if weights is not None else None
    o = _arrays.out_matrix(m.rows, m.rows, out)
    iters = ctypes.c_size_t()
    conv = ctypes.c_int()
    check(_lib.fn("qpm_cov_nearest_correlation")(None, m.rows, m.addr, m.ld,
                                                 w.addr if w is not None else None,
                                                 _arrays.double(tol, "tol"),
                                                 _arrays.size(maxiter, "maxiter"), o.addr,
                                                 o.ld, ctypes.byref(iters), ctypes.byref(conv)))
    res = o.result() if out is not None or labels is None else \
        _labels.frame(o.result(), labels, labels)
    if info:
        return NearestCorrelation(res, int(iters.value), bool(conv.value))
    return res


def min_eigenvalue(a: ArrayLike) -> float:
    """Smallest eigenvalue of the symmetric part of square matrix ``a``."""
    m = _square(a)
    v = ctypes.c_double()
    check(_lib.fn("qpm_cov_min_eigenvalue")(None, m.rows, m.addr, m.ld, ctypes.byref(v)))
    return v.value


def check_psd(a: ArrayLike, tol: float = 0.0) -> float:
    """Returns the smallest eigenvalue of the symmetric part of ``a`` when
    it is >= -tol; raises QpmNotPSDError (message with the eigenvalue)
    otherwise."""
    m = _square(a)
    v = ctypes.c_double()
    check(_lib.fn("qpm_cov_check_psd")(None, m.rows, m.addr, m.ld, _arrays.double(tol, "tol"),
                                       ctypes.byref(v)))
    return v.value


def is_psd(a: ArrayLike, tol: float = 0.0) -> bool:
    """True when the symmetric part of ``a`` is positive semi-definite
    within ``tol`` (no exception for a non-PSD matrix)."""
    from ._errors import QpmNotPSDError
    try:
        check_psd(a, tol)
        return True
    except QpmNotPSDError:
        return False
