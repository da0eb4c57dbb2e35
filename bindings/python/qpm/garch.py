"""GARCH(1,1) volatility: the log-likelihood, the maximum-likelihood fit
with standard errors, the conditional volatilities and the variance
forecasts.

Experimental: these wrap libqpm's experimental tier (``include/qpm/garch.h``);
their names and signatures may change in any minor release.

The model is the library's: returns r_t = mu + e_t, e_t = sigma_t z_t,
sigma_t^2 = omega + alpha e_{t-1}^2 + beta sigma_{t-1}^2, with z_t standard
normal (``dist="normal"``) or a Student t with nu > 2 degrees of freedom
scaled to unit variance (``dist="t"``); omega > 0, alpha, beta >= 0,
alpha + beta < 1.  The variance starts from the backcast sigma_1^2 = mean
of (r_t - mu)^2.  Parameters are :class:`GarchParams` (or any sequence
mu, omega, alpha, beta[, nu]; a :class:`GarchFit` stands for its
estimates).

Returns may be a pandas Series: :func:`garch_filter` then gives Series of
volatilities and standardised residuals on its index.  Bad input raises the
:class:`QpmError` subclass of the library's status with its message, in
this module's argument names (``returns[3] = nan: must be finite``).
:class:`qpm.Risk` filters historical simulation with a GARCH(1,1) fitted
per underlying when its setting ``filter`` is :attr:`RiskFilter.GARCH` or
:attr:`RiskFilter.GARCH_T`.
"""
from __future__ import annotations

import ctypes
import enum
import math
from typing import Any, NamedTuple, Optional, Sequence, Union

from . import _arrays, _labels, _lib
from ._errors import check, register_enum, register_names
from ._typing import ArrayLike, Real

__all__ = ["GarchDist", "GarchParams", "GarchFit", "GarchFilter", "GarchForecast",
           "garch_loglik", "garch_fit", "garch_filter", "garch_forecast"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

# experimental tier
_lib.declare("qpm_garch_loglik", _int, _sz, _vp, _int, _vp, _vp)
_lib.declare("qpm_garch_filter", _int, _sz, _vp, _int, _vp, _vp, _vp)
_lib.declare("qpm_garch_forecast", _int, _vp, _d, _sz, _vp, _vp)
_lib.declare("qpm_garch_fit", _int, _sz, _vp, _int, _vp, _vp)

register_names({"qpm_garch_loglik": "garch_loglik()", "qpm_garch_filter": "garch_filter()",
                "qpm_garch_forecast": "garch_forecast()", "qpm_garch_fit": "garch_fit()",
                "qpm_garch_result": "GarchFit"})

_NAMES = {"r": "returns", "n": "len(returns)", "h": "horizon"}


class GarchDist(enum.IntEnum):
    """Distribution of the innovations z_t (``qpm_garch_dist``)."""
    NORMAL = 0  #: standard normal
    T = 1       #: Student t with nu > 2, scaled to unit variance


register_enum(GarchDist, "QPM_GARCH_")

_NP = 5


class _Result(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t), ("params", ctypes.c_double * _NP),
                ("se", ctypes.c_double * _NP), ("robust_se", ctypes.c_double * _NP),
                ("loglik", ctypes.c_double), ("sigma2_next", ctypes.c_double),
                ("grad_norm", ctypes.c_double), ("iterations", ctypes.c_size_t),
                ("converged", ctypes.c_int)]


class GarchParams(NamedTuple):
    """GARCH(1,1) parameters (or their standard errors); ``nu`` is read
    only for t innovations (inf for a normal fit)."""
    mu: float
    omega: float
    alpha: float
    beta: float
    nu: float = math.inf


class GarchFit(NamedTuple):
    """Result of :func:`garch_fit`.  ``se``: square roots of the diagonal
    of the inverse numerical Hessian of -loglik at the estimates (0 for a
    fixed mu and for nu of a normal fit; NaN when that Hessian is not
    positive definite); ``robust_se``: Bollerslev-Wooldridge sandwich
    errors; ``sigma2_next``: the one-step forecast variance."""
    params: GarchParams
    se: GarchParams
    robust_se: GarchParams
    loglik: float
    sigma2_next: float
    iterations: int
    converged: bool
    dist: GarchDist


class GarchFilter(NamedTuple):
    """Result of :func:`garch_filter`: the conditional volatilities sigma_t
    and standardised residuals z_t of the n returns (Series on the returns'
    index for a Series), and the one-step forecast volatility
    sigma_{n+1}."""
    sigma: Any
    z: Any
    sigma_next: float


class GarchForecast(NamedTuple):
    """Result of :func:`garch_forecast`: ``var[k-1]`` = E[sigma_{n+k}^2]
    and ``cum[k-1]`` = the variance of the k-day sum of returns, k = 1..h."""
    var: Any
    cum: Any


Params = Union[GarchParams, GarchFit, Sequence[Real]]


def _dist(dist: Any) -> GarchDist:
    if isinstance(dist, str):
        key = dist.strip().upper()
        if key in GarchDist.__members__:
            return GarchDist[key]
        raise ValueError("dist = %r: must be 'normal' or 't' (a GarchDist)" % dist)
    try:
        return GarchDist(_arrays.integer(dist, "dist", 0, 1, "a GarchDist"))
    except (ValueError, OverflowError):
        raise ValueError("dist = %r: must be 'normal' or 't' (a GarchDist)" % (dist,)) from None


