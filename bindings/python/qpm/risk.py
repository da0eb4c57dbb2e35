"""Tail risk: historical VaR and Expected Shortfall with standard errors,
sample moments, parametric (normal, Cornish-Fisher, delta-gamma) VaR, and
the Monte Carlo engine :class:`Risk` that revalues a :class:`qpm.Book`
under correlated heavy-tailed scenarios.

Losses are positive numbers (loss = -P&L); VaR and ES are reported as
losses.  Conventions and estimators are those of ``include/qpm/risk.h``.
"""
from __future__ import annotations

import ctypes
import enum
from typing import Any, NamedTuple, Optional, Tuple

from . import _arrays, _lib, _progress
from ._errors import check
from ._handle import Handle

__all__ = [
    "Risk",
    "RiskKey",
    "VarEs",
    "Moments",
    "Parametric",
    "DeltaGamma",
    "RiskResult",
    "var_es",
    "moments",
    "central_moments",
    "parametric",
    "delta_gamma",
]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

_lib.declare("qpm_risk_var_es", _int, _vp, _sz, _vp, _sz, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_risk_moments", _int, _sz, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_risk_central_moments", _int, _sz, _vp, _vp, _vp, _vp)
_lib.declare("qpm_risk_parametric", _int, _sz, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_risk_delta_gamma", _int, _vp, _sz, _vp, _vp, _vp, _sz, _d, _d, _vp, _vp, _vp)
_lib.declare("qpm_risk_create", _int, _vp, _vp)
_lib.declare("qpm_risk_free", None, _vp)
_lib.declare("qpm_risk_set", _int, _vp, _int, _d)
_lib.declare("qpm_risk_get", _int, _vp, _int, _vp)
_lib.declare("qpm_risk_bounds", _int, _int, _vp, _vp)
_lib.declare("qpm_risk_describe", _int, _int, _vp)  # experimental tier
_lib.declare("qpm_risk_set_covariance", _int, _vp, _sz, _vp, _sz)
_lib.declare("qpm_risk_n_underlyings", _int, _vp, _vp)
_lib.declare("qpm_risk_set_progress", _int, _vp, _vp, _vp)
_lib.declare("qpm_risk_scenarios", _int, _vp, _sz, _vp, _sz, _vp, _sz)
_lib.declare("qpm_risk_simulate", _int, _vp, _vp, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_risk_historical", _int, _vp, _vp, _sz, _vp, _sz, _vp, _vp, _vp, _vp, _vp)


class RiskKey(enum.IntEnum):
    """Setting keys of :class:`Risk` (``qpm_risk_key``)."""
    SCENARIOS = 0        #: Monte Carlo scenarios per run
    SEED = 1             #: seed of the base generator
    HORIZON_DAYS = 2     #: horizon in days
    T_DOF = 3            #: Student-t degrees of freedom (0 or inf: Gaussian)
    JUMP_INTENSITY = 4   #: jumps per day per underlying
    JUMP_MEAN = 5        #: mean log jump size
    JUMP_STD = 6         #: std of the log jump size
    VOL_OF_VOL = 7       #: vol of the common vol factor per sqrt(day)
    THREADS = 8          #: threads drawing scenarios
    ALPHA = 9            #: confidence level of the runs
    EWMA_LAMBDA = 10     #: filtered historical simulation decay (0: plain)
    BLOCK = 11           #: scenarios per generator stream (read-only)
    BATCH = 12           #: scenarios per book call / progress report (read-only)


class VarEs(NamedTuple):
    """VaR and ES (losses) with their standard errors."""
    var: Any
    es: Any
    var_se: Any
    es_se: Any


class Moments(NamedTuple):
    """Sample mean, std (ddof 1), skewness g1 and excess kurtosis g2."""
    mean: float
    std: float
    skew: float
    exkurt: float


class Parametric(NamedTuple):
    """Normal VaR, normal ES and Cornish-Fisher VaR."""
    var_normal: Any
    es_normal: Any
    var_cf: Any


class DeltaGamma(NamedTuple):
    """Delta-normal and delta-gamma (Cornish-Fisher) VaR with the moments of
    the delta-gamma loss."""
    var_delta_normal: float
    var_delta_gamma: float
    mean: float
    std: float
    skew: float
    exkurt: float


class RiskResult(NamedTuple):
    """Result of :meth:`Risk.simulate` / :meth:`Risk.historical`: VaR and
    ES at ``alpha`` with standard errors, and the P&L of every scenario
    (None unless asked for)."""
    var: float
    es: float
    var_se: float
    es_se: float
    alpha: float
    n: int
    pnl: Any


def var_es(losses: Any, alpha: Any = 0.99) -> VarEs:
    """Historical VaR and Acerbi-Tasche ES of a loss sample at level(s)
    ``alpha`` with standard errors.  A scalar alpha gives floats, a sequence
    gives arrays (one value per level)."""
    x = _arrays.vector(losses, "losses")
    scalar = _arrays.is_scalar(alpha)
    a = _arrays.vector(alpha, "alpha")
    outs = [_arrays.output(a.n) for _ in range(4)]
    check(_lib.fn("qpm_risk_var_es")(None, x.n, x.addr, a.n, a.addr,
                                     *[o.addr for o in outs]))
    res = [o.result() for o in outs]
    if scalar:
        return VarEs(*[float(r[0]) for r in res])
    return VarEs(*res)


def moments(x: Any) -> Moments:
    """Mean, standard deviation (ddof 1), skewness and excess kurtosis."""
    v = _arrays.vector(x, "x")
    out = [ctypes.c_double() for _ in range(4)]
    check(_lib.fn("qpm_risk_moments")(v.n, v.addr, *[ctypes.byref(o) for o in out]))
    return Moments(*[o.value for o in out])


def central_moments(x: Any) -> Tuple[float, float, float]:
    """Biased central moments (m2, m3, m4)."""
    v = _arrays.vector(x, "x")
    out = [ctypes.c_double() for _ in range(3)]
    check(_lib.fn("qpm_risk_central_moments")(v.n, v.addr, *[ctypes.byref(o) for o in out]))
    return (out[0].value, out[1].value, out[2].value)


def parametric(mu: Any, sigma: Any, alpha: Any = 0.99, skew: Any = 0.0,
               exkurt: Any = 0.0) -> Parametric:
    """Normal VaR/ES and Cornish-Fisher VaR of loss distributions given by
    their mean, std, skewness and excess kurtosis (arrays broadcast;
    all-scalar inputs give floats)."""
    n, (m, s, a, sk, ku), scalar = _arrays.broadcast(
        [mu, sigma, alpha, skew, exkurt], ["mu", "sigma", "alpha", "skew", "exkurt"])
    outs = [_arrays.output(n) for _ in range(3)]
    check(_lib.fn("qpm_risk_parametric")(n, m.addr, s.addr, sk.addr, ku.addr, a.addr,
                                         *[o.addr for o in outs]))
    res = [o.result() for o in outs]
    if scalar:
        return Parametric(*[float(r[0]) for r in res])
    return Parametric(*res)


def delta_gamma(delta_usd: Any, gamma_usd: Any, cov: Any, alpha: float = 0.99,
                horizon_days: float = 1.0) -> DeltaGamma:
    """Delta-normal and delta-gamma VaR from USD Greeks per underlying
    (delta_usd = S dV/dS, gamma_usd = S^2 d2V/dS2) and the daily covariance
    of relative moves."""
    d = _arrays.vector(delta_usd, "delta_usd")
    g = _arrays.vector(gamma_usd, "gamma_usd")
    c = _arrays.matrix(cov, "cov")
    if g.n != d.n or c.rows != d.n or c.cols != d.n:
        raise ValueError("delta_usd, gamma_usd and cov must have matching sizes")
    vdn, vdg = ctypes.c_double(), ctypes.c_double()
    mom = _arrays.output(4)
    check(_lib.fn("qpm_risk_delta_gamma")(None, d.n, d.addr, g.addr, c.addr, c.ld,
                                          float(horizon_days), float(alpha), ctypes.byref(vdn),
                                          ctypes.byref(vdg), mom.addr))
    m = [float(v) for v in mom.result()]
    return DeltaGamma(vdn.value, vdg.value, m[0], m[1], m[2], m[3])


class Risk(Handle):
    """Monte Carlo tail-risk engine.

    >>> r = Risk(cov, scenarios=100_000, t_dof=4, horizon_days=1)
    >>> res = r.simulate(book, progress=True)
    >>> res.var, res.es, res.var_se

    Settings may be given as keyword arguments named after :class:`RiskKey`.
    """

    _prefix = "qpm_risk"
    _key_enum = RiskKey

    def __init__(self, cov: Any = None, **settings: Any) -> None:
        self._open("qpm_risk_create")
        for k, v in settings.items():
            self.set(k, v)
        if cov is not None:
            self.set_covariance(cov)

    def set_covariance(self, cov: Any) -> None:
        """Sets the daily covariance of the underlyings' log returns (index u
        = the book's underlying u); raises QpmNotPSDError when it is not
        positive semi-definite."""
        m = _arrays.matrix(cov, "cov")
        if m.rows != m.cols:
            raise ValueError("cov must be square, got %d x %d" % (m.rows, m.cols))
        check(_lib.fn("qpm_risk_set_covariance")(self.handle, m.rows, m.addr, m.ld))

    @property
    def n_underlyings(self) -> int:
        """Number of underlyings of the covariance (0 before one is set)."""
        v = ctypes.c_size_t()
        check(_lib.fn("qpm_risk_n_underlyings")(self.handle, ctypes.byref(v)))
        return int(v.value)

    def _run(self, desc: str, progress: Any, call: Any) -> int:
        with _progress.callback(progress, desc) as cb:
            check(_lib.fn("qpm_risk_set_progress")(self.handle, cb.cfn, None))
            try:
                st = call()
            finally:
                _lib.fn("qpm_risk_set_progress")(self.handle, None, None)
            cb.reraise()
            return st

    def scenarios(self, n: int, progress: Any = None) -> Tuple[Any, Any]:
        """The first ``n`` Monte Carlo scenarios: (spot_moves, vol_shifts),
        each n x n_underlyings (relative moves)."""
        n = int(n)
        if n < 0:
            raise ValueError("n = %d: must be > 0" % n)
        k = max(self.n_underlyings, 1)
        sp = _arrays.out_matrix(max(n, 1), k)
        vo = _arrays.out_matrix(max(n, 1), k)
        fn = _lib.fn("qpm_risk_scenarios")
        check(self._run("scenarios", progress,
                        lambda: fn(self.handle, n, sp.addr, sp.ld, vo.addr, vo.ld)))
        return sp.result(), vo.result()

    def _result(self, outs: Any, n: int, pnl: Any) -> RiskResult:
        return RiskResult(outs[0].value, outs[1].value, outs[2].value, outs[3].value,
                          self.get(RiskKey.ALPHA), n, pnl.result() if pnl is not None else None)

    def simulate(self, book: Any, progress: Any = None, pnl: bool = False) -> RiskResult:
        """Monte Carlo VaR/ES of ``book`` (a :class:`qpm.Book`) at the ALPHA
        setting; ``progress``: None, True (a progress bar) or f(done) ->
        True to cancel; ``pnl=True`` also returns every scenario's P&L."""
        n = int(self.get(RiskKey.SCENARIOS))
        p = _arrays.output(n) if pnl else None
        outs = [ctypes.c_double() for _ in range(4)]
        fn = _lib.fn("qpm_risk_simulate")
        check(self._run("simulate", progress,
                        lambda: fn(self.handle, book.handle, p.addr if p else None,
                                   *[ctypes.byref(o) for o in outs])))
        return self._result(outs, n, p)

    def historical(self, book: Any, returns: Any, progress: Any = None,
                   pnl: bool = False) -> RiskResult:
        """(Filtered, when EWMA_LAMBDA > 0) historical simulation of ``book``
        over a T x n_underlyings matrix of daily log returns."""
        m = _arrays.matrix(returns, "returns")
        p = _arrays.output(m.rows) if pnl else None
        outs = [ctypes.c_double() for _ in range(4)]
        fn = _lib.fn("qpm_risk_historical")
        check(self._run("historical", progress,
                        lambda: fn(self.handle, book.handle, m.rows, m.addr, m.ld,
                                   p.addr if p else None, *[ctypes.byref(o) for o in outs])))
        return self._result(outs, m.rows, p)
