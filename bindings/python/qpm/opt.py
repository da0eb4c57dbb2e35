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
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union, cast

from . import _arrays, _labels, _lib, _progress
from ._errors import PY_CONSTANTS, register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike, FloatArray, IntArray

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


register_enum(Problem, "QPM_OPT_")
register_enum(OptKey, "QPM_OPT_", settings=True)
register_enum(InfoKey, "QPM_OPT_INFO_")
register_names({
    "qpm_opt_set_covariance": "Optimizer.set_covariance()",
    "qpm_opt_set_expected_returns": "Optimizer.set_expected_returns()",
    "qpm_opt_set_scenarios": "Optimizer.set_scenarios()",
    "qpm_opt_set_bounds": "Optimizer.set_bounds()", "qpm_opt_set_current": "Optimizer.set_current()",
    "qpm_opt_problem": "Problem", "qpm_opt_key": "OptKey", "qpm_opt_info_key": "InfoKey",
})
PY_CONSTANTS["QPM_OPT_NO_GROUP"] = "None (NO_GROUP)"

#: InfoKey values that are counts (ints), flags (bools) or the problem.
_INFO_INT = (InfoKey.ITERATIONS, InfoKey.N_ZERO, InfoKey.N_AT_BOUND)


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

    def __init__(self, cov: Optional[ArrayLike] = None, mu: Optional[ArrayLike] = None,
                 n: Optional[int] = None, **settings: Any) -> None:
        labels = _labels.labels_list(_labels.column_labels(cov))
        if labels is None:
            labels = _labels.series_labels(mu)
        if n is None:
            if cov is None:
                raise ValueError("give cov or n")
            n = _arrays.matrix(cov, "cov").rows
        nn = _arrays.size(n, "n")
        self._open("qpm_opt_create", nn)
        self._n = nn
        #: asset names (from a labelled cov or mu), the index of the weights
        self._labels: Optional[List[Any]] = labels
        if cov is not None:
            self.set_covariance(cov)
        if mu is not None:
            self.set_expected_returns(mu)
        for k, v in settings.items():
            self.set(k, v)

    def _describe(self) -> Iterator[Tuple[str, Any]]:
        yield "n", self._n
        v = ctypes.c_double()
        for k in (OptKey.BUDGET, OptKey.GAMMA, OptKey.GROSS_LIMIT):
            _lib.fn("qpm_opt_get")(self._ptr, int(k), ctypes.byref(v))
            yield k.name.lower(), "%g" % v.value

    def _out(self, r: Any, name: str) -> Any:
        """A per-asset result as a Series on the asset names (when known)."""
        return _labels.series(r, self._labels, name)

    @property
    def n(self) -> int:
        """Number of assets."""
        return self._n

    def _vec(self, x: Any, name: str) -> "_arrays.Vec":
        x = _labels.align(x, self._labels, name)
        if _arrays.is_scalar(x):
            raise TypeError("%s must be an array of n = %d values, got a scalar" % (name, self._n))
        return _arrays.vector(x, name, n=self._n)

    # ---- data and constraints -------------------------------------------
    def set_covariance(self, cov: ArrayLike) -> None:
        """Sets the n x n covariance (symmetric, positive semi-definite;
        raises QpmNotPSDError with the smallest eigenvalue otherwise)."""
        cov = _labels.square_by_name(cov, self._labels, "cov")
        m = _arrays.matrix(cov, "cov", rows=self._n, cols=self._n)
        self._c("qpm_opt_set_covariance", m.addr, m.ld)

    def set_expected_returns(self, mu: ArrayLike) -> None:
        """Sets the n expected returns (per year)."""
        v = self._vec(mu, "mu")
        self._c("qpm_opt_set_expected_returns", v.addr)

    def set_bounds(self, lower: ArrayLike, upper: ArrayLike) -> None:
        """Sets the box lower <= w <= upper (scalars are repeated; +-inf
        allowed)."""
        lo = self._vec(lower if not _arrays.is_scalar(lower) else
                       [_arrays.double(lower, "lower")] * self._n, "lower")
        hi = self._vec(upper if not _arrays.is_scalar(upper) else
                       [_arrays.double(upper, "upper")] * self._n, "upper")
        self._c("qpm_opt_set_bounds", lo.addr, hi.addr)

    def set_long_short(self) -> None:
        """Removes the box (shorts allowed: -inf < w < inf)."""
        self.set_bounds(-math.inf, math.inf)

    def set_current(self, w0: ArrayLike) -> None:
        """Sets the current portfolio of the turnover limit."""
        v = self._vec(w0, "w0")
        self._c("qpm_opt_set_current", v.addr, names={"current": "w0"})

    def set_groups(self, group_of: Any, lo: ArrayLike, hi: ArrayLike) -> None:
        """Group constraints lo[g] <= sum of the weights of group g <= hi[g];
        ``group_of[i]`` is asset i's group or None / :data:`NO_GROUP`.
        Empty ``lo`` removes the groups."""
        lov = _arrays.vector(lo, "lo")
        hiv = _arrays.vector(hi, "hi", n=lov.n)
        if lov.n == 0:
            self._c("qpm_opt_set_groups", 0, None, None, None)
            return
        group_of = _labels.align(group_of, self._labels, "group_of")
        if _labels.is_series(group_of):
            group_of = list(group_of)
        if isinstance(group_of, (str, bytes)) or _arrays.is_scalar(group_of):
            raise TypeError("group_of must be a sequence of n = %d group indices" % self._n)
        g = [NO_GROUP if x is None else x for x in group_of]
        gv = _arrays.vector(g, "group_of", _arrays.SIZE_KIND, n=self._n)
        self._c("qpm_opt_set_groups", lov.n, gv.addr, lov.addr, hiv.addr,
                names={"n_groups": "len(lo)"})

    def set_linear(self, a: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> None:
        """General rows lo <= a w <= hi (a: m x n; m = 0 removes them)."""
        lov = _arrays.vector(lo, "lo")
        hiv = _arrays.vector(hi, "hi", n=lov.n)
        if lov.n == 0:
            self._c("qpm_opt_set_linear", 0, None, self._n, None, None)
            return
        a = _labels.by_name(a, self._labels)
        m = _arrays.matrix(a, "a", rows=lov.n, cols=self._n)
        self._c("qpm_opt_set_linear", m.rows, m.addr, m.ld, lov.addr, hiv.addr,
                names={"m": "len(lo)"})

    def set_scenarios(self, returns: ArrayLike) -> None:
        """Scenario returns of :meth:`min_cvar` (T x n; an empty array
        removes them)."""
        returns = _labels.by_name(returns, self._labels)
        if _arrays.length(returns, "returns") == 0:
            self._c("qpm_opt_set_scenarios", 0, None, self._n)
            return
        m = _arrays.matrix(returns, "returns", cols=self._n)
        self._c("qpm_opt_set_scenarios", m.rows, m.addr, m.ld, names={"t": "len(returns)"})

    # ---- solving ---------------------------------------------------------
    def solve(self, problem: Union[Problem, int, str], out: Optional[FloatArray] = None
              ) -> FloatArray:
        """Solves a :class:`Problem` (member, value or name); returns the
        weights (a Series on the asset names when cov or mu was labelled)."""
        if isinstance(problem, str):
            try:
                p = int(Problem[problem.upper()])
            except KeyError:
                raise ValueError("unknown problem %r; choose from %s" % (
                    problem, ", ".join(m.name.lower() for m in Problem))) from None
        else:
            p = _arrays.int32(problem, "problem")
        o = _arrays.output(self._n, out, "out")
        self._c("qpm_opt_solve", p, o.addr)
        return cast(FloatArray, o.result() if out is not None else self._out(o.result(), "weight"))

    def min_variance(self) -> FloatArray:
        """Minimum-variance weights."""
        return self.solve(Problem.MIN_VARIANCE)

    def mean_variance(self, gamma: Optional[float] = None) -> FloatArray:
        """Maximises mu'w - gamma/2 w'Sw (gamma: the GAMMA setting unless
        given)."""
        if gamma is not None:
            self.set(OptKey.GAMMA, gamma)
        return self.solve(Problem.MEAN_VARIANCE)

    def target_return(self, r: float) -> FloatArray:
        """Minimum variance at expected return r."""
        self.set(OptKey.RETURN_TARGET, r)
        return self.solve(Problem.TARGET_RETURN)

    def target_risk(self, vol: float) -> FloatArray:
        """Maximum expected return at volatility <= vol."""
        self.set(OptKey.VOL_TARGET, vol)
        return self.solve(Problem.TARGET_RISK)

    def max_sharpe(self, risk_free: Optional[float] = None) -> FloatArray:
        """Maximum Sharpe ratio weights (risk-free rate: the RISK_FREE
        setting unless given)."""
        if risk_free is not None:
            self.set(OptKey.RISK_FREE, risk_free)
        return self.solve(Problem.MAX_SHARPE)

    def erc(self) -> FloatArray:
        """Equal-risk-contribution weights (long-only, budget only)."""
        return self.solve(Problem.ERC)

    def min_cvar(self, alpha: Optional[float] = None) -> FloatArray:
        """Weights of least CVaR at level alpha (the CVAR_ALPHA setting
        unless given) over the scenarios of :meth:`set_scenarios`."""
        if alpha is not None:
            self.set(OptKey.CVAR_ALPHA, alpha)
        return self.solve(Problem.MIN_CVAR)

    def frontier(self, k: int, progress: Any = None) -> Frontier:
        """The efficient frontier at k points (see ``qpm_opt_frontier``);
        ``progress``: None, True (a progress bar counting points) or a
        callable f(done) returning True to cancel.  With labelled assets the
        weights are a DataFrame (one row per point, one column per asset)."""
        k = _arrays.size(k, "k")
        w = _arrays.out_matrix(max(k, 1), self._n)
        r = _arrays.output(max(k, 1))
        v = _arrays.output(max(k, 1))
        fn = _lib.fn("qpm_opt_frontier")
        setp = _lib.fn("qpm_opt_set_progress")
        with _progress.callback(progress, "frontier", total=k, unit="point") as cb, \
                self._using():
            st = setp(self._ptr, cb.cfn, None)
            if not st:
                try:
                    st = fn(self._ptr, k, w.addr, w.ld, r.addr, v.addr)
                finally:
                    setp(self._ptr, None, None)
            cb.reraise()
            if st:
                raise self._error(st)
        weights = w.result()
        if self._labels is not None:
            weights = _labels.frame(weights, None, self._labels)
        return Frontier(weights, r.result(), v.result())

    # ---- solution info ---------------------------------------------------
    def info(self) -> Dict[str, Union[float, int, bool, Problem]]:
        """Every value of the last solution, keyed by lower-case
        :class:`InfoKey` name: counts (``iterations``, ``n_zero``,
        ``n_at_bound``) as ints, ``exact`` as a bool, ``problem`` as a
        :class:`Problem`, the rest as floats."""
        out: Dict[str, Union[float, int, bool, Problem]] = {}
        v = ctypes.c_double()
        f = _lib.fn("qpm_opt_info")
        with self._using():
            for key in InfoKey:
                st = f(self._ptr, int(key), ctypes.byref(v))
                if st:
                    raise self._error(st)
                x = v.value
                if key in _INFO_INT:
                    out[key.name.lower()] = int(x)
                elif key == InfoKey.EXACT:
                    out["exact"] = bool(x)
                elif key == InfoKey.PROBLEM:
                    out["problem"] = Problem(int(x))
                else:
                    out[key.name.lower()] = x
        return out

    def bound_flags(self) -> IntArray:
        """Per asset: -1 at its lower bound, +1 at its upper bound, else 0."""
        o = _arrays.output(self._n, None, "flags", "int32")
        self._c("qpm_opt_bound_flags", o.addr)
        return self._out(o.result(), "bound")  # type: ignore[no-any-return]

    def risk_contributions(self) -> FloatArray:
        """w_i (Sw)_i of the last solution."""
        o = _arrays.output(self._n)
        self._c("qpm_opt_risk_contributions", o.addr)
        return self._out(o.result(), "risk_contribution")  # type: ignore[no-any-return]