def _params(params: Any) -> Any:
    if isinstance(params, GarchFit):
        params = params.params
    if _arrays.is_scalar(params) or isinstance(params, (str, bytes)):
        raise TypeError("params must be GarchParams or a sequence (mu, omega, alpha, beta[, nu])")
    vals = list(params)
    if len(vals) == 4:
        vals.append(math.inf)
    if len(vals) != _NP:
        raise ValueError("params has %d values: need mu, omega, alpha, beta[, nu]" % len(vals))
    names = GarchParams._fields
    buf = (ctypes.c_double * _NP)(*[_arrays.double(v, "params.%s" % names[i])
                                    for i, v in enumerate(vals)])
    return buf


def _returns(returns: Any) -> Any:
    return _arrays.vector(returns, "returns")


def garch_loglik(returns: ArrayLike, params: Params, dist: Any = "normal") -> float:
    """The exact log-likelihood (every constant included) of ``returns`` at
    ``params`` under innovations ``dist`` ('normal' or 't', or a
    :class:`GarchDist`) (experimental).  Raises QpmSizeError (fewer than
    10 returns), QpmNonFiniteError, QpmInvalidError (a constant series,
    parameters outside the constraints, naming the parameter) and
    QpmNumericalError (a variance beyond the range of double)."""
    d = _dist(dist)
    r = _returns(returns)
    p = _params(params)
    out = ctypes.c_double()
    check(_lib.fn("qpm_garch_loglik")(r.n, r.addr, int(d), p, ctypes.byref(out)), _NAMES)
    return out.value


def garch_filter(returns: ArrayLike, params: Params, dist: Any = "normal") -> GarchFilter:
    """Conditional volatilities sigma_t and standardised residuals
    z_t = (r_t - mu) / sigma_t of ``returns`` at ``params``, and the
    one-step forecast volatility (experimental).  A Series of returns gives
    Series on its index.  Raises as :func:`garch_loglik`."""
    d = _dist(dist)
    index = _labels.common_index([returns], ["returns"])
    r = _returns(returns)
    p = _params(params)
    sigma = _arrays.output(r.n + 1, None, "sigma")
    z = _arrays.output(r.n, None, "z")
    check(_lib.fn("qpm_garch_filter")(r.n, r.addr, int(d), p, sigma.addr, z.addr), _NAMES)
    s = sigma.result()
    return GarchFilter(_labels.series(s[:r.n], index, "sigma"),
                       _labels.series(z.result(), index, "z"), float(s[r.n]))


def garch_forecast(params: Params, horizon: int,
                   sigma2_next: Optional[Real] = None) -> GarchForecast:
    """Variance forecasts for days 1..``horizon`` from the one-step forecast
    variance ``sigma2_next`` (> 0; defaults to that of a :class:`GarchFit`
    given as ``params``) (experimental): var[k-1] = vbar + (alpha +
    beta)^(k-1) (sigma2_next - vbar), vbar = omega / (1 - alpha - beta), and
    their running sums ``cum`` (the variance of the k-day return).
    Raises QpmInvalidError, QpmNonFiniteError, QpmSizeError (horizon 0)."""
    if sigma2_next is None:
        if not isinstance(params, GarchFit):
            raise TypeError("sigma2_next is required unless params is a GarchFit")
        sigma2_next = params.sigma2_next
    h = _arrays.size(horizon, "horizon")
    p = _params(params)
    var = _arrays.output(h, None, "var")
    cum = _arrays.output(h, None, "cum")
    check(_lib.fn("qpm_garch_forecast")(p, _arrays.double(sigma2_next, "sigma2_next"), h,
                                        var.addr, cum.addr), _NAMES)
    return GarchForecast(var.result(), cum.result())


def garch_fit(returns: ArrayLike, dist: Any = "normal", mu: Optional[Real] = None) -> GarchFit:
    """Maximum-likelihood fit of GARCH(1,1) to ``returns`` with innovations
    ``dist`` (experimental); mu is estimated, or held at ``mu`` when given.
    BFGS on an unconstrained reparametrisation with the analytic gradient,
    then Newton polish (see ``include/qpm/garch.h``).  Returns
    :class:`GarchFit`.  Raises as :func:`garch_loglik`, and
    QpmNoConvergeError when the fit does not converge (the likelihood may
    have no maximum inside the constraints: a t likelihood of a few returns
    can rise toward nu -> 2)."""
    d = _dist(dist)
    r = _returns(returns)
    res = _Result()
    res.size = ctypes.sizeof(_Result)
    fixed = None
    if mu is not None:
        fixed = ctypes.c_double(_arrays.double(mu, "mu"))
    check(_lib.fn("qpm_garch_fit")(r.n, r.addr, int(d),
                                   ctypes.byref(fixed) if fixed is not None else None,
                                   ctypes.byref(res)), dict(_NAMES, mu_fixed="mu"))
    return GarchFit(GarchParams(*res.params), GarchParams(*res.se),
                    GarchParams(*res.robust_se), res.loglik, res.sigma2_next,
                    int(res.iterations), bool(res.converged), d)
