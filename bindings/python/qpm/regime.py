"""A Markov regime-switching model of returns: K = 2 or 3 hidden states
following a Markov chain, Gaussian returns N(mu_k, Sigma_k) over d assets in
each (regime-dependent means, volatilities and correlations), and optional
regime-dependent jumps: on a day in state k, with probability p_k, every
asset's return gets an added jump N(muJ_j, deltaJ_j^2), so that state k's
returns are the mixture (1 - p_k) N(mu_k, Sigma_k) + p_k N(mu_k + muJ,
Sigma_k + diag(deltaJ^2)).

Experimental: this wraps libqpm's experimental tier (``include/qpm/regime.h``);
names and signatures may change in any minor release.

:class:`RegimeModel` fits the model by EM (Baum-Welch), gives the filtered
P(s_t | r_1..t) and smoothed P(s_t | r_1..T) probabilities of the states and
the log-likelihood, and simulates paths with a :class:`qpm.Rng`.
Conventions are the library's:

* the transition matrix is row-stochastic, ``P[i, j] = P(s_t = j | s_{t-1}
  = i)`` (statsmodels' ``regime_transition`` is its transpose);
* the initial distribution pi of the first day's state is estimated by the
  fit (:attr:`RegimeInit.ESTIMATED`, the default), fixed
  (:attr:`RegimeInit.FIXED`) or the stationary distribution of P
  (:attr:`RegimeInit.ERGODIC`, statsmodels' default; not for the fit);
* after a fit the states are ordered by increasing volatility;
* ``mu`` is K x d, ``sigma`` K x d x d (for d = 1, K variances are
  accepted too);
* jumps (:meth:`RegimeModel.set_jumps`, :attr:`RegimeModel.jumps`): ``p``
  holds each state's daily jump probability (a Poisson intensity lambda per
  day is ``p = 1 - exp(-lambda)``), ``mu_j`` and ``delta_j`` the mean and
  standard deviation of each asset's jump; none by default, and
  :meth:`RegimeModel.set_fit_jumps` makes :meth:`RegimeModel.fit` estimate
  them.

Returns are a T x d matrix (or a 1-D series for one asset), as numpy arrays,
sequences or pandas objects; probabilities of a pandas input come back as
DataFrames on its index, one column per state.
"""
from __future__ import annotations

import ctypes
import enum
from typing import Any, List, NamedTuple, Optional, Tuple, Union

from . import _arrays, _labels, _lib, _progress
from ._errors import check, register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike
from .rng import Rng

