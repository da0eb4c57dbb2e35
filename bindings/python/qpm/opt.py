"""Portfolio optimisation: minimum variance, mean-variance, target return and
target risk, maximum Sharpe ratio, equal risk contribution and the efficient
frontier, under budget, box, gross-leverage, turnover, group and linear
constraints (see include/qpm/opt.h for the method and conventions).

>>> o = Optimizer(cov, mu)            # annualised covariance, expected returns
>>> w = o.min_variance()              # long-only by default
>>> o.info()["volatility"]
"""
from __future__ import annotations

import ctypes
import enum
import math
from typing import Any, Dict, NamedTuple, Optional

from . import _arrays, _lib, _progress
from ._errors import check
from ._handle import Handle

__all__ = ["Optimizer", "OptKey", "Problem", "InfoKey", "Frontier", "NO_GROUP"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

_lib.declare("qpm_opt_create", _int, _vp, _vp, _sz)
_lib.declare("qpm_opt_free", None, _vp)
_lib.declare("qpm_opt_set", _int, _vp, _int, _d)
_lib.declare("qpm_opt_get", _int, _vp, _int, _vp)
_lib.declare("qpm_opt_bounds", _int, _int, _vp, _vp)
_lib.declare("qpm_opt_describe", _int, _int, _vp)  # experimental tier
_lib.declare("qpm_opt_set_covariance", _int, _vp, _vp, _sz)
_lib.declare("qpm_opt_set_expected_returns", _int, _vp, _vp)
_lib.declare("qpm_opt_set_bounds", _int, _vp, _vp, _vp)
_lib.declare("qpm_opt_set_current", _int, _vp, _vp)
_lib.declare("qpm_opt_set_groups", _int, _vp, _sz, _vp, _vp, _vp)
_lib.declare("qpm_opt_set_linear", _int, _vp, _sz, _vp, _sz, _vp, _vp)
_lib.declare("qpm_opt_set_progress", _int, _vp, _vp, _vp)
_lib.declare("qpm_opt_set_scenarios", _int, _vp, _sz, _vp, _sz)
_lib.declare("qpm_opt_solve", _int, _vp, _int, _vp)
_lib.declare("qpm_opt_frontier", _int, _vp, _sz, _vp, _sz, _vp, _vp)
_lib.declare("qpm_opt_info", _int, _vp, _int, _vp)
_lib.declare("qpm_opt_bound_flags", _int, _vp, _vp)
_lib.declare("qpm_opt_risk_contributions", _int, _vp, _vp)

#: group_of value of an asset in no group (``QPM_OPT_NO_GROUP``)
NO_GROUP = (1 << (8 * ctypes.sizeof(ctypes.c_size_t))) - 1


class Problem(enum.IntEnum):
    """Problems (``qpm_opt_problem``)."""
    MIN_VARIANCE = 0   #: min w'Sw
    MEAN_VARIANCE = 1  #: max mu'w - gamma/2 w'Sw
    TARGET_RETURN = 2  #: min w'Sw s.t. mu'w = r*
    TARGET_RISK = 3    #: max mu'w s.t. vol <= s*
    MAX_SHARPE = 4     #: max (mu'w - rf) / vol
    ERC = 5            #: equal risk contribution (long-only)
    MIN_CVAR = 6       #: min CVaR of the scenario losses (Rockafellar-Uryasev LP)


class OptKey(enum.IntEnum):
    """Setting keys of :class:`Optimizer` (``qpm_opt_key``)."""
    GAMMA = 0
    RISK_FREE = 1
    BUDGET = 2
    GROSS_LIMIT = 3
    TURNOVER_LIMIT = 4
    RETURN_TARGET = 5
    VOL_TARGET = 6
    TOLERANCE = 7
    MAX_ITER = 8
    CVAR_ALPHA = 9


class InfoKey(enum.IntEnum):
    """Solution info keys (``qpm_opt_info_key``)."""
    OBJECTIVE = 0
    EXP_RETURN = 1
    VARIANCE = 2
    VOLATILITY = 3
    SUM_W = 4
    GROSS = 5
    TURNOVER = 6
    NU = 7
    LAMBDA_GROSS = 8
    LAMBDA_TURNOVER = 9
    ITERATIONS = 10
    N_ZERO = 11
    N_AT_BOUND = 12
    EXACT = 13
    PROBLEM = 14


class Frontier(NamedTuple):
    """Efficient frontier points: ``weights`` (k x n), ``returns`` and
    ``vols`` (k each)."""
    weights: Any
    returns: Any
    vols: Any


class Optimizer(Handle):
    """Portfolio optimiser over ``n`` assets (``qpm_opt``).

    ``cov`` (n x n, annualised) and ``mu`` (n expected returns) may be given
    here or later; settings as keyword arguments named after :class:`OptKey`
    (``Optimizer(cov, mu, gamma=5)``).  The default constraints are a budget
    of 1 and long-only weights.
    """

    _prefix = "qpm_opt"
    _key_enum = OptKey

    def __init__(self, cov: Any = None, mu: Any = None, n: Optional[int] = None,
                 **settings: Any) -> None:
        if n is None:
            if cov is None:
                raise ValueError("give cov or n")
            n = _arrays.matrix(cov, "cov").rows
        if int(n) < 0:
            raise ValueError("n = %d: must be > 0" % int(n))
        self._open("qpm_opt_create", int(n))
        self._n = int(n)
        if cov is not None:
            self.set_covariance(cov)
        if mu is not None:
            self.set_expected_returns(mu)
        for k, v in settings.items():
            self.set(k, v)

    @property
    def n(self) -> int:
        """Number of assets."""
        return self._n

    def _vec(self, x: Any, name: str) -> "_arrays.Vec":
        v = _arrays.vector(x, name)
        if v.n != self._n:
            raise ValueError("%s has %d values, expected n = %d" % (name, v.n, self._n))
        return v

    # ---- data and constraints -------------------------------------------
    def set_covariance(self, cov: Any) -> None:
        """Sets the n x n covariance (symmetric, positive semi-definite;
        raises QpmNotPSDError with the smallest eigenvalue otherwise)."""
        m = _arrays.matrix(cov, "cov")
        if m.rows != self._n or m.cols != self._n:
            raise ValueError("cov must be %d x %d" % (self._n, self._n))
        check(_lib.fn("qpm_opt_set_covariance")(self.handle, m.addr, m.ld))

    def set_expected_returns(self, mu: Any) -> None:
        """Sets the n expected returns (per year)."""
        v = self._vec(mu, "mu")
        check(_lib.fn("qpm_opt_set_expected_returns")(self.handle, v.addr))

    def set_bounds(self, lower: Any, upper: Any) -> None:
        """Sets the box lower <= w <= upper (scalars are repeated; +-inf
        allowed)."""
        lo = self._vec(lower if not _arrays.is_scalar(lower) else [lower] * self._n, "lower")
        hi = self._vec(upper if not _arrays.is_scalar(upper) else [upper] * self._n, "upper")
        check(_lib.fn("qpm_opt_set_bounds")(self.handle, lo.addr, hi.addr))

    def set_long_short(self) -> None:
        """Removes the box (shorts allowed: -inf < w < inf)."""
        self.set_bounds(-math.inf, math.inf)

    def set_current(self, w0: Any) -> None:
        """Sets the current portfolio of the turnover limit."""
        v = self._vec(w0, "w0")
        check(_lib.fn("qpm_opt_set_current")(self.handle, v.addr))

    def set_groups(self, group_of: Any, lo: Any, hi: Any) -> None:
        """Group constraints lo[g] <= sum of the weights of group g <= hi[g];
        ``group_of[i]`` is asset i's group or None / :data:`NO_GROUP`.
        Empty ``lo`` removes the groups."""
        lov = _arrays.vector(lo, "lo")
        hiv = _arrays.vector(hi, "hi")
        if lov.n != hiv.n:
            raise ValueError("lo and hi differ in length")
        if lov.n == 0:
            check(_lib.fn("qpm_opt_set_groups")(self.handle, 0, None, None, None))
            return
        g = [NO_GROUP if x is None else int(x) for x in group_of]
        gv = _arrays.vector(g, "group_of", "uint64")
        if gv.n != self._n:
            raise ValueError("group_of has %d values, expected n = %d" % (gv.n, self._n))
        check(_lib.fn("qpm_opt_set_groups")(self.handle, lov.n, gv.addr, lov.addr, hiv.addr))

    def set_linear(self, a: Any, lo: Any, hi: Any) -> None:
        """General rows lo <= a w <= hi (a: m x n; m = 0 removes them)."""
        lov = _arrays.vector(lo, "lo")
        hiv = _arrays.vector(hi, "hi")
        if lov.n == 0:
            check(_lib.fn("qpm_opt_set_linear")(self.handle, 0, None, self._n, None, None))
            return
        m = _arrays.matrix(a, "a")
        if m.cols != self._n or m.rows != lov.n or hiv.n != lov.n:
            raise ValueError("a must be m x n with m = len(lo) = len(hi)")
        check(_lib.fn("qpm_opt_set_linear")(self.handle, m.rows, m.addr, m.ld, lov.addr,
                                            hiv.addr))

    def set_scenarios(self, returns: Any) -> None:
        """Scenario returns of :meth:`min_cvar` (T x n; an empty array
        removes them)."""
        m = _arrays.matrix(returns, "returns") if len(returns) else None
        if m is None:
            check(_lib.fn("qpm_opt_set_scenarios")(self.handle, 0, None, self._n))
            return
        if m.cols != self._n:
            raise ValueError("returns has %d columns, expected n = %d" % (m.cols, self._n))
        check(_lib.fn("qpm_opt_set_scenarios")(self.handle, m.rows, m.addr, m.ld))

    # ---- solving ---------------------------------------------------------
    def solve(self, problem: Any, out: Any = None) -> Any:
        """Solves a :class:`Problem` (member, value or name); returns the
        weights."""
        if isinstance(problem, str):
            problem = Problem[problem.upper()]
        o = _arrays.output(self._n, out, "out")
        check(_lib.fn("qpm_opt_solve")(self.handle, int(problem), o.addr))
        return o.result()

    def min_variance(self) -> Any:
        """Minimum-variance weights."""
        return self.solve(Problem.MIN_VARIANCE)

    def mean_variance(self, gamma: Optional[float] = None) -> Any:
        """Maximises mu'w - gamma/2 w'Sw (gamma: the GAMMA setting unless
        given)."""
        if gamma is not None:
            self.set(OptKey.GAMMA, gamma)
        return self.solve(Problem.MEAN_VARIANCE)

    def target_return(self, r: float) -> Any:
        """Minimum variance at expected return r."""
        self.set(OptKey.RETURN_TARGET, r)
        return self.solve(Problem.TARGET_RETURN)

    def target_risk(self, vol: float) -> Any:
        """Maximum expected return at volatility <= vol."""
        self.set(OptKey.VOL_TARGET, vol)
        return self.solve(Problem.TARGET_RISK)

    def max_sharpe(self, risk_free: Optional[float] = None) -> Any:
        """Maximum Sharpe ratio weights (risk-free rate: the RISK_FREE
        setting unless given)."""
        if risk_free is not None:
            self.set(OptKey.RISK_FREE, risk_free)
        return self.solve(Problem.MAX_SHARPE)

    def erc(self) -> Any:
        """Equal-risk-contribution weights (long-only, budget only)."""
        return self.solve(Problem.ERC)

    def min_cvar(self, alpha: Optional[float] = None) -> Any:
        """Weights of least CVaR at level alpha (the CVAR_ALPHA setting
        unless given) over the scenarios of :meth:`set_scenarios`."""
        if alpha is not None:
            self.set(OptKey.CVAR_ALPHA, alpha)
        return self.solve(Problem.MIN_CVAR)

    def frontier(self, k: int, progress: Any = None) -> Frontier:
        """The efficient frontier at k points (see ``qpm_opt_frontier``);
        ``progress``: None, True (a progress bar) or a callable f(done)
        returning True to cancel."""
        k = int(k)
        if k < 0:
            raise ValueError("k = %d: must be > 0" % k)
        w = _arrays.out_matrix(max(k, 1), self._n)
        r = _arrays.output(max(k, 1))
        v = _arrays.output(max(k, 1))
        fn = _lib.fn("qpm_opt_frontier")
        with _progress.callback(progress, "frontier") as cb:
            check(_lib.fn("qpm_opt_set_progress")(self.handle, cb.cfn, None))
            try:
                st = fn(self.handle, k, w.addr, w.ld, r.addr, v.addr)
            finally:
                _lib.fn("qpm_opt_set_progress")(self.handle, None, None)
            cb.reraise()
            check(st)
        return Frontier(w.result(), r.result(), v.result())

    # ---- solution info ---------------------------------------------------
    def info(self) -> Dict[str, float]:
        """Every value of the last solution, keyed by lower-case
        :class:`InfoKey` name."""
        out = {}
        v = ctypes.c_double()
        for key in InfoKey:
            check(_lib.fn("qpm_opt_info")(self.handle, int(key), ctypes.byref(v)))
            out[key.name.lower()] = v.value
        return out

    def bound_flags(self) -> Any:
        """Per asset: -1 at its lower bound, +1 at its upper bound, else 0."""
        o = _arrays.output(self._n, None, "flags", "int32")
        check(_lib.fn("qpm_opt_bound_flags")(self.handle, o.addr))
        return o.result()

    def risk_contributions(self) -> Any:
        """w_i (Sw)_i of the last solution."""
        o = _arrays.output(self._n)
        check(_lib.fn("qpm_opt_risk_contributions")(self.handle, o.addr))
        return o.result()
