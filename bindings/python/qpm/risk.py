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
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple, overload

from . import _arrays, _labels, _lib, _progress
from ._errors import check, register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike, FloatArray

__all__ = ["Contributions", 
    "Risk",
    "RiskKey",
    "RiskFilter",
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
_lib.declare("qpm_risk_contributions", _int, _vp, _vp, _vp, _vp, _vp, _vp)  # experimental
_lib.declare("qpm_risk_set_venue_defaults", _int, _vp, _sz, _vp, _vp)  # experimental
_lib.declare("qpm_risk_grid_error", _int, _vp, _vp)  # experimental
_lib.declare("qpm_risk_set_heston", _int, _vp, _sz, _vp, _vp, _vp, _vp, _vp)  # experimental
_lib.declare("qpm_risk_simulate_paths", _int, _vp, _vp, _sz, _vp, _vp, _vp, _vp)  # experimental
_lib.declare("qpm_risk_simulate_regime", _int, _vp, _vp, _vp, _vp, _vp, _vp, _vp,
             _vp)  # experimental


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
    FILTER = 13          #: volatility filter of historical simulation (experimental)
    REVALUATION = 14     #: exact or grid revaluation of the runs (experimental)
    GRID_TOL = 15        #: target error of grid revaluation, relative (experimental)
    NORMALS = 16         #: precise or fast normals of the Monte Carlo (experimental)


class RiskFilter(enum.IntEnum):
    """Values of :attr:`RiskKey.FILTER` (``qpm_risk_filter``, experimental):
    the volatility filter of :meth:`Risk.historical`."""
    EWMA = 0     #: EWMA when EWMA_LAMBDA > 0, else none (the default)
    GARCH = 1    #: GARCH(1,1) fitted per underlying, normal innovations
    GARCH_T = 2  #: GARCH(1,1) fitted per underlying, standardised t innovations


class RiskRevaluation(enum.IntEnum):
    """Values of :attr:`RiskKey.REVALUATION` (``qpm_risk_revaluation``,
    experimental): how :meth:`Risk.simulate` and :meth:`Risk.historical`
    revalue the book."""
    EXACT = 0  #: every position in every scenario (the default)
    GRID = 1   #: each underlying's P&L from an error-controlled grid (see grid_error)


class RiskNormals(enum.IntEnum):
    """Values of :attr:`RiskKey.NORMALS` (``qpm_risk_normals``,
    experimental): how the Monte Carlo turns uniforms into normals."""
    PRECISE = 0  #: the inverse normal CDF to half an ulp (the default)
    FAST = 1     #: AS241 alone on the same uniforms (within 6 ulp; generation ~1.2x faster)
    ZIGGURAT = 2  #: exact normals by the ziggurat method on 8 streams per block (a different sample; fastest)


register_enum(RiskKey, "QPM_RISK_", settings=True)
register_enum(RiskNormals, "QPM_RISK_NORMALS_")
register_enum(RiskFilter, "QPM_RISK_FILTER_")
register_enum(RiskRevaluation, "QPM_RISK_REVALUE_")
register_names({"qpm_risk_set_covariance": "Risk.set_covariance()",
                "qpm_risk_key": "RiskKey", "qpm_book_pnl": "Book.pnl()"})
_RISK_INT = (RiskKey.SCENARIOS, RiskKey.SEED, RiskKey.THREADS, RiskKey.BLOCK, RiskKey.BATCH)


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


class Contributions(NamedTuple):
    """Result of :meth:`Risk.contributions` (libqpm's experimental tier):
    the run's VaR and ES and each position's Euler contribution to them
    (USD of loss; they add up to VaR and ES), and the same summed per
    underlying.  Arrays (lists without numpy), or Series labelled by
    position and by underlying when the book returns frames
    (:attr:`qpm.Book.frames`)."""
    var: float
    es: float
    var_contrib: Any             #: per position
    es_contrib: Any              #: per position
    var_by_underlying: Any       #: per underlying, in the book's order
    es_by_underlying: Any        #: per underlying, in the book's order


class PathResult(NamedTuple):
    """Result of :meth:`Risk.simulate_paths`: VaR and ES of the horizon P&L
    at ``alpha``, the horizon P&L of every path and the lowest end-of-day
    P&L along it (None unless asked for)."""
    var: float
    es: float
    alpha: float
    n: int
    days: int
    pnl: Any
    worst: Any


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


@overload
def var_es(losses: ArrayLike, alpha: float = ...) -> "VarEs": ...


@overload
def var_es(losses: ArrayLike, alpha: ArrayLike) -> "VarEs": ...


def var_es(losses: ArrayLike, alpha: Any = 0.99) -> VarEs:
    """Historical VaR and Acerbi-Tasche ES of a loss sample at level(s)
    ``alpha`` with standard errors.  A scalar alpha gives floats, a sequence
    gives arrays (one value per level; Series on its index for a Series)."""
    x = _arrays.vector(losses, "losses")
    scalar = _arrays.is_scalar(alpha)
    index = _labels.row_labels(alpha) if _labels.is_series(alpha) else None
    a = _arrays.vector(alpha, "alpha")
    outs = [_arrays.output(a.n) for _ in range(4)]
    check(_lib.fn("qpm_risk_var_es")(None, x.n, x.addr, a.n, a.addr,
                                     *[o.addr for o in outs]),
          {"n": "len(losses)", "n_alpha": "len(alpha)"})
    res = [o.result() for o in outs]
    if scalar:
        return VarEs(*[float(r[0]) for r in res])
    return VarEs(*[_labels.series(r, index, nm) for r, nm in zip(res, VarEs._fields)])


def moments(x: ArrayLike) -> Moments:
    """Mean, standard deviation (ddof 1), skewness and excess kurtosis."""
    v = _arrays.vector(x, "x")
    out = [ctypes.c_double() for _ in range(4)]
    check(_lib.fn("qpm_risk_moments")(v.n, v.addr, *[ctypes.byref(o) for o in out]),
          {"n": "len(x)"})
    return Moments(*[o.value for o in out])


def central_moments(x: ArrayLike) -> Tuple[float, float, float]:
    """Biased central moments (m2, m3, m4)."""
    v = _arrays.vector(x, "x")
    out = [ctypes.c_double() for _ in range(3)]
    check(_lib.fn("qpm_risk_central_moments")(v.n, v.addr, *[ctypes.byref(o) for o in out]),
          {"n": "len(x)"})
    return (out[0].value, out[1].value, out[2].value)


def parametric(mu: ArrayLike, sigma: ArrayLike, alpha: ArrayLike = 0.99, skew: ArrayLike = 0.0,
               exkurt: ArrayLike = 0.0) -> Parametric:
    """Normal VaR/ES and Cornish-Fisher VaR of loss distributions given by
    their mean, std, skewness and excess kurtosis (arrays broadcast as in
    :meth:`qpm.Pricer.price`; all-scalar inputs give floats, Series inputs
    Series on their index)."""
    names = ["mu", "sigma", "alpha", "skew", "exkurt"]
    vals = [mu, sigma, alpha, skew, exkurt]
    index = _labels.common_index(vals, names)
    n, (m, s, a, sk, ku), scalar = _arrays.broadcast(vals, names)
    outs = [_arrays.output(n) for _ in range(3)]
    check(_lib.fn("qpm_risk_parametric")(n, m.addr, s.addr, sk.addr, ku.addr, a.addr,
                                         *[o.addr for o in outs]))
    res = [o.result() for o in outs]
    if scalar:
        return Parametric(*[float(r[0]) for r in res])
    return Parametric(*[_labels.series(r, index, nm) for r, nm in zip(res, Parametric._fields)])


def delta_gamma(delta_usd: ArrayLike, gamma_usd: ArrayLike, cov: ArrayLike, alpha: float = 0.99,
                horizon_days: float = 1.0) -> DeltaGamma:
    """Delta-normal and delta-gamma VaR from USD Greeks per underlying
    (delta_usd = S dV/dS, gamma_usd = S^2 d2V/dS2) and the daily covariance
    of relative moves."""
    d = _arrays.vector(delta_usd, "delta_usd")
    g = _arrays.vector(gamma_usd, "gamma_usd", n=d.n)
    c = _arrays.matrix(cov, "cov", rows=d.n, cols=d.n)
    vdn, vdg = ctypes.c_double(), ctypes.c_double()
    mom = _arrays.output(4)
    check(_lib.fn("qpm_risk_delta_gamma")(None, d.n, d.addr, g.addr, c.addr, c.ld,
                                          _arrays.double(horizon_days, "horizon_days"),
                                          _arrays.double(alpha, "alpha"), ctypes.byref(vdn),
                                          ctypes.byref(vdg), mom.addr),
          {"n": "len(delta_usd)"})
    m = [float(v) for v in mom.result()]
    return DeltaGamma(vdn.value, vdg.value, m[0], m[1], m[2], m[3])


class Risk(Handle):
    """Monte Carlo tail-risk engine.

    >>> r = Risk(cov, scenarios=100_000, t_dof=4, horizon_days=1)
    >>> res = r.simulate(book, progress=True)
    >>> res.var, res.es, res.var_se

    Settings may be given as keyword arguments named after :class:`RiskKey`.
    A covariance DataFrame labelled with underlying names is checked against
    the book's underlyings in :meth:`simulate`.
    """

    _prefix = "qpm_risk"
    _key_enum = RiskKey

    def __init__(self, cov: Optional[ArrayLike] = None, **settings: Any) -> None:
        self._open("qpm_risk_create")
        self._labels: Optional[List[Any]] = None
        for k, v in settings.items():
            self.set(k, v)
        if cov is not None:
            self.set_covariance(cov)

    def _describe(self) -> Iterator[Tuple[str, Any]]:
        n = ctypes.c_size_t()
        _lib.fn("qpm_risk_n_underlyings")(self._ptr, ctypes.byref(n))
        yield "n_underlyings", int(n.value)
        v = ctypes.c_double()
        for k in (RiskKey.SCENARIOS, RiskKey.ALPHA, RiskKey.T_DOF, RiskKey.HORIZON_DAYS,
                  RiskKey.THREADS):
            _lib.fn("qpm_risk_get")(self._ptr, int(k), ctypes.byref(v))
            yield k.name.lower(), ("%d" % v.value) if k in _RISK_INT else "%g" % v.value

    def set_covariance(self, cov: ArrayLike) -> None:
        """Sets the daily covariance of the underlyings' log returns (index u
        = the book's underlying u); raises QpmNotPSDError when it is not
        positive semi-definite.  A DataFrame's column names must then be
        the book's underlying names (in any order: it is matched by name)."""
        labels = _labels.labels_list(_labels.column_labels(cov))
        m = _arrays.matrix(cov, "cov")
        if m.rows != m.cols:
            raise ValueError("cov must be square, got %d x %d" % (m.rows, m.cols))
        if labels is not None and list(_labels.row_labels(cov)) != labels:
            raise ValueError("cov has different row and column labels")
        self._c("qpm_risk_set_covariance", m.rows, m.addr, m.ld, names={"n": "len(cov)"})
        self._labels = labels
        self._cov = cov if labels is not None else None

    @property
    def n_underlyings(self) -> int:
        """Number of underlyings of the covariance (0 before one is set)."""
        v = ctypes.c_size_t()
        self._c("qpm_risk_n_underlyings", ctypes.byref(v))
        return int(v.value)

    def _run(self, desc: str, progress: Any, total: int, unit: str, others: Tuple[Handle, ...],
             call: Any) -> None:
        """Runs ``call()`` (which returns a status) with the progress
        callback installed, holding the locks of this handle and ``others``."""
        setp = _lib.fn("qpm_risk_set_progress")
        with _progress.callback(progress, desc, total=total, unit=unit) as cb, \
                self._using(*others):
            st = setp(self._ptr, cb.cfn, None)
            if not st:
                try:
                    st = call()
                finally:
                    setp(self._ptr, None, None)
            cb.reraise()
            if st:
                raise self._error(st, {"t": "len(returns)", "n": "the number of scenarios"})

    def scenarios(self, n: int, progress: Any = None) -> Tuple[FloatArray, FloatArray]:
        """The first ``n`` Monte Carlo scenarios: (spot_moves, vol_shifts),
        each n x n_underlyings (relative moves)."""
        n = _arrays.size(n, "n")
        k = max(self.n_underlyings, 1)
        sp = _arrays.out_matrix(max(n, 1), k)
        vo = _arrays.out_matrix(max(n, 1), k)
        fn = _lib.fn("qpm_risk_scenarios")
        self._run("scenarios", progress, n, "scenario", (),
                  lambda: fn(self._ptr, n, sp.addr, sp.ld, vo.addr, vo.ld))
        return sp.result(), vo.result()

    def _result(self, outs: Any, n: int, pnl: Any, alpha: float, index: Any = None
                ) -> RiskResult:
        p = None
        if pnl is not None:
            p = _labels.series(pnl.result(), index, "pnl")
        return RiskResult(outs[0].value, outs[1].value, outs[2].value, outs[3].value, alpha, n,
                          p)

    def _get_locked(self, key: RiskKey) -> float:
        v = ctypes.c_double()
        _lib.fn("qpm_risk_get")(self._ptr, key.value, ctypes.byref(v))
        return v.value

    @staticmethod
    def _book(book: Any) -> Any:
        from .book import Book
        if not isinstance(book, Book):
            raise TypeError("book must be a qpm.Book, got %s" % type(book).__name__)
        return book

    def simulate(self, book: Any, progress: Any = None, pnl: bool = False) -> RiskResult:
        """Monte Carlo VaR/ES of ``book`` (a :class:`qpm.Book`) at the ALPHA
        setting; ``progress``: None, True (a progress bar counting
        scenarios) or f(done) -> True to cancel; ``pnl=True`` also returns
        every scenario's P&L."""
        b = self._book(book)
        if self._labels is not None and self._labels != b.underlyings:
            raise ValueError("the covariance is labelled %s but the book's underlyings are %s"
                             % (self._labels, b.underlyings))
        outs = [ctypes.c_double() for _ in range(4)]
        fn = _lib.fn("qpm_risk_simulate")
        got: Dict[str, Any] = {}

        def call() -> int:
            # the scenario count and level are read under the lock, so the
            # P&L buffer matches the run
            n = int(self._get_locked(RiskKey.SCENARIOS))
            p = _arrays.output(n) if pnl else None
            got.update(n=n, p=p, alpha=self._get_locked(RiskKey.ALPHA))
            return int(fn(self._ptr, b._ptr, p.addr if p else None,
                          *[ctypes.byref(o) for o in outs]))
        n0 = int(self.get(RiskKey.SCENARIOS))
        self._run("simulate", progress, n0, "scenario", (b,), call)
        return self._result(outs, got["n"], got["p"], got["alpha"])

    def set_heston(self, v0: Any, kappa: Any, theta: Any, xi: Any, rho: Any) -> None:
        """Heston dynamics of :meth:`simulate_paths` (libqpm's experimental
        tier), one value per underlying in the book's order (or a scalar
        for every underlying; a pandas Series is taken in its own order):
        initial and long-run variance ``v0``, ``theta`` (per year),
        mean reversion ``kappa`` (per year), vol of variance ``xi``,
        spot-variance correlation ``rho``.  ``v0=None`` clears them."""
        if v0 is None:
            self._c("qpm_risk_set_heston", 0, None, None, None, None, None)
            return
        n = self.n_underlyings
        cols = []
        for x, name in ((v0, "v0"), (kappa, "kappa"), (theta, "theta"), (xi, "xi"),
                        (rho, "rho")):
            if _arrays.is_scalar(x):
                x = [x] * max(n, 1)
            cols.append(_arrays.vector(x, name))
        m = cols[0].n
        for c, name in zip(cols[1:], ("kappa", "theta", "xi", "rho")):
            if c.n != m:
                raise ValueError("%s has %d values, v0 %d" % (name, c.n, m))
        self._c("qpm_risk_set_heston", m, *[c.addr for c in cols])

    def simulate_paths(self, book: Any, steps_per_day: int = 1, progress: Any = None,
                       pnl: bool = False, worst: bool = False) -> PathResult:
        """Multi-day Monte Carlo of ``book`` under the Heston dynamics of
        :meth:`set_heston` (libqpm's experimental tier): SCENARIOS paths of
        HORIZON_DAYS whole days, ``steps_per_day`` QE steps a day, the book
        revalued at the end of each day (spot moves, option vols scaled by
        the instantaneous vol's move, time decay).  VaR and ES of the
        horizon P&L; ``pnl=True`` / ``worst=True`` also return each path's
        horizon P&L / lowest end-of-day P&L."""
        b = self._book(book)
        steps = _arrays.size(steps_per_day, "steps_per_day")
        return self._paths("simulate_paths", (b,), progress, pnl, worst,
                           lambda: (b._ptr, steps))

    def simulate_regime(self, book: Any, model: Any, start: Any = None, progress: Any = None,
                        pnl: bool = False, worst: bool = False) -> PathResult:
        """Multi-day Monte Carlo of ``book`` under a
        :class:`qpm.regime.RegimeModel` (libqpm's experimental tier; its
        assets are the book's underlyings, its returns daily log returns):
        SCENARIOS paths of HORIZON_DAYS whole days from today's regime
        probabilities ``start`` (e.g. the last row of a filter; None: the
        model's initial distribution), the book revalued at the end of each
        day (cumulated moves, jumps included when the model has them,
        option vols scaled by the day's regime vol against the start
        mixture's, a regime's vol counting its jumps' variance, time
        decay).  As :meth:`simulate_paths` otherwise."""
        from .regime import RegimeModel
        b = self._book(book)
        if not isinstance(model, RegimeModel):
            raise TypeError("model must be a qpm.regime.RegimeModel, got %s"
                            % type(model).__name__)
        sv = None if start is None else _arrays.vector(start, "start")
        return self._paths("simulate_regime", (b, model), progress, pnl, worst,
                           lambda: (b._ptr, model._ptr, None if sv is None else sv.addr))

    def _paths(self, name: str, others: Tuple[Handle, ...], progress: Any, pnl: bool,
               worst: bool, args: Any) -> "PathResult":
        """Runs qpm_risk_<name>(r, *args(), pnl, worst, &var, &es) under the
        locks of this handle and ``others``."""
        outs = [ctypes.c_double() for _ in range(2)]
        fn = _lib.fn("qpm_risk_" + name)
        got: Dict[str, Any] = {}

        def call() -> int:
            n = int(self._get_locked(RiskKey.SCENARIOS))
            p = _arrays.output(n) if pnl else None
            w = _arrays.output(n) if worst else None
            got.update(n=n, p=p, w=w, alpha=self._get_locked(RiskKey.ALPHA),
                       days=self._get_locked(RiskKey.HORIZON_DAYS))
            return int(fn(self._ptr, *args(), p.addr if p else None, w.addr if w else None,
                          *[ctypes.byref(o) for o in outs]))
        n0 = int(self.get(RiskKey.SCENARIOS))
        self._run(name, progress, n0, "path", others, call)
        return PathResult(outs[0].value, outs[1].value, got["alpha"], got["n"],
                          round(got["days"]),
                          got["p"].result() if got["p"] is not None else None,
                          got["w"].result() if got["w"] is not None else None)

    def grid_error(self) -> float:
        """The interpolation error bound, USD per scenario, of the last
        :meth:`simulate` or :meth:`historical` run with ``revaluation=
        RiskRevaluation.GRID`` (libqpm's experimental tier): each
        underlying's grid error measured against exact values at the
        midpoints of the grid of half the spacing, summed.  Raises
        QpmStateError when the last run was exact (or there was none)."""
        v = ctypes.c_double()
        self._c("qpm_risk_grid_error", ctypes.byref(v))
        return float(v.value)

    def set_venue_defaults(self, prob: Any, recovery: Any = 0.0, book: Any = None) -> None:
        """Venue and protocol defaults in :meth:`simulate` and
        :meth:`historical` (libqpm's experimental tier): venue v of the
        book defaults over the horizon with probability ``prob[v]``,
        independently per scenario, losing ``1 - recovery[v]`` of what it
        holds in that scenario's market, so VaR and ES include protocol
        risk.  ``prob`` and ``recovery``: sequences in the book's venue
        order, scalars (every venue), or mappings by venue name (then
        ``book`` gives the names; venues left out get probability 0 and
        recovery 0).  An empty ``prob`` clears them.  The market scenarios
        stay those of a run without defaults."""
        names = book.venues if book is not None else None

        def per_venue(x: Any, what: str, n: Optional[int]) -> List[float]:
            if hasattr(x, "keys"):
                if names is None:
                    raise ValueError("%s by venue name needs book=" % what)
                unknown = [k for k in x.keys() if k not in names]
                if unknown:
                    raise ValueError("%s: unknown venues %s (the book has %s)"
                                     % (what, ", ".join(map(str, unknown)), ", ".join(names)))
                return [_arrays.double(x[k], "%s[%s]" % (what, k)) if k in x.keys() else 0.0
                        for k in names]
            if _arrays.is_scalar(x):
                if n is None:
                    raise ValueError("%s: a scalar needs book= (for the number of venues)"
                                     % what)
                return [_arrays.double(x, what)] * n
            return [_arrays.double(v, "%s[%d]" % (what, i)) for i, v in enumerate(x)]
        p = per_venue(prob, "prob", len(names) if names is not None else None)
        r = per_venue(recovery, "recovery", len(p))
        if len(r) != len(p):
            raise ValueError("recovery has %d values, prob %d" % (len(r), len(p)))
        pv, rv = _arrays.vector(p, "prob"), _arrays.vector(r, "recovery")
        self._c("qpm_risk_set_venue_defaults", len(p), pv.addr if p else None,
                rv.addr if p else None)

    def contributions(self, book: Any, progress: Any = None) -> Contributions:
        """Euler contributions of each position of ``book`` to the Monte
        Carlo VaR and ES of :meth:`simulate` (the same run: the same
        settings give the same VaR and ES), libqpm's experimental tier: ES
        contributions by the ES estimator applied to each position's loss
        over the tail scenarios, VaR contributions the mean of each
        position's loss over a window of ranks around VaR, scaled to add up
        to it (see ``qpm_risk_contributions`` in ``include/qpm/risk.h``).
        ``progress`` as :meth:`simulate` (the first pass).  Returns
        :class:`Contributions`."""
        b = self._book(book)
        if self._labels is not None and self._labels != b.underlyings:
            raise ValueError("the covariance is labelled %s but the book's underlyings are %s"
                             % (self._labels, b.underlyings))
        var, es = ctypes.c_double(), ctypes.c_double()
        fn = _lib.fn("qpm_risk_contributions")
        got: Dict[str, Any] = {}

        def call() -> int:
            n = ctypes.c_size_t()
            _lib.fn("qpm_book_n_positions")(b._ptr, ctypes.byref(n))
            vc, ec = _arrays.output(int(n.value)), _arrays.output(int(n.value))
            got.update(vc=vc, ec=ec, n=int(n.value))
            return int(fn(self._ptr, b._ptr, ctypes.byref(var), ctypes.byref(es),
                          vc.addr if n.value else None, ec.addr if n.value else None))
        n0 = int(self.get(RiskKey.SCENARIOS))
        self._run("contributions", progress, n0, "scenario", (b,), call)
        vc, ec = got["vc"].result(), got["ec"].result()
        names = b.underlyings
        of = b._pos_under
        vl = [0.0] * len(names)
        el = [0.0] * len(names)
        for i, u in enumerate(of[:got["n"]]):
            vl[u] += float(vc[i])
            el[u] += float(ec[i])
        np = _arrays.np
        vu: Any = np.asarray(vl) if np is not None else vl
        eu: Any = np.asarray(el) if np is not None else el
        return Contributions(var.value, es.value, b._series(vc, "position", "var"),
                             b._series(ec, "position", "es"),
                             b._series(vu, "underlying", "var"),
                             b._series(eu, "underlying", "es"))

    def historical(self, book: Any, returns: ArrayLike, progress: Any = None,
                   pnl: bool = False) -> RiskResult:
        """(Filtered, when EWMA_LAMBDA > 0 or the setting ``filter`` is a
        :class:`RiskFilter` GARCH filter) historical simulation of ``book``
        over a T x n_underlyings matrix of daily log returns (one column per
        underlying of the book, in its order; a DataFrame whose columns are
        the underlying names is matched by name, and the P&L is then a
        Series on its index)."""
        b = self._book(book)
        names = b.underlyings
        index = _labels.row_labels(returns)
        returns = _labels.by_name(returns, names)
        m = _arrays.matrix(returns, "returns", cols=len(names))
        p = _arrays.output(m.rows) if pnl else None
        outs = [ctypes.c_double() for _ in range(4)]
        fn = _lib.fn("qpm_risk_historical")

        got: Dict[str, Any] = {}

        def call() -> int:
            # the book may not change shape between the check and the call
            nu = ctypes.c_size_t()
            _lib.fn("qpm_book_n_underlyings")(b._ptr, ctypes.byref(nu))
            if nu.value != m.cols:
                raise ValueError("returns has %d columns, the book %d underlyings"
                                 % (m.cols, nu.value))
            got["alpha"] = self._get_locked(RiskKey.ALPHA)
            return int(fn(self._ptr, b._ptr, m.rows, m.addr, m.ld, p.addr if p else None,
                          *[ctypes.byref(o) for o in outs]))
        self._run("historical", progress, m.rows, "scenario", (b,), call)
        return self._result(outs, m.rows, p, got["alpha"], index)