__all__ = ["RegimeInit", "RegimeParams", "RegimeJumps", "RegimeFit", "RegimeProbabilities",
           "RegimePaths", "RegimeModel", "prob_tol"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

# experimental tier
_lib.declare("qpm_regime_prob_tol", _d)
_lib.declare("qpm_regime_create", _int, _vp, _vp, _sz, _sz)
_lib.declare("qpm_regime_free", None, _vp)
_lib.declare("qpm_regime_dims", _int, _vp, _vp, _vp)
_lib.declare("qpm_regime_set_params", _int, _vp, _vp, _vp, _vp)
_lib.declare("qpm_regime_params", _int, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_regime_set_initial", _int, _vp, _int, _vp)
_lib.declare("qpm_regime_get_initial", _int, _vp, _vp)
_lib.declare("qpm_regime_set_progress", _int, _vp, _vp, _vp)
_lib.declare("qpm_regime_fit", _int, _vp, _sz, _vp, _sz, _sz, _d, _vp, _vp, _vp)
_lib.declare("qpm_regime_filter", _int, _vp, _sz, _vp, _sz, _vp, _vp, _vp)
_lib.declare("qpm_regime_simulate", _int, _vp, _vp, _vp, _sz, _sz, _vp, _sz, _vp)
_lib.declare("qpm_regime_set_jumps", _int, _vp, _vp, _vp, _vp)
_lib.declare("qpm_regime_jumps", _int, _vp, _vp, _vp, _vp)
_lib.declare("qpm_regime_set_fit_jumps", _int, _vp, _int)
_lib.declare("qpm_regime_get_fit_jumps", _int, _vp, _vp)


class RegimeInit(enum.IntEnum):
    """The initial distribution of the hidden chain (``qpm_regime_init``)."""
    ESTIMATED = 0  #: a model parameter, estimated by the fit (the default)
    FIXED = 1      #: given, and kept by the fit
    ERGODIC = 2    #: the stationary distribution of P (statsmodels' default)


register_enum(RegimeInit, "QPM_REGIME_INIT_")
register_names({"qpm_regime_init": "RegimeInit", "qpm_regime_fit": "RegimeModel.fit()",
                "qpm_regime_set_params": "RegimeModel.set_params()",
                "qpm_regime_set_initial": "RegimeModel.set_initial()",
                "qpm_regime_filter": "RegimeModel.filter()",
                "qpm_regime_simulate": "RegimeModel.simulate()",
                "qpm_regime_set_jumps": "RegimeModel.set_jumps()",
                "qpm_regime_jumps": "RegimeModel.jumps",
                "qpm_regime_set_fit_jumps": "RegimeModel.set_fit_jumps()",
                "qpm_regime_get_fit_jumps": "RegimeModel.fit_jumps"})

#: C argument names -> this module's
_NAMES = {"r": "returns", "ldr": "the row stride of returns", "ldo": "the row stride",
          "m": "the model"}


class RegimeParams(NamedTuple):
    """Parameters of a :class:`RegimeModel`."""
    P: Any      #: K x K transition matrix, P[i, j] = P(s_t = j | s_{t-1} = i)
    pi: Any     #: K: the initial distribution in use
    mu: Any     #: K x d means
    sigma: Any  #: K x d x d covariances


class RegimeJumps(NamedTuple):
    """The jumps of a :class:`RegimeModel`."""
    p: Any        #: K daily jump probabilities, one per state, in [0, 1)
    mu_j: Any     #: d: the mean of each asset's jump
    delta_j: Any  #: d: the standard deviation of each asset's jump


class RegimeFit(NamedTuple):
    """Outcome of :meth:`RegimeModel.fit`."""
    loglik: float    #: log-likelihood at the fitted parameters
    iterations: int  #: EM iterations run
    converged: bool  #: True when the tolerance was met within max_iter


class RegimeProbabilities(NamedTuple):
    """Result of :meth:`RegimeModel.filter`: T x K probabilities (DataFrames
    on the index of a pandas input) and the log-likelihood."""
    filtered: Any  #: P(s_t = k | r_1..r_t)
    smoothed: Any  #: P(s_t = k | r_1..r_T)
    loglik: float


class RegimePaths(NamedTuple):
    """Result of :meth:`RegimeModel.simulate`."""
    returns: Any  #: n x h x d simulated returns
    states: Any   #: n x h states (uint64)


def prob_tol() -> float:
    """Tolerance on the sum of a transition row, an initial or a start
    distribution (1e-9); entries must also be >= 0."""
    return float(_lib.fn("qpm_regime_prob_tol")())


def _one_d(x: Any) -> bool:
    """True for a 1-D input (a Series, a 1-D array, a flat sequence)."""
    if _labels.is_series(x):
        return True
    if _labels.is_frame(x):
        return False
    np = _arrays.np
    if np is not None:
        return bool(np.ndim(x) == 1)
    seq = list(x) if not isinstance(x, (str, bytes)) else []
    return bool(seq) and _arrays.is_scalar(seq[0])


def _per_state(x: Any, name: str, k: int, d: int, square: bool) -> _arrays.Mat:
    """K x d (mu) or K x d x d (sigma, ``square``) as a (K rows or K d
    rows) x d matrix; for d = 1 a flat K-vector is accepted too."""
    rows = k * d if square else k
    np = _arrays.np
    if np is not None:
        a = x if isinstance(x, np.ndarray) else np.asarray(x)
        shapes: List[Tuple[int, ...]] = [(k, d, d)] if square else [(k, d)]
        if d == 1:
            shapes += [(k,), (k, 1)]
        if a.shape not in shapes:
            raise ValueError("%s has shape %s, expected %s" % (
                name, a.shape, " or ".join(str(s) for s in shapes)))
        return _arrays.matrix(a.reshape(rows, d), name, rows, d)
    flat: List[Any] = []
    for el in x:
        if _arrays.is_scalar(el) and d == 1:
            flat.append([el])
        elif square:
            flat.extend(list(el))
        else:
            flat.append(el)
    return _arrays.matrix(flat, name, rows, d)


class RegimeModel(Handle):
    """A Markov regime-switching model of ``k`` states (2 or 3) over ``d``
    assets (experimental).

    Give it parameters by :meth:`fit` or :meth:`set_params`; then
    :meth:`filter` gives the state probabilities of a series and
    :meth:`simulate` draws paths.  ``initial`` / :meth:`set_initial` choose
    the initial distribution (:class:`RegimeInit`)."""

    _prefix = "qpm_regime"

    def __init__(self, k: int = 2, d: int = 1) -> None:
        self._open("qpm_regime_create", _arrays.size(k, "k"), _arrays.size(d, "d"))

    def _dims(self) -> Tuple[int, int]:
        k, d = ctypes.c_size_t(), ctypes.c_size_t()
        check(_lib.fn("qpm_regime_dims")(self._ptr, ctypes.byref(k), ctypes.byref(d)))
        return int(k.value), int(d.value)

    def _describe(self) -> Any:
        k, d = self._dims()
        yield "k", k
        yield "d", d

    def _names(self) -> Any:
        return _NAMES

    @property
    def k(self) -> int:
        """Number of states."""
        with self._using():
            return self._dims()[0]

    @property
    def d(self) -> int:
        """Number of assets."""
        with self._using():
            return self._dims()[1]

    def set_params(self, P: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> None:
        """Sets the parameters: ``P`` (K x K, rows >= 0 summing to 1 within
        :func:`prob_tol`), ``mu`` (K x d) and ``sigma`` (K x d x d, each
        symmetric positive definite; K variances when d = 1).  Raises
        QpmInvalidError, QpmNonFiniteError, QpmNotPSDError naming the entry
        or state; nothing changes on error."""
        k, d = self.k, self.d
        p = _arrays.matrix(P, "P", k, k)
        m = _per_state(mu, "mu", k, d, False)
        s = _per_state(sigma, "sigma", k, d, True)
        # the C side reads dense arrays: rows of a strided view are copied
        p, m, s = (_dense(x) for x in (p, m, s))
        self._c("qpm_regime_set_params", p.addr, m.addr, s.addr)

    @property
    def params(self) -> RegimeParams:
        """The parameters (:class:`RegimeParams`); raises QpmStateError
        before a fit or :meth:`set_params`."""
        k, d = self.k, self.d
        P = _arrays.out_matrix(k, k)
        pi = _arrays.output(k)
        mu = _arrays.out_matrix(k, d)
        sg = _arrays.out_matrix(k * d, d)
        self._c("qpm_regime_params", P.addr, pi.addr, mu.addr, sg.addr)
        s = sg.result()
        if _arrays.np is not None:
            s = s.reshape(k, d, d)
        else:
            s = [s[i * d:(i + 1) * d] for i in range(k)]
        return RegimeParams(P.result(), pi.result(), mu.result(), s)

    @property
    def initial(self) -> RegimeInit:
        """The initial distribution mode."""
        v = ctypes.c_int()
        self._c("qpm_regime_get_initial", ctypes.byref(v))
        return RegimeInit(v.value)

    def set_initial(self, mode: Union[RegimeInit, int, str],
                    pi: Optional[ArrayLike] = None) -> None:
        """Chooses the initial distribution: ``mode`` a :class:`RegimeInit`
        (or its name); ``pi`` (K probabilities) is required for FIXED, the
        fit's starting value for ESTIMATED (None keeps the current one) and
        ignored for ERGODIC."""
        if isinstance(mode, str):
            try:
                mode = RegimeInit[mode.upper()]
            except KeyError:
                raise ValueError("unknown initial mode %r; choose from %s" % (
                    mode, ", ".join(m.name.lower() for m in RegimeInit))) from None
        v = None if pi is None else _arrays.vector(pi, "pi", n=self.k)
        self._c("qpm_regime_set_initial", _arrays.int32(mode, "mode"),
                None if v is None else v.addr)

    def set_jumps(self, p: ArrayLike, mu_j: ArrayLike, delta_j: ArrayLike) -> None:
        """Sets the jumps: ``p`` (K daily jump probabilities in [0, 1); all
        0 removes the jumps), ``mu_j`` and ``delta_j`` (d each: the mean and
        standard deviation of each asset's jump, in the unit of the returns;
        delta_j >= 0, and > 0 when some p is).  A Poisson intensity lambda
        per day is ``p = 1 - exp(-lambda)``.  May come before
        :meth:`set_params`, which keeps them.  Raises QpmInvalidError,
        QpmNonFiniteError, QpmNumericalError (a delta_j whose square
        overflows) naming the entry; nothing changes on error."""
        k, d = self.k, self.d
        pv = _arrays.vector(p, "p", n=k)
        mv = _arrays.vector(mu_j, "mu_j", n=d)
        dv = _arrays.vector(delta_j, "delta_j", n=d)
        self._c("qpm_regime_set_jumps", pv.addr, mv.addr, dv.addr)

    @property
    def jumps(self) -> RegimeJumps:
        """The jumps (:class:`RegimeJumps`); all zero until :meth:`set_jumps`
        or a fit with :meth:`set_fit_jumps` sets them.  After a fit ``p``
        follows the states' order."""
        k, d = self.k, self.d
        p = _arrays.output(k)
        m = _arrays.output(d)
        s = _arrays.output(d)
        self._c("qpm_regime_jumps", p.addr, m.addr, s.addr)
        return RegimeJumps(p.result(), m.result(), s.result())

    @property
    def fit_jumps(self) -> bool:
        """Whether :meth:`fit` estimates the jumps (:meth:`set_fit_jumps`)."""
        v = ctypes.c_int()
        self._c("qpm_regime_get_fit_jumps", ctypes.byref(v))
        return v.value == 1

    def set_fit_jumps(self, on: bool) -> None:
        """``on`` True: :meth:`fit` estimates the jumps with the other
        parameters (by exact EM, from the model's jumps when it has some,
        else from p = 0.05, mu_j = 0 and delta_j = 3 standard deviations of
        each asset); False (the default): the fit holds the model's jumps
        (none unless set)."""
        self._c("qpm_regime_set_fit_jumps", 1 if _arrays.flag(on, "on") else 0)

    def _returns(self, returns: Any) -> Tuple[int, int, int, Any]:
        """(T, address, row stride, owner) of a returns input."""
        d = self.d
        if _one_d(returns):
            if d != 1:
                raise ValueError("returns is one-dimensional but the model has %d assets" % d)
            v = _arrays.vector(returns, "returns")
            return v.n, v.addr, 1, v
        m = _arrays.matrix(returns, "returns", None, d)
        return m.rows, m.addr, m.ld, m

    def fit(self, returns: ArrayLike, max_iter: int = 1000, tol: float = 1e-8,
            progress: Any = None) -> RegimeFit:
        """Fits the model to ``returns`` (T x d, or a 1-D series for d = 1)
        by EM from a deterministic start; stops when the log-likelihood
        changes by at most ``tol`` (1 + |loglik|) or after ``max_iter``
        iterations.  With jumps (:meth:`set_fit_jumps`, or jumps set on the
        model, which are then held) the EM step is exact for the latent
        jump sizes too; the fitted jumps are :attr:`jumps`.
        ``progress``: None, True (a progress bar) or f(done)
        returning True to cancel (QpmCancelledError; the parameters stay as
        they were).  Raises QpmSizeError (T not above the number of free
        parameters), QpmNonFiniteError naming the row and column,
        QpmUnsupportedError (ERGODIC mode), QpmNoConvergeError (a state lost
        all its weight)."""
        T, addr, ld, _keep = self._returns(returns)
        mi = _arrays.size(max_iter, "max_iter")
        tl = _arrays.double(tol, "tol")
        ll, it, conv = ctypes.c_double(), ctypes.c_size_t(), ctypes.c_int()
        setp = _lib.fn("qpm_regime_set_progress")
        fit = _lib.fn("qpm_regime_fit")
        with _progress.callback(progress, "regime fit", total=mi, unit="iteration") as cb, \
                self._using():
            st = setp(self._ptr, cb.cfn, None)
            if not st:
                try:
                    st = fit(self._ptr, T, addr, ld, mi, tl, ctypes.byref(ll), ctypes.byref(it),
                             ctypes.byref(conv))
                finally:
                    setp(self._ptr, None, None)
            cb.reraise()
            if st:
                raise self._error(st)
        return RegimeFit(ll.value, int(it.value), conv.value == 1)

    def filter(self, returns: ArrayLike) -> RegimeProbabilities:
        """Filtered and smoothed probabilities (T x K) of ``returns`` (T x
        d, or 1-D for d = 1) at the model's parameters, and the
        log-likelihood.  A pandas input gives DataFrames on its index with
        one column per state.  The last filtered row is today's state
        distribution, a ``start`` for :meth:`simulate`."""
        T, addr, ld, _keep = self._returns(returns)
        k = self.k
        f = _arrays.out_matrix(max(T, 1), k)
        s = _arrays.out_matrix(max(T, 1), k)
        ll = ctypes.c_double()
        self._c("qpm_regime_filter", T, addr, ld, f.addr, s.addr, ctypes.byref(ll),
                names=dict(_NAMES, T="len(returns)"))
        index = _labels.row_labels(returns)
        cols = list(range(k)) if index is not None else None
        return RegimeProbabilities(_labels.frame(f.result(), index, cols),
                                   _labels.frame(s.result(), index, cols), ll.value)

    def simulate(self, n: int, h: int, rng: Rng, start: Optional[ArrayLike] = None
                 ) -> RegimePaths:
        """``n`` paths of ``h`` days: today's state drawn from ``start`` (K
        probabilities, e.g. the last row of :meth:`filter`'s filtered
        probabilities; None: the initial distribution), then each day a move
        of the chain and Gaussian returns of the new state, plus a jump on a
        jump day when the model has jumps.  Draws come from
        ``rng`` in a fixed order (the same generator state gives the same
        paths) and advance it.  Returns :class:`RegimePaths`: returns n x h
        x d, states n x h."""
        nn = _arrays.size(n, "n")
        hh = _arrays.size(h, "h")
        k, d = self.k, self.d
        sv = None if start is None else _arrays.vector(start, "start", n=k)
        out = _arrays.out_matrix(max(nn * hh, 1), d)
        states = _arrays.output(max(nn * hh, 1), None, "states", _arrays.SIZE_KIND)
        fn = _lib.fn("qpm_regime_simulate")
        with self._using(rng):
            st = fn(self._ptr, rng._ptr, None if sv is None else sv.addr, nn, hh, out.addr,
                    out.ld, states.addr)
            if st:
                raise self._error(st)
        r, s = out.result(), states.result()
        if _arrays.np is not None:
            return RegimePaths(r[:nn * hh].reshape(nn, hh, d), s[:nn * hh].reshape(nn, hh))
        return RegimePaths([r[p * hh:(p + 1) * hh] for p in range(nn)],
                           [s[p * hh:(p + 1) * hh] for p in range(nn)])


def _dense(m: _arrays.Mat) -> _arrays.Mat:
    """``m`` with rows back to back (ld == cols): a copy when its rows are
    strided."""
    np = _arrays.np
    if m.ld == m.cols or np is None:  # without numpy matrices are always dense
        return m
    a = np.ascontiguousarray(m.result())
    return _arrays.Mat(a, a.ctypes.data, m.rows, m.cols, m.cols)
